/**
 * The CHECK steps interface plugins share with the reference (`pkg/ip` `ValidateExpected*`
 * and each plugin's `validateCniContainerInterface`): the container entry of `prevResult`,
 * its addresses on the link, a route to each address's subnet and the result's routes, all
 * read over one socket in the container namespace. Errors are code 999 with the reference's
 * wording (ptp and host-device prefix some of them differently, given as options).
 *
 * @module
 */
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { CmdArgs } from "../../cni/plugin.ts";
import type { Interface, IPConfig, Result, Route } from "../../cni/types.ts";
import { addrList, type Link, linkFind, type NetlinkSocket, routeList } from "../../netlink/mod.ts";
import { formatCidr, networkOf, parseCidr } from "../../ip/mod.ts";

function fail(msg: string): CniError {
  return new CniError(ErrorCode.Internal, msg);
}

/**
 * The `prevResult` entry of the container interface: the one named `CNI_IFNAME` whose sandbox
 * is `CNI_NETNS`.
 *
 * @param prev The previous result (current shape).
 * @param args The call.
 * @returns The entry.
 * @throws {CniError} Code 999 `Sandbox in prevResult <s> doesn't match configured netns: <n>`
 *   when there is none.
 */
export function containerEntry(prev: Result, args: CmdArgs): Interface {
  const entry = (prev.interfaces ?? []).find((i) =>
    i.name === args.ifName && i.sandbox === args.netns
  );
  if (!entry) {
    throw fail(`Sandbox in prevResult  doesn't match configured netns: ${args.netns}`);
  }
  return entry;
}

/**
 * Checks the container interface against its `prevResult` entry: it exists, is in a sandbox,
 * is of the expected kind and has the recorded MAC.
 *
 * @param sock Container-namespace socket.
 * @param entry The `prevResult` entry.
 * @param options `prefix` for some messages (ptp says `ptp: `), `kind` the link must have and
 *   how the reference names it (`veth/p2p`), if any.
 * @returns The link.
 * @throws {CniError} Code 999 with the reference's messages.
 */
export function validateContainerInterface(
  sock: NetlinkSocket,
  entry: Interface,
  options: { prefix?: string; kind?: { kind: string; shown: string } } = {},
): Link {
  const prefix = options.prefix ?? "";
  if (!entry.name) throw fail(`Container interface name missing in prevResult: `);
  const link = linkFind(sock, { name: entry.name });
  if (!link) throw fail(`${prefix}Container Interface name in prevResult: ${entry.name} not found`);
  if (!entry.sandbox) {
    throw fail(`${prefix}Error: Container interface ${link.name} should not be in host namespace`);
  }
  if (options.kind && link.kind !== options.kind.kind) {
    throw fail(`Error: Container interface ${link.name} not of type ${options.kind.shown}`);
  }
  if (entry.mac && entry.mac !== link.mac) {
    throw fail(
      `${prefix}Interface ${entry.name} Mac ${entry.mac} doesn't match container Mac: ${link.mac}`,
    );
  }
  return link;
}

/**
 * Checks that each address is on the link and that the main table has a route to its subnet
 * (`ip.ValidateExpectedInterfaceIPs`).
 *
 * @param sock Container-namespace socket.
 * @param link The container interface.
 * @param ips The result's addresses.
 * @returns When all are there.
 * @throws {CniError} Code 999 `Failed to match addr <a> on interface <if>` or `Failed to find
 *   Gateway <gw> for interface <if>`.
 */
export function validateInterfaceIps(
  sock: NetlinkSocket,
  link: Link,
  ips: readonly IPConfig[],
): void {
  const addrs = addrList(sock, { link: { index: link.index } });
  const routes = routeList(sock, {});
  for (const ipc of ips) {
    const want = parseCidr(ipc.address);
    if (!want) continue;
    if (!addrs.some((a) => a.address === formatCidr(want))) {
      throw fail(`Failed to match addr ${ipc.address} on interface ${link.name}`);
    }
    const subnet = formatCidr(networkOf(want));
    if (!routes.some((r) => r.dst === subnet)) {
      throw fail(`Failed to find Gateway ${ipc.gateway ?? "<nil>"} for interface ${link.name}`);
    }
  }
}

/**
 * Checks that each of the result's routes is in the main table, with its gateway when it has
 * one (`ip.ValidateExpectedRoute`, as the newest reference filters).
 *
 * @param sock Container-namespace socket.
 * @param routes The result's routes.
 * @returns When all are there.
 * @throws {CniError} Code 999 `Expected Route {Dst:<d> GW:<gw>} not found in routing table`.
 */
export function validateRoutes(sock: NetlinkSocket, routes: readonly Route[]): void {
  if (routes.length === 0) return;
  const table = routeList(sock, {});
  for (const r of routes) {
    const dst = parseCidr(r.dst);
    if (!dst) continue;
    const norm = formatCidr(networkOf(dst));
    const isDefault = dst.prefix === 0;
    const found = table.some((k) =>
      k.dst === norm && (isDefault || r.gw === undefined || k.gw === r.gw)
    );
    if (!found) {
      throw fail(`Expected Route {Dst:${r.dst} GW:${r.gw ?? "<nil>"}} not found in routing table`);
    }
  }
}
