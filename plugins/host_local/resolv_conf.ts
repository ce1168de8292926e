/**
 * resolv.conf text as host-local reports it for `resolvConf`, after the reference's
 * `parseResolvConf`.
 *
 * @module
 */
import type { DNS } from "../../cni/types.ts";

/**
 * Parses resolv.conf text into CNI DNS settings exactly as the reference's `parseResolvConf`:
 * `nameserver` (first field), `domain` (last wins), `search` and `options` (all fields);
 * blank lines, `#`/`;` comments and one-word lines are skipped.
 *
 * @param text The file contents.
 * @returns The DNS settings (empty fields omitted).
 * @example Parsing
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseResolvConf } from "./resolv_conf.ts";
 * assert.deepEqual(parseResolvConf("nameserver 1.1.1.1\nsearch a b\n"), {
 *   nameservers: ["1.1.1.1"],
 *   search: ["a", "b"],
 * });
 * ```
 */
export function parseResolvConf(text: string): DNS {
  const dns: DNS = {};
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const fields = line.split(/\s+/);
    if (fields.length < 2) continue;
    const [key, ...rest] = fields as [string, ...string[]];
    switch (key) {
      case "nameserver":
        (dns.nameservers ??= []).push(rest[0]!);
        break;
      case "domain":
        dns.domain = rest[0]!;
        break;
      case "search":
        (dns.search ??= []).push(...rest);
        break;
      case "options":
        (dns.options ??= []).push(...rest);
        break;
    }
  }
  return dns;
}
