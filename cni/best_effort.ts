/**
 * Best-effort verbs (DEL, GC): every step runs even when an earlier one failed, and the
 * failures are reported together at the end.
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "./errors.ts";
import type { CmdArgs, PluginLog } from "./plugin.ts";
import type { NetConf } from "./types.ts";

/** One step of a best-effort verb. */
export type BestEffortStep = () => Promise<unknown> | unknown;

/**
 * Runs the steps of a best-effort DEL or GC in order: a failed step does not stop the others,
 * and every failure is reported at the end, joined by `; `. An error `stop` accepts is thrown
 * at once instead.
 *
 * @example
 * ```ts
 * import { runBestEffort } from "./best_effort.ts";
 * import { assertEquals, assertRejects } from "../tests/helpers/assert.ts";
 * const ran: string[] = [];
 * const fail = (what: string) => () => {
 *   throw new Error(what);
 * };
 * await assertRejects(
 *   () => runBestEffort([fail("a"), () => ran.push("b"), fail("c")]),
 *   Error,
 *   "a; c",
 * );
 * assertEquals(ran, ["b"]);
 * ```
 *
 * @param steps The steps.
 * @param stop Which errors end the verb at once (default: none).
 * @returns When every step ran and none failed.
 * @throws {CniError} Code 999 with every failure; or the error `stop` accepted.
 */
export async function runBestEffort(
  steps: readonly BestEffortStep[],
  stop: (err: unknown) => boolean = () => false,
): Promise<void> {
  const errors: string[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      if (stop(err)) throw err;
      errors.push(errorText(err));
    }
  }
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}

/**
 * The config a best-effort DEL works with: `load(args.config)`, or, when the config cannot be
 * loaded, `fallback` of the network's name and version (enough to find what is the network's),
 * after the warning `warning` makes of the reason, through `log`.
 *
 * @param args The call.
 * @param log Where the warning goes.
 * @param load The plugin's config loader.
 * @param fallback The config made of the name and version alone.
 * @param warning The warning line for the reason the config could not be loaded.
 * @returns The loaded config, or the fallback.
 */
export function loadForDel<T>(
  args: CmdArgs,
  log: PluginLog,
  load: (config: NetConf) => T,
  fallback: (known: { name: string; cniVersion: string }) => T,
  warning: (reason: string) => string,
): T {
  try {
    return load(args.config);
  } catch (err) {
    log(warning(errorText(err)));
    return fallback({ name: args.config.name, cniVersion: args.config.cniVersion });
  }
}
