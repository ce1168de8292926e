/**
 * Finding plugin binaries on `CNI_PATH`, as the reference `pkg/invoke/find.go` does.
 *
 * @module
 */
import { join } from "./_path.ts";
import { CniError, ErrorCode } from "./errors.ts";

/** A plugin binary could not be found (or its name is unusable). */
export class PluginNotFoundError extends CniError {
  /** The plugin type looked for. */
  readonly plugin: string;
  /** The directories searched. */
  readonly paths: readonly string[];

  /**
   * Creates the error.
   *
   * @param plugin The plugin type.
   * @param paths The directories searched.
   * @param msg The message.
   */
  constructor(plugin: string, paths: readonly string[], msg: string) {
    super(ErrorCode.InvalidNetworkConfig, msg);
    this.name = "PluginNotFoundError";
    this.plugin = plugin;
    this.paths = paths;
  }
}

/**
 * Splits a `CNI_PATH` value on `:`, dropping empty entries.
 *
 * @example Splitting CNI_PATH
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitCniPath } from "./find.ts";
 * assert.deepEqual(splitCniPath("/opt/cni/bin::/usr/lib/cni"), ["/opt/cni/bin", "/usr/lib/cni"]);
 * ```
 *
 * @param value The variable's value (may be undefined or empty).
 * @returns The directories in order.
 */
export function splitCniPath(value: string | undefined): string[] {
  return (value ?? "").split(":").filter((p) => p !== "");
}

/**
 * Finds the plugin binary `plugin` in the first directory of `paths` holding a regular file of
 * that name (symlinks followed, executable bit not checked), like `invoke.FindInPath`.
 *
 * @example Looking up a binary
 * ```ts ignore
 * const path = await findInPath("bridge", ["/opt/cni/bin", "/usr/lib/cni"]);
 * ```
 *
 * @param plugin The plugin type (a bare file name).
 * @param paths Directories to search, in order.
 * @returns The full path of the binary.
 * @throws {PluginNotFoundError} Code 7: empty name (`no plugin name provided`), a name with a
 *   `/` (`invalid plugin name: <name>`), no paths (`no paths provided`), or not found
 *   (`failed to find plugin "<name>" in path [<dir1> <dir2>]`).
 */
export async function findInPath(plugin: string, paths: readonly string[]): Promise<string> {
  if (plugin === "") throw new PluginNotFoundError(plugin, paths, "no plugin name provided");
  if (plugin.includes("/")) {
    throw new PluginNotFoundError(plugin, paths, `invalid plugin name: ${plugin}`);
  }
  if (paths.length === 0) throw new PluginNotFoundError(plugin, paths, "no paths provided");
  for (const dir of paths) {
    const candidate = join(dir, plugin);
    try {
      const info = await Deno.stat(candidate);
      if (info.isFile) return candidate;
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable) throw err;
      // missing, unreadable or not a regular file: try the next directory
    }
  }
  throw new PluginNotFoundError(
    plugin,
    paths,
    `failed to find plugin "${plugin}" in path [${paths.join(" ")}]`,
  );
}
