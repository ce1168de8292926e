/**
 * Configuring a container interface from a result, as the reference's `ipam.ConfigureIface`
 * does for bridge, ptp, host-device and the interface plugins: the addresses, up, the IPv6
 * settle when there is an IPv6 gateway (`ip.SettleAddresses`), then the routes. Errors are
 * `CniError`s with the reference's messages (code 999, as the reference's plain Go errors are).
 *
 * @module
 */
import { CniError, ErrorCode, toCniError } from "../../cni/errors.ts";
import type { IPConfig, Result, Route } from "../../cni/types.ts";
import {
  addrAdd,
  addrList,
  IFA_F_DADFAILED,
  IFA_F_TENTATIVE,
  type Link,
  linkGet,
  linkSetUp,
  NetlinkError,
  type NetlinkSocket,
  routeAdd,
  routeList,
  routePrepend,
  RTPROT_KERNEL,
} from "../../netlink/mod.ts";
import { formatCidr, formatIp, parseCidr, parseIp } from "../../ip/mod.ts";

function fail(msg: string): CniError {
  return new CniError(ErrorCode.Internal, msg);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function ipcText(ipc: IPConfig): string {
  return JSON.stringify(ipc);
}

/**
 * An address to add, as the Go netlink library adds it: IPv4 addresses get the derived
 * broadcast (below /31).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addrSpec } from "./configure.ts";
 * assert.deepEqual(addrSpec("10.0.0.2/24"), { address: "10.0.0.2/24", broadcast: true });
 * ```
 *
 * @param address `ip/prefix`.
 * @returns The `addrAdd` spec.
 */
export function addrSpec(address: string): { address: string; broadcast?: true } {
  return parseCidr(address)?.ip.family === 4 ? { address, broadcast: true } : { address };
}

/**
 * Adds the result's addresses to the container interface, sets it up, waits for IPv6 DAD when
 * there is an IPv6 gateway, then adds the routes (`ipam.ConfigureIface`). The sysctls the
 * reference sets on the way are the callers' (one namespace switch for all of them).
 *
 * @param container Container-namespace socket.
 * @param link The container interface, as read after its creation.
 * @param result The result (interfaces and ips with indexes).
 * @returns When done.
 * @throws {CniError} Code 999 with the reference's messages.
 */
export async function configureIface(
  container: NetlinkSocket,
  link: Link,
  result: Result,
): Promise<void> {
  const interfaces = result.interfaces ?? [];
  if (interfaces.length === 0) throw fail("no interfaces to configure");
  const ifName = link.name;
  const ref = { index: link.index };
  let v4gw: string | undefined;
  let v6gw: string | undefined;
  for (const ipc of result.ips ?? []) {
    if (ipc.interface === undefined) continue;
    const idx = ipc.interface;
    if (idx < 0 || idx >= interfaces.length || interfaces[idx]!.name !== ifName) {
      throw fail(`failed to add IP addr ${ipcText(ipc)} to "${ifName}": invalid interface index`);
    }
    try {
      addrAdd(container, ref, addrSpec(ipc.address));
    } catch (err) {
      throw toCniError(err, `failed to add IP addr ${ipcText(ipc)} to "${ifName}"`);
    }
    const gw = ipc.gateway ? parseIp(ipc.gateway) : undefined;
    if (gw?.family === 4) v4gw ??= ipc.gateway;
    else if (gw?.family === 6) v6gw ??= ipc.gateway;
  }
  try {
    linkSetUp(container, ref);
  } catch (err) {
    throw toCniError(err, `failed to set "${ifName}" UP`);
  }
  if (v6gw !== undefined) await settleAddresses(container, link, 5000);
  const added = new Set<string>();
  for (const r of result.routes ?? []) {
    const dst = parseCidr(r.dst);
    if (!dst) throw fail(`failed to add route '${r.dst}': invalid destination`);
    const gw = r.gw ?? (dst.ip.family === 4 ? v4gw : v6gw);
    const key = JSON.stringify([formatCidr(dst), gw, r.priority, r.table, r.scope]);
    if (added.has(key)) continue; // a byte-identical route is already there (see plugins.md §1.12)
    added.add(key);
    const what = `'${r.dst} via ${gw ?? "<nil>"} dev ${ifName} metric ${r.priority ?? 0} (Scope: ${
      r.scope ?? 0
    }, Table: ${r.table ?? 0})'`;
    try {
      addResultRoute(container, routeSpec(r, link.index, gw), what);
    } catch (err) {
      throw toCniError(err, `failed to add route ${what}`);
    }
  }
}

/**
 * Adds one route of a result. Not exclusive in the end, as the reference (`RouteAddEcmp`): a
 * default route of another network on another device of this namespace is no conflict, and an
 * identical route is refused by the kernel (EEXIST). Better than the reference, a route to the
 * same destination and metric on the same device through another gateway is refused too: the
 * kernel would keep both and use one, silently. The exclusive add is tried first, so the usual
 * case (nothing to that destination yet) costs one request and only a clash costs a listing.
 */
function addResultRoute(sock: NetlinkSocket, spec: ReturnType<typeof routeSpec>, what: string) {
  try {
    routeAdd(sock, spec);
    return;
  } catch (err) {
    if (!(err instanceof NetlinkError) || err.code !== "EEXIST") throw err;
  }
  const clash = sameDeviceClash(sock, spec);
  if (clash) {
    throw new CniError(
      ErrorCode.Internal,
      `failed to add route ${what}: the route '${clash.dst} via ${
        clash.gw ?? "<nil>"
      }' to the same destination on the same device is already there (another gateway)`,
    );
  }
  routePrepend(sock, spec);
}

/** A route already on the spec's device to its destination and metric through another next hop. */
function sameDeviceClash(sock: NetlinkSocket, spec: ReturnType<typeof routeSpec>) {
  const dst = parseCidr(spec.dst)!;
  const family = dst.ip.family;
  const want = formatCidr(dst);
  // The kernel gives an IPv6 route without a metric 1024, an IPv4 one 0.
  const metricOf = (m: number | undefined) => m || (family === 6 ? 1024 : 0);
  const gwOf = (g: string | undefined) => {
    const ip = g === undefined ? undefined : parseIp(g);
    return ip && formatIp(ip);
  };
  const table = spec.table !== undefined ? { table: spec.table } : {}; // main by default
  return routeList(sock, { family, ...table, link: spec.link }).find((r) =>
    r.protocol !== RTPROT_KERNEL && formatCidr(parseCidr(r.dst)!) === want &&
    metricOf(r.metric) === metricOf(spec.metric) && gwOf(r.gw) !== gwOf(spec.gw)
  );
}

function routeSpec(r: Route, linkIndex: number, gw: string | undefined) {
  return {
    dst: r.dst,
    link: { index: linkIndex },
    ...(gw !== undefined && { gw }),
    ...(r.priority !== undefined && r.priority !== 0 && { metric: r.priority }),
    ...(r.table !== undefined && { table: r.table }),
    // The Go netlink library leaves scope at universe unless the route gives one.
    scope: r.scope ?? 0,
    ...(r.mtu !== undefined && r.mtu !== 0 && { mtu: r.mtu }),
    ...(r.advmss !== undefined && r.advmss !== 0 && { advmss: r.advmss }),
  };
}

/**
 * Waits until no IPv6 address of the link is tentative (`ip.SettleAddresses`): every 50 ms,
 * failing at once on DADFAILED, and at the deadline only if the link is oper-up.
 *
 * @param sock The link's namespace socket.
 * @param link The link.
 * @param timeoutMs Deadline.
 * @returns When settled.
 * @throws {CniError} Code 999.
 */
export async function settleAddresses(
  sock: NetlinkSocket,
  link: Link,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const addrs = addrList(sock, { link: { index: link.index }, family: 6 });
    let tentative = false;
    for (const a of addrs) {
      if (a.flags & IFA_F_DADFAILED) {
        throw fail(`link ${link.name} has address ${a.address} in DADFAILED state`);
      }
      if (a.flags & IFA_F_TENTATIVE) tentative = true;
    }
    if (!tentative) return;
    if (Date.now() >= deadline) {
      const now = linkGet(sock, { index: link.index });
      if (now.operState === "UP") {
        throw fail(`link ${link.name} still has tentative addresses after ${timeoutMs / 1000}s`);
      }
      return;
    }
    await sleep(50);
  }
}
