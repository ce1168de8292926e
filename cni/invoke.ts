/**
 * Running plugins: one {@linkcode Invoker} interface with an exec implementation
 * (`Deno.Command`, like the reference `pkg/invoke`) and an in-process one (built-in plugins
 * from a registry, through the same `skel` code path, without fork/exec), plus the selector
 * between them (`CNI_BUILTINS` / `--builtins`) and the delegate plugins use for IPAM.
 *
 * @module
 */
import { CniError, ErrorCode } from "./errors.ts";
import { MAX_CONFIG_BYTES } from "./read_bounded.ts";
import { findInPath, PluginNotFoundError, splitCniPath } from "./find.ts";
import type { CmdArgs, Delegate, PluginFns, PluginRegistry } from "./plugin.ts";
import { runPlugin } from "./skel.ts";
import { type CniCommand, CURRENT_VERSION, type Result } from "./types.ts";
import { parseResult, toCurrentResult } from "./results/mod.ts";
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

/** Options of {@linkcode execInvoker}. */
export interface ExecInvokerOptions extends InvokerOptions {
  /** Kill a plugin (SIGKILL) that runs longer than this; 0 or absent = no limit. */
  timeoutMs?: number;
  /** Delay between retries when the binary is busy (`ETXTBSY`), default 1000 ms, 5 retries. */
  busyRetryDelayMs?: number;
}

/** Options of {@linkcode inProcessInvoker}. */
export interface InProcessInvokerOptions extends InvokerOptions {
  /** Delegate handed to plugins; default {@linkcode createDelegate} in `prefer` mode. */
  delegate?: Delegate;
  /** Timeout for plugins the default delegate execs. */
  timeoutMs?: number;
}

/** Where built-in plugins run from: see {@linkcode selectInvoker}. */
export type BuiltinsMode = "fallback" | "prefer" | "never";

/** The accepted {@linkcode BuiltinsMode} values. */
export const BUILTINS_MODES: readonly BuiltinsMode[] = ["fallback", "prefer", "never"];

const TEXT = new TextDecoder();
const BYTES = new TextEncoder();

function defaultStderr(text: string): void {
  Deno.stderr.writeSync(BYTES.encode(text));
}

/**
 * Parses a `CNI_BUILTINS` / `--builtins` value.
 *
 * @param value The text (undefined or empty gives `fallback`).
 * @returns The mode.
 * @throws {CniError} Code 7 for an unknown mode.
 */
export function parseBuiltinsMode(value: string | undefined): BuiltinsMode {
  if (value === undefined || value === "") return "fallback";
  if ((BUILTINS_MODES as readonly string[]).includes(value)) return value as BuiltinsMode;
  throw new CniError(
    ErrorCode.InvalidNetworkConfig,
    `invalid builtins mode ${JSON.stringify(value)}: expected one of ${BUILTINS_MODES.join(", ")}`,
  );
}

/**
 * The plugin environment as `pkg/invoke/args.go` builds it: the base environment plus all six
 * `CNI_*` variables (empty strings when unset), then `extraEnv`.
 *
 * @param args The call.
 * @param options Base environment and default `CNI_PATH`.
 * @returns The environment.
 */
export function pluginEnv(
  args: InvokeArgs,
  options: { env?: Readonly<Record<string, string>>; cniPath?: readonly string[] } = {},
): Record<string, string> {
  return {
    ...options.env,
    CNI_COMMAND: args.command,
    CNI_CONTAINERID: args.containerId ?? "",
    CNI_NETNS: args.netns ?? "",
    CNI_ARGS: args.args ?? "",
    CNI_IFNAME: args.ifName ?? "",
    CNI_PATH: args.path ?? (options.cniPath ?? []).join(":"),
    ...args.extraEnv,
  };
}

function configVersionOf(stdin: Uint8Array): string {
  try {
    const conf = JSON.parse(TEXT.decode(stdin)) as { cniVersion?: unknown };
    if (typeof conf?.cniVersion === "string" && conf.cniVersion !== "") return conf.cniVersion;
  } catch {
    // the plugin already accepted it; fall through to the default
  }
  return "0.1.0";
}

