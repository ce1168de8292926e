/**
 * The plugin side of the protocol as a pure function, after the reference `pkg/skel`:
 * `runPlugin(fns, { env, stdin })` validates the `CNI_*` variables and the stdin config,
 * answers VERSION, gates verbs by config version, calls the plugin and returns what a plugin
 * process would print and its exit code. Only `cli.ts` binds it to the real process.
 * Reading the `CNI_*` variables is `skel_env.ts`, the stdin config `skel_config.ts`, errors
 * and the VERSION answer `skel_output.ts`.
 *
 * @module
 */
import { CniError, ErrorCode } from "./errors.ts";
import type { CmdArgs, Delegate, PluginContext, PluginFns, PluginLog } from "./plugin.ts";
import type { CniCommand, Result } from "./types.ts";
import { goMarshal } from "./_json.ts";
import { readEnv } from "./skel_env.ts";
import { errorOutput, formatVersionInfo } from "./skel_output.ts";
import { parseStdinConfig, prepareConfig } from "./skel_config.ts";

/** What a plugin process gets. */
export interface SkelIo {
  /** The process environment (only `CNI_*` variables are read). */
  env: Readonly<Record<string, string | undefined>>;
  /** Everything on stdin (ignored for VERSION). */
  stdin: Uint8Array;
}

/** What a plugin process would print, and its exit code. */
export interface SkelOutput {
  /** Standard output: a result, the VERSION answer or an error object. */
  stdout: string;
  /** Standard error: the about text, or nothing. */
  stderr: string;
  /** 0 on success, 1 on error. */
  exitCode: number;
}

/** Options for {@linkcode runPlugin}. */
export interface SkelOptions {
  /** Runs delegated (IPAM) plugins; without it, delegation fails with code 999. */
  delegate?: Delegate;
  /**
   * Whether a `CNI_NETNS` path is the plugin's own network namespace (reference skel error 8
   * unless `CNI_NETNS_OVERRIDE`). Throwing means "cannot tell" and skips the check. Without
   * it the check is skipped.
   */
  isOwnNetns?: (path: string) => boolean;
  /**
   * The plugin runs inside the runtime's process (the in-process invoker): `CNI_PATH` is not
   * required, since there is no binary to search for; a delegate that must exec a plugin
   * still fails clearly when the path is empty. An exec'd plugin keeps the spec's rule.
   */
  inProcess?: boolean;
  /**
   * Where the plugin's warnings (`ctx.log`) go, one line at a time. Without it they are
   * printed as a process prints them: on the output's `stderr`, one line each, before
   * anything else there.
   */
  log?: PluginLog;
}

const NO_DELEGATE: Delegate = {
  add: noDelegate,
  check: noDelegate,
  del: noDelegate,
};

function noDelegate(type: string): Promise<never> {
  return Promise.reject(
    new CniError(ErrorCode.Internal, `cannot delegate to plugin "${type}": no delegate configured`),
  );
}

// version.ts (result parsing and conversion) brings in zod: it is imported by the calls that
// need it, so that answering VERSION or printing the about text loads no schema code.
type ResultsModule = typeof import("./results/mod.ts");
type VersionModule = typeof import("./version.ts");

let modulesOfCalls: Promise<[VersionModule, ResultsModule]> | undefined;

/**
 * The modules a call needs beyond VERSION, imported on the first call (so VERSION loads
 * neither) and kept: an in-process engine calls many plugins, and each `import()` of a module
 * already loaded still costs a module-map lookup and a promise chain.
 */
function callModules(): Promise<[VersionModule, ResultsModule]> {
  if (!modulesOfCalls) {
    modulesOfCalls = Promise.all([import("./version.ts"), import("./results/mod.ts")]);
    modulesOfCalls.catch(() => modulesOfCalls = undefined); // a failed import is tried again
  }
  return modulesOfCalls;
}

