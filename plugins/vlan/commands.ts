/**
 * vlan's verbs. ADD makes an 802.1Q VLAN link of the master straight in the container
 * namespace (under a temporary name, renamed to `CNI_IFNAME` there) and configures the IPAM
 * addresses on it; DEL removes it and releases the addresses; CHECK compares the container
 * with the previous result (VLAN id and MTU included); STATUS asks the IPAM plugin.
 *
 * Beyond the reference: a missing IPAM type is refused before anything is made; IPAM runs
 * before the link and a failed ADD leaves neither link nor lease (the reference leaks the
 * link); DEL needs no master (the reference's fails without it and then never releases the
 * addresses) and reads the config leniently; a kernel without 8021q is named as such; CHECK
 * names a wrong VLAN id as such; ADD and DEL refuse the plugin's own namespace.
 *
 * @module
 */
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { CmdArgs, PluginContext, PluginFns } from "../../cni/plugin.ts";
import { type Result, SUPPORTED_VERSIONS } from "../../cni/types.ts";
import { linkAddVlan, type NetlinkSocket } from "../../netlink/mod.ts";
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
import { checkMtuAgainstMaster, findMaster } from "../_iface/master.ts";
import { closeSockets, type IfaceSockets, openSockets } from "../_iface/sockets.ts";
import { loadVlanConf, type VlanConf } from "./config.ts";

function resolveMaster(s: IfaceSockets, conf: VlanConf): { sock: NetlinkSocket; index: number } {
  const sock = conf.linkInContainer ? s.container : s.host;
  const master = findMaster(sock, conf.master);
  checkMtuAgainstMaster(conf.mtu, master);
  return { sock, index: master.index };
}

/**
 * ADD.
 *
 * @param args The call.
 * @param ctx The IPAM delegate.
 * @returns The result: the VLAN link (`name`, `mac`, `sandbox`), its addresses and routes.
 * @throws {CniError} With the reference's messages; nothing is left behind.
 */
export async function cmdAdd(args: CmdArgs, ctx: PluginContext): Promise<Result> {
  const conf = loadVlanConf(args.config);
  let masterIndex = 0;
  return await attach(args, ctx, {
    kind: "vlan",
    ipamType: conf.ipamType,
    requireIpam: true,
    notify: false,
    dns: conf.dns,
    ipamError: (err) =>
      new CniError(err.code, `failed to execute IPAM delegate: ${err.msg}`, {
        ...(err.details && { details: err.details }),
        cause: err,
      }),
    prepare(s) {
      masterIndex = resolveMaster(s, conf).index;
    },
    create(s) {
      return createRenamed(s, {
        kind: "vlan",
        ifName: args.ifName,
        inContainer: conf.linkInContainer,
        add(sock, name, netnsFd) {
          linkAddVlan(sock, {
            name,
            parent: { index: masterIndex },
            id: conf.vlanId,
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
  const conf = loadVlanConf(args.config, { lenient: true });
  await detach(args, ctx, conf.ipamType);
}

/**
 * CHECK: IPAM, then the container's VLAN link (kind, MAC, id, MTU), its addresses and routes,
 * and the master, against the previous result.
 *
 * @param args The call.
 * @param ctx The IPAM delegate.
 * @returns When everything matches.
 * @throws {CniError} Code 999 naming the first mismatch.
 */
export async function cmdCheck(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadVlanConf(args.config);
  const s = openSockets(args.netns);
  try {
    if (conf.ipamType === "") throw new CniError(ErrorCode.Internal, "no plugin name provided");
    await ctx.delegate.check(conf.ipamType, args.stdinData, args);
    const prev = requirePrevResult(args, "vlan: Required prevResult missing");
    const entry = containerEntry(prev, args);
    findMaster(conf.linkInContainer ? s.container : s.host, conf.master);
    const words = { prefix: "vlan: " };
    const link = checkContainerLink(s.container, entry, "vlan", words);
    const id = link.vlan?.id;
    if (id !== conf.vlanId) {
      throw checkFail(
        `vlan: Container interface ${link.name} VLAN ID ${id} does not match expected value: ${conf.vlanId}`,
      );
    }
    if (conf.mtu !== 0 && conf.mtu !== link.mtu) {
      throw checkFail(
        `vlan: Container interface ${link.name} MTU ${link.mtu} does not match expected value: ${conf.mtu}`,
      );
    }
    checkAddresses(s.container, link, prev.ips ?? []);
    checkRoutes(s.container, prev.routes ?? []);
  } finally {
    closeSockets(s);
  }
}

/**
 * STATUS: the IPAM plugin's (an empty type fails, as in the reference).
 *
 * @param args The call.
 * @param ctx The IPAM delegate.
 * @returns When ready.
 * @throws {CniError} The IPAM plugin's answer; code 999 `no plugin name provided`.
 */
export async function cmdStatus(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadVlanConf(args.config, { lenient: true });
  if (conf.ipamType === "") throw new CniError(ErrorCode.Internal, "no plugin name provided");
  if (ctx.delegate.status) await ctx.delegate.status(conf.ipamType, args.stdinData, args);
}

/** The vlan plugin's functions (ADD, CHECK, DEL, STATUS). */
export const plugin: PluginFns = {
  add: cmdAdd,
  check: cmdCheck,
  del: cmdDel,
  status: cmdStatus,
  supportedVersions: SUPPORTED_VERSIONS,
  about: "CNI vlan plugin denocni",
};
