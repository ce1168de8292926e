/**
 * Address classes as Go's `net.IP` methods define them (`IsUnspecified`, `IsLoopback`,
 * `IsMulticast`, `IsLinkLocalUnicast`, `IsGlobalUnicast`), IPv4-mapped IPv6 counted as IPv4.
 *
 * @module
 */
import { type IpAddr, unmap } from "./addr.ts";

function allBytes(bytes: Uint8Array, value: number, end = bytes.length): boolean {
  for (let i = 0; i < end; i++) if (bytes[i] !== value) return false;
  return true;
}

/**
 * Whether an address is `0.0.0.0` or `::` (Go's `IsUnspecified`).
 *
 * @param ip The address.
 * @returns True for the unspecified address.
 * @example Unspecified
 * ```ts
 * import assert from "node:assert/strict";
 * import { isUnspecified, parseIp } from "./mod.ts";
 * assert.equal(isUnspecified(parseIp("::")!), true);
 * ```
 */
export function isUnspecified(ip: IpAddr): boolean {
  return allBytes(unmap(ip).bytes, 0);
}

/**
 * Whether an address is a loopback address: `127.0.0.0/8` or `::1` (Go's `IsLoopback`).
 *
 * @param ip The address.
 * @returns True for loopback.
 * @example Loopback
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLoopback, parseIp } from "./mod.ts";
 * assert.equal(isLoopback(parseIp("127.1.2.3")!), true);
 * ```
 */
export function isLoopback(ip: IpAddr): boolean {
  const v = unmap(ip);
  if (v.family === 4) return v.bytes[0] === 127;
  return allBytes(v.bytes, 0, 15) && v.bytes[15] === 1;
}

/**
 * Whether an address is multicast: `224.0.0.0/4` or `ff00::/8` (Go's `IsMulticast`).
 *
 * @param ip The address.
 * @returns True for multicast.
 * @example Multicast
 * ```ts
 * import assert from "node:assert/strict";
 * import { isMulticast, parseIp } from "./mod.ts";
 * assert.equal(isMulticast(parseIp("239.1.1.1")!), true);
 * assert.equal(isMulticast(parseIp("240.1.1.1")!), false);
 * ```
 */
export function isMulticast(ip: IpAddr): boolean {
  const v = unmap(ip);
  return v.family === 4 ? (v.bytes[0]! & 0xf0) === 0xe0 : v.bytes[0] === 0xff;
}

/**
 * Whether an address is link-local unicast: `169.254.0.0/16` or `fe80::/10` (Go's
 * `IsLinkLocalUnicast`).
 *
 * @param ip The address.
 * @returns True for link-local unicast.
 * @example Link-local
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLinkLocalUnicast, parseIp } from "./mod.ts";
 * assert.equal(isLinkLocalUnicast(parseIp("fe80::1")!), true);
 * ```
 */
export function isLinkLocalUnicast(ip: IpAddr): boolean {
  const v = unmap(ip);
  if (v.family === 4) return v.bytes[0] === 169 && v.bytes[1] === 254;
  return v.bytes[0] === 0xfe && (v.bytes[1]! & 0xc0) === 0x80;
}

/**
 * Whether an address is global unicast as Go's `IsGlobalUnicast` defines it: not the IPv4
 * limited broadcast address, unspecified, loopback, multicast or link-local unicast (private
 * ranges and `240.0.0.0/4` count as global).
 *
 * @param ip The address.
 * @returns True for global unicast.
 * @example Global unicast
 * ```ts
 * import assert from "node:assert/strict";
 * import { isGlobalUnicast, parseIp } from "./mod.ts";
 * assert.equal(isGlobalUnicast(parseIp("10.0.0.1")!), true);
 * assert.equal(isGlobalUnicast(parseIp("240.0.0.1")!), true);
 * assert.equal(isGlobalUnicast(parseIp("255.255.255.255")!), false);
 * ```
 */
export function isGlobalUnicast(ip: IpAddr): boolean {
  const v = unmap(ip);
  if (v.family === 4 && allBytes(v.bytes, 0xff)) return false;
  return !isUnspecified(v) && !isLoopback(v) && !isMulticast(v) && !isLinkLocalUnicast(v);
}
