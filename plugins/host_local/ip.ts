/**
 * Pure IP address math for host-local: parsing and printing exactly as Go's `net.ParseIP` /
 * `net.IP.String()` do, and `bigint` arithmetic for both families.
 *
 * @module
 */
import { formatIPv6, isIPv4Mapped, parseIPv4Bytes, parseIPv6Bytes } from "../../netlink/ip_text.ts";

/** An IP address: family and value (32 or 128 bits). */
export interface IP {
  /** Address family. */
  readonly family: 4 | 6;
  /** The address as an unsigned integer. */
  readonly value: bigint;
}

/** A CIDR as written: the address (host bits kept) and the prefix length. */
export interface Cidr {
  /** The address part, host bits kept. */
  readonly ip: IP;
  /** Prefix length. */
  readonly prefix: number;
}

/**
 * The bit width of a family.
 *
 * @param family 4 or 6.
 * @returns 32 or 128.
 */
export function bitsOf(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function toBigint(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function toBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

/**
 * Parses an address like Go's `net.ParseIP`: dotted IPv4 (no leading zeros) or IPv6 text.
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`) comes back as IPv4, as Go's `To4()` would make it.
 *
 * @param text The address text.
 * @returns The address, or `undefined` when the text is not an address.
 * @example Parsing
 * ```ts
 * import { formatIP, parseIP } from "./ip.ts";
 * console.log(formatIP(parseIP("fd00:0:0::02")!)); // "fd00::2"
 * ```
 */
export function parseIP(text: string): IP | undefined {
  if (text.includes(":")) {
    const bytes = parseIPv6Bytes(text);
    if (bytes === undefined) return undefined;
    if (isIPv4Mapped(bytes)) return { family: 4, value: toBigint(bytes.subarray(12)) };
    return { family: 6, value: toBigint(bytes) };
  }
  const bytes = parseIPv4Bytes(text);
  return bytes === undefined ? undefined : { family: 4, value: toBigint(bytes) };
}

/**
 * Prints an address as Go's `net.IP.String()`: dotted IPv4, RFC 5952 IPv6 (lower case, the
 * longest run of two or more zero groups compressed, the first one on a tie).
 *
 * @param ip The address.
 * @returns Its canonical text.
 */
export function formatIP(ip: IP): string {
  if (ip.family === 4) {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join(".");
  }
  return formatIPv6(toBytes(ip.value, 16));
}

/**
 * Parses `addr/prefix` like Go's `net.ParseCIDR`, keeping the host bits in `ip`.
 * IPv4-mapped IPv6 text is refused (Go would report a version mismatch later).
 *
 * @param text The CIDR text.
 * @returns The parsed CIDR, or `undefined` when invalid.
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const addrText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const ip = parseIP(addrText);
  if (!ip) return undefined;
  if (ip.family === 4 && addrText.includes(":")) return undefined;
  const prefix = Number(prefixText);
  if (prefix > bitsOf(ip.family)) return undefined;
  return { ip, prefix };
}

/**
 * Parses an address with an optional `/prefix` (the form `CNI_ARGS IP=`, `args.cni.ips` and
 * `runtimeConfig.ips` accept); the prefix is dropped.
 *
 * @param text `ip` or `ip/prefix`.
 * @returns The address, or `undefined` when invalid.
 */
export function parseIPMaybeCidr(text: string): IP | undefined {
  if (text.includes("/")) return parseCidr(text)?.ip;
  return parseIP(text);
}

/**
 * Prints `ip/prefix`.
 *
 * @param ip The address.
 * @param prefix Prefix length.
 * @returns The CIDR text.
 */
export function formatCidr(ip: IP, prefix: number): string {
  return `${formatIP(ip)}/${prefix}`;
}

/**
 * The host mask (all ones in the host part) for a prefix.
 *
 * @param family Address family.
 * @param prefix Prefix length.
 * @returns The host mask.
 */
export function hostMask(family: 4 | 6, prefix: number): bigint {
  return (1n << BigInt(bitsOf(family) - prefix)) - 1n;
}

/**
 * The network (first) address of a CIDR.
 *
 * @param cidr The CIDR.
 * @returns Its network address.
 */
export function networkOf(cidr: Cidr): IP {
  return { family: cidr.ip.family, value: cidr.ip.value & ~hostMask(cidr.ip.family, cidr.prefix) };
}

/**
 * The last address of a CIDR (the IPv4 broadcast address).
 *
 * @param cidr The CIDR.
 * @returns Its last address.
 */
export function lastOf(cidr: Cidr): IP {
  const net = networkOf(cidr);
  return { family: net.family, value: net.value | hostMask(net.family, cidr.prefix) };
}

/**
 * Whether `cidr` contains `ip` (same family, same network bits).
 *
 * @param cidr The network.
 * @param ip The address.
 * @returns `true` when inside.
 */
export function cidrContains(cidr: Cidr, ip: IP): boolean {
  if (cidr.ip.family !== ip.family) return false;
  const mask = ~hostMask(ip.family, cidr.prefix);
  return (cidr.ip.value & mask) === (ip.value & mask);
}

/**
 * Adds `n` to an address (no wrap-around check).
 *
 * @param ip The address.
 * @param n The offset.
 * @returns The new address.
 */
export function addIP(ip: IP, n: bigint): IP {
  return { family: ip.family, value: ip.value + n };
}

/**
 * Orders two addresses (IPv4 before IPv6, then by value).
 *
 * @param a First address.
 * @param b Second address.
 * @returns Negative, 0 or positive.
 */
export function compareIP(a: IP, b: IP): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/**
 * Whether two addresses are equal.
 *
 * @param a First address.
 * @param b Second address.
 * @returns `true` when equal.
 */
export function ipEquals(a: IP | undefined, b: IP | undefined): boolean {
  return a !== undefined && b !== undefined && a.family === b.family && a.value === b.value;
}