async function dispatch(
  fns: PluginFns,
  io: SkelIo,
  options: SkelOptions,
): Promise<SkelOutput> {
  const env = readEnv(io.env, options.inProcess ?? false);
  const command = env.command;
  if (command === "VERSION") {
    return { stdout: formatVersionInfo(fns.supportedVersions), stderr: "", exitCode: 0 };
  }
  const raw = parseStdinConfig(io.stdin);
  const known = ["ADD", "DEL", "CHECK", "GC", "STATUS"];
  if (!known.includes(command)) {
    throw new CniError(ErrorCode.InvalidEnvironmentVariables, `unknown CNI_COMMAND: ${command}`);
  }
  const [{ checkCommandVersion, decodeVersion }, { convertResult, toCurrentResult }] =
    await callModules();
  const version = decodeVersion(raw);
  checkCommandVersion(command as CniCommand, version, { supported: fns.supportedVersions });

  if ((command === "ADD" || command === "DEL") && options.isOwnNetns && env.netns !== "") {
    const override = env.netnsOverride.toLowerCase();
    if (override !== "1" && override !== "true") {
      let own = false;
      try {
        own = options.isOwnNetns(env.netns);
      } catch {
        own = false; // unopenable CNI_NETNS: the reference skips the check
      }
      if (own) {
        throw new CniError(
          ErrorCode.InvalidNetNs,
          "plugin's netns and netns from CNI_NETNS should not be the same",
        );
      }
    }
  }

  const args: CmdArgs = {
    command: command as CniCommand,
    containerId: env.containerId,
    netns: env.netns,
    ifName: env.ifName,
    args: env.args,
    path: env.path,
    stdinData: io.stdin,
    config: prepareConfig(raw, version, toCurrentResult, command as CniCommand),
  };
  if (env.netnsOverride !== "") args.netnsOverride = env.netnsOverride;
  const ctx: PluginContext = {
    delegate: options.delegate ?? NO_DELEGATE,
    env: Object.fromEntries(
      Object.entries(io.env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    log: options.log ?? (() => {}),
  };

  switch (command) {
    case "ADD": {
      const result: Result = await fns.add(args, ctx);
      let converted: ReturnType<typeof convertResult>;
      try {
        converted = convertResult(result, version);
      } catch (err) {
        // Made, but not expressible in the config's version (no address for a 0.2.0
        // result): undo it so that the failed ADD leaves nothing; its error is the one told.
        await Promise.resolve().then(() => fns.del({ ...args, command: "DEL" }, ctx)).catch(
          () => {},
        );
        throw err;
      }
      return { stdout: goMarshal(converted, { indent: "    " }), stderr: "", exitCode: 0 };
    }
    case "DEL":
      await fns.del(args, ctx);
      break;
    case "CHECK":
      await fns.check(args, ctx);
      break;
    case "GC":
      if (fns.gc) await fns.gc(args, ctx);
      break;
    case "STATUS":
      if (fns.status) await fns.status(args, ctx);
      break;
  }
  return { stdout: "", stderr: "", exitCode: 0 };
}

/**
 * Runs a plugin for one call, as the reference `skel.PluginMainFuncs` would in a process:
 * reads the `CNI_*` variables from `io.env` (all missing ones reported at once, code 4),
 * prints the about text when `CNI_COMMAND` is unset, answers VERSION, checks the stdin config
 * (code 6 when not JSON, 7 for a missing or bad `name`), checks its `cniVersion` against the
 * plugin's supported versions (code 1; CHECK needs 0.4.0, GC and STATUS 1.1.0), calls the
 * plugin with `prevResult` in the current result shape (converted when the plugin first reads
 * it; code 6 from that read when it does not parse) and converts its result to the config's
 * version. Errors become the spec's error JSON on stdout with exit code 1: a
 * `CniError` keeps its code, anything else becomes code 999 with its message in `details`.
 * The plugin's warnings (`ctx.log`) go to `options.log`, or else start the output's `stderr`.
 *
 * @example VERSION
 * ```ts
 * import assert from "node:assert/strict";
 * import { runPlugin } from "./skel.ts";
 * const fns = {
 *   add: () => Promise.reject(new Error("unused")),
 *   check: () => Promise.resolve(),
 *   del: () => Promise.resolve(),
 *   supportedVersions: ["1.0.0", "1.1.0"],
 *   about: "CNI plugin demo v0.1.0",
 * };
 * const out = await runPlugin(fns, { env: { CNI_COMMAND: "VERSION" }, stdin: new Uint8Array() });
 * assert.equal(out.stdout, '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}\n');
 * ```
 *
 * @param fns The plugin.
 * @param io Environment and stdin.
 * @param options Delegate for IPAM, own-netns check, warning sink.
 * @returns stdout, stderr and the exit code; never throws for plugin or input errors.
 */
export async function runPlugin(
  fns: PluginFns,
  io: SkelIo,
  options: SkelOptions = {},
): Promise<SkelOutput> {
  const logged: string[] = [];
  const sink = options.log ??
    ((line: string) => logged.push(line.endsWith("\n") ? line : `${line}\n`));
  const log = (line: string): void => {
    try {
      sink(line);
    } catch {
      // a warning never fails a call
    }
  };
  const out = await runLogged(fns, io, { ...options, log });
  return logged.length === 0 ? out : { ...out, stderr: logged.join("") + out.stderr };
}

async function runLogged(fns: PluginFns, io: SkelIo, options: SkelOptions): Promise<SkelOutput> {
  try {
    return await dispatch(fns, io, options);
  } catch (err) {
    if (
      err instanceof CniError && err.code === ErrorCode.InvalidEnvironmentVariables &&
      !io.env.CNI_COMMAND && fns.about
    ) {
      return {
        stdout: "",
        stderr: `${fns.about}\nCNI protocol versions supported: ${
          fns.supportedVersions.join(", ")
        }\n`,
        exitCode: 0,
      };
    }
    return errorOutput(err, io.stdin);
  }
}
