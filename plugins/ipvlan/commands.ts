/**
 * ipvlan's verbs. ADD makes an ipvlan of the master straight in the container namespace
 * (under a temporary name, renamed to `CNI_IFNAME` there) and configures the addresses of the
 * IPAM plugin, or, chained with an empty `ipam.type`, those of the previous result; DEL
 * removes it and releases the addresses; CHECK compares the container with the previous
 * result; STATUS asks the IPAM plugin, when there is one.
 *
 * Beyond the reference: IPAM runs before the link is made and a failed ADD leaves neither link
 * nor lease (the reference removes neither the link nor, after a configuration failure, the
 * lease); DEL never looks for the master (the reference's does, and fails with
 * `no default route interface found` when there is none) and reads the config leniently; a
 * kernel without ipvlan is named as such; ADD and DEL refuse the plugin's own namespace.
 *
 * @module
 */
import type { CmdArgs, PluginContext, PluginFns } from "../../cni/plugin.ts";
import { type Result, SUPPORTED_VERSIONS } from "../../cni/types.ts";
import { linkAddIpvlan, type NetlinkSocket } from "../../netlink/mod.ts";
import { attach } from "../_iface/attach.ts";
import {
  checkAddresses,
  checkContainerLink,
  checkFail,
  checkRoutes,
  containerEntry,
  requirePrevResult,
} from "../_iface/check.ts";
import { createRenamed } from "../_iface/create.ts";
import { detach } from "../_iface/detach.ts";
import { defaultRouteInterface, findMaster } from "../_iface/master.ts";
import { closeSockets, type IfaceSockets, openSockets } from "../_iface/sockets.ts";
import { type IpvlanConf, loadIpvlanConf } from "./config.ts";

function resolveMaster(s: IfaceSockets, conf: IpvlanConf): { sock: NetlinkSocket; index: number } {
  const sock = conf.linkInContainer ? s.container : s.host;
  const name = conf.master !== "" ? conf.master : defaultRouteInterface(sock);
  return { sock, index: findMaster(sock, name).index };
}

/**
 * ADD.
 *
 * @param args The call.
 * @param ctx The IPAM delegate.
 * @returns The result: the ipvlan (`name`, `mac`, `sandbox`), its addresses and routes.
 * @throws {CniError} With the reference's messages; nothing is left behind.
 */
export async function cmdAdd(args: CmdArgs, ctx: PluginContext): Promise<Result> {
  const conf = loadIpvlanConf(args.config);
  const prevIps = conf.prevResult?.ips ?? [];
  const chained = conf.ipamType === "" && prevIps.length > 0;
  let masterIndex = 0;
  return await attach(args, ctx, {
    kind: "ipvlan",
    // Not chained: IPAM is mandatory (an empty type fails as the reference's does).
    ipamType: chained ? "" : conf.ipamType,
    ...(chained && {
      reuse: { ips: prevIps, routes: conf.prevResult?.routes, dns: conf.prevResult?.dns },
    }),
    requireIpam: !chained,
    notify: true,
    dns: conf.dns,
    prepare(s) {
      masterIndex = resolveMaster(s, conf).index;
    },
    create(s) {
      return createRenamed(s, {
        kind: "ipvlan",
        ifName: args.ifName,
        inContainer: conf.linkInContainer,
        add(sock, name, netnsFd) {
          linkAddIpvlan(sock, {
            name,
            parent: { index: masterIndex },
            mode: conf.mode,
            ...(conf.mtu > 0 && { mtu: conf.mtu }),
            ...(netnsFd !== undefined && { netnsFd }),
          });
        },
      });
    },
  });
}

/**
 * DEL: best effort, idempotent, needs neither the master nor the namespace.
 *
 * @param args The call.
 * @param ctx The IPAM delegate.
 * @returns When done.
 * @throws {CniError} Every failure, after all steps ran.
 */
export async function cmdDel(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadIpvlanConf(args.config, { lenient: true });
  await detach(args, ctx, conf.ipamType);
}

/**
 * CHECK: IPAM (when set), then the container's ipvlan (kind, mode, MAC), its addresses and
 * routes, and the master, against the previous result.
 *
 * @param args The call.
 * @param ctx The IPAM delegate.
 * @returns When everything matches.
 * @throws {CniError} Code 999 naming the first mismatch.
 */
export async function cmdCheck(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadIpvlanConf(args.config);
  const s = openSockets(args.netns);
  try {
    if (conf.ipamType !== "") await ctx.delegate.check(conf.ipamType, args.stdinData, args);
    const prev = requirePrevResult(args, "Required prevResult missing");
    const entry = containerEntry(prev, args);
    resolveMaster(s, conf);
    const link = checkContainerLink(s.container, entry, "ipvlan");
    const mode = link.ipvlan?.mode;
    if (mode !== conf.mode) {
      throw checkFail(`Container IPVlan mode ${mode} does not match expected value: ${conf.mode}`);
    }
    checkAddresses(s.container, link, prev.ips ?? []);
    checkRoutes(s.container, prev.routes ?? []);
  } finally {
    closeSockets(s);
  }
}

/**
 * STATUS: the IPAM plugin's, when there is one.
 *
 * @param args The call.
 * @param ctx The IPAM delegate.
 * @returns When ready.
 * @throws {CniError} The IPAM plugin's answer, or a config error.
 */
export async function cmdStatus(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadIpvlanConf(args.config, { lenient: true });
  if (conf.ipamType !== "" && ctx.delegate.status) {
    await ctx.delegate.status(conf.ipamType, args.stdinData, args);
  }
}

/** The ipvlan plugin's functions (ADD, CHECK, DEL, STATUS). */
export const plugin: PluginFns = {
  add: cmdAdd,
  check: cmdCheck,
  del: cmdDel,
  status: cmdStatus,
  supportedVersions: SUPPORTED_VERSIONS,
  about: "CNI ipvlan plugin denocni",
};
