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
import { checkFail, checkIface } from "../_iface/check.ts";
import { attachLowerLink, type MasterRules, resolveMaster } from "../_iface/lower_link.ts";
import { ipamStatus } from "../_iface/status.ts";
import type { CmdArgs, PluginContext, PluginFns } from "../../cni/plugin.ts";
import { type Result, SUPPORTED_VERSIONS } from "../../cni/types.ts";
import { linkAddIpvlan } from "../../netlink/mod.ts";
import { detach } from "../_iface/detach.ts";
import { loadIpvlanConf } from "./config.ts";

/** The master: where it lives, by default the default route's device; no MTU check. */
const MASTER: MasterRules = { defaultRoute: true, checkMtu: false };

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
  return await attachLowerLink(args, ctx, {
    kind: "ipvlan",
    // Not chained: IPAM is mandatory (an empty type fails as the reference's does).
    ipamType: chained ? "" : conf.ipamType,
    ...(chained && {
      reuse: { ips: prevIps, routes: conf.prevResult?.routes, dns: conf.prevResult?.dns },
    }),
    requireIpam: !chained,
    notify: true,
    dns: conf.dns,
    conf,
    master: MASTER,
    add: (sock, base) => linkAddIpvlan(sock, { ...base, mode: conf.mode }),
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
  await detach(args, ctx, loadIpvlanConf(args.config, { lenient: true }).ipamType);
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
  await checkIface(args, ctx, {
    ipamType: conf.ipamType,
    missing: "Required prevResult missing",
    kind: "ipvlan",
    master: { first: false, resolve: (s) => resolveMaster(s, conf, MASTER) },
    link(link) {
      const mode = link.ipvlan?.mode;
      if (mode !== conf.mode) {
        throw checkFail(
          `Container IPVlan mode ${mode} does not match expected value: ${conf.mode}`,
        );
      }
    },
    routes: true,
  });
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
  await ipamStatus(args, ctx, loadIpvlanConf(args.config, { lenient: true }).ipamType, "ready");
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
