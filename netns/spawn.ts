/**
 * Child processes started inside a network namespace: the thread switches, the child is spawned
 * (it inherits the spawning thread's namespace), and the thread switches back at once.
 *
 * @module
 */
import { type NetnsHandle, withNetns } from "./netns.ts";

/**
 * Spawns `command` inside a network namespace; the caller's thread is back in its own namespace
 * when this returns, while the child stays in `ns` for its whole life.
 *
 * Equivalent to: `ip netns exec NS COMMAND ARGS...` (without the mount-namespace and `/etc/netns`
 * handling)
 *
 * @example Run `ip link` in a namespace
 * ```ts ignore
 * const child = spawnInNetns("/run/netns/blue", "ip", { args: ["link"], stdout: "piped" });
 * const { stdout } = await child.output();
 * ```
 *
 * @param ns An open handle or a namespace path.
 * @param command The program (looked up on `PATH` as `Deno.Command` does).
 * @param options `Deno.CommandOptions`, including `args`.
 * @returns The running child.
 * @throws {NotNetnsError} When `ns` is a path that is not a network namespace.
 * @throws {Deno.errors.NotFound} When the program does not exist.
 */
export function spawnInNetns(
  ns: NetnsHandle | string,
  command: string | URL,
  options: Deno.CommandOptions = {},
): Deno.ChildProcess {
  return withNetns(ns, () => new Deno.Command(command, options).spawn());
}

/**
 * Runs `command` inside a network namespace to completion, synchronously (the thread stays
 * switched until the child exits, so keep it short).
 *
 * @param ns An open handle or a namespace path.
 * @param command The program.
 * @param options `Deno.CommandOptions`, including `args`.
 * @returns The child's output and status.
 * @throws {NotNetnsError} When `ns` is a path that is not a network namespace.
 * @throws {Deno.errors.NotFound} When the program does not exist.
 */
export function outputInNetnsSync(
  ns: NetnsHandle | string,
  command: string | URL,
  options: Deno.CommandOptions = {},
): Deno.CommandOutput {
  return withNetns(ns, () => new Deno.Command(command, options).outputSync());
}
