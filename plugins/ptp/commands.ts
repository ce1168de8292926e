/**
 * The ptp plugin's verbs (reference `plugins/main/ptp`): a veth pair whose host end is not
 * bridged but routed.
 *
 * - ADD: IPAM first; forwarding on for each family; the veth pair (host end `veth<8 hex>`,
 *   up; container end `CNI_IFNAME`); the addresses on the container end with the IPAM routes
 *   (`ConfigureIface`); then in the container, per address, the kernel's subnet route replaced
 *   by `<gw>/32 dev <if> scope link src <ip>` and `<subnet> via <gw> src <ip>`; on the host
 *   end `<gw>/32` (the same gateway on every host veth) and `<ip>/32 dev <veth> scope host`;
 *   masquerade when `ipMasq`. IPv6 uses /128.
 * - DEL: the container interface is deleted (its peer, the host address and route go with
 *   it), the masquerade rules and the lease removed; best effort, idempotent, and it works
 *   with the namespace gone (the rules are then found from `prevResult` or by their comment).
 * - CHECK: IPAM CHECK, then the container interface, addresses and routes of `prevResult`.
 * - STATUS: the IPAM plugin's STATUS.
 *
 * Beyond the reference: the namespace is opened and the IPAM result checked (each address
 * needs a gateway) before anything is created, and a failed ADD removes everything it made
 * (the reference leaves the veth). No gratuitous ARP, as in the reference: ptp 1.1.1 and the
 * newest send none and set no `arp_notify` (the host end answers for the gateway, and the
 * host learns the container's address on first contact); bridge sets `arp_notify` instead.
 *
 * @module
 */
import { CniError, ErrorCode, errorText, toCniError } from "../../cni/errors.ts";
import type { CmdArgs, PluginContext, PluginFns } from "../../cni/plugin.ts";
import { CURRENT_VERSION, type Result } from "../../cni/types.ts";
import { toCurrentResult } from "../../cni/results/mod.ts";
import {
  addrAdd,
  addrList,
  type Link,
  linkAddVeth,
  linkDel,
  linkDelBackground,
  linkFind,
  linkGet,
  NetlinkError,
  openNetlink,
  routeAdd,
  routeDel,
} from "../../netlink/mod.ts";
import { sysctlEnsure, sysctlSet } from "../../netns/mod.ts";
import {
  formatCidr,
  formatIp,
  isGlobalUnicast,
  networkOf,
  parseCidr,
  parseIp,
} from "../../ip/mod.ts";
import { setupIPMasq, teardownIPMasq } from "../bridge/ipmasq.ts";
import { configureIface } from "../_iface/configure.ts";
import { randomVethName } from "../_iface/veth_name.ts";
import { checkContainerIn, requirePrevResult } from "../_iface/check.ts";
import { ipamStatus } from "../_iface/status.ts";
import {
  type IfaceSockets,
  openContainerNs,
  openNetnsIfPresent,
  openSockets,
} from "../_iface/sockets.ts";
import { loadPtpConf } from "./config.ts";
import { enableContainerIpv6 } from "../_iface/ipv6.ts";
import { addWithUndo, releaseIpam } from "../_iface/undo.ts";
import { ipamDel } from "../_iface/detach.ts";
import { runBestEffort } from "../../cni/best_effort.ts";
import { builtinAbout } from "../about.ts";

function fail(msg: string, cause?: unknown): CniError {
  return new CniError(ErrorCode.Internal, msg, cause === undefined ? {} : { cause });
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof NetlinkError && err.code === code;
}

/**
 * Creates the veth pair from the host side in one request: the host end `veth<8 hex>` up, the
 * container end `ifName` straight in the container namespace, both with the MTU; `accept_ra=0`
 * on the host end (`ip.SetupVeth`). A random name that is taken is retried (10 names).
 */
function setupVeth(s: IfaceSockets, ifName: string, mtu: number): { host: Link; container: Link } {
  let hostLink: Link | undefined;
  let name = "";
  for (let attempt = 0; attempt < 10; attempt++) {
    name = randomVethName();
    try {
      hostLink = linkAddVeth(s.host, {
        name,
        peerName: ifName,
        peerNetnsFd: s.containerNs.fd,
        up: true,
        ...(mtu > 0 && { mtu }),
      }) ?? linkGet(s.host, { name });
      break;
    } catch (err) {
      if (isErrno(err, "EEXIST")) {
        if (attempt < 9 && linkFind(s.host, { name }) && !linkFind(s.container, { name: ifName })) {
          continue;
        }
        throw fail(
          `container veth name ("${ifName}") peer provided ("${name}") already exists`,
          err,
        );
      }
      throw fail(`failed to make veth pair: ${errorText(err)}`, err);
    }
  }
  if (!hostLink) throw fail(`failed to make veth pair: no free host name after 10 tries`);
  try {
    sysctlSet(`net/ipv6/conf/${name}/accept_ra`, "0");
  } catch {
    // ignored, as in the reference
  }
  let container: Link;
  try {
    container = linkGet(
      s.container,
      hostLink.parentIndex ? { index: hostLink.parentIndex } : { name: ifName },
    );
  } catch (err) {
    throw fail(`failed to lookup "${ifName}": ${errorText(err)}`, err);
  }
  return { host: hostLink, container };
}

