/**
 * The one IP model: addresses and CIDRs parsed, printed, compared, contained and counted the
 * way Go's `net` package does it in the reference plugins (go1.19), IPv4-mapped IPv6
 * included. Pure: no Deno APIs, no imports outside this folder; every other layer builds on it.
 *
 * {@linkcode parseIp} and {@linkcode parseCidr} give Go's view, where `::ffff:10.0.0.1` is
 * IPv4; {@linkcode parseIpLiteral} and {@linkcode parseCidrLiteral} keep the family the text
 * is written in (IPv6 there, as the kernel and `ip(8)` take it), and {@linkcode unmap} /
 * {@linkcode unmapCidr} turn such a value into Go's view. Printing, equality, containment and
 * the address classes apply Go's view themselves, so they answer the same for both.
 *
 * @example Parse, print, contain
 * ```ts
 * import assert from "node:assert/strict";
 * import { cidrContains, formatCidr, formatIp, nextIp, parseCidr, parseIp } from "./mod.ts";
 *
 * const net = parseCidr("10.22.0.5/16")!;
 * assert.equal(formatCidr(net), "10.22.0.5/16");
 * assert.equal(formatIp(nextIp(parseIp("10.22.0.255")!)), "10.22.1.0");
 * assert.equal(cidrContains(net, parseIp("::ffff:10.22.9.9")!), true);
 * assert.equal(formatIp(parseIp("fd00:0:0::0002")!), "fd00::2");
 * ```
 *
 * @module
 */
export type { IpAddr, IpFamily } from "./addr.ts";
export { bitsOf, compareIp, ipEquals, ipFromBytes, isIPv4Mapped, to16, unmap } from "./addr.ts";
export { parseIp, parseIpLiteral, parseIPv4Bytes, parseIPv6Bytes } from "./parse.ts";
export { formatIp, formatIPv4, formatIPv6 } from "./print.ts";
export type { Cidr } from "./cidr.ts";
export {
  formatCidr,
  lastOf,
  networkOf,
  parseCidr,
  parseCidrLiteral,
  parsePrefixLength,
  prefixMask,
  unmapCidr,
} from "./cidr.ts";
export { cidrContains } from "./contains.ts";
export { addIp, ipFromBigint, ipToBigint, nextIp, prevIp } from "./arith.ts";
export {
  isGlobalUnicast,
  isLinkLocalUnicast,
  isLoopback,
  isMulticast,
  isUnspecified,
} from "./classify.ts";
