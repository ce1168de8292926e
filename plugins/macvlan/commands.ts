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
import type { CmdArgs, PluginContext, PluginFns } from "../../cni/plugin.ts";
import { type Result, SUPPORTED_VERSIONS } from "../../cni/types.ts";
import { linkAddMacvlan, type NetlinkSocket } from "../../netlink/mod.ts";
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
import { checkMtuAgainstMaster, defaultRouteInterface, findMaster } from "../_iface/master.ts";
import { closeSockets, type IfaceSockets, openSockets } from "../_iface/sockets.ts";
import { loadMacvlanConf, type MacvlanConf } from "./config.ts";

/** The master: looked up where it lives, defaulted to the default route's device. */
function resolveMaster(s: IfaceSockets, conf: MacvlanConf): { sock: NetlinkSocket; index: number } {
  const sock = conf.linkInContainer ? s.container : s.host;
  const name = conf.master !== "" ? conf.master : defaultRouteInterface(sock);
  const master = findMaster(sock, name);
  checkMtuAgainstMaster(conf.mtu, master);
  return { sock, index: master.index };
}

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
  let masterIndex = 0;
  return await attach(args, ctx, {
    kind: "macvlan",
    ipamType: conf.ipamType,
    notify: true,
    dns: conf.dns,
    prepare(s) {
      masterIndex = resolveMaster(s, conf).index;
    },
    create(s) {
      return createRenamed(s, {
        kind: "macvlan",
        ifName: args.ifName,
        inContainer: conf.linkInContainer,
        add(sock, name, netnsFd) {
          linkAddMacvlan(sock, {
            name,
            parent: { index: masterIndex },
            mode: conf.mode,
            ...(conf.mtu > 0 && { mtu: conf.mtu }),
            ...(conf.mac !== undefined && { mac: conf.mac }),
            ...(conf.bcQueueLen !== undefined && { bcQueueLen: conf.bcQueueLen }),
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
  const conf = loadMacvlanConf(args.config, args.args, { lenient: true });
  await detach(args, ctx, conf.ipamType);
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
  const s = openSockets(args.netns);
  try {
    resolveMaster(s, conf);
    if (conf.ipamType !== "") await ctx.delegate.check(conf.ipamType, args.stdinData, args);
    const words = { lower: true };
    const prev = requirePrevResult(args, "required prevResult missing");
    const entry = containerEntry(prev, args, words);
    const link = checkContainerLink(s.container, entry, "macvlan", words);
    const mode = link.macvlan?.mode;
    if (mode !== conf.mode) {
      throw checkFail(
        `container macvlan mode ${mode} does not match expected value: ${conf.mode}`,
        words,
      );
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
  const conf = loadMacvlanConf(args.config, args.args);
  if (conf.ipamType !== "" && ctx.delegate.status) {
    await ctx.delegate.status(conf.ipamType, args.stdinData, args);
  }
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
