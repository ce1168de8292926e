/**
 * The Go reference plugins (Debian's containernetworking-plugins 1.1.1): where they are, and
 * the reason a side-by-side test reports when they are not installed.
 *
 * @module
 */
import type { Reason } from "./gate.ts";

/** Where the Go reference plugins are. */
export const REF_DIR = "/usr/lib/cni";

/** What a test that needs them says when they are missing. */
export const REF_MISSING = "Go reference plugins not installed " +
  "(apt-get install containernetworking-plugins)";

/**
 * The reason a test needing these reference plugins cannot run, or undefined when every one
 * is installed.
 *
 * @param plugins Plugin names in {@linkcode REF_DIR}.
 * @returns {@linkcode REF_MISSING}, or undefined.
 */
export function refMissing(...plugins: string[]): Reason {
  const missing = plugins.filter((p) => {
    try {
      return !Deno.statSync(`${REF_DIR}/${p}`).isFile;
    } catch {
      return true;
    }
  });
  return missing.length === 0 ? undefined : `${REF_MISSING}: ${missing.join(", ")}`;
}
