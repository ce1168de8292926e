/**
 * CIDR text (`addr/prefix`) as Go's `net.ParseCIDR` reads it and as CNI keeps it: the
 * address with its host bits (cni's `types.ParseCIDR`), the prefix bounded by the family the
 * address is written in (so `::ffff:10.0.0.9/120` is valid and `10.0.0.9/120` is not), and
 * printed as Go's `(*net.IPNet).String()` prints such a value (`::ffff:10.0.0.9/120` prints as
 * `10.0.0.9/24`).
 *
 * @module
 */
import { bitsOf, type IpAddr, unmap } from "./addr.ts";
import { parseIpLiteral } from "./parse.ts";
import { formatIp } from "./print.ts";

/** An address and a prefix length: the address as written, host bits kept. */
export interface Cidr {
  /** The address, host bits kept, in the family it was written in. */
  readonly ip: IpAddr;
  /** Prefix length, 0..32 for family 4, 0..128 for family 6. */
  readonly prefix: number;
}

const DECIMAL_REGEXP = /^[0-9]+$/;

/**
 * Reads a prefix length as Go does (`dtoi`): one or more ASCII digits, leading zeros allowed,
 * no sign, at most `bits`.
 *
 * @param text The text after the `/`.
 * @param bits 32 or 128.
 * @returns The length, or `undefined` when invalid.
 * @example Leading zeros
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePrefixLength } from "./cidr.ts";
 * assert.equal(parsePrefixLength("024", 32), 24);
 * assert.equal(parsePrefixLength("+24", 32), undefined);
 * assert.equal(parsePrefixLength("33", 32), undefined);
 * ```
 */
export function parsePrefixLength(text: string, bits: number): number | undefined {
  if (!DECIMAL_REGEXP.test(text)) return undefined;
  const digits = text.replace(/^0+(?=[0-9])/, "");
  if (digits.length > 3) return undefined;
  const n = Number(digits);
  return n <= bits ? n : undefined;
}

/**
 * Parses `addr/prefix` like Go's `net.ParseCIDR`, keeping the host bits (cni's
 * `types.ParseCIDR`) and the family the address is written in, which bounds the prefix:
 * `::ffff:10.0.0.9/120` is IPv6 here. {@linkcode networkOf} of such a value is exactly Go's
 * `ip.Mask(mask)` (`::ffff:10.0.0.9/64` gives `::/64`).
 *
 * @param text The CIDR text.
 * @returns The CIDR, or `undefined` when invalid (Go: `invalid CIDR address: <text>`).
 * @example The written family
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCidr, networkOf, parseCidrLiteral } from "./mod.ts";
 * const c = parseCidrLiteral("::ffff:10.0.0.9/64")!;
 * assert.equal(c.ip.family, 6);
 * assert.equal(formatCidr(networkOf(c)), "::/64");
 * assert.equal(parseCidrLiteral("10.0.0.9/120"), undefined);
 * ```
 */
export function parseCidrLiteral(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIpLiteral(text.slice(0, slash));
  if (!ip) return undefined;
  const prefix = parsePrefixLength(text.slice(slash + 1), bitsOf(ip.family));
  return prefix === undefined ? undefined : { ip, prefix };
}

/**
 * Parses `addr/prefix` like Go's `net.ParseCIDR`, keeping the host bits (cni's
 * `types.ParseCIDR`), and gives Go's view of it ({@linkcode unmapCidr}): an IPv4-mapped
 * address with a 128-bit mask is IPv4 with the mask's last 32 bits.
 *
 * @param text The CIDR text.
 * @returns The CIDR, or `undefined` when invalid (Go: `invalid CIDR address: <text>`).
 * @example Host bits kept
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCidr, parseCidr } from "./mod.ts";
 * assert.equal(formatCidr(parseCidr("fd00:0::2/64")!), "fd00::2/64");
 * assert.equal(parseCidr("::ffff:10.0.0.9/120")?.prefix, 24);
 * assert.equal(parseCidr("10.0.0.9/120"), undefined);
 * ```
 */
