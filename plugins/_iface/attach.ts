/**
 * The ADD of the interface plugins (macvlan, ipvlan, vlan, dummy) as one flow: open the
 * namespaces, check the master, get addresses (from IPAM, or from the previous result for a
 * chained ipvlan), create the container's link, configure it (`arp_notify`/`ndisc_notify`,
 * addresses, up, routes) or, without addresses, just set it up, and build the result
 * `{interfaces:[{name, mac, sandbox}], ips (interface 0), routes, dns}`.
 *
 * Beyond the reference: the namespace is checked before anything is made, IPAM runs before the
 * link is created, and a failure at any step removes the link and releases the addresses (the
 * reference leaks the link when IPAM fails in macvlan, ipvlan and vlan).
 *
 * @module
 */
import { CniError, ErrorCode, errorText, toCniError } from "../../cni/errors.ts";
import type { CmdArgs, PluginContext } from "../../cni/plugin.ts";
import {
  CURRENT_VERSION,
  type DNS,
  type IPConfig,
  type Result,
  type Route,
} from "../../cni/types.ts";
import { type Link, linkDel, linkSetUp } from "../../netlink/mod.ts";
import { sysctlSet, withNetns } from "../../netns/mod.ts";
import { enableIpv6Here } from "./ipv6.ts";
import { configureIface } from "./configure.ts";
import { type IfaceSockets, openSockets, refuseOwnNetns } from "./sockets.ts";
import { addWithUndo, releaseIpam } from "./undo.ts";

/** What differs between the plugins' ADDs. */
export interface AttachPlan {
  /** The link kind, for messages. */
  kind: string;
  /** The IPAM plugin type; empty means none (L2, or addresses from {@linkcode reuse}). */
  ipamType: string;
  /** Addresses and routes to use instead of IPAM (a chained ipvlan's previous result). */
  reuse?: { ips: IPConfig[]; routes: Route[] | undefined; dns: DNS | undefined };
  /**
   * Addresses are mandatory: with no IPAM type and nothing to reuse, fail as the reference's
   * IPAM call does (`no plugin name provided`) instead of making an L2 interface.
   */
  requireIpam?: boolean;
  /** Set `arp_notify` and `ndisc_notify` on the new interface (macvlan, ipvlan). */
  notify: boolean;
  /** The result's `dns`: the netconf's (macvlan, ipvlan, vlan), or `undefined` for IPAM's. */
  dns: DNS | undefined;
  /** Rewords an IPAM ADD failure (vlan: `failed to execute IPAM delegate: ...`). */
  ipamError?: (err: CniError) => CniError;
  /** Checks before anything is made (the master, its MTU); may return state for `create`. */
  prepare(s: IfaceSockets): void;
  /** Creates the container's link and returns it as read back. */
  create(s: IfaceSockets): Link;
}

function trySysctlSet(key: string, value: string): void {
  try {
    sysctlSet(key, value);
  } catch {
    // ignored, as in the reference
  }
}

/**
 * The container-side sysctls of an L3 ADD, in one namespace switch: `arp_notify` and
 * `ndisc_notify` when asked (errors ignored), and what `ConfigureIface` does before the first
 * IPv6 address: IPv6 enabled on `lo` and the interface, `keep_addr_on_down=1`.
 *
 * @param s The call's sockets.
 * @param opts Interface name, whether to notify, whether IPv6 addresses follow.
 * @throws {CniError} Code 999 when IPv6 cannot be enabled.
 */
export function containerIfaceSysctls(
  s: IfaceSockets,
  opts: { ifName: string; notify: boolean; hasV6: boolean },
): void {
  withNetns(s.containerNs, () => {
    if (opts.notify) {
      trySysctlSet(`net/ipv4/conf/${opts.ifName}/arp_notify`, "1");
      trySysctlSet(`net/ipv6/conf/${opts.ifName}/ndisc_notify`, "1");
    }
    if (opts.hasV6) enableIpv6Here(opts.ifName);
  }, { returnTo: s.hostNs });
}

/**
 * Runs an interface plugin's ADD.
 *
 * @param args The call.
 * @param ctx The delegate for IPAM, the log for rollback failures.
 * @param plan What this plugin does differently.
 * @returns The result in the current shape.
 * @throws {CniError} The first failure, after undoing what was done.
 */
export async function attach(args: CmdArgs, ctx: PluginContext, plan: AttachPlan): Promise<Result> {
  using s = openSockets(args.netns);
  return await addWithUndo(ctx.log, (err) => toCniError(err), async (undo) => {
    refuseOwnNetns(s.containerNs, args);
    plan.prepare(s);
    if (plan.requireIpam && plan.ipamType === "" && !plan.reuse) {
      const e = new CniError(ErrorCode.Internal, "no plugin name provided");
      throw plan.ipamError ? plan.ipamError(e) : e;
    }
    let ips: IPConfig[] | undefined;
    let routes: Route[] | undefined;
    let ipamDns: DNS | undefined;
    if (plan.ipamType !== "") {
      let ipam: Result;
      try {
        ipam = await ctx.delegate.add(plan.ipamType, args.stdinData, args);
      } catch (err) {
        const e = toCniError(err);
        throw plan.ipamError ? plan.ipamError(e) : e;
      }
      undo.push(releaseIpam(ctx, plan.ipamType, args));
      ips = ipam.ips ?? [];
      routes = ipam.routes;
      ipamDns = ipam.dns;
      if (ips.length === 0) {
        throw new CniError(ErrorCode.Internal, "IPAM plugin returned missing IP config");
      }
    } else if (plan.reuse) {
      ips = plan.reuse.ips;
      routes = plan.reuse.routes;
      ipamDns = plan.reuse.dns;
    }
    const link = plan.create(s);
    undo.push(() => {
      try {
        linkDel(s.container, { index: link.index });
      } catch {
        // already gone
      }
    });
    const result: Result = {
      cniVersion: CURRENT_VERSION,
      interfaces: [{ name: link.name, mac: link.mac, sandbox: args.netns }],
      dns: {},
    };
    if (ips) {
      result.ips = ips.map((ip) => ({ ...ip, interface: 0 }));
      if (routes && routes.length > 0) result.routes = routes;
      containerIfaceSysctls(s, {
        ifName: link.name,
        notify: plan.notify,
        hasV6: result.ips.some((ip) => ip.address.includes(":")),
      });
      await configureIface(s.container, link, result);
    } else {
      try {
        linkSetUp(s.container, { index: link.index });
      } catch (err) {
        throw new CniError(
          ErrorCode.Internal,
          `failed to set "${args.ifName}" UP: ${errorText(err)}`,
          { cause: err },
        );
      }
    }
    result.dns = plan.dns ?? ipamDns ?? {};
    return result;
  });
}
