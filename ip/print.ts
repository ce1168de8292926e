/**
 * IP address bytes to text: Go's `net.IP.String()` (dotted IPv4, also for IPv4-mapped IPv6;
 * RFC 5952 IPv6: lower-case hex without leading zeros, the longest run of two or more zero
 * groups, the first on a tie, written `::`).
 *
 * @module
 */
import type { IpAddr } from "./addr.ts";
import { unmap } from "./addr.ts";

/**
 * Prints 4 bytes as a dotted quad.
 *
 * @param bytes 4 bytes.
 * @returns `"a.b.c.d"`.
 * @example Dotted quad
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIPv4 } from "./print.ts";
 * assert.equal(formatIPv4(new Uint8Array([10, 0, 0, 1])), "10.0.0.1");
 * ```
 */
export function formatIPv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * Prints 16 bytes as RFC 5952 IPv6 text, with no IPv4 special form: callers that print
 * IPv4-mapped addresses as dotted IPv4 (Go: {@linkcode formatIp}) or as `::ffff:a.b.c.d`
 * (iproute2) decide before calling.
 *
 * @param bytes 16 bytes.
 * @returns The text.
 * @example Compression
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIPv6 } from "./print.ts";
 * import { parseIPv6Bytes } from "./parse.ts";
 * assert.equal(formatIPv6(parseIPv6Bytes("1:0:0:2:0:0:0:3")!), "1:0:0:2::3");
 * assert.equal(formatIPv6(parseIPv6Bytes("::ffff:10.0.0.1")!), "::ffff:a00:1");
 * ```
 */
export function formatIPv6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never compressed
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/**
 * Prints an address as Go's `net.IP.String()`: dotted IPv4 for IPv4 and IPv4-mapped IPv6,
 * RFC 5952 for other IPv6.
 *
 * @param ip The address.
 * @returns Its canonical text.
 * @example Go's text
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, parseIpLiteral } from "./mod.ts";
 * assert.equal(formatIp(parseIpLiteral("FD00:0:0::0002")!), "fd00::2");
 * assert.equal(formatIp(parseIpLiteral("::ffff:10.0.0.1")!), "10.0.0.1");
 * assert.equal(formatIp(parseIpLiteral("::10.0.0.1")!), "::a00:1");
 * ```
 */
export function formatIp(ip: IpAddr): string {
  const view = unmap(ip);
  return view.family === 4 ? formatIPv4(view.bytes) : formatIPv6(view.bytes);
}
