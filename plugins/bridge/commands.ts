/**
 * The bridge plugin's verbs: ADD (here, with its rollback), CHECK (`check.ts`), DEL
 * (`del.ts`), STATUS and GC, as the `PluginFns` the registry loads.
 *
 * @module
 */
import { CniError, ErrorCode, errorText, toCniError } from "../../cni/errors.ts";
import type { CmdArgs, PluginContext, PluginFns } from "../../cni/plugin.ts";
import { CURRENT_VERSION, type Interface, type Result } from "../../cni/types.ts";
import { type Link, linkDel, linkGet, linkSetUp } from "../../netlink/mod.ts";
import { sysctlEnsure } from "../../netns/mod.ts";
import { parseCidr } from "../../ip/mod.ts";
import { runBestEffort } from "../../cni/best_effort.ts";
import { configureIface } from "../_iface/configure.ts";
import { openSockets } from "../_iface/sockets.ts";
import { addWithUndo, releaseIpam } from "../_iface/undo.ts";
import { ensureBridge } from "./bridge_link.ts";
import { cmdCheck } from "./check.ts";
import { loadBridgeConf } from "./config.ts";
import { cmdDel } from "./del.ts";
import { ensureAddr } from "./gateway_addr.ts";
import { calcGateways } from "./gateways.ts";
import { gcIPMasq, setupIPMasq, teardownIPMasq } from "./ipmasq.ts";
import { waitPortUp } from "./port_wait.ts";
import { setupSpoofCheck, teardownSpoofCheck } from "./spoofcheck.ts";
import { containerSysctls } from "./sysctls.ts";
import { ensureVlanInterface, setupVeth } from "./veth.ts";
import { builtinAbout } from "../about.ts";

/**
 * A `CniError` whose message is `context: <the error's msg>`, keeping its details (the
 * conflict explanation of {@linkcode ensureAddr}).
 */
function wrapped(err: unknown, context: string): CniError {
  const e = toCniError(err);
  return new CniError(ErrorCode.Internal, `${context}: ${e.msg}`, {
    details: e.details,
    cause: err,
  });
}

function ifaceEntry(link: Link, sandbox?: string): Interface {
  const out: Interface = { name: link.name, mac: link.mac };
  if (sandbox !== undefined) out.sandbox = sandbox;
  return out;
}

/**
 * ADD: IPAM first, then the bridge, the veth pair, the spoof check, the container's addresses
 * and routes, the gateway addresses and forwarding, the masquerade rules; a failure undoes
 * every step made, newest first.
 *
 * @param args The call's arguments.
 * @param ctx The IPAM delegate.
 * @returns The result in the current version (skel converts it to the config's).
 * @throws {CniError} With the reference's messages.
 */
export async function cmdAdd(args: CmdArgs, ctx: PluginContext): Promise<Result> {
  addsRunning++;
  try {
    return await add(args, ctx);
  } finally {
    addsRunning--;
  }
}

/** ADDs of this process under way (in-process, several run at once). */
let addsRunning = 0;

async function add(args: CmdArgs, ctx: PluginContext): Promise<Result> {
  const conf = loadBridgeConf(args.config, args.args);
  const isL3 = conf.ipamType !== "";
  // Beyond the reference: the namespace is opened before anything is created.
  using s = openSockets(args.netns);
  return await addWithUndo(ctx.log, (err) => toCniError(err), async (undo) => {
    // Beyond the reference (which runs IPAM after creating the bridge and veth): IPAM first,
    // so a bad IPAM config or an exhausted range fails before anything is created; a later
    // failure releases the lease like any other undo step.
    let ipam: Result | undefined;
    if (isL3) {
      ipam = await ctx.delegate.add(conf.ipamType, args.stdinData, args);
      undo.push(releaseIpam(ctx, conf.ipamType, args));
    }
    // The masquerade rules only need the addresses: start their tool (a process that mostly
    // waits on the kernel) now and let it overlap the link work; awaited before the result.
    let masq: Promise<void> | undefined;
    if (ipam && conf.ipMasq && (ipam.ips ?? []).length > 0) {
      const cidrs = ipam.ips!.map((ip) => ip.address);
      const ids = { network: conf.name, ifName: args.ifName, containerId: args.containerId };
      const pending = setupIPMasq(conf.ipMasqBackend, cidrs, ids).catch((err) => {
        throw new CniError(ErrorCode.Internal, errorText(err), { cause: err });
      });
      pending.catch(() => {}); // observed below or by the undo step
      masq = pending;
      undo.push(async () => {
        await pending.catch(() => {});
        try {
          await teardownIPMasq(cidrs, ids);
        } catch (err) {
          ctx.log(errorText(err));
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
          ctx.log(errorText(err));
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
                  `failed to create vlan interface: ${errorText(err)}`,
                  { cause: err },
                );
              }
              if (result.interfaces!.length === 3) result.interfaces!.push(ifaceEntry(vlanIface));
              try {
                ensureAddr(s.host, vlanIface, gw, conf.forceAddress);
              } catch (err) {
                throw wrapped(err, "failed to set vlan interface for bridge with addr");
              }
            } else {
              try {
                ensureAddr(s.host, bridge, gw, conf.forceAddress);
              } catch (err) {
                throw wrapped(err, "failed to set bridge addr");
              }
            }
          }
          if (info.gws.length > 0) {
            const key = info.family === 4 ? "net/ipv4/ip_forward" : "net/ipv6/conf/all/forwarding";
            try {
              sysctlEnsure(key, "1");
            } catch (err) {
              throw toCniError(err, "failed to enable forwarding");
            }
          }
        }
      }
      if (masq) await masq;
    } else if (!conf.disableContainerInterface) {
      try {
        linkSetUp(s.container, { index: pair.container.index });
      } catch (err) {
        throw toCniError(err, `failed to set "${args.ifName}" up`);
      }
    }
    const hostNow = conf.disableContainerInterface
      ? linkGet(s.host, { index: pair.host.index })
      : await waitPortUp(s.host, pair.host);
    hostIface.mac = hostNow.mac;
    brIface.mac = linkGet(s.host, { index: bridge.index }).mac;
    if (conf.dns) result.dns = conf.dns;
    return result;
  });
}

async function cmdStatus(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadBridgeConf(args.config, args.args);
  if (conf.ipamType !== "" && ctx.delegate.status) {
    await ctx.delegate.status(conf.ipamType, args.stdinData, args);
  }
}

async function cmdGc(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadBridgeConf(args.config, args.args);
  await runBestEffort([
    () => conf.ipMasq && conf.validAttachments && gcIPMasq(conf.name, conf.validAttachments),
    () =>
      conf.ipamType !== "" && ctx.delegate.gc &&
      ctx.delegate.gc(conf.ipamType, args.stdinData, args),
  ]);
}

/** The bridge plugin's functions (ADD, CHECK, DEL, STATUS, GC). */
export const plugin: PluginFns = {
  add: cmdAdd,
  check: cmdCheck,
  del: cmdDel,
  status: cmdStatus,
  gc: cmdGc,
  ...builtinAbout("bridge"),
};
