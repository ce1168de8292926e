/**
 * `lstat` that answers `null` for a missing path, for the commands that install and serve
 * files (`cnitool install`, `cnitool serve`).
 *
 * @module
 */

/**
 * The `lstat` of `path`, or `null` when nothing is there.
 *
 * @param path The path.
 * @returns Its info (a symlink's own), or `null`.
 * @throws {Deno.errors.PermissionDenied} And any other error but NotFound.
 */
export function lstatOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}
