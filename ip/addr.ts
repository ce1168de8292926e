/**
 * The IP address value of the whole code base: a family and its bytes in network order.
 *
 * The family is the one the address was written or received in, so `::ffff:10.0.0.1` read as
 * text is family 6 with 16 bytes, as `ip(8)` and the kernel see it. Go's `net` package treats
 * such an IPv4-mapped address as IPv4 (`To4() != nil`); {@linkcode unmap} gives that view, and
 * the printing, comparison, containment and classification functions of this folder apply it
 * themselves, exactly where Go's `net` does.
 *
 * @module
 */

/** An address family: 4 or 6. */
export type IpFamily = 4 | 6;

/** An IP address: family and network-order bytes (4 for IPv4, 16 for IPv6). */
export interface IpAddr {
  /** 4 or 6. */
  readonly family: IpFamily;
  /** 4 bytes for family 4, 16 for family 6. */
  readonly bytes: Uint8Array;
}

/**
 * The bit width of a family.
 *
 * @param family 4 or 6.
 * @returns 32 or 128.
 * @example Widths
 * ```ts
 * import assert from "node:assert/strict";
 * import { bitsOf } from "./addr.ts";
 * assert.deepEqual([bitsOf(4), bitsOf(6)], [32, 128]);
 * ```
 */
export function bitsOf(family: IpFamily): 32 | 128 {
  return family === 4 ? 32 : 128;
}

/**
 * Wraps raw address bytes (from the kernel, a socket address, a file) as an address.
 *
 * @param bytes 4 or 16 bytes, network order (copied).
 * @returns The address, family from the length.
 * @throws {RangeError} For any other length.
 * @example Kernel bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import { ipFromBytes } from "./addr.ts";
 * assert.deepEqual(ipFromBytes(new Uint8Array([10, 0, 0, 1])).family, 4);
 * ```
 */
export function ipFromBytes(bytes: Uint8Array): IpAddr {
  if (bytes.length === 4) return { family: 4, bytes: new Uint8Array(bytes) };
  if (bytes.length === 16) return { family: 6, bytes: new Uint8Array(bytes) };
  throw new RangeError(`IP address of ${bytes.length} bytes: need 4 or 16`);
}

/**
 * Orders two addresses: IPv4 before IPv6, then by value. Compares what is written (an
 * IPv4-mapped IPv6 address is IPv6 here); {@linkcode unmap} first for Go's view.
 *
 * @param a First address.
 * @param b Second address.
 * @returns Negative, 0 or positive.
 * @example Ordering
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareIp, parseIp } from "./mod.ts";
 * assert.deepEqual(compareIp(parseIp("10.0.0.2")!, parseIp("10.0.0.10")!) < 0, true);
 * ```
 */
export function compareIp(a: IpAddr, b: IpAddr): number {
  if (a.family !== b.family) return a.family - b.family;
  for (let i = 0; i < a.bytes.length; i++) {
    const d = a.bytes[i]! - b.bytes[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Whether 16 bytes are an IPv4-mapped IPv6 address (`::ffff:0:0/96`), the addresses Go's
 * `net.IP.To4()` turns into IPv4.
 *
 * @param bytes Address bytes.
 * @returns True for 16 bytes in `::ffff:0:0/96`.
 * @example Mapped
 * ```ts
 * import assert from "node:assert/strict";
 * import { isIPv4Mapped, parseIpLiteral } from "./mod.ts";
 * assert.deepEqual(isIPv4Mapped(parseIpLiteral("::ffff:10.0.0.1")!.bytes), true);
 * assert.deepEqual(isIPv4Mapped(parseIpLiteral("::10.0.0.1")!.bytes), false);
 * ```
 */
export function isIPv4Mapped(bytes: Uint8Array): boolean {
  if (bytes.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Go's view of an address (`net.IP.To4()`): an IPv4-mapped IPv6 address becomes the IPv4
 * address it maps; everything else is returned as is.
 *
 * @param ip The address.
 * @returns The same address, or its IPv4 form.
 * @example Unmapping
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, parseIpLiteral, unmap } from "./mod.ts";
 * const ip = unmap(parseIpLiteral("::ffff:10.0.0.1")!);
 * assert.deepEqual([ip.family, formatIp(ip)], [4, "10.0.0.1"]);
 * ```
 */
export function unmap(ip: IpAddr): IpAddr {
  if (ip.family === 6 && isIPv4Mapped(ip.bytes)) return { family: 4, bytes: ip.bytes.slice(12) };
  return ip;
}

/**
 * The 16-byte form of an address (Go's `net.IP.To16()`): IPv4 becomes IPv4-mapped.
 *
 * @param ip The address.
 * @returns 16 bytes (a copy).
 * @example IPv4 as 16 bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIp, to16 } from "./mod.ts";
 * assert.deepEqual(Array.from(to16(parseIp("10.0.0.1")!).subarray(10)), [255, 255, 10, 0, 0, 1]);
 * ```
 */
export function to16(ip: IpAddr): Uint8Array {
  if (ip.family === 6) return new Uint8Array(ip.bytes);
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(ip.bytes, 12);
  return out;
}

/**
 * Whether two addresses are the same, as Go's `net.IP.Equal`: an IPv4 address equals its
 * IPv4-mapped IPv6 form. `undefined` equals nothing.
 *
 * @param a First address.
 * @param b Second address.
 * @returns True when equal.
 * @example Mapped equals IPv4
 * ```ts
 * import assert from "node:assert/strict";
 * import { ipEquals, parseIp } from "./mod.ts";
 * assert.deepEqual(ipEquals(parseIp("10.0.0.1")!, parseIp("::ffff:10.0.0.1")!), true);
 * ```
 */
export function ipEquals(a: IpAddr | undefined, b: IpAddr | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const x = unmap(a);
  const y = unmap(b);
  return x.family === y.family && compareIp(x, y) === 0;
}
