/**
 * The CHECK steps the interface plugins (macvlan, ipvlan, vlan, dummy, ptp, host-device) share,
 * with the reference's messages: the previous result, the container's entry in it, the link
 * behind that entry (`validateCniContainerInterface`), and the addresses and routes of the
 * result found in the container namespace (`ip.ValidateExpectedInterfaceIPs`,
 * `ip.ValidateExpectedRoute`).
 *
 * @module
 */
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { CmdArgs, PluginContext } from "../../cni/plugin.ts";
import type { Interface, IPConfig, Result, Route } from "../../cni/types.ts";
import { toCurrentResult } from "../../cni/results/mod.ts";
import {
  addrList,
  type Link,
  linkFind,
  type NetlinkSocket,
  openNetlink,
  routeList,
} from "../../netlink/mod.ts";
import type { NetnsHandle } from "../../netns/mod.ts";
import { formatCidr, networkOf, parseCidr } from "../../ip/mod.ts";
import { type IfaceSockets, openSockets } from "./sockets.ts";

/** How a plugin words its CHECK failures. */
export interface CheckWords {
  /** Start messages lower-case (the newest reference's macvlan does). */
  lower?: boolean;
  /** Put before some messages, as the reference's vlan (`vlan: `), dummy and ptp do. */
  prefix?: string;
  /** Compare the entry's MAC exactly as written (ptp, host-device); else case-insensitively. */
  exactMac?: boolean;
}

/**
 * A CHECK failure (code 999, as the reference's plain errors).
 *
 * @param msg The message (sentence as the reference words it).
 * @param words Casing.
 * @returns The error.
 */
export function checkFail(msg: string, words: CheckWords = {}): CniError {
  const text = words.lower ? msg.charAt(0).toLowerCase() + msg.slice(1) : msg;
  return new CniError(ErrorCode.Internal, text);
}

/**
 * The previous result in the current shape.
 *
 * @param args The call.
 * @param missing The message when there is none.
 * @returns The result.
 * @throws {CniError} Code 999 `missing`, or the conversion's error.
 */
export function requirePrevResult(args: CmdArgs, missing: string): Result {
  if (!args.config.prevResult) throw new CniError(ErrorCode.Internal, missing);
  return toCurrentResult(args.config.prevResult);
}

/**
 * The previous result's entry for the container's interface: named `CNI_IFNAME` with
 * `sandbox` equal to `CNI_NETNS`.
 *
 * @param prev The previous result.
 * @param args The call.
 * @param words Casing.
 * @returns The entry.
 * @throws {CniError} Code 999 `Sandbox in prevResult <s> doesn't match configured netns: <n>`.
 */
export function containerEntry(prev: Result, args: CmdArgs, words: CheckWords = {}): Interface {
  const entry = (prev.interfaces ?? []).find((i) =>
    i.name === args.ifName && i.sandbox === args.netns
  );
  if (!entry) {
    throw checkFail(`Sandbox in prevResult  doesn't match configured netns: ${args.netns}`, words);
  }
  return entry;
}

/**
 * Checks the link behind the container's entry: it exists, is of `kind` (when one is given),
 * and has the entry's MAC when one is given.
 *
 * @param sock A socket in the container namespace.
 * @param entry The container's entry of the previous result.
 * @param kind The expected link kind, or that and how the reference names it (ptp's `veth` is
 *   `veth/p2p`), or `undefined` for any kind.
 * @param words Casing, prefix, MAC comparison.
 * @returns The link.
 * @throws {CniError} Code 999 with the reference's messages.
 */
export function checkContainerLink(
  sock: NetlinkSocket,
  entry: Interface,
  kind: string | { kind: string; shown: string } | undefined,
  words: CheckWords = {},
): Link {
  const want = typeof kind === "string" ? { kind, shown: kind } : kind;
  const p = words.prefix ?? "";
  if (!entry.name) {
    throw checkFail(`Container interface name missing in prevResult: ${entry.name}`, words);
  }
  const link = linkFind(sock, { name: entry.name });
  if (!link) {
    throw checkFail(`${p}Container Interface name in prevResult: ${entry.name} not found`, words);
  }
  if (!entry.sandbox) {
    throw checkFail(
      `${p}Error: Container interface ${link.name} should not be in host namespace`,
      words,
    );
  }
  if (want && link.kind !== want.kind) {
    throw checkFail(`Error: Container interface ${link.name} not of type ${want.shown}`, words);
  }
  if (entry.mac && (words.exactMac ? entry.mac : entry.mac.toLowerCase()) !== link.mac) {
    throw checkFail(
      `${p}Interface ${entry.name} Mac ${entry.mac} doesn't match container Mac: ${link.mac}`,
      words,
    );
  }
  return link;
}

/**
 * Checks that every address of the result is on the interface and that a route to its subnet
 * exists (`ip.ValidateExpectedInterfaceIPs`; a host prefix, which has no subnet route, needs
 * none unless `options.hostPrefixRoute`, as ptp and host-device keep the reference's rule).
 *
 * @param sock A socket in the container namespace.
 * @param link The container's interface.
 * @param ips The result's addresses.
 * @param options `hostPrefixRoute`: a /32 or /128 address needs its route too.
 * @throws {CniError} Code 999 `Failed to match addr <a> on interface <if>` or
 *   `Failed to find Gateway <gw> for interface <if>`.
 */
