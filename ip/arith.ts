/**
 * Address arithmetic for allocation: addresses as unsigned integers (`bigint`, 32 or 128
 * bits), stepping and offsets. Results wrap round modulo the family's size, as byte
 * arithmetic on Go's `net.IP` does (`ip.NextIP(255.255.255.255)` is `0.0.0.0`).
 *
 * @module
 */
import { bitsOf, type IpAddr, type IpFamily } from "./addr.ts";

/**
 * An address as an unsigned integer.
 *
 * @param ip The address.
 * @returns Its value (0 .. 2^32-1 or 2^128-1).
 * @example Value
 * ```ts
 * import assert from "node:assert/strict";
 * import { ipToBigint, parseIp } from "./mod.ts";
 * assert.equal(ipToBigint(parseIp("0.0.1.2")!), 258n);
 * ```
 */
export function ipToBigint(ip: IpAddr): bigint {
  let value = 0n;
  for (const byte of ip.bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/**
 * The address of a value (taken modulo 2^32 or 2^128, so negative values wrap round).
 *
 * @param family 4 or 6.
 * @param value The value.
 * @returns The address.
 * @example From a value
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, ipFromBigint } from "./mod.ts";
 * assert.equal(formatIp(ipFromBigint(4, 0x0a000001n)), "10.0.0.1");
 * assert.equal(formatIp(ipFromBigint(6, -1n)), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
 * ```
 */
export function ipFromBigint(family: IpFamily, value: bigint): IpAddr {
  const length = family === 4 ? 4 : 16;
  let v = BigInt.asUintN(bitsOf(family), value);
  const bytes = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return { family, bytes };
}

/**
 * Adds `n` (which may be negative) to an address, wrapping round.
 *
 * @param ip The address.
 * @param n The offset.
 * @returns The new address, same family.
 * @example Offsets
 * ```ts
 * import assert from "node:assert/strict";
 * import { addIp, formatIp, parseIp } from "./mod.ts";
 * assert.equal(formatIp(addIp(parseIp("10.0.0.255")!, 2n)), "10.0.1.1");
 * assert.equal(formatIp(addIp(parseIp("fd00::1")!, -2n)), "fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
 * ```
 */
export function addIp(ip: IpAddr, n: bigint): IpAddr {
  return ipFromBigint(ip.family, ipToBigint(ip) + n);
}

/**
 * The next address (Go's `ip.NextIP`), wrapping from the all-ones address to zero. Cheaper
 * than `addIp(ip, 1n)`: it carries through the bytes.
 *
 * @param ip The address.
 * @returns The following address.
 * @example Carry
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, nextIp, parseIp } from "./mod.ts";
 * assert.equal(formatIp(nextIp(parseIp("10.0.0.255")!)), "10.0.1.0");
 * assert.equal(formatIp(nextIp(parseIp("255.255.255.255")!)), "0.0.0.0");
 * ```
 */
export function nextIp(ip: IpAddr): IpAddr {
  const bytes = new Uint8Array(ip.bytes);
  for (let i = bytes.length - 1; i >= 0; i--) {
    bytes[i] = (bytes[i]! + 1) & 0xff;
    if (bytes[i] !== 0) break;
  }
  return { family: ip.family, bytes };
}

/**
 * The previous address (Go's `ip.PrevIP`), wrapping from zero to the all-ones address.
 *
 * @param ip The address.
 * @returns The preceding address.
 * @example Borrow
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, parseIp, prevIp } from "./mod.ts";
 * assert.equal(formatIp(prevIp(parseIp("10.0.1.0")!)), "10.0.0.255");
 * ```
 */
export function prevIp(ip: IpAddr): IpAddr {
  const bytes = new Uint8Array(ip.bytes);
  for (let i = bytes.length - 1; i >= 0; i--) {
    bytes[i] = (bytes[i]! - 1) & 0xff;
    if (bytes[i] !== 0xff) break;
  }
  return { family: ip.family, bytes };
}
