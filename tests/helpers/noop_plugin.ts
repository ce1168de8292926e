/**
 * A scriptable test plugin after the reference `plugins/test/noop`: its behaviour comes from a
 * JSON "debug file" named by `CNI_ARGS` key `DEBUG` or config key `debugFile`. Every call is
 * appended as one JSON line to `commandLog` (debug file or config key), so tests can assert
 * order, environment and stdin. Use `noopPlugin` in-process, or run this file as a binary
 * through {@linkcode writeNoopLauncher}.
 *
 * @module
 */
import { join } from "node:path";
import { runPlugin } from "../../cni/skel.ts";
import { CniError } from "../../cni/errors.ts";
import type { CmdArgs, PluginFns } from "../../cni/plugin.ts";
import { SUPPORTED_VERSIONS } from "../../cni/types.ts";
import { toCurrentResult } from "../../cni/results/mod.ts";
import type { Result } from "../../cni/types.ts";

/** What the debug file may say. */
export interface NoopDebug {
  /** Result to return on ADD (any version); `"PASSTHROUGH"` echoes prevResult. Default `{}`. */
  reportResult?: Record<string, unknown> | "PASSTHROUGH";
  /** Fail every verb (or only those in `failOn`) with this message. */
  reportError?: string;
  /** Code for `reportError` (default 999). */
  reportErrorCode?: number;
  /** Verbs that fail (default: all). */
  failOn?: string[];
  /** Text written to stderr (binary mode). */
  reportStderr?: string;
  /** Binary mode: print exactly this on stdout and exit with `exitWithCode` (default 0). */
  rawStdout?: string;
  /** Binary mode exit code with `rawStdout`. */
  exitWithCode?: number;
  /** Versions answered to VERSION (binary mode). */
  reportVersionSupport?: string[];
  /** Sleep this long before answering (to test timeouts). */
  sleepMs?: number;
  /** File to append one JSON line per call to. */
  commandLog?: string;
}

/** One line of the command log: the call's `CNI_*` values and its stdin config. */
export interface NoopLogEntry
  extends Pick<CmdArgs, "command" | "containerId" | "netns" | "ifName" | "args" | "path"> {
  /** The stdin config as received. */
  config: Record<string, unknown>;
}

function argValue(cniArgs: string, key: string): string | undefined {
  for (const pair of cniArgs.split(";")) {
    const [k, v] = pair.split("=");
    if (k === key && v !== undefined) return v;
  }
  return undefined;
}

function debugPath(
  cniArgs: string,
  config: Record<string, unknown> | undefined,
): string | undefined {
  return argValue(cniArgs, "DEBUG") ??
    (typeof config?.debugFile === "string" ? config.debugFile : undefined);
}

function loadDebug(path: string | undefined): NoopDebug {
  if (!path) return {};
  try {
    return JSON.parse(Deno.readTextFileSync(path)) as NoopDebug;
  } catch {
    return {};
  }
}

async function act(args: CmdArgs): Promise<NoopDebug> {
  const config = JSON.parse(new TextDecoder().decode(args.stdinData)) as Record<string, unknown>;
  const debug = loadDebug(debugPath(args.args, config));
  const log = debug.commandLog ?? (typeof config.commandLog === "string" ? config.commandLog : "");
  if (log) {
    const entry: NoopLogEntry = {
      command: args.command,
      containerId: args.containerId,
      netns: args.netns,
      ifName: args.ifName,
      args: args.args,
      path: args.path,
      config,
    };
    await Deno.writeTextFile(log, JSON.stringify(entry) + "\n", { append: true });
  }
  if (debug.sleepMs) await new Promise((r) => setTimeout(r, debug.sleepMs));
  if (debug.reportError && (!debug.failOn || debug.failOn.includes(args.command))) {
    throw new CniError(debug.reportErrorCode ?? 999, debug.reportError);
  }
  return debug;
}

/** The noop plugin's functions. */
export const noopPlugin: PluginFns = {
  async add(args) {
    const debug = await act(args);
    if (debug.reportResult === "PASSTHROUGH") {
      return (args.config.prevResult ?? { cniVersion: "1.1.0" }) as unknown as Result;
    }
    return toCurrentResult({ cniVersion: "1.1.0", ...debug.reportResult });
  },
  async check(args) {
    await act(args);
  },
  async del(args) {
    await act(args);
  },
  async gc(args) {
    await act(args);
  },
  async status(args) {
    await act(args);
  },
  supportedVersions: SUPPORTED_VERSIONS,
  about: "CNI noop plugin v0.7.0",
};

/**
 * Writes an executable `name` into `dir` that runs this file as a plugin binary.
 *
 * @param dir Directory (on the test's CNI_PATH).
 * @param name File name (the plugin type).
 * @returns The launcher path.
 */
export async function writeNoopLauncher(dir: string, name = "noop"): Promise<string> {
  const path = join(dir, name);
  const self = new URL(import.meta.url).pathname;
  const config = new URL("../../deno.json", import.meta.url).pathname;
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\nexec "${Deno.execPath()}" run -A --quiet --config "${config}" "${self}"\n`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

async function main(): Promise<void> {
  const env = Deno.env.toObject();
  const command = env.CNI_COMMAND ?? "";
  const stdin = command && command !== "VERSION"
    ? new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer())
    : new Uint8Array();
  let config: Record<string, unknown> | undefined;
  try {
    config = JSON.parse(new TextDecoder().decode(stdin));
  } catch {
    config = undefined;
  }
  const debug = loadDebug(debugPath(env.CNI_ARGS ?? "", config));
  if (debug.reportStderr) Deno.stderr.writeSync(new TextEncoder().encode(debug.reportStderr));
  if (debug.rawStdout !== undefined) {
    if (debug.sleepMs) await new Promise((r) => setTimeout(r, debug.sleepMs));
    Deno.stdout.writeSync(new TextEncoder().encode(debug.rawStdout));
    Deno.exit(debug.exitWithCode ?? 0);
  }
  const fns = debug.reportVersionSupport
    ? { ...noopPlugin, supportedVersions: debug.reportVersionSupport }
    : noopPlugin;
  const out = await runPlugin(fns, { env, stdin });
  Deno.stdout.writeSync(new TextEncoder().encode(out.stdout));
  Deno.stderr.writeSync(new TextEncoder().encode(out.stderr));
  Deno.exit(out.exitCode);
}

if (import.meta.main) await main();
