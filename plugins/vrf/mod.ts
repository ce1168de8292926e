/**
 * The vrf meta plugin (reference `plugins/meta/vrf`): puts the container interface a previous
 * plugin made into a VRF (a Linux l3mdev device bound to its own routing table), creating the
 * VRF in the container namespace when it is missing. Needs a kernel with VRF support
 * (`CONFIG_NET_VRF`, module `vrf`); without it ADD fails saying so.
 *
 * @example A chain entry
 * ```json
 * { "type": "vrf", "vrfname": "blue", "table": 1001 }
 * ```
 *
 * @example In-process ADD (root, a namespace with the interface, a prevResult)
 * ```ts ignore
 * import { plugin } from "./mod.ts";
 * const result = await plugin.add(args, ctx); // prevResult passed on
 * ```
 *
 * @module
 */
export { NO_VRF_SUPPORT, plugin } from "./commands.ts";
export { freeVrfTable, loadVrfConf } from "./config.ts";
export type { VrfConf } from "./config.ts";