/** Per address: the point-to-point routes in the container (`setupContainerVeth`). */
function containerRoutes(s: IfaceSockets, link: Link, result: Result): void {
  for (const ipc of result.ips ?? []) {
    const addr = parseCidr(ipc.address)!;
    const ip = formatIp(addr.ip);
    const subnet = formatCidr(networkOf(addr));
    const hostLen = addr.ip.family === 4 ? 32 : 128;
    try {
      routeDel(s.container, { dst: subnet, link: { index: link.index } });
    } catch (err) {
      throw fail(`failed to delete route ${subnet} dev ${link.name}: ${errorText(err)}`, err);
    }
    const routes = [
      {
        dst: `${ipc.gateway}/${hostLen}`,
        link: { index: link.index },
        scope: "link" as const,
        src: ip,
      },
      {
        dst: subnet,
        gw: ipc.gateway!,
        link: { index: link.index },
        scope: "universe" as const,
        src: ip,
      },
    ];
    for (const r of routes) {
      try {
        routeAdd(s.container, r);
      } catch (err) {
        const via = "gw" in r ? ` via ${r.gw}` : "";
        throw fail(
          `failed to add route ${r.dst}${via} dev ${link.name} src ${ip}: ${errorText(err)}`,
          err,
        );
      }
    }
  }
}

/** The host end: the gateway as /32 (/128) and a host route to each container address. */
function hostRoutes(s: IfaceSockets, hostVeth: Link, result: Result): void {
  for (const ipc of result.ips ?? []) {
    const addr = parseCidr(ipc.address)!;
    const hostLen = addr.ip.family === 4 ? 32 : 128;
    const gw = `${ipc.gateway}/${hostLen}`;
    try {
      addrAdd(s.host, { index: hostVeth.index }, { address: gw });
    } catch (err) {
      throw fail(`failed to add IP addr (${gw}) to veth: ${errorText(err)}`, err);
    }
    try {
      routeAdd(s.host, {
        dst: `${formatIp(addr.ip)}/${hostLen}`,
        link: { index: hostVeth.index },
        scope: "host",
      });
    } catch (err) {
      if (!isErrno(err, "EEXIST")) {
        throw fail(`failed to add route on host: ${errorText(err)}`, err);
      }
    }
  }
}

function enableForwarding(result: Result): void {
  const families = new Set((result.ips ?? []).map((ip) => parseCidr(ip.address)?.ip.family));
  try {
    if (families.has(4)) sysctlEnsure("net/ipv4/ip_forward", "1");
    if (families.has(6)) sysctlEnsure("net/ipv6/conf/all/forwarding", "1");
  } catch (err) {
    throw fail(`Could not enable IP forwarding: ${errorText(err)}`, err);
  }
}

