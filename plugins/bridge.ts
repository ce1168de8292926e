/**
 * The `bridge` plugin: a Linux bridge in the host, a veth pair per container with the host end
 * as a bridge port, addresses from a delegated IPAM plugin, the gateway on the bridge,
 * forwarding and optional masquerade, VLANs and a MAC spoof check. It follows the newest
 * reference (`containernetworking/plugins` `plugins/main/bridge`) key for key and message for
 * message, and goes further where the reference is known to leak: a failed ADD rolls back
 * what it made, DEL without the namespace still removes masquerade rules (from `prevResult`),
 * CHECK works in L2 mode, and GC removes masquerade rules of attachments no longer valid.
 *
 * One netlink socket per namespace is opened per call and used for every step.
 *
 * @example In-process ADD with a delegate for IPAM
 * ```ts ignore
 * import { plugin } from "./bridge.ts";
 * const result = await plugin.add(args, { delegate, env: {} });
 * ```
 *
 * @module
 */
import { asCniError, CniError, ErrorCode } from "../cni/errors.ts";
import type { CmdArgs, PluginContext, PluginFns } from "../cni/plugin.ts";
import { CURRENT_VERSION, type Interface, type Result, SUPPORTED_VERSIONS } from "../cni/types.ts";
import { toCurrentResult } from "../cni/results/mod.ts";
import {
  addrList,
  type Link,
  linkDel,
  linkDelBackground,
  linkFind,
  linkGet,
  linkSetUp,
  type NetlinkSocket,
  openNetlink,
  routeList,
} from "../netlink/mod.ts";
import {
  type NetnsHandle,
  NetnsNotFoundError,
  NotNetnsError,
  openNetns,
  sysctlEnsure,
  THREAD_NETNS_PATH,
} from "../netns/mod.ts";
import { type BridgeConf, loadBridgeConf } from "./bridge/config.ts";
import { calcGateways } from "./bridge/gateways.ts";
import { formatCidr, isGlobalUnicast, networkOf, parseCidr, parseIp } from "../ip/mod.ts";
import { gcIPMasq, setupIPMasq, teardownIPMasq } from "./bridge/ipmasq.ts";
import {
  configureIface,
  containerSysctls,
  ensureAddr,
  ensureBridge,
  ensureVlanInterface,
  setupVeth,
  waitPortUp,
} from "./bridge/setup.ts";
import { setupSpoofCheck, teardownSpoofCheck } from "./bridge/spoofcheck.ts";
import { logStderr } from "./_log.ts";

export { calcGateways } from "./bridge/gateways.ts";
export { loadBridgeConf } from "./bridge/config.ts";
export type { BridgeConf } from "./bridge/config.ts";

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Undo steps of a failed ADD, run newest first. */
type Undo = () => Promise<void> | void;

/** The sockets and handles of one call. */
interface Session {
  hostNs: NetnsHandle;
  containerNs: NetnsHandle;
  host: NetlinkSocket;
  container: NetlinkSocket;
}

function openSession(netnsPath: string): Session {
  let containerNs: NetnsHandle;
  try {
    containerNs = openNetns(netnsPath);
  } catch (err) {
    throw new CniError(ErrorCode.Internal, `failed to open netns "${netnsPath}": ${errText(err)}`, {
      cause: err,
    });
  }
  const opened: { close(): void }[] = [containerNs];
  try {
    const hostNs = openNetns(THREAD_NETNS_PATH);
    opened.push(hostNs);
    const host = openNetlink();
    opened.push(host);
    const container = openNetlink({ netns: containerNs, returnTo: hostNs });
    return { hostNs, containerNs, host, container };
  } catch (err) {
    for (const h of opened.reverse()) h.close();
    throw asCniError(err, "failed to open netlink sockets");
  }
}

function closeSession(s: Session): void {
  s.container.close();
  s.host.close();
  s.hostNs.close();
  s.containerNs.close();
}

function wrapErr(err: unknown): CniError {
  return asCniError(err, errText(err));
}

function ifaceEntry(link: Link, sandbox?: string): Interface {
  const out: Interface = { name: link.name, mac: link.mac };
  if (sandbox !== undefined) out.sandbox = sandbox;
  return out;
}

/** ADDs of this process under way (in-process, several run at once). */
let addsRunning = 0;

async function cmdAdd(args: CmdArgs, ctx: PluginContext): Promise<Result> {
  addsRunning++;
  try {
    return await add(args, ctx);
  } finally {
    addsRunning--;
  }
}

