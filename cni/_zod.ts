/**
 * The one place product code gets zod from. The specifier is a full `npm:` specifier (version
 * pinned like the `zod/mini` entry in deno.json) so that the library also works when imported
 * by URL, where the repository's import map does not apply.
 *
 * One deliberate change to zod: {@linkcode optional} also accepts JSON `null` and reads it as
 * absent (`undefined`), as Go's `encoding/json` leaves a field unset when the document says
 * `null`. Every optional field of every schema (net conf, conflist, plugin configs,
 * `runtimeConfig`, `prevResult`, results) gets that rule from here, so configs that work with the
 * reference plugins work here too.
 *
 * @module
 */
// deno-lint-ignore no-import-prefix -- full specifier on purpose, see above
import * as zm from "npm:zod@^4.1.0/mini";

export * from "npm:zod@^4.1.0/mini";

function nullToUndefined(value: unknown): unknown {
  return value === null ? undefined : value;
}

/**
 * An optional field: absent, `undefined` and JSON `null` all read as absent (`undefined`);
 * anything else must match `schema`. Shadows zod's `optional`.
 *
 * @param schema The schema of a present value.
 * @returns The optional schema (output `T | undefined`).
 *
 * @example `null` is absent
 * ```ts
 * import assert from "node:assert/strict";
 * import * as z from "./_zod.ts";
 * const s = z.object({ mtu: z.optional(z.int()) });
 * assert.equal(s.parse({ mtu: null }).mtu, undefined);
 * ```
 */
export function optional<T extends zm.ZodMiniType>(
  schema: T,
): zm.ZodMiniOptional<
  zm.ZodMiniPipe<zm.ZodMiniTransform<unknown, unknown>, zm.ZodMiniOptional<T>>
> {
  return zm.optional(zm.pipe(zm.transform(nullToUndefined), zm.optional(schema)));
}
