/**
 * A plugin verb from synchronous work (tuning, static): the work runs at once, all
 * of it on this thread with nothing awaited, and what it returns or throws becomes the verb's
 * promise.
 *
 * @module
 */
import type { CmdArgs, PluginContext } from "../cni/plugin.ts";

/**
 * Wraps synchronous work as a plugin verb.
 *
 * @example
 * ```ts
 * import { syncVerb } from "./_sync_verb.ts";
 * const del = syncVerb(() => {});
 * ```
 *
 * @param fn The work.
 * @param mapError What a thrown error becomes (default: itself).
 * @returns The verb.
 */
export function syncVerb<R>(
  fn: (args: CmdArgs, ctx: PluginContext) => R,
  mapError: (err: unknown) => unknown = (err) => err,
): (args: CmdArgs, ctx: PluginContext) => Promise<R> {
  return (args, ctx) => {
    try {
      return Promise.resolve(fn(args, ctx));
    } catch (err) {
      return Promise.reject(mapError(err));
    }
  };
}