async function add(args: CmdArgs, ctx: PluginContext): Promise<Result> {
  const conf = loadBridgeConf(args.config, args.args);
  const isL3 = conf.ipamType !== "";
  // Beyond the reference: the namespace is opened before anything is created.
  const s = openSession(args.netns);
  const undo: Undo[] = [];
  let success = false;
  try {
    // Beyond the reference (which runs IPAM after creating the bridge and veth): IPAM first,
    // so a bad IPAM config or an exhausted range fails before anything is created; a later
    // failure releases the lease like any other undo step.
    let ipam: Result | undefined;
    if (isL3) {
      ipam = await ctx.delegate.add(conf.ipamType, args.stdinData, args);
      undo.push(async () => {
        try {
          await ctx.delegate.del(conf.ipamType, args.stdinData, args);
        } catch (err) {
          logStderr(`failed to release IPAM lease: ${errText(err)}`);
        }
      });
    }
    // The masquerade rules only need the addresses: start their tool (a process that mostly
    // waits on the kernel) now and let it overlap the link work; awaited before the result.
    let masq: Promise<void> | undefined;
    if (ipam && conf.ipMasq && (ipam.ips ?? []).length > 0) {
      const cidrs = ipam.ips!.map((ip) => ip.address);
      const ids = { network: conf.name, ifName: args.ifName, containerId: args.containerId };
      const pending = setupIPMasq(conf.ipMasqBackend, cidrs, ids).catch((err) => {
        throw new CniError(ErrorCode.Internal, errText(err), { cause: err });
      });
      pending.catch(() => {}); // observed below or by the undo step
      masq = pending;
      undo.push(async () => {
        await pending.catch(() => {});
        try {
          await teardownIPMasq(cidrs, ids);
        } catch (err) {
          logStderr(errText(err));
        }
      });
    }
    const bridge = ensureBridge(s.host, {
      name: conf.brName,
      mtu: conf.mtu,
      promisc: conf.promiscMode,
      vlanFiltering: conf.vlan !== 0 || conf.hasVlanTrunk,
    });
    const pair = await setupVeth({ ...s, bridge }, {
      ifName: args.ifName,
      mtu: conf.mtu,
      mac: conf.mac,
      hairpin: conf.hairpinMode,
      isolated: conf.portIsolation,
      vlan: conf.vlan,
      trunk: conf.vlanTrunk,
      preserveDefaultVlan: conf.preserveDefaultVlan,
      inBackground: addsRunning > 1, // other ADDs go on while the kernel makes the pair
    });
    undo.push(() => {
      try {
        linkDel(s.container, { index: pair.container.index });
      } catch {
        // already gone
      }
    });
    const brIface = ifaceEntry(bridge);
    const hostIface = ifaceEntry(pair.host);
    const result: Result = {
      // The current (1.1.0) shape, labelled as such: skel converts it to the config's
      // version (a 1.x shape labelled 0.4.0 would print "version":"", labelled 0.2.0 no IPs).
      cniVersion: CURRENT_VERSION,
      interfaces: [brIface, hostIface, ifaceEntry(pair.container, args.netns)],
      // Go's current.Result always prints `"dns":{}`.
      dns: {},
    };
    if (conf.macSpoofChk) {
      await setupSpoofCheck({
        containerId: args.containerId,
        ifName: args.ifName,
        hostIface: pair.host.name,
        mac: pair.container.mac,
      });
      undo.push(async () => {
        try {
          await teardownSpoofCheck(args.containerId, args.ifName);
        } catch (err) {
          logStderr(errText(err));
        }
      });
    }
    if (ipam) {
      result.ips = ipam.ips ?? [];
      if (ipam.routes && ipam.routes.length > 0) result.routes = ipam.routes;
      if (ipam.dns) result.dns = ipam.dns;
      if (result.ips.length === 0) {
        throw new CniError(ErrorCode.Internal, "IPAM plugin returned missing IP config");
      }
      const gws = calcGateways(result, conf);
      containerSysctls(s.containerNs, {
        ifName: args.ifName,
        enableDad: conf.enableDad,
        hasV6: result.ips.some((ip) => parseCidr(ip.address)?.ip.family === 6),
        returnTo: s.hostNs,
      });
      await configureIface(s.container, pair.container, result);
      if (conf.isGateway) {
        let vlanIface: Link | undefined;
        for (const info of [gws.v4, gws.v6]) {
          for (const gw of info.gws) {
            if (conf.vlan !== 0) {
              try {
                vlanIface ??= await ensureVlanInterface({ ...s, bridge }, {
                  vlan: conf.vlan,
                  preserveDefaultVlan: conf.preserveDefaultVlan,
                });
              } catch (err) {
                throw new CniError(
                  ErrorCode.Internal,
                  `failed to create vlan interface: ${errText(err)}`,
                  { cause: err },
                );
              }
              if (result.interfaces!.length === 3) result.interfaces!.push(ifaceEntry(vlanIface));
              try {
                ensureAddr(s.host, vlanIface, gw, conf.forceAddress);
              } catch (err) {
                throw new CniError(
                  ErrorCode.Internal,
                  `failed to set vlan interface for bridge with addr: ${wrapErr(err).msg}`,
                  { details: wrapErr(err).details, cause: err },
                );
              }
            } else {
              try {
                ensureAddr(s.host, bridge, gw, conf.forceAddress);
              } catch (err) {
                throw new CniError(
                  ErrorCode.Internal,
                  `failed to set bridge addr: ${wrapErr(err).msg}`,
                  { details: wrapErr(err).details, cause: err },
                );
              }
            }
          }
          if (info.gws.length > 0) {
            const key = info.family === 4 ? "net/ipv4/ip_forward" : "net/ipv6/conf/all/forwarding";
            try {
              sysctlEnsure(key, "1");
            } catch (err) {
              throw new CniError(
                ErrorCode.Internal,
                `failed to enable forwarding: ${errText(err)}`,
                { cause: err },
              );
            }
          }
        }
      }
      if (masq) await masq;
    } else if (!conf.disableContainerInterface) {
      try {
        linkSetUp(s.container, { index: pair.container.index });
      } catch (err) {
        throw new CniError(
          ErrorCode.Internal,
          `failed to set "${args.ifName}" up: ${errText(err)}`,
          {
            cause: err,
          },
        );
      }
    }
    const hostNow = conf.disableContainerInterface
      ? linkGet(s.host, { index: pair.host.index })
      : await waitPortUp(s.host, pair.host);
    hostIface.mac = hostNow.mac;
    brIface.mac = linkGet(s.host, { index: bridge.index }).mac;
    if (conf.dns) result.dns = conf.dns;
    success = true;
    return result;
  } catch (err) {
    throw wrapErr(err);
  } finally {
    if (!success) {
      for (const step of undo.reverse()) {
        try {
          await step();
        } catch (err) {
          logStderr(`rollback: ${errText(err)}`);
        }
      }
    }
    closeSession(s);
  }
}

