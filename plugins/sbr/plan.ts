/**
 * The pure decisions of sbr, as the reference makes them: which of `prevResult`'s addresses
 * belong to the interface, which routing table is free, which routes of the interface are
 * copied into an address's table, and the source of each rule (the address alone, /32 or
 * /128).
 *
 * @module
 */
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { IPConfig, Result } from "../../cni/types.ts";
import type { RouteInfo } from "../../netlink/mod.ts";
import { cidrContains, formatIp, parseCidr, parseIp } from "../../ip/mod.ts";

/** The first table id sbr considers (`firstTableID`). */
export const FIRST_TABLE_ID = 100;

/**
 * The addresses of `prevResult` that belong to `ifName` (`getIPCfgs`): those whose interface
 * index names it, and those without an index.
 *
 * @param ifName `CNI_IFNAME`.
 * @param prev The previous result (current shape).
 * @returns The addresses, in result order.
 * @throws {CniError} Code 999 `No IP addresses supplied on interface: <if>` when the result
 *   has no address at all.
 */
export function addressesFor(ifName: string, prev: Result): IPConfig[] {
  const ips = prev.ips ?? [];
  if (ips.length === 0) {
    throw new CniError(ErrorCode.Internal, `No IP addresses supplied on interface: ${ifName}`);
  }
  const interfaces = prev.interfaces ?? [];
  return ips.filter((ip) => {
    if (ip.interface === undefined) return true;
    const i = ip.interface;
    return !(i >= 0 && i < interfaces.length && interfaces[i]!.name !== ifName);
  });
}

/**
 * The first table id from `from` on that no rule and no route uses (`getNextTableID`).
 *
 * @example
 * ```ts
 * import { firstFreeTable } from "./plan.ts";
 * firstFreeTable(new Set([100, 101, 254]), 100); // 102
 * ```
 *
 * @param used Table ids in use.
 * @param from The first candidate.
 * @returns The table id.
 */
export function firstFreeTable(used: ReadonlySet<number>, from: number): number {
  let table = from;
  while (used.has(table)) table++;
  return table;
}

/**
 * The rule source of an address: the address alone (`10.1.2.3/32`, `fd00::3/128`).
 *
 * @param address `ip/len`.
 * @returns `ip/32` or `ip/128`.
 */
export function hostPrefix(address: string): string {
  const c = parseCidr(address)!;
  return `${formatIp(c.ip)}/${c.ip.family === 4 ? 32 : 128}`;
}

/**
 * Whether a route of the interface goes into an address's table: its preferred source or its
 * gateway is in the address's subnet, or it has neither (a generic route).
 *
 * @param address The address, `ip/len`.
 * @param route A main-table route of the interface.
 * @returns True when it is copied.
 */
export function copiesRoute(address: string, route: RouteInfo): boolean {
  const net = parseCidr(address)!;
  const inNet = (text: string | undefined) => {
    const ip = text === undefined ? undefined : parseIp(text);
    return ip !== undefined && cidrContains(net, ip);
  };
  if (route.src === undefined && route.gw === undefined) return true;
  return inNet(route.src) || inNet(route.gw);
}
