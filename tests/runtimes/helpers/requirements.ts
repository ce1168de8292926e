/**
 * Why a runtime test cannot run here, so it reports itself as ignored with the reason in its
 * name (through `gated()` of tests/helpers/gate.ts) instead of passing silently.
 *
 * @module
 */
import { IS_ROOT } from "../../helpers/assert.ts";
import { busyboxProblem } from "./busybox_image.ts";

const SEARCH_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/**
 * Whether an executable of that name is on the standard PATH.
 *
 * @param name Program name.
 * @returns True when found.
 */
export function onPath(name: string): boolean {
  return SEARCH_PATH.some((dir) => {
    try {
      const st = Deno.statSync(`${dir}/${name}`);
      return st.isFile && ((st.mode ?? 0) & 0o111) !== 0;
    } catch {
      return false;
    }
  });
}

/**
 * The reason a test needing these programs (and root, and a static busybox) cannot run, or
 * undefined when it can.
 *
 * @param programs Programs that must be installed, with the Debian package that has each.
 * @returns The reason, or undefined.
 */
export function missingFor(programs: Record<string, string>): string | undefined {
  if (!IS_ROOT) return "needs root";
  const missing = Object.entries(programs).filter(([p]) => !onPath(p)).map(([p, pkg]) =>
    `${p} (${pkg})`
  );
  if (missing.length > 0) return `not installed: ${missing.join(", ")}`;
  return busyboxProblem();
}
