/**
 * dummy's verbs. ADD makes a dummy link named `CNI_IFNAME` straight in the container namespace
 * and configures the IPAM addresses on it (a stable address that lives with the container but
 * on no wire); DEL removes it and releases the addresses; CHECK compares the container with the
 * previous result; STATUS asks the IPAM plugin.
 *
 * Beyond the reference: IPAM runs before the link is made and a failed ADD leaves neither link
 * nor lease, also when IPAM returns no address (the reference then returns without cleaning
 * up); DEL removes the link even when IPAM DEL fails and reads the config leniently; a kernel
 * without dummy support is named as such; ADD and DEL refuse the plugin's own namespace.
 *
 * @module
 */
import { checkFail, checkIface } from "../_iface/check.ts";
import { ipamStatus } from "../_iface/status.ts";
import type { CmdArgs, PluginContext, PluginFns } from "../../cni/plugin.ts";
import { type Result, SUPPORTED_VERSIONS } from "../../cni/types.ts";
import { linkAddDummy, linkGet } from "../../netlink/mod.ts";
import { attach } from "../_iface/attach.ts";
import { linkCreateError } from "../_iface/create.ts";
import { detach } from "../_iface/detach.ts";
import { loadDummyConf } from "./config.ts";

/**
 * ADD.
 *
 * @param args The call.
 * @param ctx The IPAM delegate.
 * @returns The result: the dummy link (`name`, `mac`, `sandbox`), its addresses, routes and
 *   the IPAM plugin's DNS.
 * @throws {CniError} With the reference's messages; nothing is left behind.
 */
export async function cmdAdd(args: CmdArgs, ctx: PluginContext): Promise<Result> {
  const conf = loadDummyConf(args.config);
  return await attach(args, ctx, {
    kind: "dummy",
    ipamType: conf.ipamType,
    requireIpam: true,
    notify: false,
    dns: undefined,
    prepare() {},
    create(s) {
      try {
        linkAddDummy(s.container, { name: args.ifName });
        return linkGet(s.container, { name: args.ifName });
      } catch (err) {
        throw linkCreateError("dummy", err);
      }
    },
  });
}

/**
 * DEL: best effort, idempotent, works without the namespace.
 *
 * @param args The call.
 * @param ctx The IPAM delegate.
 * @returns When done.
 * @throws {CniError} Every failure, after all steps ran.
 */
export async function cmdDel(args: CmdArgs, ctx: PluginContext): Promise<void> {
  await detach(args, ctx, loadDummyConf(args.config, { lenient: true }).ipamType);
}

/**
 * CHECK: IPAM, then the container's dummy link (kind, MAC, up) and its addresses against the
 * previous result (routes are not checked, as in the reference).
 *
 * @param args The call.
 * @param ctx The IPAM delegate.
 * @returns When everything matches.
 * @throws {CniError} Code 999 naming the first mismatch.
 */
export async function cmdCheck(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadDummyConf(args.config);
  await checkIface(args, ctx, {
    ipamType: conf.ipamType, // never empty: the config requires it
    missing: "dummy: Required prevResult missing",
    kind: "dummy",
    link(link, entry) {
      if (!link.up) throw checkFail(`Interface ${entry.name} is down`);
    },
    routes: false,
  });
}

/**
 * STATUS: the IPAM plugin's.
 *
 * @param args The call.
 * @param ctx The IPAM delegate.
 * @returns When ready.
 * @throws {CniError} The IPAM plugin's answer; code 999 when there is no IPAM type.
 */
export async function cmdStatus(args: CmdArgs, ctx: PluginContext): Promise<void> {
  await ipamStatus(args, ctx, loadDummyConf(args.config).ipamType, "ask");
}

/** The dummy plugin's functions (ADD, CHECK, DEL, STATUS). */
export const plugin: PluginFns = {
  add: cmdAdd,
  check: cmdCheck,
  del: cmdDel,
  status: cmdStatus,
  supportedVersions: SUPPORTED_VERSIONS,
  about: "CNI dummy plugin denocni",
};
