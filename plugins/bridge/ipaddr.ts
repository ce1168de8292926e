/**
 * The bridge plugin's former IP helpers, now thin wrappers over the one IP model in `ip/`,
 * kept with their names and shapes (`null` for invalid text, a flat `{ family, bytes,
 * prefixLen }` CIDR) only for the plugins that still import them (portmap, ptp, sbr,
 * host-device, firewall's config, `_iface/check.ts`). New code imports `ip/mod.ts`; this
 * file goes once nothing imports it.
 *
 * @module
 */
import * as ip from "../../ip/mod.ts";

export { formatIp, ipEquals, isGlobalUnicast, nextIp } from "../../ip/mod.ts";

/** A parsed address: `ip/`'s `IpAddr`. */
export type IpAddr = ip.IpAddr;

/** A parsed `ip/prefix`, flat (host bits kept, Go's view of IPv4-mapped text). */
export interface IpCidr extends IpAddr {
  /** Prefix length. */
  prefixLen: number;
}

function toCidr(c: IpCidr): ip.Cidr {
  return { ip: { family: c.family, bytes: c.bytes }, prefix: c.prefixLen };
}

function flat(c: ip.Cidr): IpCidr {
  return { family: c.ip.family, bytes: c.ip.bytes, prefixLen: c.prefix };
}

/**
 * Parses an address (`ip/`'s `parseIp`: Go's view, IPv4-mapped text is IPv4).
 *
 * @param text Address text.
 * @returns The address, or `null` when it is not one.
 * @example Parsing
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIp } from "./ipaddr.ts";
 * assert.equal(parseIp("::ffff:10.0.0.1")?.family, 4);
 * ```
 */
export function parseIp(text: string): IpAddr | null {
  return ip.parseIp(text) ?? null;
}

/**
 * Parses `ip/prefix`, keeping the host bits (`ip/`'s `parseCidr`, flattened).
 *
 * @param text CIDR text.
 * @returns The CIDR, or `null` when invalid.
 * @example Parsing
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCidr } from "./ipaddr.ts";
 * assert.equal(parseCidr("10.22.0.5/16")?.prefixLen, 16);
 * ```
 */
export function parseCidr(text: string): IpCidr | null {
  const c = ip.parseCidr(text);
  return c ? flat(c) : null;
}

/**
 * Formats `ip/prefix` as Go's `IPNet.String()` (host bits kept).
 *
 * @param cidr The CIDR.
 * @returns `ip/prefix`.
 */
export function formatCidr(cidr: IpCidr): string {
  return ip.formatCidr(toCidr(cidr));
}

/**
 * The network of a CIDR (host bits cleared).
 *
 * @param cidr The CIDR.
 * @returns The same prefix with the host bits zero.
 */
export function networkOf(cidr: IpCidr): IpCidr {
  return flat(ip.networkOf(toCidr(cidr)));
}

/**
 * Whether `cidr`'s network contains `addr` (Go's `IPNet.Contains`).
 *
 * @param cidr The network.
 * @param addr The address.
 * @returns True when contained.
 */
export function cidrContains(cidr: IpCidr, addr: IpAddr): boolean {
  return ip.cidrContains(toCidr(cidr), addr);
}