function clip(text: string, max = 300): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max)}...` : t;
}

/**
 * Turns a failed plugin run into an error, like `pkg/invoke/raw_exec.go` `pluginErr`: the
 * error JSON from stdout, else the stderr text, else the exit status.
 *
 * @param out The failed run.
 * @returns The error to throw.
 */
export function pluginError(out: RawOutcome): CniError {
  if (out.stdout.trim() !== "") {
    let json: unknown;
    try {
      json = JSON.parse(out.stdout);
    } catch (err) {
      return new CniError(
        ErrorCode.Internal,
        `netplugin failed but error parsing its diagnostic message ${
          JSON.stringify(clip(out.stdout))
        }: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (json !== null && typeof json === "object" && !Array.isArray(json)) {
      const e = json as { cniVersion?: unknown; code?: unknown; msg?: unknown; details?: unknown };
      const code = typeof e.code === "number" ? e.code : 0;
      const msg = typeof e.msg === "string" ? e.msg : "";
      const details = typeof e.details === "string" ? e.details : "";
      // `cniVersion` is optional: the spec's error has it, the reference 1.1 plugins omit it.
      return new CniError(code, msg || `netplugin failed with code ${code}`, {
        details,
        ...(typeof e.cniVersion === "string" && e.cniVersion !== "" &&
          { cniVersion: e.cniVersion }),
      });
    }
    return new CniError(
      ErrorCode.Internal,
      `netplugin failed but error parsing its diagnostic message ${
        JSON.stringify(clip(out.stdout))
      }: not a JSON object`,
    );
  }
  if (out.stderr.trim() !== "") {
    return new CniError(
      ErrorCode.Internal,
      `netplugin failed: ${JSON.stringify(clip(out.stderr, 2000))}: ${out.status}`,
    );
  }
  return new CniError(ErrorCode.Internal, `netplugin failed with no error message: ${out.status}`);
}

/**
 * Parses an ADD's stdout into a result object, filling in a missing `cniVersion` from the
 * config like `fixupResultVersion` (`null` counts as `{}`).
 *
 * @param stdout The plugin's output.
 * @param stdin The config it was given.
 * @returns The result object.
 * @throws {CniError} Code 6 when the output is not a JSON object.
 */
export function parseAddOutput(stdout: string, stdin: Uint8Array): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch (err) {
    throw new CniError(ErrorCode.DecodingFailure, "failed to unmarshal raw result", {
      details: stdout.trim() === ""
        ? "the plugin printed nothing"
        : `${err instanceof Error ? err.message : String(err)}: ${JSON.stringify(clip(stdout))}`,
    });
  }
  if (json === null) json = {};
  if (typeof json !== "object" || Array.isArray(json)) {
    throw new CniError(ErrorCode.DecodingFailure, "failed to unmarshal raw result", {
      details: `expected a JSON object, got ${JSON.stringify(clip(stdout))}`,
    });
  }
  return parseResult(json, { defaultVersion: configVersionOf(stdin) });
}

/** The stdin and extra environment of the VERSION probe (`invoke.GetVersionInfo`). */
const VERSION_PROBE_STDIN = BYTES.encode(`{"cniVersion":"${CURRENT_VERSION}"}`);
const VERSION_PROBE_ENV = { CNI_NETNS: "dummy", CNI_IFNAME: "dummy", CNI_PATH: "dummy" };

