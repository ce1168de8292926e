// deno-lint-ignore-file no-explicit-any -- JSON from ip/nft oracles is read loosely in tests
/**
 * Helpers for the bridge plugin's privileged tests: unique names, throwaway namespaces,
 * `ip -j` / `bridge -j` / `iptables` / `nft` oracles, in-process calls with a real IPAM
 * delegate, the reference binary side by side, and cleanup that runs also on failure.
 *
 * @module
 */
import type { CmdArgs, PluginContext } from "../../cni/plugin.ts";
import type { CniCommand, NetConf } from "../../cni/types.ts";
import { createDelegate } from "../../cni/invoke_builtin.ts";
import { BUILTIN_PLUGINS } from "../../plugins/mod.ts";
import { pendingKernelWork } from "../../netlink/socket.ts";

/** Where the reference plugins are. */
export const REF_DIR = "/usr/lib/cni";

/**
 * A random lower-case hex suffix.
 *
 * @param n Number of hex digits.
 * @returns The suffix.
 */
export function rand(n = 6): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(Math.ceil(n / 2))),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("").slice(0, n);
}

/** Output of a command. */
export interface RunOut {
  /** Exit code. */
  code: number;
  /** Stdout. */
  stdout: string;
  /** Stderr. */
  stderr: string;
}

/**
 * Runs a command (tests only: `ip`, `bridge`, `iptables`, `nft` as oracles).
 *
 * @param cmd Program.
 * @param args Arguments.
 * @param opts Stdin, environment, working directory.
 * @returns Its output.
 */
