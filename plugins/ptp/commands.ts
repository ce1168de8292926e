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
import { asCniError, CniError, ErrorCode } from "../../cni/errors.ts";
import type { CmdArgs, PluginContext, PluginFns } from "../../cni/plugin.ts";
import { CURRENT_VERSION, type Result, SUPPORTED_VERSIONS } from "../../cni/types.ts";
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
  type NetlinkSocket,
  openNetlink,
  routeAdd,
  routeDel,
} from "../../netlink/mod.ts";
import {
  type NetnsHandle,
  NetnsNotFoundError,
  NotNetnsError,
  openNetns,
  sysctlEnsure,
  sysctlSet,
  THREAD_NETNS_PATH,
} from "../../netns/mod.ts";
import {
  formatCidr,
  formatIp,
  isGlobalUnicast,
  networkOf,
  parseCidr,
  parseIp,
} from "../bridge/ipaddr.ts";
import { setupIPMasq, teardownIPMasq } from "../bridge/ipmasq.ts";
import { configureIface, randomVethName } from "../bridge/setup.ts";
import {
  containerEntry,
  validateContainerInterface,
  validateInterfaceIps,
  validateRoutes,
} from "./check.ts";
import { loadPtpConf } from "./config.ts";
import { enableContainerIpv6 } from "./ipv6.ts";
import { logStderr } from "../_log.ts";

/** The about text. */
export const PTP_ABOUT = "CNI ptp plugin denocni";

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function fail(msg: string, cause?: unknown): CniError {
  return new CniError(ErrorCode.Internal, msg, cause === undefined ? {} : { cause });
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof NetlinkError && err.code === code;
}

/** The handles and sockets of one call: host and container, opened once. */
interface Session {
  hostNs: NetnsHandle;
  containerNs: NetnsHandle;
  host: NetlinkSocket;
  container: NetlinkSocket;
  [Symbol.dispose](): void;
}

function openContainerNs(path: string): NetnsHandle {
  try {
    return openNetns(path);
  } catch (err) {
    throw fail(`failed to open netns "${path}": ${errText(err)}`, err);
  }
}

function openSession(netnsPath: string): Session {
  const containerNs = openContainerNs(netnsPath);
  const opened: { close(): void }[] = [containerNs];
  try {
    const hostNs = openNetns(THREAD_NETNS_PATH);
    opened.push(hostNs);
    const host = openNetlink();
    opened.push(host);
    const container = openNetlink({ netns: containerNs, returnTo: hostNs });
    opened.push(container);
    return {
      hostNs,
      containerNs,
      host,
      container,
      [Symbol.dispose]() {
        for (const h of opened.reverse()) h.close();
      },
    };
  } catch (err) {
    for (const h of opened.reverse()) h.close();
    throw asCniError(err, "failed to open netlink sockets");
  }
}

/**
 * Creates the veth pair from the host side in one request: the host end `veth<8 hex>` up, the
 * container end `ifName` straight in the container namespace, both with the MTU; `accept_ra=0`
 * on the host end (`ip.SetupVeth`). A random name that is taken is retried (10 names).
 */
function setupVeth(s: Session, ifName: string, mtu: number): { host: Link; container: Link } {
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
      throw fail(`failed to make veth pair: ${errText(err)}`, err);
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
    throw fail(`failed to lookup "${ifName}": ${errText(err)}`, err);
  }
  return { host: hostLink, container };
}

/** Per address: the point-to-point routes in the container (`setupContainerVeth`). */
function containerRoutes(s: Session, link: Link, result: Result): void {
  for (const ipc of result.ips ?? []) {
    const addr = parseCidr(ipc.address)!;
    const ip = formatIp(addr);
    const subnet = formatCidr(networkOf(addr));
    const hostLen = addr.family === 4 ? 32 : 128;
    try {
      routeDel(s.container, { dst: subnet, link: { index: link.index } });
    } catch (err) {
      throw fail(`failed to delete route ${subnet} dev ${link.name}: ${errText(err)}`, err);
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
          `failed to add route ${r.dst}${via} dev ${link.name} src ${ip}: ${errText(err)}`,
          err,
        );
      }
    }
  }
}

/** The host end: the gateway as /32 (/128) and a host route to each container address. */
function hostRoutes(s: Session, hostVeth: Link, result: Result): void {
  for (const ipc of result.ips ?? []) {
    const addr = parseCidr(ipc.address)!;
    const hostLen = addr.family === 4 ? 32 : 128;
    const gw = `${ipc.gateway}/${hostLen}`;
    try {
      addrAdd(s.host, { index: hostVeth.index }, { address: gw });
    } catch (err) {
      throw fail(`failed to add IP addr (${gw}) to veth: ${errText(err)}`, err);
    }
    try {
      routeAdd(s.host, {
        dst: `${formatIp(addr)}/${hostLen}`,
        link: { index: hostVeth.index },
        scope: "host",
      });
    } catch (err) {
      if (!isErrno(err, "EEXIST")) throw fail(`failed to add route on host: ${errText(err)}`, err);
    }
  }
}

function enableForwarding(result: Result): void {
  const families = new Set((result.ips ?? []).map((ip) => parseCidr(ip.address)?.family));
  try {
    if (families.has(4)) sysctlEnsure("net/ipv4/ip_forward", "1");
    if (families.has(6)) sysctlEnsure("net/ipv6/conf/all/forwarding", "1");
  } catch (err) {
    throw fail(`Could not enable IP forwarding: ${errText(err)}`, err);
  }
}

