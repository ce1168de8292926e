/**
 * Helpers for the bridge plugin's privileged tests: in-process calls with a real IPAM
 * delegate ({@linkcode cmdArgs}, {@linkcode pluginContext}), results with their random parts
 * taken out, and a "side" (namespace, bridge, data dir, container ID) for side-by-side runs.
 * Plugin-neutral helpers have files of their own: names.ts, run.ts, namespaces.ts,
 * ip_oracle.ts, firewall_oracle.ts, exec_plugin.ts, reference.ts.
 *
 * @module
 */
import type { CmdArgs, PluginContext } from "../../cni/plugin.ts";
import type { CniCommand, NetConf } from "../../cni/types.ts";
import { createDelegate } from "../../cni/invoke_builtin.ts";
import { BUILTIN_PLUGINS } from "../../plugins/mod.ts";
import { rand } from "./names.ts";
import { dropNetns, makeNetns, type TestNetns } from "./namespaces.ts";
import { dropLinks } from "./ip_oracle.ts";
import { REF_DIR } from "./reference.ts";

/**
 * Builds CmdArgs as skel would.
 *
 * @param command The verb.
 * @param config The netconf.
 * @param env Container ID, netns path, ifname, CNI_ARGS.
 * @returns CmdArgs.
 */
export function cmdArgs(
  command: CniCommand,
  config: Record<string, unknown>,
  env: { containerId: string; netns: string; ifName: string; args?: string },
): CmdArgs {
  const text = JSON.stringify(config);
  return {
    command,
    containerId: env.containerId,
    netns: env.netns,
    ifName: env.ifName,
    args: env.args ?? "",
    path: REF_DIR,
    stdinData: new TextEncoder().encode(text),
    config: JSON.parse(text) as NetConf,
  };
}

/**
 * A plugin context whose delegate runs IPAM for real: built-in host-local in-process
 * (`prefer`), or the reference binary from {@linkcode REF_DIR} (`never`).
 *
 * @param mode Builtins mode.
 * @returns The context.
 */
export function pluginContext(mode: "prefer" | "never" = "prefer"): PluginContext {
  return {
    delegate: createDelegate({ registry: BUILTIN_PLUGINS, mode }),
    env: {},
    log: () => {},
  };
}

/**
 * Replaces random parts of a result for comparison: MACs, `veth` names, the sandbox path.
 *
 * @param result A result object.
 * @returns A normalised copy.
 */
export function normaliseResult(result: unknown): unknown {
  return JSON.parse(
    JSON.stringify(result)
      .replace(/"([0-9a-f]{2}:){5}[0-9a-f]{2}"/g, '"<mac>"')
      .replace(/veth[0-9a-f]{8}/g, "<veth>"),
  );
}

/** One side of a side-by-side test: its namespace, bridge, data dir and container ID. */
export interface TestSide {
  /** The container namespace. */
  ns: TestNetns;
  /** A test-unique bridge name. */
  br: string;
  /** A fresh host-local data dir. */
  dataDir: string;
  /** A test-unique container ID. */
  cid: string;
}

/**
 * Makes a side with names starting with `prefix` (3 letters).
 *
 * @param prefix Name prefix.
 * @returns The side.
 */
export async function makeSide(prefix: string): Promise<TestSide> {
  return {
    ns: await makeNetns(prefix),
    br: `${prefix}${rand(8)}`,
    dataDir: await Deno.makeTempDir({ prefix: `${prefix}-data-` }),
    cid: `c${prefix}${rand(12)}`,
  };
}

/**
 * Removes what {@linkcode makeSide} made (namespace, bridge, data dir).
 *
 * @param s The side.
 */
export async function dropSide(s: TestSide): Promise<void> {
  await dropNetns(s.ns);
  await dropLinks(s.br);
  await Deno.remove(s.dataDir, { recursive: true }).catch(() => {});
}

// For test files other branches are changing at the same time (tests/hostile/,
// tests/helpers/chain_env.ts, tests/chain_matrix_root_test.ts): the plugin-neutral helpers
// that used to live here. New code imports them from their own files.
export { rand } from "./names.ts";
export { run, sh } from "./run.ts";
export { dropNetns, makeNetns, type TestNetns } from "./namespaces.ts";
export { dropLinks, ipAddrs } from "./ip_oracle.ts";
export { dropNatChain, dropNewEmptyTables, firewallTables } from "./firewall_oracle.ts";
export { REF_DIR } from "./reference.ts";
