/**
 * Small, pure IP address helpers for the bridge plugin: parse and format IPv4/IPv6 addresses
 * and CIDRs the way Go's `net` package prints them, mask to a network, step to the next
 * address and test containment.
 *
 * @module
 */

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

const IPV4_REGEXP = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP_REGEXP = /^[0-9a-fA-F]{1,4}$/;

function parseV4(text: string): Uint8Array | null {
  const m = IPV4_REGEXP.exec(text);
  if (!m) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1]!;
    if (part.length > 1 && part.startsWith("0")) return null;
    const n = Number(part);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseV6(text: string): Uint8Array | null {
  if (!text.includes(":")) return null;
  let head = text;
  let tail = "";
  const dbl = text.indexOf("::");
  if (dbl >= 0) {
    if (text.indexOf("::", dbl + 1) >= 0) return null;
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const groups = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (i === pieces.length - 1 && p.includes(".")) {
        const v4 = parseV4(p);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!HEX_GROUP_REGEXP.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  if (!h || !t) return null;
  if (dbl < 0 && h.length !== 8) return null;
  if (dbl >= 0 && h.length + t.length > 7) return null;
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
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
  const v4 = parseV4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseV6(text);
  if (!v6) return null;
  // An IPv4-mapped IPv6 address is IPv4 to Go (To4() != nil).
  if (v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) {
    return { family: 4, bytes: v6.slice(12) };
  }
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
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
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
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
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