/**
 * Container addresses from the prevResult, for teardown without the netns; none when there is
 * no prevResult or it does not parse (DEL goes on without it).
 */
function prevResultCidrs(args: CmdArgs): string[] {
  let prev: Result;
  try {
    const raw = args.config.prevResult;
    if (!raw) return [];
    prev = toCurrentResult(raw);
  } catch {
    return [];
  }
  return (prev.ips ?? []).map((ip) => ip.address).filter((a) => parseCidr(a) !== undefined);
}

async function cmdDel(args: CmdArgs, ctx: PluginContext): Promise<void> {
  // Best effort (beyond the reference, which fails on a config it cannot fully load): what
  // does not validate reads as not given, and everything else is still removed.
  const conf = loadBridgeConf(args.config, args.args, { lenient: true });
  const isL3 = conf.ipamType !== "";
  const errors: string[] = [];
  let cidrs: string[] = [];
  // The firewall teardown runs other programs (iptables-restore, nft) that spend most of their
  // time waiting for the kernel: start it as soon as the addresses are known and let it overlap
  // the link and IPAM work.
  const firewall: Promise<void>[] = [];
  if (conf.macSpoofChk) {
    firewall.push(
      teardownSpoofCheck(args.containerId, args.ifName).catch((err) => logStderr(errText(err))),
    );
  }
  let masqStarted = false;
  const startMasqTeardown = () => {
    if (!isL3 || !conf.ipMasq || masqStarted) return;
    masqStarted = true;
    // Beyond the reference (plugins#810): without the link, use the cached/prev result; with
    // neither, the rules are found by the network name and container ID in their comments.
    if (cidrs.length === 0) cidrs = prevResultCidrs(args);
    firewall.push(
      teardownIPMasq(
        cidrs,
        { network: conf.name, ifName: args.ifName, containerId: args.containerId },
        { backend: conf.ipMasqBackend },
      ).catch((err) => {
        errors.push(errText(err));
      }),
    );
  };
  // The link delete waits on the kernel (about 1 ms until the link is unlisted) with the
  // JavaScript thread free: the lease is released meanwhile (the reference releases it first).
  let linkError: string | undefined;
  const linkGone = args.netns === "" ? undefined : deleteContainerLink(args, (found) => {
    cidrs = found;
    startMasqTeardown();
  }).catch((err) => {
    linkError = errText(err); // reported at the end; the lease and the rules still go
  });
  startMasqTeardown();
  let ipamError: string | undefined;
  if (isL3) {
    try {
      await ctx.delegate.del(conf.ipamType, args.stdinData, args);
    } catch (err) {
      ipamError = errText(err);
    }
  }
  await linkGone;
  if (linkError !== undefined) errors.unshift(linkError);
  if (ipamError !== undefined) errors.splice(linkError === undefined ? 0 : 1, 0, ipamError);
  await Promise.all(firewall);
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}