async function runUndo(undo: (() => Promise<void> | void)[]): Promise<void> {
  for (const step of undo.reverse()) {
    try {
      await step();
    } catch (err) {
      logStderr(`rollback: ${errText(err)}`);
    }
  }
}

async function cmdAdd(args: CmdArgs, ctx: PluginContext): Promise<Result> {
  const conf = loadPtpConf(args.config);
  // Beyond the reference: the namespace is opened before anything is made.
  using s = openSession(args.netns);
  const undo: (() => Promise<void> | void)[] = [];
  let success = false;
  try {
    const ipam = await ctx.delegate.add(conf.ipamType, args.stdinData, args);
    undo.push(async () => {
      try {
        await ctx.delegate.del(conf.ipamType, args.stdinData, args);
      } catch (err) {
        logStderr(`failed to release IPAM lease: ${errText(err)}`);
      }
    });
    const ips = ipam.ips ?? [];
    if (ips.length === 0) throw fail("IPAM plugin returned missing IP config");
    for (const ipc of ips) {
      const addr = parseCidr(ipc.address);
      const gw = ipc.gateway === undefined ? null : parseIp(ipc.gateway);
      if (!addr || !gw || gw.family !== addr.family) {
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
    if (ips.some((ip) => parseCidr(ip.address)?.family === 6)) {
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
          logStderr(errText(err));
        }
      });
      try {
        await setupIPMasq(conf.ipMasqBackend, cidrs, ids);
      } catch (err) {
        throw fail(errText(err), err);
      }
    }
    if (conf.dns) result.dns = conf.dns;
    success = true;
    return result;
  } catch (err) {
    throw asCniError(err, errText(err));
  } finally {
    if (!success) await runUndo(undo);
  }
}

/** Container addresses from `prevResult`, for teardown without the namespace. */
function prevResultCidrs(args: CmdArgs): string[] {
  try {
    const raw = args.config.prevResult;
    if (!raw) return [];
    return (toCurrentResult(raw).ips ?? []).map((ip) => ip.address)
      .filter((a) => parseCidr(a) !== null);
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
  let ns: NetnsHandle;
  try {
    ns = openNetns(args.netns);
  } catch (err) {
    if (err instanceof NetnsNotFoundError) return [];
    if (err instanceof NotNetnsError && !err.message.includes("cannot open it")) return [];
    throw fail(errText(err), err);
  }
  try {
    using sock = openNetlink({ netns: ns });
    const link = linkFind(sock, { name: args.ifName });
    if (!link) return [];
    const cidrs = addrList(sock, { link: { index: link.index } })
      .filter((a) => {
        const ip = parseIp(a.ip);
        return ip !== null && isGlobalUnicast(ip);
      })
      .map((a) => a.address);
    try {
      await linkDelBackground(sock, { index: link.index });
    } catch (err) {
      throw fail(`failed to delete "${args.ifName}": ${errText(err)}`, err);
    }
    return cidrs;
  } finally {
    ns.close();
  }
}

async function cmdDel(args: CmdArgs, ctx: PluginContext): Promise<void> {
  // Best effort: what does not validate reads as not given, everything else is still removed.
  const conf = loadPtpConf(args.config, { lenient: true });
  const errors: string[] = [];
  let cidrs: string[] = [];
  if (args.netns !== "") {
    try {
      cidrs = await deleteContainerLink(args);
    } catch (err) {
      errors.push(errText(err));
    }
  }
  if (conf.ipMasq) {
    // Beyond the reference: without the link, the addresses come from prevResult; with
    // neither, the rules are found by the network name and container ID in their comments.
    if (cidrs.length === 0) cidrs = prevResultCidrs(args);
    try {
      await teardownIPMasq(
        cidrs,
        { network: conf.name, ifName: args.ifName, containerId: args.containerId },
        { backend: conf.ipMasqBackend },
      );
    } catch (err) {
      errors.push(errText(err));
    }
  }
  if (conf.ipamType !== "") {
    try {
      await ctx.delegate.del(conf.ipamType, args.stdinData, args);
    } catch (err) {
      errors.push(errText(err));
    }
  }
  if (errors.length > 0) throw fail(errors.join("; "));
}

async function cmdCheck(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadPtpConf(args.config);
  using ns = openContainerNs(args.netns);
  await ctx.delegate.check(conf.ipamType, args.stdinData, args);
  if (!args.config.prevResult) throw fail("ptp: Required prevResult missing");
  const prev = toCurrentResult(args.config.prevResult);
  const entry = containerEntry(prev, args);
  using sock = openNetlink({ netns: ns });
  const link = validateContainerInterface(sock, entry, {
    prefix: "ptp: ",
    kind: { kind: "veth", shown: "veth/p2p" },
  });
  validateInterfaceIps(sock, link, prev.ips ?? []);
  validateRoutes(sock, prev.routes ?? []);
}

async function cmdStatus(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadPtpConf(args.config);
  // As the newest reference: delegated even with an empty type (`no plugin name provided`).
  if (ctx.delegate.status) await ctx.delegate.status(conf.ipamType, args.stdinData, args);
}

/** The ptp plugin's functions (ADD, CHECK, DEL, STATUS). */
export const plugin: PluginFns = {
  add: cmdAdd,
  check: cmdCheck,
  del: cmdDel,
  status: cmdStatus,
  supportedVersions: SUPPORTED_VERSIONS,
  about: PTP_ABOUT,
};