export function parseCidr(text: string): Cidr | undefined {
  const c = parseCidrLiteral(text);
  return c && unmapCidr(c);
}

/**
 * Go's view of a CIDR with host bits kept (what `(*net.IPNet).String()` and `Contains` work
 * on): an IPv4-mapped address with a 128-bit mask is IPv4 with the mask's last 32 bits, so
 * `::ffff:10.0.0.9/120` is `10.0.0.9/24` and `::ffff:10.0.0.9/64` is `10.0.0.9/0`.
 *
 * @param cidr The CIDR.
 * @returns The same CIDR, or its IPv4 view.
 * @example IPv4 view
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, parseCidr, unmapCidr } from "./mod.ts";
 * const c = unmapCidr(parseCidr("::ffff:10.0.0.9/120")!);
 * assert.deepEqual([c.ip.family, formatIp(c.ip), c.prefix], [4, "10.0.0.9", 24]);
 * ```
 */
export function unmapCidr(cidr: Cidr): Cidr {
  const ip = unmap(cidr.ip);
  if (ip === cidr.ip) return cidr;
  return { ip, prefix: Math.max(0, cidr.prefix - 96) };
}

/**
 * Prints a CIDR as Go's `(*net.IPNet).String()` prints one with host bits kept.
 *
 * @param cidr The CIDR.
 * @returns `addr/prefix`.
 * @example Printing
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCidr, parseCidr } from "./mod.ts";
 * assert.equal(formatCidr(parseCidr("10.22.0.5/16")!), "10.22.0.5/16");
 * ```
 */
export function formatCidr(cidr: Cidr): string {
  const view = unmapCidr(cidr);
  return `${formatIp(view.ip)}/${view.prefix}`;
}

/**
 * The `prefix`-bit mask of a family, as bytes.
 *
 * @param family 4 or 6.
 * @param prefix 0..32 or 0..128.
 * @returns 4 or 16 bytes.
 * @example A /20 mask
 * ```ts
 * import assert from "node:assert/strict";
 * import { prefixMask } from "./cidr.ts";
 * assert.deepEqual(prefixMask(4, 20), new Uint8Array([255, 255, 240, 0]));
 * ```
 */
export function prefixMask(family: 4 | 6, prefix: number): Uint8Array {
  const out = new Uint8Array(family === 4 ? 4 : 16);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = (0xff << (8 - bits)) & 0xff;
  }
  return out;
}

/**
 * The network of a CIDR: host bits cleared, prefix kept (Go's `ip.Mask(mask)`; for Go's exact
 * answer on IPv4-mapped text, pass what {@linkcode parseCidrLiteral} returns).
 *
 * @param cidr The CIDR.
 * @returns The network CIDR.
 * @example Network
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCidr, networkOf, parseCidr } from "./mod.ts";
 * assert.equal(formatCidr(networkOf(parseCidr("10.22.0.5/16")!)), "10.22.0.0/16");
 * assert.equal(formatCidr(networkOf(parseCidr("fd00::abcd:5/112")!)), "fd00::abcd:0/112");
 * ```
 */
export function networkOf(cidr: Cidr): Cidr {
  const mask = prefixMask(cidr.ip.family, cidr.prefix);
  const bytes = cidr.ip.bytes.map((b, i) => b & mask[i]!);
  return { ip: { family: cidr.ip.family, bytes }, prefix: cidr.prefix };
}

/**
 * The last address of a CIDR: host bits set (the IPv4 broadcast address).
 *
 * @param cidr The CIDR.
 * @returns The last address.
 * @example Broadcast
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, lastOf, parseCidr } from "./mod.ts";
 * assert.equal(formatIp(lastOf(parseCidr("10.1.2.3/20")!)), "10.1.15.255");
 * ```
 */
export function lastOf(cidr: Cidr): IpAddr {
  const mask = prefixMask(cidr.ip.family, cidr.prefix);
  const bytes = cidr.ip.bytes.map((b, i) => b | (~mask[i]! & 0xff));
  return { family: cidr.ip.family, bytes };
}