/** Builds the common `Invoker` methods from a raw runner. */
function invokerFrom(
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

function isBusy(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return /text file busy|os error 26/i.test(text);
}

/** Most of a plugin's stdout read: a result or an error is small (as a config is). */
const MAX_PLUGIN_STDOUT = MAX_CONFIG_BYTES;
/** Most of a plugin's stderr kept; the rest is read and dropped so the plugin never blocks. */
const MAX_PLUGIN_STDERR = 64 * 1024;

/**
 * Reads a plugin's output stream to its end, keeping at most `max` bytes. With `stop`, more
 * than `max` calls `stop` (which kills the plugin) and gives up the stream; without it the
 * excess is read and dropped.
 */
async function readCapped(
  stream: ReadableStream<Uint8Array>,
  max: number,
  stop?: () => void,
): Promise<{ text: string; overflow: boolean }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let overflow = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (overflow) continue;
    if (kept + value.length > max) {
      overflow = true;
      chunks.push(value.subarray(0, max - kept));
      kept = max;
      if (stop) {
        stop();
        await reader.cancel().catch(() => {});
        break;
      }
      continue;
    }
    chunks.push(value);
    kept += value.length;
  }
  const all = new Uint8Array(kept);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return { text: TEXT.decode(all), overflow };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function spawnPlugin(
  path: string,
  type: string,
  stdin: Uint8Array,
  env: Record<string, string>,
  options: ExecInvokerOptions,
): Promise<RawOutcome> {
  let child: Deno.ChildProcess | undefined;
  for (let attempt = 0;; attempt++) {
    try {
      child = new Deno.Command(path, {
        env,
        clearEnv: true,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      break;
    } catch (err) {
      if (isBusy(err) && attempt < 5) {
        await delay(options.busyRetryDelayMs ?? 1000);
        continue;
      }
      throw new CniError(ErrorCode.Internal, `failed to run plugin "${type}" (${path})`, {
        details: err instanceof Error ? err.message : String(err),
        cause: err,
      });
    }
  }
  const proc = child;
  let timedOut = false;
  const timeoutMs = options.timeoutMs ?? 0;
  const timer = timeoutMs > 0
    ? setTimeout(() => {
      timedOut = true;
      try {
        proc.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs)
    : undefined;
  const kill = () => {
    try {
      proc.kill("SIGKILL");
    } catch {
      // already gone
    }
  };
  const stdoutP = readCapped(proc.stdout, MAX_PLUGIN_STDOUT, kill);
  const stderrP = readCapped(proc.stderr, MAX_PLUGIN_STDERR);
  const writer = proc.stdin.getWriter();
  const writeP = writer.write(stdin).then(() => writer.close()).catch(() => {});
  let status: Deno.CommandStatus;
  try {
    status = await proc.status;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  await writeP;
  if (timedOut) {
    // A grandchild may still hold the pipes open: do not wait for it.
    const rest = await Promise.race([
      Promise.all([stdoutP, stderrP]),
      delay(200).then(() => undefined),
    ]);
    throw new CniError(
      ErrorCode.Internal,
      `plugin "${type}" timed out after ${timeoutMs} ms and was killed (SIGKILL)`,
      rest?.[1].text ? { details: clip(rest[1].text) } : {},
    );
  }
  const [out, err] = await Promise.all([stdoutP, stderrP]);
  if (out.overflow) {
    throw new CniError(
      ErrorCode.Internal,
      `plugin "${type}" printed more than ${
        MAX_PLUGIN_STDOUT / 1024
      } KiB on stdout and was killed (SIGKILL)`,
      err.text ? { details: clip(err.text) } : {},
    );
  }
  const stdout = out.text;
  const stderr = err.overflow
    ? `${err.text}\n[stderr cut at ${MAX_PLUGIN_STDERR} bytes]\n`
    : err.text;
  const how = status.signal ? `signal: ${status.signal}` : `exit status ${status.code}`;
  return { exitCode: status.success ? 0 : status.code || 1, stdout, stderr, status: how };
}

/**
 * An invoker that execs plugin binaries found on `cniPath`, like the reference
 * `invoke.DefaultExec`: environment as `pkg/invoke/args.go`, config on stdin, stdout parsed,
 * error JSON from stdout with a stderr fallback, stderr of successful plugins forwarded,
 * `ETXTBSY` retried, and a hung plugin killed (SIGKILL) after `timeoutMs`.
 *
 * @example Probing a plugin's versions
 * ```ts ignore
 * const inv = execInvoker({ cniPath: ["/usr/lib/cni"], timeoutMs: 10_000 });
 * console.log(await inv.version("bridge"));
 * ```
 *
 * @param options Search path, base environment, timeout, stderr sink.
 * @returns The invoker.
 */
export function execInvoker(options: ExecInvokerOptions = {}): Invoker {
  const paths = options.cniPath ?? [];
  return invokerFrom(
    (type) => findInPath(type, paths),
    async (type, stdin, env) => {
      const path = await findInPath(type, paths);
      return spawnPlugin(path, type, stdin, env, options);
    },
    options,
    () => options.env ?? Deno.env.toObject(),
  );
}

/** The plugins of each registry loaded so far (see {@linkcode loadBuiltin}). */
const loadedPlugins = new WeakMap<PluginRegistry, Map<string, Promise<PluginFns>>>();

/**
 * Loads a built-in plugin once per registry: a dynamic `import()` of a module already loaded
 * still costs a module-map lookup and a promise chain on every call. A failed load is tried
 * again next time.
 */
function loadBuiltin(registry: PluginRegistry, type: string): Promise<PluginFns> {
  let byType = loadedPlugins.get(registry);
  if (!byType) loadedPlugins.set(registry, byType = new Map());
  let fns = byType.get(type);
  if (!fns) {
    fns = registry[type]!();
    byType.set(type, fns);
    fns.catch(() => byType.delete(type));
  }
  return fns;
}

/**
 * An invoker that runs built-in plugins from `registry` in this process, through the same
 * `skel` code as an exec'd plugin (same env checks, JSON in and out, same errors), without
 * fork/exec. Plugins get a delegate that runs built-in IPAM types in-process and others from
 * `CNI_PATH`.
 *
 * @example Running a built-in
 * ```ts ignore
 * // BUILTIN_PLUGINS: the registry from plugins/mod.ts, passed in by cli.ts
 * const inv = inProcessInvoker(BUILTIN_PLUGINS, { cniPath: ["/opt/cni/bin"] });
 * ```
 *
 * @param registry The built-in plugins.
 * @param options Search path (passed as `CNI_PATH`), base environment, delegate.
 * @returns The invoker.
 */
export function inProcessInvoker(
  registry: PluginRegistry,
  options: InProcessInvokerOptions = {},
): Invoker {
  const delegate = options.delegate ??
    createDelegate({
      registry,
      mode: "prefer",
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.stderr && { stderr: options.stderr }),
    });
  function find(type: string): Promise<string> {
    if (Object.hasOwn(registry, type)) return Promise.resolve(`builtin:${type}`);
    return Promise.reject(
      new PluginNotFoundError(type, [], `no built-in plugin named ${JSON.stringify(type)}`),
    );
  }
  return invokerFrom(
    find,
    async (type, stdin, env) => {
      await find(type);
      const fns = await loadBuiltin(registry, type);
      // In-process there is no binary to find: CNI_PATH is not required (skel `inProcess`).
      const out = await runPlugin(fns, { env, stdin }, { delegate, inProcess: true });
      return {
        ...out,
        status: out.exitCode === 0 ? "exit status 0" : `exit status ${out.exitCode}`,
      };
    },
    options,
    () => options.env ?? {},
  );
}

/** Options of {@linkcode selectInvoker}. */
export interface SelectInvokerOptions extends ExecInvokerOptions {
  /** `fallback` (a binary on `CNI_PATH` wins, else the built-in), `prefer`, or `never`. */
  mode: BuiltinsMode;
  /** The built-in plugins. */
  registry: PluginRegistry;
}

/**
 * An invoker choosing per plugin type between exec and the built-ins:
 * `fallback` = a binary on `CNI_PATH` wins, else the built-in; `prefer` = the built-in when
 * there is one; `never` = exec only.
 *
 * @example Reference binaries first
 * ```ts ignore
 * // BUILTIN_PLUGINS: the registry from plugins/mod.ts, passed in by cli.ts
 * const inv = selectInvoker({ mode: "fallback", registry: BUILTIN_PLUGINS, cniPath: ["/usr/lib/cni"] });
 * ```
 *
 * @param options Mode, registry, search path, timeout.
 * @returns The invoker.
 */
export function selectInvoker(options: SelectInvokerOptions): Invoker {
  const exec = execInvoker(options);
  const inproc = inProcessInvoker(options.registry, {
    ...options,
    delegate: createDelegate({
      registry: options.registry,
      mode: options.mode === "never" ? "prefer" : options.mode,
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.stderr && { stderr: options.stderr }),
      ...(options.env && { env: options.env }),
    }),
    ...(options.env ? {} : { env: Deno.env.toObject() }),
  });
  async function pick(type: string): Promise<Invoker> {
    if (options.mode === "never" || !Object.hasOwn(options.registry, type)) return exec;
    if (options.mode === "prefer") return inproc;
    try {
      await exec.findInPath(type);
      return exec;
    } catch (err) {
      if (err instanceof PluginNotFoundError) return inproc;
      throw err;
    }
  }
  return {
    async execPlugin(type, stdin, args) {
      return (await pick(type)).execPlugin(type, stdin, args);
    },
    async version(type) {
      return (await pick(type)).version(type);
    },
    async findInPath(type) {
      return (await pick(type)).findInPath(type);
    },
  };
}

/** Options of {@linkcode createDelegate}. */
export interface DelegateOptions {
  /** The built-in plugins. */
  registry: PluginRegistry;
  /** How to choose between built-ins and binaries (default `prefer`). */
  mode?: BuiltinsMode;
  /** Timeout for exec'd delegates. */
  timeoutMs?: number;
  /** Base environment for exec'd delegates (default: this process's). */
  env?: Readonly<Record<string, string>>;
  /** Where delegates' stderr goes. */
  stderr?: (text: string) => void;
}

/**
 * The delegate a plugin uses for IPAM (`pkg/ipam.ExecAdd` & co.): the same `CNI_*` values
 * as the calling plugin, the delegate found on the caller's `CNI_PATH`; built-in types run
 * in-process (per `mode`), others are exec'd.
 *
 * @example In cli.ts, running a built-in plugin as a binary
 * ```ts ignore
 * // BUILTIN_PLUGINS: the registry from plugins/mod.ts, passed in by cli.ts
 * const delegate = createDelegate({ registry: BUILTIN_PLUGINS });
 * ```
 *
 * @param options Registry, mode, timeout, environment.
 * @returns The delegate.
 */
export function createDelegate(options: DelegateOptions): Delegate {
  const mode = options.mode ?? "prefer";
  // One invoker per CNI_PATH when the base environment is given: everything else it depends
  // on is fixed here (without one, each call takes this process's environment as it is then).
  const byPath = new Map<string, Invoker>();
  function invoker(args: CmdArgs): Invoker {
    if (!options.env) return newInvoker(args);
    let inv = byPath.get(args.path);
    if (!inv) {
      if (byPath.size >= 16) byPath.clear();
      byPath.set(args.path, inv = newInvoker(args));
    }
    return inv;
  }
  function newInvoker(args: CmdArgs): Invoker {
    const common = {
      cniPath: splitCniPath(args.path),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.stderr && { stderr: options.stderr }),
      ...(options.env && { env: options.env }),
    };
    if (mode === "never") return execInvoker(common);
    return selectInvoker({ ...common, mode, registry: options.registry });
  }
  function call(command: CniCommand, type: string, netconf: Uint8Array, args: CmdArgs) {
    return invoker(args).execPlugin(type, netconf, {
      command,
      containerId: args.containerId,
      netns: args.netns,
      ifName: args.ifName,
      args: args.args,
      path: args.path,
    });
  }
  return {
    async add(type, netconf, args): Promise<Result> {
      const raw = await call("ADD", type, netconf, args);
      return toCurrentResult(raw ?? {});
    },
    async check(type, netconf, args) {
      await call("CHECK", type, netconf, args);
    },
    async del(type, netconf, args) {
      await call("DEL", type, netconf, args);
    },
    async gc(type, netconf, args) {
      await call("GC", type, netconf, args);
    },
    async status(type, netconf, args) {
      await call("STATUS", type, netconf, args);
    },
  };
}
