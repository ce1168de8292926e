/**
 * Pure IP address math for host-local: parsing and printing exactly as Go's `net.ParseIP` /
 * `net.IP.String()` do, and `bigint` arithmetic for both families.
 *
 * @module
 */

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

const V4_REGEXP = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP_REGEXP = /^[0-9a-fA-F]{1,4}$/;

/**
 * The bit width of a family.
 *
 * @param family 4 or 6.
 * @returns 32 or 128.
 */
export function bitsOf(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function parseV4(text: string): bigint | undefined {
  const m = V4_REGEXP.exec(text);
  if (!m) return undefined;
  let value = 0n;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part.startsWith("0")) return undefined; // Go refuses leading zeros
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  if (text.length < 2) return undefined;
  let groups: number[];
  let tail = text;
  // An embedded dotted quad takes the last 32 bits.
  let v4: bigint | undefined;
  const lastColon = tail.lastIndexOf(":");
  if (lastColon >= 0 && tail.indexOf(".", lastColon) > lastColon) {
    v4 = parseV4(tail.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = tail.slice(0, lastColon + 1);
    // Keep a trailing ':' only when it is part of '::'.
    if (tail.endsWith(":") && !tail.endsWith("::")) tail = tail.slice(0, -1);
  }
  const want = v4 === undefined ? 8 : 6;
  const dbl = tail.indexOf("::");
  if (dbl >= 0 && tail.indexOf("::", dbl + 1) >= 0) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (!HEX_GROUP_REGEXP.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  if (dbl >= 0) {
    const head = parseGroups(tail.slice(0, dbl));
    const rest = parseGroups(tail.slice(dbl + 2));
    if (!head || !rest || head.length + rest.length >= want) return undefined;
    groups = [...head, ...new Array<number>(want - head.length - rest.length).fill(0), ...rest];
  } else {
    const all = parseGroups(tail);
    if (!all || all.length !== want) return undefined;
    groups = all;
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  if (v4 !== undefined) value = (value << 32n) | v4;
  return value;
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
    const value = parseV6(text);
    if (value === undefined) return undefined;
    if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
    return { family: 6, value };
  }
  const value = parseV4(text);
  return value === undefined ? undefined : { family: 4, value };
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
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((n) => n.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
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