export function checkAddresses(
  sock: NetlinkSocket,
  link: Link,
  ips: readonly IPConfig[],
  options: { hostPrefixRoute?: boolean } = {},
): void {
  if (ips.length === 0) return;
  const addrs = addrList(sock, { link: { index: link.index } });
  const routes = routeList(sock, {});
  for (const ipc of ips) {
    const want = parseCidr(ipc.address);
    if (!want) continue;
    if (!addrs.some((a) => a.address === formatCidr(want))) {
      throw checkFail(`Failed to match addr ${ipc.address} on interface ${link.name}`);
    }
    // A host prefix (/32, /128) gets no subnet route from the kernel: nothing to look for
    // (the reference fails CHECK for such an address).
    if (!options.hostPrefixRoute && want.prefix === (want.ip.family === 4 ? 32 : 128)) continue;
    const net = formatCidr(networkOf(want));
    if (!routes.some((r) => r.dst === net)) {
      throw checkFail(
        `Failed to find Gateway ${ipc.gateway ?? "<nil>"} for interface ${link.name}`,
      );
    }
  }
}

/**
 * Checks that every route of the result is in the main table: by destination, and by gateway
 * when the route has one; a default route only needs some default route
 * (`ip.ValidateExpectedRoute`).
 *
 * @param sock A socket in the container namespace.
 * @param routes The result's routes.
 * @throws {CniError} Code 999 `Expected Route {Dst:<dst> GW:<gw>} not found in routing table`.
 */
export function checkRoutes(sock: NetlinkSocket, routes: readonly Route[]): void {
  if (routes.length === 0) return;
  const table = routeList(sock, {});
  for (const r of routes) {
    const dst = parseCidr(r.dst);
    if (!dst) continue;
    const isDefault = dst.prefix === 0;
    const norm = formatCidr(networkOf(dst));
    const ok = table.some((k) =>
      k.dst === norm && (isDefault || r.gw === undefined || r.gw === null || k.gw === r.gw)
    );
    if (!ok) {
      throw checkFail(
        `Expected Route {Dst:${r.dst} GW:${r.gw ?? "<nil>"}} not found in routing table`,
      );
    }
  }
}

/** What differs between the CHECKs of macvlan, ipvlan, vlan and dummy. */
export interface IfaceCheckPlan {
  /** The IPAM plugin type; empty means none to check. */
  ipamType: string;
  /** An empty IPAM type fails (code 999 `no plugin name provided`), as in the reference's vlan. */
  requireIpam?: boolean;
  /** The message when there is no previous result. */
  missing: string;
  /** How the plugin words its failures. */
  words?: CheckWords;
  /** The container link's kind. */
  kind: string;
  /** Finds (and checks) the master; `first`: before IPAM is asked (macvlan), else after the entry. */
  master?: { first: boolean; resolve(s: IfaceSockets): void };
  /** The kind's own checks of the link (mode, VLAN id, MTU, up). */
  link?(link: Link, entry: Interface): void;
  /** Check the result's routes too (all but dummy). */
  routes: boolean;
}

/**
 * Runs an interface plugin's CHECK: IPAM's CHECK, the previous result's container entry, its
 * link (kind, MAC, the plugin's own checks), its addresses and, when asked, the routes.
 *
 * @param args The call.
 * @param ctx The delegate for IPAM.
 * @param plan What this plugin does differently.
 * @returns When everything matches.
 * @throws {CniError} Code 999 naming the first mismatch.
 */
export async function checkIface(
  args: CmdArgs,
  ctx: PluginContext,
  plan: IfaceCheckPlan,
): Promise<void> {
  const words = plan.words ?? {};
  using s = openSockets(args.netns);
  if (plan.master?.first) plan.master.resolve(s);
  if (plan.requireIpam && plan.ipamType === "") {
    throw new CniError(ErrorCode.Internal, "no plugin name provided");
  }
  if (plan.ipamType !== "") await ctx.delegate.check(plan.ipamType, args.stdinData, args);
  const prev = requirePrevResult(args, plan.missing);
  const entry = containerEntry(prev, args, words);
  if (plan.master && !plan.master.first) plan.master.resolve(s);
  const link = checkContainerLink(s.container, entry, plan.kind, words);
  plan.link?.(link, entry);
  checkAddresses(s.container, link, prev.ips ?? []);
  if (plan.routes) checkRoutes(s.container, prev.routes ?? []);
}

/**
 * The CHECK of the container side for ptp and host-device, with the reference's rules (the MAC
 * compared exactly, a /32 or /128 address needs its route too): the entry, its link, its
 * addresses and the result's routes, over one socket opened in `containerNs`.
 *
 * @param containerNs The container namespace.
 * @param args The call.
 * @param prev The previous result.
 * @param kind The link kind and how the reference names it, or `undefined` for any kind.
 * @param prefix Put before some messages (`ptp: `).
 * @throws {CniError} Code 999 naming the first mismatch.
 */
export function checkContainerIn(
  containerNs: NetnsHandle,
  args: CmdArgs,
  prev: Result,
  kind: { kind: string; shown: string } | undefined,
  prefix = "",
): void {
  const entry = containerEntry(prev, args);
  using sock = openNetlink({ netns: containerNs });
  const link = checkContainerLink(sock, entry, kind, { prefix, exactMac: true });
  checkAddresses(sock, link, prev.ips ?? [], { hostPrefixRoute: true });
  checkRoutes(sock, prev.routes ?? []);
}