/**
 * Deletes the container's interface (and so its veth peer), telling `onAddresses` its global
 * unicast addresses first. A namespace that is gone, or a path that is not a namespace, has
 * nothing to delete.
 */
async function deleteContainerLink(
  args: CmdArgs,
  onAddresses: (cidrs: string[]) => void,
): Promise<void> {
  let ns: NetnsHandle;
  try {
    ns = openNetns(args.netns);
  } catch (err) {
    // Gone, or not a namespace at all (a regular file, another kind of namespace): nothing of
    // ours can be in it. A path that exists but cannot be opened is reported.
    if (err instanceof NetnsNotFoundError) return;
    if (err instanceof NotNetnsError && !err.message.includes("cannot open it")) return;
    throw new CniError(ErrorCode.Internal, errText(err), { cause: err });
  }
  try {
    using sock = openNetlink({ netns: ns });
    const link = linkFind(sock, { name: args.ifName });
    if (!link) return;
    onAddresses(
      addrList(sock, { link: { index: link.index } })
        .filter((a) => {
          const ip = parseIp(a.ip);
          return ip !== undefined && isGlobalUnicast(ip);
        })
        .map((a) => a.address),
    );
    try {
      // Returns once the veth pair is gone; the kernel's last cleanup of it goes on in the
      // background (pendingKernelWork() waits for it).
      await linkDelBackground(sock, { index: link.index });
    } catch (err) {
      throw new CniError(
        ErrorCode.Internal,
        `failed to delete "${args.ifName}": ${errText(err)}`,
        { cause: err },
      );
    }
  } finally {
    ns.close();
  }
}

function checkFail(msg: string): CniError {
  return new CniError(ErrorCode.Internal, msg);
}

async function cmdCheck(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadBridgeConf(args.config, args.args);
  let ns: NetnsHandle;
  try {
    ns = openNetns(args.netns);
  } catch (err) {
    throw new CniError(
      ErrorCode.Internal,
      `failed to open netns "${args.netns}": ${errText(err)}`,
      {
        cause: err,
      },
    );
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
  const routes = routeListSafe(container);
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

function routeListSafe(sock: NetlinkSocket) {
  return routeList(sock, {});
}

async function cmdStatus(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadBridgeConf(args.config, args.args);
  if (conf.ipamType !== "" && ctx.delegate.status) {
    await ctx.delegate.status(conf.ipamType, args.stdinData, args);
  }
}

async function cmdGc(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadBridgeConf(args.config, args.args);
  const errors: string[] = [];
  if (conf.ipMasq && conf.validAttachments) {
    try {
      await gcIPMasq(conf.name, conf.validAttachments);
    } catch (err) {
      errors.push(errText(err));
    }
  }
  if (conf.ipamType !== "" && ctx.delegate.gc) {
    try {
      await ctx.delegate.gc(conf.ipamType, args.stdinData, args);
    } catch (err) {
      errors.push(errText(err));
    }
  }
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}

/** The bridge plugin's functions (ADD, CHECK, DEL, STATUS, GC). */
export const plugin: PluginFns = {
  add: cmdAdd,
  check: cmdCheck,
  del: cmdDel,
  status: cmdStatus,
  gc: cmdGc,
  supportedVersions: SUPPORTED_VERSIONS,
  about: "CNI bridge plugin denocni",
};
