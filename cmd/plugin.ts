/**
 * Running a built-in plugin as a process (the `bridge`, `loopback`, `host-local`
 * personalities of `cli.ts`): skel over the given environment and stdin, with a delegate
 * that runs built-in IPAM in-process and other types from `CNI_PATH`.
 *
 * @module
 */
import { runPlugin, type SkelOutput } from "../cni/skel.ts";
import { createDelegate, parseBuiltinsMode } from "../cni/invoke.ts";
import type { PluginRegistry } from "../cni/plugin.ts";
import { isOwnNetns } from "../netns/netns.ts";
import { pendingKernelWork } from "../netlink/socket.ts";

/**
 * Whether `CNI_COMMAND` in `env` needs stdin read (not for VERSION or a missing command, so
 * the about text never waits on a terminal).
 *
 * @param env The environment.
 * @returns True when the caller should read stdin.
 */
export function needsStdin(env: Readonly<Record<string, string | undefined>>): boolean {
  const command = env.CNI_COMMAND ?? "";
  return command !== "" && command !== "VERSION";
}

/**
 * Runs built-in plugin `name` for one call.
 *
 * @example As cli.ts does it
 * ```ts ignore
 * import { BUILTIN_PLUGINS } from "../plugins/mod.ts";
 * const out = await runBuiltinPlugin("loopback", BUILTIN_PLUGINS, { env: Deno.env.toObject(), stdin });
 * ```
 *
 * @param name The plugin type (a key of `registry`).
 * @param registry The built-in plugins.
 * @param io Environment and stdin.
 * @returns What to print and the exit code.
 */
export async function runBuiltinPlugin(
  name: string,
  registry: PluginRegistry,
  io: { env: Record<string, string>; stdin: Uint8Array },
): Promise<SkelOutput> {
  const load = registry[name];
  if (!load) {
    return {
      stdout: JSON.stringify({ code: 999, msg: `no built-in plugin named "${name}"` }, null, 4),
      stderr: "",
      exitCode: 1,
    };
  }
  const fns = await load();
  let mode: ReturnType<typeof parseBuiltinsMode> = "prefer";
  if (io.env.CNI_BUILTINS) {
    try {
      mode = parseBuiltinsMode(io.env.CNI_BUILTINS);
    } catch {
      mode = "prefer";
    }
  }
  const timeout = Number(io.env.CNI_TIMEOUT_MS ?? "");
  const delegate = createDelegate({
    registry,
    mode,
    env: io.env,
    ...(timeout > 0 && { timeoutMs: timeout }),
  });
  const out = await runPlugin(fns, io, { delegate, isOwnNetns: (path) => isOwnNetns(path) });
  // A DEL returns once the veth is gone; as a process, also wait for the kernel's last
  // cleanup of it, as the reference plugin does, before the caller sees the exit.
  await pendingKernelWork();
  return out;
}
