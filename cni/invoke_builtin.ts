/**
 * Built-in plugins: the in-process invoker (a plugin from a registry run through the same
 * `skel` code as an exec'd one, without fork/exec), the per-type choice between it and exec
 * (`CNI_BUILTINS` / `--builtins`), and the delegate plugins use for IPAM.
 *
 * @module
 */
import { CniError, ErrorCode } from "./errors.ts";
import { PluginNotFoundError, splitCniPath } from "./find.ts";
import type { CmdArgs, Delegate, PluginFns, PluginLog, PluginRegistry } from "./plugin.ts";
import { runPlugin } from "./skel.ts";
import type { CniCommand, Result } from "./types.ts";
import { toCurrentResult } from "./results/mod.ts";
import { type Invoker, invokerFrom, type InvokerOptions } from "./invoke.ts";
import { execInvoker, type ExecInvokerOptions } from "./invoke_exec.ts";

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

/** Options of {@linkcode inProcessInvoker}. */
export interface InProcessInvokerOptions extends InvokerOptions {
  /** Delegate handed to plugins; default {@linkcode createDelegate} in `prefer` mode. */
  delegate?: Delegate;
  /**
   * Where the built-in plugins' warnings go, one line each without the newline (an exec'd
   * plugin prints its own on its stderr instead). Default: nowhere; nothing is written to
   * this process's stderr.
   */
  log?: PluginLog;
  /** Timeout for plugins the default delegate execs. */
  timeoutMs?: number;
}

/** Where built-in plugins run from: see {@linkcode selectInvoker}. */
export type BuiltinsMode = "fallback" | "prefer" | "never";

/** The accepted {@linkcode BuiltinsMode} values. */
export const BUILTINS_MODES: readonly BuiltinsMode[] = ["fallback", "prefer", "never"];

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
      ...(options.log && { log: options.log }),
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
      const out = await runPlugin(fns, { env, stdin }, {
        delegate,
        inProcess: true,
        log: options.log ?? (() => {}),
      });
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
  /** Where built-ins run in-process log their warnings (see {@linkcode InProcessInvokerOptions}). */
  log?: PluginLog;
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
      ...(options.log && { log: options.log }),
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
  /** Where delegates run in-process log their warnings (default: nowhere). */
  log?: PluginLog;
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
      ...(options.log && { log: options.log }),
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
