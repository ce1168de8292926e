/**
 * The ADD of the plugins whose link is made on a master (lower) device: macvlan, ipvlan and
 * vlan. The master is found where it lives (the host namespace, or the container's with
 * `linkInContainer`), by default the default route's device where the plugin allows it, its
 * MTU checked where the plugin does; the link is created under a temporary name straight in
 * the container namespace and renamed there ({@linkcode createRenamed}), then configured by
 * {@linkcode attach}.
 *
 * @module
 */
import type { CmdArgs, PluginContext } from "../../cni/plugin.ts";
import type { Result } from "../../cni/types.ts";
import type { Link, LowerLinkOptions, NetlinkSocket } from "../../netlink/mod.ts";
import { attach, type AttachPlan } from "./attach.ts";
import { createRenamed } from "./create.ts";
import { checkMtuAgainstMaster, defaultRouteInterface, findMaster } from "./master.ts";
import type { IfaceSockets } from "./sockets.ts";

/** What the configs of these plugins say about the master. */
export interface MasterConf {
  /** The master's name (empty: the default route's device, where allowed). */
  master: string;
  /** The master lives in the container namespace. */
  linkInContainer: boolean;
  /** The configured MTU (0: the kernel's choice). */
  mtu: number;
}

/** How a plugin finds and checks its master. */
export interface MasterRules {
  /** An empty `master` means the default route's device (macvlan, ipvlan). */
  defaultRoute: boolean;
  /** Check the configured MTU against the master's (macvlan, vlan). */
  checkMtu: boolean;
}

/**
 * Finds the master where it lives and, when the rules say so, checks the MTU against it.
 *
 * @param s The call's sockets.
 * @param conf The master's name, place and the configured MTU.
 * @param rules Default-route lookup and MTU check.
 * @returns The master.
 * @throws {CniError} Code 999 with the reference's messages ({@linkcode findMaster},
 *   {@linkcode defaultRouteInterface}, {@linkcode checkMtuAgainstMaster}).
 */
export function resolveMaster(s: IfaceSockets, conf: MasterConf, rules: MasterRules): Link {
  const sock = conf.linkInContainer ? s.container : s.host;
  const name = conf.master === "" && rules.defaultRoute ? defaultRouteInterface(sock) : conf.master;
  const master = findMaster(sock, name);
  if (rules.checkMtu) checkMtuAgainstMaster(conf.mtu, master);
  return master;
}

/** What differs between the ADDs of macvlan, ipvlan and vlan. */
export interface LowerLinkPlan extends Omit<AttachPlan, "prepare" | "create"> {
  /** The master as configured. */
  conf: MasterConf;
  /** How the master is found and checked. */
  master: MasterRules;
  /**
   * Sends the creation request on `sock`: `base` (name, master, MTU, target namespace) and the
   * kind's own options.
   */
  add(sock: NetlinkSocket, base: LowerLinkOptions): void;
}

/**
 * Runs the ADD of a plugin whose link is made on a master.
 *
 * @param args The call.
 * @param ctx The delegate for IPAM, the log.
 * @param plan What this plugin does differently.
 * @returns The result in the current shape.
 * @throws {CniError} The first failure, after undoing what was done.
 */
export async function attachLowerLink(
  args: CmdArgs,
  ctx: PluginContext,
  plan: LowerLinkPlan,
): Promise<Result> {
  const { conf, master: rules, add, ...rest } = plan;
  let masterIndex = 0;
  return await attach(args, ctx, {
    ...rest,
    prepare(s) {
      masterIndex = resolveMaster(s, conf, rules).index;
    },
    create(s) {
      return createRenamed(s, {
        kind: plan.kind,
        ifName: args.ifName,
        inContainer: conf.linkInContainer,
        add(sock, name, netnsFd) {
          add(sock, {
            name,
            parent: { index: masterIndex },
            ...(conf.mtu > 0 && { mtu: conf.mtu }),
            ...(netnsFd !== undefined && { netnsFd }),
          });
        },
      });
    },
  });
}
