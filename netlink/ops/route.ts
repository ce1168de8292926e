/**
 * Route operations shaped like `ip route`: add, prepend, replace, delete, list and get.
 *
 * @module
 */
import {
  AF_UNSPEC,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
  RTA_DST,
  RTA_GATEWAY,
  RTA_METRICS,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTAX_ADVMSS,
  RTAX_MTU,
  RTM_DELROUTE,
  RTM_GETROUTE,
  RTM_NEWROUTE,
  RTN_UNICAST,
  RTPROT_BOOT,
} from "../constants.ts";
import { type Attr, bytesAttr, nestedAttr, u32Attr } from "../codec.ts";
import { type LinkRef, linkRefText } from "../link.ts";
import { afOf, type IpFamily, parseIp, parsePrefix, type Scope, scopeNumber } from "../addr.ts";
import { encodeRtmsg, parseRouteMessage, type RouteInfo } from "../route.ts";
import { NetlinkInputError } from "../errors.ts";
import type { NetlinkSocket, RequestContext } from "../socket.ts";
import { checkUint, resolveIndex } from "./_common.ts";

/** A route to add, replace or delete. */
export interface RouteSpec {
  /** Destination prefix: `"0.0.0.0/0"`, `"10.0.0.0/8"`, `"::/0"`. */
  dst: string;
  /** Gateway address. */
  gw?: string;
  /** Output link. */
  link?: LinkRef;
  /** Scope; default `link` without a gateway, `global` with one (as `ip route` does). */
  scope?: Scope;
  /** Table id (default main, 254). */
  table?: number;
  /** Metric (`RTA_PRIORITY`). */
  metric?: number;
  /** Preferred source address. */
  src?: string;
  /** Path MTU (`RTAX_MTU`). */
  mtu?: number;
  /** Advertised MSS (`RTAX_ADVMSS`). */
  advmss?: number;
  /** `RTPROT_*` (default `boot`, as `ip route` uses). */
  protocol?: number;
}

function routeText(r: RouteSpec): string {
  let t = r.dst;
  if (r.gw) t += ` via ${r.gw}`;
  if (r.link) t += ` dev ${linkRefText(r.link)}`;
  return t;
}

function routeRequest(sock: NetlinkSocket, r: RouteSpec, op: string, del: boolean) {
  const target = routeText(r);
  const dst = parsePrefix(r.dst, op);
  const attrs: Attr[] = [];
  if (dst.prefixLen > 0) attrs.push(bytesAttr(RTA_DST, dst.bytes));
  if (r.gw !== undefined) {
    const gw = parseIp(r.gw, op);
    if (gw.family !== dst.family) {
      throw new NetlinkInputError(op, target, "gateway family differs from destination");
    }
    attrs.push(bytesAttr(RTA_GATEWAY, gw.bytes));
  }
  if (r.link) attrs.push(u32Attr(RTA_OIF, resolveIndex(sock, r.link, op)));
  if (r.metric !== undefined) {
    attrs.push(u32Attr(RTA_PRIORITY, checkUint(op, target, "metric", r.metric, 0xffffffff)));
  }
  if (r.src !== undefined) {
    const src = parseIp(r.src, op);
    if (src.family !== dst.family) {
      throw new NetlinkInputError(op, target, "source family differs from destination");
    }
    attrs.push(bytesAttr(RTA_PREFSRC, src.bytes));
  }
  const table = r.table === undefined
    ? RT_TABLE_MAIN
    : checkUint(op, target, "table", r.table, 0xffffffff);
  if (table > 255) attrs.push(u32Attr(RTA_TABLE, table));
  const metrics: Attr[] = [];
  if (r.mtu !== undefined) {
    metrics.push(u32Attr(RTAX_MTU, checkUint(op, target, "mtu", r.mtu, 0xffffffff)));
  }
  if (r.advmss !== undefined) {
    metrics.push(u32Attr(RTAX_ADVMSS, checkUint(op, target, "advmss", r.advmss, 0xffffffff)));
  }
  if (metrics.length > 0) attrs.push(nestedAttr(RTA_METRICS, metrics));
  let scope: number;
  if (r.scope !== undefined) scope = scopeNumber(r.scope, op);
  else if (del) scope = RT_SCOPE_NOWHERE;
  else scope = r.gw === undefined ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  const body = encodeRtmsg({
    family: afOf(dst.family),
    dstLen: dst.prefixLen,
    table: table > 255 ? RT_TABLE_UNSPEC : table,
    protocol: r.protocol ?? (del ? 0 : RTPROT_BOOT),
    scope,
    type: del ? 0 : RTN_UNICAST,
  });
  return { body, attrs, ctx: { op, target } satisfies RequestContext };
}

/**
 * Adds a route, exclusively (`NLM_F_CREATE | NLM_F_EXCL`): it fails when the table has any
 * route to the same destination with the same metric, whatever its gateway or device. Plugins
 * adding a result's routes use {@linkcode routePrepend}, as the reference does.
 *
 * Equivalent to: `ip route add <dst> [via <gw>] [dev <dev>] [scope S] [table T] [metric M]
 * [src A] [mtu N] [advmss N]`
 *
 * @param sock An open socket.
 * @param route The route.
 * @throws {NetlinkError} `EEXIST` when such a route exists, `ENETUNREACH` when the gateway is
 *   unreachable.
 * @throws {NetlinkInputError} When an address is malformed.
 */
