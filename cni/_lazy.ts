/**
 * Memoised builders, so that costly values (zod schemas above all) are made on first use
 * instead of at import: a plugin process answering VERSION then builds none of them, and ADD
 * builds only the ones it validates with.
 *
 * @module
 */

/**
 * Wraps `build` so that it runs once, on the first call, and every call returns its value.
 *
 * @example A schema built on first use
 * ```ts
 * import assert from "node:assert/strict";
 * import { lazy } from "./_lazy.ts";
 * let builds = 0;
 * const schema = lazy(() => ({ built: ++builds }));
 * assert.equal(builds, 0);
 * assert.equal(schema().built, 1);
 * assert.equal(schema().built, 1);
 * assert.equal(builds, 1);
 * ```
 *
 * @param build Makes the value; called at most once (again only if it threw).
 * @returns A function returning the value.
 */
export function lazy<T>(build: () => T): () => T {
  let built = false;
  let value: T;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value;
  };
}
