// deno-lint-ignore-file no-explicit-any -- a plugin's JSON output is read loosely in tests
/**
 * Running a CNI plugin binary from a test the way a runtime does: a clean environment
 * (`PATH` plus the `CNI_*` variables), the config on stdin, and back its exit code, stdout,
 * stderr and stdout's JSON. For the Go reference plugins ({@linkcode execReference}), our
 * launchers (`launcherDir()` of launchers.ts) and any other binary; and our plugin in-process
 * through skel with the same inputs ({@linkcode runInProcess}). Their output is plain
 * `{ code, stdout, stderr }`, comparable as is with an in-process run's; {@linkcode stdoutJson}
 * parses what it printed.
 *
 * @module
 */
import type { PluginFns } from "../../cni/plugin.ts";
import { runPlugin, type SkelOptions } from "../../cni/skel.ts";
import { createDelegate } from "../../cni/invoke_builtin.ts";
import { pendingKernelWork } from "../../netlink/socket.ts";
import { BUILTIN_PLUGINS } from "../../plugins/mod.ts";
import { REF_DIR } from "./reference.ts";
import { run, type RunOut } from "./run.ts";

/** The `CNI_*` values of one call. */
export interface CniEnv {
  /** CNI_COMMAND. */
  command: string;
  /** CNI_CONTAINERID. */
  containerId?: string;
  /** CNI_NETNS. */
  netns?: string;
  /** CNI_IFNAME. */
  ifName?: string;
  /** CNI_ARGS. */
  args?: string;
  /** CNI_PATH. */
  path?: string;
  /** More variables. */
  extra?: Record<string, string>;
}

/** What one plugin run did. */
export type ExecOut = RunOut;

/** Options of {@linkcode execPluginBinary}. */
export interface ExecOptions {
  /** Run it inside this named namespace (`ip netns exec <name>`), as its "host". */
  netnsExec?: string;
}

/**
 * The environment a plugin gets for a call: `PATH` and every `CNI_*` variable.
 *
 * @param env The call.
 * @returns The variables.
 */
export function cniVars(env: CniEnv): Record<string, string> {
  return {
    PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
    CNI_COMMAND: env.command,
    CNI_CONTAINERID: env.containerId ?? "",
    CNI_NETNS: env.netns ?? "",
    CNI_IFNAME: env.ifName ?? "",
    CNI_ARGS: env.args ?? "",
    CNI_PATH: env.path ?? "",
    ...env.extra,
  };
}

/**
 * What a plugin printed, parsed: its result, error or versions.
 *
 * @param out A plugin run's output.
 * @returns Stdout's JSON.
 * @throws Error naming the exit code, stdout and stderr when stdout is not JSON.
 */
export function stdoutJson(out: ExecOut): any {
  try {
    return JSON.parse(out.stdout);
  } catch {
    throw new Error(`not JSON (exit ${out.code}): ${out.stdout}${out.stderr}`);
  }
}

/**
 * Runs a plugin binary the way a runtime does: a clean environment (`PATH` plus the `CNI_*`
 * variables), the config on stdin.
 *
 * @param binary Absolute path of the plugin.
 * @param env The call.
 * @param stdin The config: text as is, anything else as JSON.
 * @param opts Where to run it.
 * @returns Exit code, stdout, stderr.
 */
export async function execPluginBinary(
  binary: string,
  env: CniEnv,
  stdin: unknown,
  opts: ExecOptions = {},
): Promise<ExecOut> {
  const [cmd, args] = opts.netnsExec
    ? ["ip", ["netns", "exec", opts.netnsExec, binary]]
    : [binary, []];
  return await run(cmd, args, {
    stdin: typeof stdin === "string" ? stdin : JSON.stringify(stdin),
    env: cniVars(env),
    clearEnv: true,
  });
}

/**
 * Runs a Go reference plugin ({@linkcode REF_DIR}) with `CNI_PATH` {@linkcode REF_DIR}
 * unless `env` says otherwise.
 *
 * @param plugin Binary name in {@linkcode REF_DIR}.
 * @param env The call.
 * @param stdin The config: text as is, anything else as JSON.
 * @param opts Where to run it.
 * @returns Exit code, stdout, stderr.
 */
export async function execReference(
  plugin: string,
  env: CniEnv,
  stdin: unknown,
  opts: ExecOptions = {},
): Promise<ExecOut> {
  return await execPluginBinary(`${REF_DIR}/${plugin}`, { path: REF_DIR, ...env }, stdin, opts);
}

/**
 * Runs one of our plugins in-process through skel, with the same `CNI_*` variables and stdin
 * an exec'd call gets, and IPAM delegated to the built-ins in-process (as the in-process
 * invoker does); waits for kernel work the call left running. What it prints is what the
 * exec'd plugin prints.
 *
 * @param plugin A built-in plugin's name, or the plugin itself.
 * @param env The call.
 * @param stdin The config: text as is, anything else as JSON.
 * @param options Skel options (default: a delegate to the built-ins, mode `prefer`).
 * @returns Exit code, stdout, stderr.
 */
export async function runInProcess(
  plugin: string | PluginFns,
  env: CniEnv,
  stdin: unknown,
  options: SkelOptions = {},
): Promise<ExecOut> {
  const fns = typeof plugin === "string" ? await BUILTIN_PLUGINS[plugin]!() : plugin;
  const vars = cniVars(env);
  const text = typeof stdin === "string" ? stdin : JSON.stringify(stdin);
  const out = await runPlugin(fns, { env: vars, stdin: new TextEncoder().encode(text) }, {
    delegate: createDelegate({ registry: BUILTIN_PLUGINS, mode: "prefer", env: vars }),
    ...options,
  });
  await pendingKernelWork();
  return { code: out.exitCode, stdout: out.stdout, stderr: out.stderr };
}
