/**
 * The host's sysctl allowlist for tuning (reference v1.2.0+): the file
 * `/etc/cni/tuning/allowlist.conf` holds one regular expression per line (trimmed, blank
 * lines skipped). When the file exists, every sysctl key of an ADD must be matched, anywhere
 * in the key as written (dots and `IFNAME` not substituted), by at least one expression, so
 * an entry anchors itself with `^...$`. No file means no restriction.
 *
 * The expressions are RE2 in the reference; here they run as JavaScript regular expressions
 * (the same for the character classes, anchors, alternation and repetition allowlists use),
 * with Go's leading `(?flags)` group read as flags.
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import { MAX_SMALL_FILE_BYTES, readRegularFileSync } from "../../cni/read_bounded.ts";

/** Where the reference (and this plugin) read the allowlist. */
export const ALLOWLIST_PATH = "/etc/cni/tuning/allowlist.conf";

const GO_FLAGS_REGEXP = /^\(\?([imsU]+)\)/;

/** One allowlist line: its text (for messages) and the compiled expression. */
export interface AllowlistEntry {
  /** The line as written (trimmed). */
  source: string;
  /** The expression. */
  regexp: RegExp;
}

/**
 * Parses allowlist text: one expression per line, trimmed, blank lines skipped.
 *
 * @example Two entries
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAllowlist } from "./allowlist.ts";
 * const list = parseAllowlist("^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]+$\n\n  ^net\\.core\\.somaxconn$ \n");
 * assert.deepEqual(list.map((e) => e.source), [
 *   "^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]+$",
 *   "^net\\.core\\.somaxconn$",
 * ]);
 * ```
 *
 * @param text The file's text.
 * @param path The file, for messages.
 * @returns The entries in file order.
 * @throws {CniError} Code 999 naming the line when an expression does not compile.
 */
export function parseAllowlist(text: string, path = ALLOWLIST_PATH): AllowlistEntry[] {
  const out: AllowlistEntry[] = [];
  for (const raw of text.split("\n")) {
    const source = raw.trim();
    if (source === "") continue;
    const m = GO_FLAGS_REGEXP.exec(source);
    const flags = m ? [...new Set(m[1]!.replace("U", ""))].join("") : "";
    try {
      out.push({ source, regexp: new RegExp(m ? source.slice(m[0].length) : source, flags) });
    } catch (err) {
      throw new CniError(
        ErrorCode.Internal,
        `invalid sysctl allowlist entry ${JSON.stringify(source)} in ${path}`,
        { details: errorText(err), cause: err },
      );
    }
  }
  return out;
}

/**
 * Refuses the first key that no entry matches.
 *
 * @param keys Sysctl keys as configured.
 * @param list The allowlist.
 * @throws {CniError} Code 7 `Sysctl <key> is not allowed. Only the following sysctls are
 *   allowed: [<re1> <re2> ...]` (the reference's wording).
 */
export function checkAllowlist(keys: Iterable<string>, list: readonly AllowlistEntry[]): void {
  for (const key of keys) {
    if (list.some((e) => e.regexp.test(key))) continue;
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `Sysctl ${key} is not allowed. Only the following sysctls are allowed: [${
        list.map((e) => e.source).join(" ")
      }]`,
    );
  }
}

/**
 * Reads the allowlist file.
 *
 * @param path The file (the fixed {@linkcode ALLOWLIST_PATH} for the plugin; tests pass their
 *   own).
 * @returns The entries, or `undefined` when the file does not exist (no restriction).
 * @throws {CniError} Code 5 when the file exists but cannot be read (not a regular file, over
 *   64 KiB), 999 when an entry does not compile.
 */
export function readAllowlist(path = ALLOWLIST_PATH): AllowlistEntry[] | undefined {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFileSync(path, { maxBytes: MAX_SMALL_FILE_BYTES, what: "sysctl allowlist" });
  } catch (err) {
    if (err instanceof CniError && err.cause instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  return parseAllowlist(new TextDecoder().decode(bytes), path);
}
