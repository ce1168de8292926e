/**
 * IP address text to bytes with the rules of Go's `net.ParseIP` as built into the reference
 * plugins (go1.19): dotted IPv4 with exactly four decimal parts of at most 255 and no leading
 * zeros; IPv6 of hex groups of any length whose value fits 16 bits, at most one `::` standing
 * for at least one zero group, an optional dotted IPv4 tail in the last 32 bits; no zones, no
 * spaces. The first `.` or `:` in the text decides which of the two it must be.
 *
 * Go 1.22 and later refuse IPv6 groups of more than four digits (`fd00::00002`); the plugins
 * this code is compared with accept them, and so does this parser.
 *
 * @module
 */
import type { IpAddr } from "./addr.ts";
import { unmap } from "./addr.ts";

const DECIMAL_REGEXP = /^[0-9]+$/;
const HEX_REGEXP = /^[0-9a-fA-F]+$/;

/**
 * Parses dotted IPv4 text (Go's `parseIPv4`).
 *
 * @param text E.g. `"10.22.0.1"`.
 * @returns The 4 bytes, or `undefined` when the text is not an IPv4 address.
 * @example Leading zeros are refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIPv4Bytes } from "./parse.ts";
 * assert.deepEqual(parseIPv4Bytes("10.22.0.1"), new Uint8Array([10, 22, 0, 1]));
 * assert.equal(parseIPv4Bytes("10.22.0.01"), undefined);
 * ```
 */
export function parseIPv4Bytes(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!DECIMAL_REGEXP.test(part) || (part.length > 1 && part[0] === "0")) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** The 16-bit groups of one side of `::`, or `undefined`; a dotted tail counts as two. */
function groupsOf(side: string, tailAllowed: boolean): number[] | undefined {
  if (side === "") return [];
  const pieces = side.split(":");
  const out: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (tailAllowed && i === pieces.length - 1 && piece.includes(".")) {
      const v4 = parseIPv4Bytes(piece);
      if (!v4) return undefined;
      out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      continue;
    }
    if (!HEX_REGEXP.test(piece)) return undefined;
    // Go's xtoi: any number of digits while the value fits 16 bits.
    const n = parseInt(piece, 16);
    if (n > 0xffff) return undefined;
    out.push(n);
  }
  return out;
}

/**
 * Parses IPv6 text (Go's `parseIPv6`): `fd00::1`, `::ffff:10.0.0.1`, `1:2:3:4:5:6:7::`.
 *
 * @param text The address text.
 * @returns The 16 bytes, or `undefined` when the text is not an IPv6 address.
 * @example A dotted tail
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIPv6Bytes } from "./parse.ts";
 * assert.deepEqual(Array.from(parseIPv6Bytes("::ffff:10.0.0.1")!.subarray(10)), [255, 255, 10, 0, 0, 1]);
 * assert.equal(parseIPv6Bytes("1::2::3"), undefined);
 * ```
 */
export function parseIPv6Bytes(text: string): Uint8Array | undefined {
  const ellipsis = text.indexOf("::");
  let words: number[];
  if (ellipsis < 0) {
    const all = groupsOf(text, true);
    if (!all || all.length !== 8) return undefined;
    words = all;
  } else {
    if (text.indexOf("::", ellipsis + 1) >= 0) return undefined;
    const head = groupsOf(text.slice(0, ellipsis), false);
    const tail = groupsOf(text.slice(ellipsis + 2), true);
    if (!head || !tail) return undefined;
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return undefined; // `::` stands for at least one zero group
    words = [...head, ...new Array<number>(fill).fill(0), ...tail];
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

/**
 * Parses address text keeping the family it is written in: `::ffff:10.0.0.1` is IPv6 (16
 * bytes), as `ip(8)` and the kernel take it and as Go's `net.ParseCIDR` bounds its prefix.
 *
 * @param text The address text.
 * @returns The address, or `undefined` when the text is not one.
 * @example The written family
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIpLiteral } from "./parse.ts";
 * assert.equal(parseIpLiteral("::ffff:10.0.0.1")?.family, 6);
 * ```
 */
export function parseIpLiteral(text: string): IpAddr | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ".") {
      const bytes = parseIPv4Bytes(text);
      return bytes && { family: 4, bytes };
    }
    if (c === ":") {
      const bytes = parseIPv6Bytes(text);
      return bytes && { family: 6, bytes };
    }
  }
  return undefined;
}

/**
 * Parses an address as Go's `net.ParseIP` does and gives Go's view of it: an IPv4-mapped IPv6
 * address (`::ffff:10.0.0.1`) comes back as IPv4, as `To4()` makes it.
 *
 * @param text The address text.
 * @returns The address, or `undefined` when the text is not one.
 * @example Parsing
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, parseIp } from "./mod.ts";
 * assert.equal(formatIp(parseIp("fd00:0:0::02")!), "fd00::2");
 * assert.equal(parseIp("::ffff:10.0.0.1")?.family, 4);
 * assert.equal(parseIp("010.0.0.1"), undefined);
 * ```
 */
export function parseIp(text: string): IpAddr | undefined {
  const ip = parseIpLiteral(text);
  return ip && unmap(ip);
}