async function cmdAdd(args: CmdArgs, ctx: PluginContext): Promise<Result> {
  const conf = loadPtpConf(args.config);
  // Beyond the reference: the namespace is opened before anything is made.
  using s = openSockets(args.netns);
  return await addWithUndo(ctx.log, (err) => toCniError(err), async (undo) => {
    const ipam = await ctx.delegate.add(conf.ipamType, args.stdinData, args);
    undo.push(releaseIpam(ctx, conf.ipamType, args));
    const ips = ipam.ips ?? [];
    if (ips.length === 0) throw fail("IPAM plugin returned missing IP config");
    for (const ipc of ips) {
      const addr = parseCidr(ipc.address);
      const gw = ipc.gateway === undefined ? undefined : parseIp(ipc.gateway);
      if (!addr || !gw || gw.family !== addr.ip.family) {
        throw fail(
          `IPAM result for ${ipc.address} has no ${
            gw ? "gateway of its family" : "gateway"
          }: ptp routes the container through its gateway`,
        );
      }
    }
    enableForwarding(ipam);
    const pair = setupVeth(s, args.ifName, conf.mtu);
    undo.push(() => {
      try {
        linkDel(s.container, { index: pair.container.index });
      } catch {
        // already gone
      }
    });
    const result: Result = {
      cniVersion: CURRENT_VERSION,
      interfaces: [
        { name: pair.host.name, mac: pair.host.mac },
        { name: pair.container.name, mac: pair.container.mac, sandbox: args.netns },
      ],
      ips: ips.map((ip) => ({ ...ip, interface: 1 })),
      ...(ipam.routes && ipam.routes.length > 0 && { routes: ipam.routes }),
      dns: ipam.dns ?? {},
    };
    if (ips.some((ip) => parseCidr(ip.address)?.ip.family === 6)) {
      enableContainerIpv6(s.containerNs, args.ifName, s.hostNs);
    }
    await configureIface(s.container, pair.container, result);
    containerRoutes(s, pair.container, result);
    hostRoutes(s, pair.host, result);
    if (conf.ipMasq) {
      const cidrs = ips.map((ip) => ip.address);
      const ids = { network: conf.name, ifName: args.ifName, containerId: args.containerId };
      undo.push(async () => {
        try {
          await teardownIPMasq(cidrs, ids, { backend: conf.ipMasqBackend });
        } catch (err) {
          ctx.log(errorText(err));
        }
      });
      try {
        await setupIPMasq(conf.ipMasqBackend, cidrs, ids);
      } catch (err) {
        throw fail(errorText(err), err);
      }
    }
    if (conf.dns) result.dns = conf.dns;
    return result;
  });
}

/** Container addresses from `prevResult`, for teardown without the namespace. */
function prevResultCidrs(args: CmdArgs): string[] {
  try {
    const raw = args.config.prevResult;
    if (!raw) return [];
    return (toCurrentResult(raw).ips ?? []).map((ip) => ip.address)
      .filter((a) => parseCidr(a) !== undefined);
  } catch {
    return [];
  }
}

/**
 * Deletes the container interface (its veth peer, the host address and route go with it),
 * returning its global unicast addresses. A namespace that is gone, a path that is not a
 * namespace and a missing interface have nothing to delete.
 */
async function deleteContainerLink(args: CmdArgs): Promise<string[]> {
  const ns = openNetnsIfPresent(args.netns);
  if (!ns) return [];
  try {
    using sock = openNetlink({ netns: ns });
    const link = linkFind(sock, { name: args.ifName });
    if (!link) return [];
    const cidrs = addrList(sock, { link: { index: link.index } })
      .filter((a) => {
        const ip = parseIp(a.ip);
        return ip !== undefined && isGlobalUnicast(ip);
      })
      .map((a) => a.address);
    try {
      await linkDelBackground(sock, { index: link.index });
    } catch (err) {
      throw fail(`failed to delete "${args.ifName}": ${errorText(err)}`, err);
    }
    return cidrs;
  } finally {
    ns.close();
  }
}

async function cmdDel(args: CmdArgs, ctx: PluginContext): Promise<void> {
  // Best effort: what does not validate reads as not given, everything else is still removed.
  const conf = loadPtpConf(args.config, { lenient: true });
  let cidrs: string[] = [];
  await runBestEffort([
    async () => {
      if (args.netns !== "") cidrs = await deleteContainerLink(args);
    },
    async () => {
      if (!conf.ipMasq) return;
      // Beyond the reference: without the link, the addresses come from prevResult; with
      // neither, the rules are found by the network name and container ID in their comments.
      if (cidrs.length === 0) cidrs = prevResultCidrs(args);
      await teardownIPMasq(
        cidrs,
        { network: conf.name, ifName: args.ifName, containerId: args.containerId },
        { backend: conf.ipMasqBackend },
      );
    },
    ipamDel(ctx, conf.ipamType, args),
  ]);
}

async function cmdCheck(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadPtpConf(args.config);
  using ns = openContainerNs(args.netns);
  await ctx.delegate.check(conf.ipamType, args.stdinData, args);
  const prev = requirePrevResult(args, "ptp: Required prevResult missing");
  checkContainerIn(ns, args, prev, { kind: "veth", shown: "veth/p2p" }, "ptp: ");
}

async function cmdStatus(args: CmdArgs, ctx: PluginContext): Promise<void> {
  // As the newest reference: delegated even with an empty type (`no plugin name provided`).
  await ipamStatus(args, ctx, loadPtpConf(args.config).ipamType, "ask");
}

/** The ptp plugin's functions (ADD, CHECK, DEL, STATUS). */
export const plugin: PluginFns = {
  add: cmdAdd,
  check: cmdCheck,
  del: cmdDel,
  status: cmdStatus,
  ...builtinAbout("ptp"),
};
