/**
 * Small, pure IP address helpers for the bridge plugin: parse and format IPv4/IPv6 addresses
 * and CIDRs the way Go's `net` package prints them, mask to a network, step to the next
 * address and test containment.
 *
 * @module
 */
import { formatIPv6, isIPv4Mapped, parseIPv4Bytes, parseIPv6Bytes } from "../../netlink/ip_text.ts";

/** A parsed address: 4 or 16 bytes. */
export interface IpAddr {
  /** 4 or 6. */
  family: 4 | 6;
  /** The address bytes (4 or 16 long). */
  bytes: Uint8Array;
}

/** A parsed `ip/prefix` (the host part is kept, as Go's `net.IPNet` from a result does). */
export interface IpCidr extends IpAddr {
  /** Prefix length. */
  prefixLen: number;
}

/**
 * Parses an IPv4 or IPv6 address.
 *
 * @param text Address text, e.g. `10.0.0.1` or `fd00::1`.
 * @returns The address, or `null` when it is not one.
 *
 * @example Parsing
 * ```ts
 * import { parseIp } from "./ipaddr.ts";
 * parseIp("10.0.0.1")?.family; // 4
 * ```
 */
export function parseIp(text: string): IpAddr | null {
  const v4 = parseIPv4Bytes(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIPv6Bytes(text);
  if (!v6) return null;
  // An IPv4-mapped IPv6 address is IPv4 to Go (To4() != nil).
  if (isIPv4Mapped(v6)) return { family: 4, bytes: v6.slice(12) };
  return { family: 6, bytes: v6 };
}

/**
 * Parses `ip/prefix`, keeping the host bits.
 *
 * @param text CIDR text.
 * @returns The parsed CIDR, or `null` when invalid.
 *
 * @example Parsing
 * ```ts
 * import { parseCidr } from "./ipaddr.ts";
 * parseCidr("10.22.0.5/16")?.prefixLen; // 16
 * ```
 */
export function parseCidr(text: string): IpCidr | null {
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const ip = parseIp(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(lenText)) return null;
  const prefixLen = Number(lenText);
  if (prefixLen > ip.bytes.length * 8) return null;
  return { ...ip, prefixLen };
}

/**
 * Formats an address the way Go's `net.IP.String()` does (RFC 5952 for IPv6).
 *
 * @param ip The address.
 * @returns Its text form.
 *
 * @example Formatting
 * ```ts
 * import { formatIp, parseIp } from "./ipaddr.ts";
 * formatIp(parseIp("fd00:0:0::1")!); // "fd00::1"
 * ```
 */
export function formatIp(ip: IpAddr): string {
  const b = ip.bytes;
  if (ip.family === 4) return Array.from(b).join(".");
  return formatIPv6(b);
}

/**
 * Formats `ip/prefix` (host bits kept).
 *
 * @param cidr The CIDR.
 * @returns `ip/prefix`.
 */
export function formatCidr(cidr: IpCidr): string {
  return `${formatIp(cidr)}/${cidr.prefixLen}`;
}

/**
 * The network address of a CIDR (host bits cleared).
 *
 * @param cidr The CIDR.
 * @returns A CIDR with the same prefix length and the host bits zero.
 */
export function networkOf(cidr: IpCidr): IpCidr {
  const bytes = new Uint8Array(cidr.bytes);
  for (let bit = cidr.prefixLen; bit < bytes.length * 8; bit++) {
    bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  }
  return { family: cidr.family, bytes, prefixLen: cidr.prefixLen };
}

/**
 * The next address (wrapping past the all-ones address to zero), as Go's `ip.NextIP`.
 *
 * @param ip The address.
 * @returns The following address.
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
 * Whether `cidr`'s network contains `ip` (families must match).
 *
 * @param cidr The network.
 * @param ip The address.
 * @returns True when contained.
 */
export function cidrContains(cidr: IpCidr, ip: IpAddr): boolean {
  if (cidr.family !== ip.family) return false;
  const a = networkOf(cidr).bytes;
  const b = networkOf({ ...ip, prefixLen: cidr.prefixLen }).bytes;
  return a.every((v, i) => v === b[i]);
}

/**
 * Whether two addresses are the same.
 *
 * @param a First.
 * @param b Second.
 * @returns True when equal (same family and bytes).
 */
export function ipEquals(a: IpAddr, b: IpAddr): boolean {
  return a.family === b.family && a.bytes.every((v, i) => v === b.bytes[i]);
}

/**
 * Whether an address is global unicast as Go's `IsGlobalUnicast` defines it: not
 * unspecified, loopback, multicast, link-local or the IPv4 broadcast address.
 *
 * @param ip The address.
 * @returns True for global unicast addresses.
 */
export function isGlobalUnicast(ip: IpAddr): boolean {
  const b = ip.bytes;
  if (ip.family === 4) {
    if (b.every((v) => v === 0) || b.every((v) => v === 255)) return false;
    if (b[0] === 127 || b[0]! >= 224) return false;
    if (b[0] === 169 && b[1] === 254) return false;
    return true;
  }
  if (b.every((v) => v === 0)) return false;
  if (b.slice(0, 15).every((v) => v === 0) && b[15] === 1) return false;
  if (b[0] === 0xff) return false;
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return false;
  return true;
}
