/**
 * Running plugins: the {@linkcode Invoker} interface (after the reference `pkg/invoke`
 * `exec.go`) and the behaviour both implementations share: the `CNI_*` environment, errors
 * from a failed run, an ADD's result, the VERSION probe. The implementations are
 * `invoke_exec.ts` (binaries, `Deno.Command`) and `invoke_builtin.ts` (built-in plugins
 * in-process, the choice between the two, and the IPAM delegate).
 *
 * @module
 */
import { CniError } from "./errors.ts";
import { pluginEnv } from "./invoke_env.ts";
import { parseAddOutput, pluginError } from "./invoke_output.ts";
import { type CniCommand, CURRENT_VERSION } from "./types.ts";
import { decodeVersionInfo, type VersionInfo } from "./version.ts";

/** The per-call parameters of a plugin invocation (what becomes the `CNI_*` variables). */
export interface InvokeArgs {
  /** `CNI_COMMAND`. */
  command: CniCommand;
  /** `CNI_CONTAINERID` (empty for GC, STATUS, VERSION). */
  containerId?: string;
  /** `CNI_NETNS`. */
  netns?: string;
  /** `CNI_IFNAME`. */
  ifName?: string;
  /** `CNI_ARGS` text (`K=V;K2=V2`). */
  args?: string;
  /** `CNI_PATH` text; defaults to the invoker's search path joined with `:`. */
  path?: string;
  /** Extra variables set for this call only (e.g. the VERSION probe's dummies). */
  extraEnv?: Readonly<Record<string, string>>;
}

export type { VersionInfo };

/** Runs plugins by type name. */
export interface Invoker {
  /**
   * Runs a plugin with `stdin` as its configuration.
   *
   * @returns For ADD the parsed result object (its `cniVersion` filled in from the config
   *   when missing, otherwise as the plugin emitted it); `undefined` for other verbs.
   * @throws {CniError} The plugin's error (code, msg, details) or an invocation failure.
   */
  execPlugin(
    type: string,
    stdin: Uint8Array,
    args: InvokeArgs,
  ): Promise<Record<string, unknown> | undefined>;
  /** Asks a plugin which spec versions it supports (VERSION). */
  version(type: string): Promise<VersionInfo>;
  /** Where the plugin comes from: a binary path, or `builtin:<type>`. */
  findInPath(type: string): Promise<string>;
}

/** The raw outcome of running a plugin once. */
export interface RawOutcome {
  /** Exit code (0 success). */
  exitCode: number;
  /** Everything printed on stdout. */
  stdout: string;
  /** Everything printed on stderr. */
  stderr: string;
  /** How the process ended, for messages: `exit status 1`, `signal: killed`. */
  status: string;
}

/** Common options of both invokers. */
export interface InvokerOptions {
  /** Plugin search path (`CNI_PATH` directories). */
  cniPath?: readonly string[];
  /** The environment plugins inherit (default: this process's environment for exec, none in-process). */
  env?: Readonly<Record<string, string>>;
  /** Where a successful plugin's stderr goes (default: this process's stderr). */
  stderr?: (text: string) => void;
}

const BYTES = new TextEncoder();

function defaultStderr(text: string): void {
  Deno.stderr.writeSync(BYTES.encode(text));
}

/** The stdin and extra environment of the VERSION probe (`invoke.GetVersionInfo`). */
const VERSION_PROBE_STDIN = BYTES.encode(`{"cniVersion":"${CURRENT_VERSION}"}`);
const VERSION_PROBE_ENV = { CNI_NETNS: "dummy", CNI_IFNAME: "dummy", CNI_PATH: "dummy" };

/**
 * Builds the common `Invoker` methods from a raw runner: the environment, errors from a
 * failed run, ADD's result, the VERSION probe, stderr of a successful run forwarded.
 *
 * @param find Where a plugin type comes from.
 * @param raw Runs a plugin once.
 * @param options Search path and stderr sink.
 * @param baseEnv The environment plugins inherit.
 * @returns The invoker.
 */
export function invokerFrom(
  find: (type: string) => Promise<string>,
  raw: (type: string, stdin: Uint8Array, env: Record<string, string>) => Promise<RawOutcome>,
  options: InvokerOptions,
  baseEnv: () => Readonly<Record<string, string>>,
): Invoker {
  const stderr = options.stderr ?? defaultStderr;
  async function run(type: string, stdin: Uint8Array, args: InvokeArgs): Promise<RawOutcome> {
    const env = pluginEnv(args, {
      env: baseEnv(),
      ...(options.cniPath && { cniPath: options.cniPath }),
    });
    const out = await raw(type, stdin, env);
    if (out.exitCode !== 0) throw pluginError(out);
    if (out.stderr) stderr(out.stderr);
    return out;
  }
  return {
    findInPath: find,
    async execPlugin(type, stdin, args) {
      const out = await run(type, stdin, args);
      return args.command === "ADD" ? parseAddOutput(out.stdout, stdin) : undefined;
    },
    async version(type) {
      let out: RawOutcome;
      try {
        out = await run(type, VERSION_PROBE_STDIN, {
          command: "VERSION",
          extraEnv: VERSION_PROBE_ENV,
        });
      } catch (err) {
        if (err instanceof CniError && err.message === "unknown CNI_COMMAND: VERSION") {
          return { cniVersion: "0.1.0", supportedVersions: ["0.1.0"] };
        }
        throw err;
      }
      return decodeVersionInfo(out.stdout);
    },
  };
}