export function routeAdd(sock: NetlinkSocket, route: RouteSpec): void {
  const { body, attrs, ctx } = routeRequest(sock, route, "route add", false);
  sock.request({ type: RTM_NEWROUTE, flags: NLM_F_CREATE | NLM_F_EXCL, body, attrs }, ctx);
}

/**
 * Adds a route unless an identical one exists, with `NLM_F_CREATE` but not `NLM_F_EXCL`: the
 * way the reference plugins add the routes of a result (`ipam.ConfigureIface` calls
 * vishvananda's `RouteAddEcmp`, which sends these flags; seen on the wire from Debian's bridge
 * 1.1.1).
 *
 * Without `NLM_F_EXCL` the kernel (checked on 6.x) refuses only a route whose destination,
 * metric, type and whole next hop (gateway and device) are those of an existing one. So a
 * container on two networks gets a default route per device: IPv4 keeps both (the newest
 * first), IPv6 joins same-metric gateway routes into one multipath route. With `NLM_F_EXCL`
 * ({@linkcode routeAdd}, `ip route add`) both families refuse any second route to the same
 * destination and metric, whatever its device.
 *
 * Equivalent to: `ip route prepend <dst> [via <gw>] [dev <dev>] ...`
 *
 * @param sock An open socket.
 * @param route The route.
 * @throws {NetlinkError} `EEXIST` when an identical route exists, `ENETUNREACH` when the
 *   gateway is unreachable.
 * @throws {NetlinkInputError} When an address is malformed.
 */
export function routePrepend(sock: NetlinkSocket, route: RouteSpec): void {
  const { body, attrs, ctx } = routeRequest(sock, route, "route prepend", false);
  sock.request({ type: RTM_NEWROUTE, flags: NLM_F_CREATE, body, attrs }, ctx);
}

/**
 * Adds a route or replaces the existing one for the same destination.
 *
 * Equivalent to: `ip route replace <dst> [via <gw>] [dev <dev>] ...`
 *
 * @param sock An open socket.
 * @param route The route.
 * @throws {NetlinkError} When the kernel refuses it.
 */
export function routeReplace(sock: NetlinkSocket, route: RouteSpec): void {
  const { body, attrs, ctx } = routeRequest(sock, route, "route replace", false);
  sock.request({ type: RTM_NEWROUTE, flags: NLM_F_CREATE | NLM_F_REPLACE, body, attrs }, ctx);
}

/**
 * Deletes a route.
 *
 * Equivalent to: `ip route del <dst> [via <gw>] [dev <dev>] [table T] [metric M]`
 *
 * @param sock An open socket.
 * @param route The route (unset fields match anything).
 * @throws {NetlinkError} `ESRCH` when there is no such route.
 */
export function routeDel(sock: NetlinkSocket, route: RouteSpec): void {
  const { body, attrs, ctx } = routeRequest(sock, route, "route del", true);
  sock.request({ type: RTM_DELROUTE, body, attrs }, ctx);
}

/**
 * Lists routes of one table (main by default; `table: 0` for all tables).
 *
 * Equivalent to: `ip [-4|-6] route show [table T] [dev <dev>]`
 *
 * @param sock An open socket.
 * @param filter `family`, `table`, `link` filters.
 * @returns The routes.
 * @throws {LinkNotFoundError} When the filter link does not exist.
 */
export function routeList(
  sock: NetlinkSocket,
  filter: { family?: IpFamily; table?: number; link?: LinkRef } = {},
): RouteInfo[] {
  const op = "route show";
  const table = filter.table ?? RT_TABLE_MAIN;
  const index = filter.link ? resolveIndex(sock, filter.link, op) : 0;
  const attrs: Attr[] = [];
  if (table !== RT_TABLE_UNSPEC) attrs.push(u32Attr(RTA_TABLE, table));
  if (index) attrs.push(u32Attr(RTA_OIF, index));
  const msgs = sock.dump({
    type: RTM_GETROUTE,
    body: encodeRtmsg({ family: filter.family ? afOf(filter.family) : AF_UNSPEC }),
    attrs,
  }, { op, target: filter.link ? linkRefText(filter.link) : "all" });
  const out: RouteInfo[] = [];
  for (const m of msgs) {
    if (m.header.type !== RTM_NEWROUTE) continue;
    const r = parseRouteMessage(m.payload);
    if (!r) continue;
    if (filter.family && r.family !== filter.family) continue;
    if (table !== RT_TABLE_UNSPEC && r.table !== table) continue;
    if (index && r.linkIndex !== index) continue;
    out.push(r);
  }
  return out;
}

/**
 * Asks the kernel which route it would use to reach an address (a FIB lookup, not a listing).
 *
 * Equivalent to: `ip route get <address>`
 *
 * @param sock An open socket.
 * @param address The destination address (no prefix).
 * @returns The route the kernel picks (`linkIndex` is its output link).
 * @throws {NetlinkError} `ENETUNREACH` when nothing routes there.
 * @throws {NetlinkInputError} When the address is malformed.
 */
export function routeGet(sock: NetlinkSocket, address: string): RouteInfo {
  const op = "route get";
  const ip = parseIp(address, op);
  const msgs = sock.request({
    type: RTM_GETROUTE,
    body: encodeRtmsg({ family: afOf(ip.family), dstLen: ip.bytes.length * 8 }),
    attrs: [bytesAttr(RTA_DST, ip.bytes)],
  }, { op, target: address });
  for (const m of msgs) {
    if (m.header.type !== RTM_NEWROUTE) continue;
    const r = parseRouteMessage(m.payload);
    if (r) return r;
  }
  throw new NetlinkInputError(op, address, "the kernel answered without a route");
}
