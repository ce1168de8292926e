/**
 * macvlan's verbs. ADD makes a macvlan of the master straight in the container namespace
 * (under a temporary name, renamed to `CNI_IFNAME` there) and either configures the IPAM
 * addresses on it or, without IPAM, just sets it up; DEL removes it and releases the
 * addresses; CHECK compares the container with the previous result; STATUS asks the IPAM
 * plugin, when there is one.
 *
 * Beyond the reference: every key is checked before anything is made; IPAM runs before the
 * link is created and a failed ADD leaves neither link nor lease (the reference leaks the
 * link when IPAM fails); DEL needs no master, goes on after a failed step and reads the
 * config leniently; ADD and DEL refuse the plugin's own namespace.
 *
 * @module
 */
import { checkFail, checkIface } from "../_iface/check.ts";
import { attachLowerLink, type MasterRules, resolveMaster } from "../_iface/lower_link.ts";
import { ipamStatus } from "../_iface/status.ts";
import type { CmdArgs, PluginContext, PluginFns } from "../../cni/plugin.ts";
import { type Result, SUPPORTED_VERSIONS } from "../../cni/types.ts";
import { linkAddMacvlan } from "../../netlink/mod.ts";
import { detach } from "../_iface/detach.ts";
import { loadMacvlanConf } from "./config.ts";

/** The master: looked up where it lives, defaulted to the default route's device. */
const MASTER: MasterRules = { defaultRoute: true, checkMtu: true };

/**
 * ADD.
 *
 * @param args The call.
 * @param ctx The IPAM delegate.
 * @returns The result: the macvlan (`name`, `mac`, `sandbox`), its addresses and routes.
 * @throws {CniError} With the reference's messages; nothing is left behind.
 */
export async function cmdAdd(args: CmdArgs, ctx: PluginContext): Promise<Result> {
  const conf = loadMacvlanConf(args.config, args.args);
  return await attachLowerLink(args, ctx, {
    kind: "macvlan",
    ipamType: conf.ipamType,
    notify: true,
    dns: conf.dns,
    conf,
    master: MASTER,
    add: (sock, base) =>
      linkAddMacvlan(sock, {
        ...base,
        mode: conf.mode,
        ...(conf.mac !== undefined && { mac: conf.mac }),
        ...(conf.bcQueueLen !== undefined && { bcQueueLen: conf.bcQueueLen }),
      }),
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
  await detach(args, ctx, loadMacvlanConf(args.config, args.args, { lenient: true }).ipamType);
}

/**
 * CHECK: IPAM, then the container's macvlan (kind, mode, MAC), its addresses and routes, and
 * the master, against the previous result.
 *
 * @param args The call.
 * @param ctx The IPAM delegate.
 * @returns When everything matches.
 * @throws {CniError} Code 999 naming the first mismatch.
 */
export async function cmdCheck(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadMacvlanConf(args.config, args.args);
  const words = { lower: true };
  await checkIface(args, ctx, {
    ipamType: conf.ipamType,
    missing: "required prevResult missing",
    kind: "macvlan",
    words,
    master: { first: true, resolve: (s) => resolveMaster(s, conf, MASTER) },
    link(link) {
      const mode = link.macvlan?.mode;
      if (mode !== conf.mode) {
        throw checkFail(
          `container macvlan mode ${mode} does not match expected value: ${conf.mode}`,
          words,
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
  await ipamStatus(args, ctx, loadMacvlanConf(args.config, args.args).ipamType, "ready");
}

/** The macvlan plugin's functions (ADD, CHECK, DEL, STATUS). */
export const plugin: PluginFns = {
  add: cmdAdd,
  check: cmdCheck,
  del: cmdDel,
  status: cmdStatus,
  supportedVersions: SUPPORTED_VERSIONS,
  about: "CNI macvlan plugin denocni",
};