export async function run(
  cmd: string,
  args: string[],
  opts: { stdin?: string; env?: Record<string, string>; clearEnv?: boolean; cwd?: string } = {},
): Promise<RunOut> {
  const child = new Deno.Command(cmd, {
    args,
    ...(opts.cwd && { cwd: opts.cwd }),
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(opts.env && { env: opts.env }),
    ...(opts.clearEnv && { clearEnv: true }),
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Runs a command that must succeed.
 *
 * @param cmd Program.
 * @param args Arguments.
 * @returns Stdout.
 */
export async function sh(cmd: string, ...args: string[]): Promise<string> {
  const out = await run(cmd, args);
  if (out.code !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${out.stderr}`);
  return out.stdout;
}

/** `ip -j -d link show` in the host or a named namespace. */
export async function ipLinks(netnsName?: string): Promise<Record<string, unknown>[]> {
  const args = netnsName ? ["-n", netnsName] : [];
  return JSON.parse(await sh("ip", ...args, "-j", "-d", "link", "show"));
}

/**
 * `ip -j -d link show dev X`, or undefined when it does not exist.
 *
 * @param name Link name.
 * @param netnsName Named namespace, if any.
 * @returns The link JSON.
 */
export async function ipLink(
  name: string,
  netnsName?: string,
): Promise<Record<string, any> | undefined> {
  const args = netnsName ? ["-n", netnsName] : [];
  const out = await run("ip", [...args, "-j", "-d", "link", "show", "dev", name]);
  if (out.code !== 0) return undefined;
  return (JSON.parse(out.stdout) as Record<string, any>[])[0];
}

/**
 * `ip -j addr show dev X`: `addr_info` of the link.
 *
 * @param name Link name.
 * @param netnsName Named namespace, if any.
 * @returns `local/prefixlen` strings, in kernel order.
 */
export async function ipAddrs(name: string, netnsName?: string): Promise<string[]> {
  const args = netnsName ? ["-n", netnsName] : [];
  const j = JSON.parse(await sh("ip", ...args, "-j", "addr", "show", "dev", name)) as {
    addr_info: { local: string; prefixlen: number; scope: string }[];
  }[];
  return (j[0]?.addr_info ?? []).filter((a) => a.scope !== "link").map((a) =>
    `${a.local}/${a.prefixlen}`
  );
}

/**
 * Routes in a namespace (`ip -j route show` for v4 and v6), as short strings.
 *
 * @param netnsName Named namespace.
 * @returns Sorted `dst via gw dev X` strings.
 */
export async function ipRoutes(netnsName: string): Promise<string[]> {
  const out: string[] = [];
  for (const fam of ["-4", "-6"]) {
    const j = JSON.parse(await sh("ip", "-n", netnsName, fam, "-j", "route", "show")) as {
      dst: string;
      gateway?: string;
      dev: string;
      protocol?: string;
      scope?: string;
    }[];
    for (const r of j) {
      if (r.dst.startsWith("fe80::")) continue;
      out.push(
        `${r.dst}${r.gateway ? ` via ${r.gateway}` : ""} dev ${r.dev}${
          r.protocol ? ` proto ${r.protocol}` : ""
        }${r.scope ? ` scope ${r.scope}` : ""}`,
      );
    }
  }
  return out.sort();
}

/** A throwaway named namespace. */
export interface TestNetns {
  /** Name under /run/netns. */
  name: string;
  /** Path. */
  path: string;
}

/**
 * Creates a named namespace with `ip netns add`.
 *
 * @param prefix Name prefix.
 * @returns Its name and path.
 */
export async function makeNetns(prefix = "tbns"): Promise<TestNetns> {
  const name = `${prefix}-${rand(8)}`;
  await sh("ip", "netns", "add", name);
  return { name, path: `/run/netns/${name}` };
}

/**
 * Waits for kernel work an in-process DEL left running (see `pendingKernelWork`), then deletes
 * a named namespace (ignores absence).
 *
 * @param ns The namespace.
 */
export async function dropNetns(ns: TestNetns): Promise<void> {
  await pendingKernelWork();
  await run("ip", ["netns", "del", ns.name]);
}

/**
 * Deletes host links (ignores absence).
 *
 * @param names Link names.
 */
export async function dropLinks(...names: string[]): Promise<void> {
  for (const n of names) await run("ip", ["link", "del", n]);
}

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
 * (`prefer`), or the reference binary from /usr/lib/cni (`never`).
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
 * Runs a reference plugin binary with CNI_* env and stdin.
 *
 * @param plugin Binary name in /usr/lib/cni.
 * @param command The verb.
 * @param config The netconf.
 * @param env Container ID, netns path, ifname, CNI_ARGS.
 * @returns Exit code, stdout, stderr.
 */
export async function runReference(
  plugin: string,
  command: CniCommand,
  config: Record<string, unknown>,
  env: { containerId: string; netns: string; ifName: string; args?: string },
): Promise<RunOut> {
  return await run(`${REF_DIR}/${plugin}`, [], {
    stdin: JSON.stringify(config),
    clearEnv: true,
    env: {
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      CNI_COMMAND: command,
      CNI_CONTAINERID: env.containerId,
      CNI_NETNS: env.netns,
      CNI_IFNAME: env.ifName,
      CNI_ARGS: env.args ?? "",
      CNI_PATH: REF_DIR,
    },
  });
}

/**
 * Lines of `iptables -t nat -S` (or ip6tables) mentioning a string.
 *
 * @param needle What to look for.
 * @param v6 Use ip6tables.
 * @returns Matching lines.
 */
export async function natRules(needle: string, v6 = false): Promise<string[]> {
  const out = await sh(v6 ? "ip6tables" : "iptables", "-w", "-t", "nat", "-S");
  return out.split("\n").filter((l) => l.includes(needle));
}

/**
 * Removes an iptables masquerade chain and its POSTROUTING jumps (test cleanup).
 *
 * @param chain Chain name.
 */
export async function dropNatChain(chain: string): Promise<void> {
  for (const cmd of ["iptables", "ip6tables"]) {
    const out = await run(cmd, ["-w", "-t", "nat", "-S", "POSTROUTING"]);
    for (const line of out.stdout.split("\n")) {
      if (line.includes(`-j ${chain}`) && line.startsWith("-A ")) {
        const args = splitShell(line.replace(/^-A /, "-D "));
        await run(cmd, ["-w", "-t", "nat", ...args]);
      }
    }
    await run(cmd, ["-w", "-t", "nat", "-F", chain]);
    await run(cmd, ["-w", "-t", "nat", "-X", chain]);
  }
}

function splitShell(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re)) {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!);
  }
  return out;
}

/**
 * nft rules (JSON objects) of a chain whose comment contains `needle`.
 *
 * @param family Table family.
 * @param table Table.
 * @param chain Chain.
 * @param needle Comment substring.
 * @returns Matching rule objects, or [] when the chain is absent.
 */
export async function nftRules(
  family: string,
  table: string,
  chain: string,
  needle: string,
): Promise<Record<string, any>[]> {
  const out = await run("nft", ["-j", "list", "chain", family, table, chain]);
  if (out.code !== 0) return [];
  const j = JSON.parse(out.stdout) as { nftables: Record<string, any>[] };
  return j.nftables.flatMap((e) =>
    e.rule && String(e.rule.comment ?? "").includes(needle) ? [e.rule] : []
  );
}

/**
 * Whether an nft chain exists.
 *
 * @param family Family.
 * @param table Table.
 * @param chain Chain.
 * @returns True when listed.
 */
export async function nftChainExists(
  family: string,
  table: string,
  chain: string,
): Promise<boolean> {
  return (await run("nft", ["list", "chain", family, table, chain])).code === 0;
}

/**
 * Deletes nft rules of a chain whose comment contains `needle` (test cleanup).
 *
 * @param family Family.
 * @param table Table.
 * @param chain Chain.
 * @param needle Comment substring.
 */
export async function dropNftRules(
  family: string,
  table: string,
  chain: string,
  needle: string,
): Promise<void> {
  for (const r of await nftRules(family, table, chain, needle)) {
    await run("nft", ["delete", "rule", family, table, chain, "handle", String(r.handle)]);
  }
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

/** Tables the masquerade and spoof-check code (or iptables-nft) may create. */
const FIREWALL_TABLES: [string, string, string | undefined][] = [
  ["ip", "nat", undefined],
  ["ip6", "nat", undefined],
  ["inet", "cni_plugins_masquerade", "masq_checks"],
  ["bridge", "nat", "PREROUTING"],
];

/**
 * Which of the firewall tables exist now.
 *
 * @returns `family name` keys.
 */
export async function firewallTables(): Promise<Set<string>> {
  const out = await run("nft", ["list", "tables"]);
  return new Set(out.stdout.split("\n").map((l) => l.replace(/^table /, "").trim()));
}

/**
 * Deletes firewall tables that did not exist in `before` when they hold no rules of
 * anybody's (for the masquerade and spoof-check tables: none in their per-rule chain).
 *
 * @param before The snapshot from {@linkcode firewallTables}.
 */
export async function dropNewEmptyTables(before: Set<string>): Promise<void> {
  for (const [family, name, chain] of FIREWALL_TABLES) {
    if (before.has(`${family} ${name}`)) continue;
    const out = await run("nft", ["-j", "list", "table", family, name]);
    if (out.code !== 0) continue;
    const items = (JSON.parse(out.stdout) as { nftables: Record<string, any>[] }).nftables;
    const busy = items.some((e) => e.rule && (chain === undefined || e.rule.chain === chain));
    if (!busy) await run("nft", ["delete", "table", family, name]);
  }
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
