/**
 * The bridge plugin's CHECK, message for message as the reference: the bridge, the container
 * veth and its host peer (attached to the bridge) from the `prevResult`, then the addresses
 * and routes. Beyond the reference: in L2 mode there is no IPAM to check.
 *
 * @module
 */
import { CniError, ErrorCode, toCniError } from "../../cni/errors.ts";
import type { CmdArgs, PluginContext } from "../../cni/plugin.ts";
import type { Result } from "../../cni/types.ts";
import { toCurrentResult } from "../../cni/results/mod.ts";
import {
  addrList,
  type Link,
  linkFind,
  linkGet,
  type NetlinkSocket,
  openNetlink,
  routeList,
} from "../../netlink/mod.ts";
import { type NetnsHandle, openNetns } from "../../netns/mod.ts";
import { formatCidr, networkOf, parseCidr } from "../../ip/mod.ts";
import { type BridgeConf, loadBridgeConf } from "./config.ts";

function checkFail(msg: string): CniError {
  return new CniError(ErrorCode.Internal, msg);
}

/**
 * CHECK: the IPAM plugin's CHECK (L3 only), then the `prevResult`'s bridge, container
 * interface and host veth against the kernel, then its addresses and routes inside the
 * container.
 *
 * @param args The call's arguments (`prevResult` required).
 * @param ctx The IPAM delegate.
 * @returns When everything matches.
 * @throws {CniError} Code 999 with the reference's messages.
 */
export async function cmdCheck(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadBridgeConf(args.config, args.args);
  let ns: NetnsHandle;
  try {
    ns = openNetns(args.netns);
  } catch (err) {
    throw toCniError(err, `failed to open netns "${args.netns}"`);
  }
  try {
    // Beyond the reference: in L2 mode there is no IPAM to check (the reference fails).
    if (conf.ipamType !== "") await ctx.delegate.check(conf.ipamType, args.stdinData, args);
    if (!args.config.prevResult) throw checkFail("Required prevResult missing");
    const prev = toCurrentResult(args.config.prevResult);
    using host = openNetlink();
    using container = openNetlink({ netns: ns });
    checkInterfaces(prev, conf, args, host, container);
    checkAddressesAndRoutes(prev, args, container);
  } finally {
    ns.close();
  }
}

function checkInterfaces(
  prev: Result,
  conf: BridgeConf,
  args: CmdArgs,
  host: NetlinkSocket,
  container: NetlinkSocket,
): void {
  const interfaces = prev.interfaces ?? [];
  let brFound = false;
  let contLink: Link | undefined;
  let vethFound = false;
  const brEntry = interfaces.find((i) => i.name === conf.brName);
  let bridge: Link | undefined;
  if (brEntry) {
    if (!brEntry.name) throw checkFail("Interface name missing ");
    bridge = linkFind(host, { name: brEntry.name });
    if (!bridge) throw checkFail(`Interface name ${brEntry.name} not found`);
    if (brEntry.sandbox) throw checkFail(`Interface ${brEntry.name} should not be in sandbox`);
    if (bridge.kind !== "bridge") {
      throw checkFail(`Interface ${brEntry.name} does not have link type of bridge`);
    }
    if (brEntry.mac && brEntry.mac !== bridge.mac) {
      throw checkFail(`Bridge interface ${brEntry.name} Mac doesn't match: ${brEntry.mac}`);
    }
    if (bridge.promisc !== conf.promiscMode) {
      throw checkFail(
        `Bridge interface ${brEntry.name} configured Promisc Mode ${conf.promiscMode} doesn't match current state: ${bridge.promisc} `,
      );
    }
    brFound = true;
  }
  const contEntry = interfaces.find((i) => i.name === args.ifName && i.sandbox === args.netns);
  if (contEntry) {
    if (contEntry.sandbox !== args.netns) {
      throw checkFail(
        `Sandbox in prevResult ${contEntry.sandbox} doesn't match configured netns: ${args.netns}`,
      );
    }
    contLink = linkFind(container, { name: contEntry.name });
    if (!contLink) {
      throw checkFail(`Container Interface name in prevResult: ${contEntry.name} not found`);
    }
    if (contLink.kind !== "veth") {
      throw checkFail(`Error: Container interface ${contLink.name} not of type veth`);
    }
    if (contEntry.mac && contEntry.mac !== contLink.mac) {
      throw checkFail(
        `Interface ${contEntry.name} Mac ${contEntry.mac} doesn't match container Mac: ${contLink.mac}`,
      );
    }
  }
  if (contLink && bridge) {
    for (const entry of interfaces) {
      if (entry === brEntry || entry === contEntry || entry.sandbox) continue;
      const link = linkFind(host, { name: entry.name });
      if (!link || link.kind !== "veth") continue;
      if (link.index !== contLink.parentIndex || link.parentIndex !== contLink.index) continue;
      if (link.masterIndex !== bridge.index) {
        throw checkFail(`Interface ${link.name} is not attached to bridge ${bridge.name}`);
      }
      if (entry.mac && entry.mac !== link.mac) {
        throw checkFail(`Interface ${entry.name} Mac ${entry.mac} doesn't match: ${link.mac}`);
      }
      vethFound = true;
    }
  }
  if (!brFound) {
    throw checkFail(`CNI created bridge ${conf.brName} in host namespace was not found`);
  }
  if (!contLink) throw checkFail(`CNI created interface in container ${args.ifName} not found`);
  if (!vethFound) throw checkFail(`CNI veth created for bridge ${conf.brName} was not found`);
}

function checkAddressesAndRoutes(prev: Result, args: CmdArgs, container: NetlinkSocket): void {
  const link = linkGet(container, { name: args.ifName });
  const addrs = addrList(container, { link: { index: link.index } });
  const routes = routeList(container, {});
  for (const ipc of prev.ips ?? []) {
    const want = parseCidr(ipc.address);
    if (!want) continue;
    const found = addrs.some((a) => a.address === formatCidr(want));
    if (!found) throw checkFail(`Failed to match addr ${ipc.address} on interface ${args.ifName}`);
    const net = formatCidr(networkOf(want));
    if (!routes.some((r) => r.dst === net && r.linkIndex === link.index)) {
      throw checkFail(`Failed to match route ${net} on interface ${args.ifName}`);
    }
  }
  for (const r of prev.routes ?? []) {
    const dst = parseCidr(r.dst);
    if (!dst) continue;
    const isDefault = dst.prefix === 0;
    const norm = formatCidr(networkOf(dst));
    const ok = routes.some((k) =>
      k.dst === norm && (isDefault || r.gw === undefined || k.gw === r.gw)
    );
    if (!ok) {
      throw checkFail(
        `Expected Route {Dst:${r.dst} GW:${r.gw ?? "<nil>"}} not found in routing table`,
      );
    }
  }
}
