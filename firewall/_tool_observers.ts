/**
 * Test seam, not public API: observers of the tool processes `runTool` starts, so a test counts
 * the processes an operation costs. Tests import it directly; no `mod.ts` re-exports it.
 *
 * @module
 */

/** The listeners `runTool` calls with `[cmd, ...args]` before it starts a process. */
export const toolObservers: Set<(argv: readonly string[]) => void> = new Set();

/**
 * Calls `listener` with the command line of every tool process `runTool` starts from now on,
 * until the returned handle is disposed.
 *
 * @param listener Gets `[cmd, ...args]` of each run.
 * @returns A handle whose `[Symbol.dispose]()` stops the observation.
 *
 * @example Counting processes
 * ```ts
 * import assert from "node:assert/strict";
 * import { observeToolRuns, toolObservers } from "./_tool_observers.ts";
 * const seen: string[][] = [];
 * {
 *   using _watch = observeToolRuns((argv) => seen.push([...argv]));
 *   for (const listener of toolObservers) listener(["nft", "-f", "-"]);
 * }
 * assert.deepEqual(seen, [["nft", "-f", "-"]]);
 * assert.equal(toolObservers.size, 0);
 * ```
 */
export function observeToolRuns(listener: (argv: readonly string[]) => void): Disposable {
  toolObservers.add(listener);
  return { [Symbol.dispose]: () => toolObservers.delete(listener) };
}
