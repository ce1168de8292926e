/**
 * The one place product code gets zod from. The specifier is a full `npm:` specifier (version
 * pinned like the `zod/mini` entry in deno.json) so that the library also works when imported
 * by URL, where the repository's import map does not apply.
 *
 * @module
 */
export * from "npm:zod@^4.1.0/mini";
