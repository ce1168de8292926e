/**
 * portmap's host-side work besides the firewall rules, in-process over netlink:
 * `route_localnet` on the interface that routes to the container (so `127.0.0.1:<hostPort>`
 * may be DNATed out of `lo`), and the removal of UDP conntrack flows to the mapped host ports
 * (so a new container gets the traffic a stale flow would send elsewhere).
 *
 * @module
 */
import { linkGet, NetlinkError, openNetlink, routeGet } from "../../netlink/mod.ts";
import { conntrackDelete, conntrackList } from "../../netlink/conntrack.ts";
import { IPPROTO_UDP, NETLINK_NETFILTER } from "../../netlink/conntrack_constants.ts";
import { sysctlEnsure, sysctlGet } from "../../netns/mod.ts";

/**
 * The host interface the kernel routes the container address through (`ip route get`).
 *
 * @param containerIp The container's IPv4 address.
 * @returns The interface name, or `undefined` when nothing routes there.
 * @throws {NetlinkError} When the lookup fails otherwise.
 */
export function routeInterface(containerIp: string): string | undefined {
  using sock = openNetlink();
  let route;
  try {
    route = routeGet(sock, containerIp);
  } catch (err) {
    if (err instanceof NetlinkError && UNROUTABLE.has(err.errno)) return undefined;
    throw err;
  }
  if (route.linkIndex === undefined) return undefined;
  return linkGet(sock, { index: route.linkIndex }).name;
}

/** `ENETUNREACH`, `EHOSTUNREACH`, `EINVAL` (a prohibit/blackhole route). */
const UNROUTABLE = new Set([101, 113, 22]);

function localnetKey(ifName: string): string {
  return `net/ipv4/conf/${ifName}/route_localnet`;
}

/**
 * Sets `net.ipv4.conf.<if>.route_localnet=1` on the interface that routes to the container,
 * as the reference does (never reverted: other containers may share the interface). Like the
 * reference, nothing is done when nothing routes to the container.
 *
 * @param containerIp The container's IPv4 address.
 * @returns The interface name, or `undefined` when there is none.
 * @throws {Error} When the route lookup or the write fails.
 */
export function enableRouteLocalnet(containerIp: string): string | undefined {
  const ifName = routeInterface(containerIp);
  if (ifName !== undefined) sysctlEnsure(localnetKey(ifName), "1");
  return ifName;
}

/**
 * Whether `route_localnet` is on for the interface that routes to the container.
 *
 * @param containerIp The container's IPv4 address.
 * @returns The interface and whether the sysctl is `1`; `undefined` when nothing routes there.
 * @throws {Error} When the route lookup or the read fails.
 */
export function routeLocalnetEnabled(
  containerIp: string,
): { ifName: string; on: boolean } | undefined {
  const ifName = routeInterface(containerIp);
  if (ifName === undefined) return undefined;
  return { ifName, on: sysctlGet(localnetKey(ifName)).trim() === "1" };
}

/**
 * Deletes the UDP conntrack flows of one family whose original destination port is one of
 * `ports` (every port with `"any"`), and, with `toIp`, whose reply comes from that address:
 * flows DNATed to it. One dump, one delete per matching flow; a flow already gone counts as
 * deleted.
 *
 * @param family 4 or 6.
 * @param ports Host ports, or `"any"`.
 * @param toIp Only flows forwarded to this container address.
 * @returns How many flows were deleted.
 * @throws {NetlinkError} When the dump or a delete fails.
 */
export function deleteUdpFlows(
  family: 4 | 6,
  ports: ReadonlySet<number> | "any",
  toIp?: string,
): number {
  if (ports !== "any" && ports.size === 0) return 0;
  using sock = openNetlink({ protocol: NETLINK_NETFILTER });
  let n = 0;
  for (const f of conntrackList(sock, family)) {
    if (f.proto !== IPPROTO_UDP) continue;
    if (ports !== "any" && !ports.has(f.orig.dstPort ?? -1)) continue;
    if (toIp !== undefined && f.reply.src !== toIp) continue;
    conntrackDelete(sock, f);
    n++;
  }
  return n;
}
