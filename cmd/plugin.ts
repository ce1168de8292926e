/**
 * Running a built-in plugin as a process (the `bridge`, `loopback`, `host-local`, ...
 * personalities of `cli.ts`): skel over the given environment and stdin, with a delegate
 * that runs built-in IPAM in-process and other types from `CNI_PATH`.
 *
 * VERSION and the about text are answered from the plugin's {@linkcode PluginAbout} alone:
 * neither the plugin's module nor the invoker, netns or schema code is loaded for them.
 *
 * @module
 */
import { runPlugin, type SkelOutput } from "../cni/skel.ts";
import { errorOutput } from "../cni/skel_output.ts";
import { CniError, ErrorCode } from "../cni/errors.ts";
import { MAX_CONFIG_BYTES, readStreamBounded } from "../cni/read_bounded.ts";
import type { PluginFns, PluginRegistry } from "../cni/plugin.ts";
import type { PluginAbout } from "../plugins/mod.ts";
import { needsStdin } from "./forward.ts";

export { needsStdin };

/** Options for {@linkcode runBuiltinPlugin}. */
export interface BuiltinPluginOptions {
  /** The built-in plugins. */
  registry: PluginRegistry;
  /**
   * What each plugin answers to VERSION and prints as its about text; a plugin listed here
   * is not loaded for those.
   */
  about?: Readonly<Record<string, PluginAbout>>;
}

function notLoaded(): Promise<never> {
  return Promise.reject(new Error("the plugin was not loaded for VERSION"));
}

/** A stand-in with the plugin's VERSION answer and about text (skel calls nothing else). */
function aboutOnly(about: PluginAbout): PluginFns {
  return { ...about, add: notLoaded, check: notLoaded, del: notLoaded };
}

/**
 * Runs built-in plugin `name` for one call.
 *
 * @example As cli.ts does it
 * ```ts ignore
 * import { BUILTIN_ABOUT, BUILTIN_PLUGINS } from "../plugins/mod.ts";
 * const out = await runBuiltinPlugin("loopback", { env: Deno.env.toObject(), stdin }, {
 *   registry: BUILTIN_PLUGINS,
 *   about: BUILTIN_ABOUT,
 * });
 * ```
 *
 * @param name The plugin type (a key of `options.registry`).
 * @param io Environment and stdin.
 * @param options The registry, and what the plugins answer to VERSION.
 * @returns What to print and the exit code.
 */
export async function runBuiltinPlugin(
  name: string,
  io: { env: Record<string, string>; stdin: Uint8Array },
  options: BuiltinPluginOptions,
): Promise<SkelOutput> {
  const load = options.registry[name];
  if (!load) {
    return errorOutput(
      new CniError(ErrorCode.Internal, `no built-in plugin named "${name}"`),
      io.stdin,
    );
  }
  const about = options.about?.[name];
  if (about && !needsStdin(io.env)) return runPlugin(aboutOnly(about), io);
  const [fns, { createDelegate, parseBuiltinsMode }, { isOwnNetns }, { pendingKernelWork }] =
    await Promise.all([
      load(),
      import("../cni/invoke_builtin.ts"),
      import("../netns/netns.ts"),
      import("../netlink/socket.ts"),
    ]);
  let mode: ReturnType<typeof parseBuiltinsMode> = "prefer";
  if (io.env.CNI_BUILTINS) {
    try {
      mode = parseBuiltinsMode(io.env.CNI_BUILTINS);
    } catch {
      mode = "prefer";
    }
  }
  const timeout = Number(io.env.CNI_TIMEOUT_MS ?? "");
  // As a process, the warnings of the plugin and of the delegates it runs in-process are
  // printed on stderr, in the order they came, before anything else there.
  const warnings: string[] = [];
  const log = (line: string) => {
    warnings.push(`${line}\n`);
  };
  const delegate = createDelegate({
    registry: options.registry,
    mode,
    env: io.env,
    log,
    ...(timeout > 0 && { timeoutMs: timeout }),
  });
  const out = await runPlugin(fns, io, { delegate, isOwnNetns: (path) => isOwnNetns(path), log });
  // A DEL returns once the veth is gone; as a process, also wait for the kernel's last
  // cleanup of it, as the reference plugin does, before the caller sees the exit.
  await pendingKernelWork();
  return warnings.length === 0 ? out : { ...out, stderr: warnings.join("") + out.stderr };
}

/**
 * Runs built-in plugin `name` as a process would: stdin is read only when the command needs
 * it, and at most `MAX_CONFIG_BYTES` of it (a CNI config is small): more, or a read failure,
 * gives the spec's error JSON (code 5) instead of a read without limit.
 *
 * @example As cli.ts does it
 * ```ts ignore
 * import { BUILTIN_ABOUT, BUILTIN_PLUGINS } from "../plugins/mod.ts";
 * const out = await runPluginProcess("bridge", {
 *   env: Deno.env.toObject(),
 *   read: (buf) => Deno.stdin.read(buf),
 * }, { registry: BUILTIN_PLUGINS, about: BUILTIN_ABOUT });
 * ```
 *
 * @param name The plugin type (a key of `options.registry`).
 * @param io The environment, and a reader of stdin.
 * @param options The registry, and what the plugins answer to VERSION.
 * @returns What to print and the exit code.
 */
export async function runPluginProcess(
  name: string,
  io: {
    env: Record<string, string>;
    read: (buf: Uint8Array) => Promise<number | null>;
  },
  options: BuiltinPluginOptions,
): Promise<SkelOutput> {
  let stdin: Uint8Array = new Uint8Array();
  if (needsStdin(io.env)) {
    try {
      stdin = await readStreamBounded(io.read, {
        maxBytes: MAX_CONFIG_BYTES,
        what: "network configuration from stdin",
      });
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable) throw err;
      return errorOutput(err);
    }
  }
  return await runBuiltinPlugin(name, { env: io.env, stdin }, options);
}
