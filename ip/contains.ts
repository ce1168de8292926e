/**
 * Containment: whether a network holds an address, as Go's `(*net.IPNet).Contains` decides
 * for a CIDR with host bits kept.
 *
 * @module
 */
import { type IpAddr, unmap } from "./addr.ts";
import { type Cidr, prefixMask, unmapCidr } from "./cidr.ts";

/**
 * Whether `cidr`'s network contains `ip`. Both are seen as Go sees them: IPv4-mapped IPv6 is
 * IPv4 (see {@linkcode unmapCidr}); an IPv4 network never holds an IPv6 address and the other
 * way round.
 *
 * @param cidr The network (host bits may be set; they are ignored).
 * @param ip The address.
 * @returns True when contained.
 * @example Containment
 * ```ts
 * import assert from "node:assert/strict";
 * import { cidrContains, parseCidr, parseIp } from "./mod.ts";
 * assert.equal(cidrContains(parseCidr("10.0.0.0/8")!, parseIp("10.200.0.1")!), true);
 * assert.equal(cidrContains(parseCidr("10.0.0.0/8")!, parseIp("::ffff:10.0.0.1")!), true);
 * assert.equal(cidrContains(parseCidr("::/0")!, parseIp("10.0.0.1")!), false);
 * ```
 */
export function cidrContains(cidr: Cidr, ip: IpAddr): boolean {
  const net = unmapCidr(cidr);
  const addr = unmap(ip);
  if (net.ip.family !== addr.family) return false;
  const mask = prefixMask(addr.family, net.prefix);
  for (let i = 0; i < mask.length; i++) {
    if ((net.ip.bytes[i]! & mask[i]!) !== (addr.bytes[i]! & mask[i]!)) return false;
  }
  return true;
}
