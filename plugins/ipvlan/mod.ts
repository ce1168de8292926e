/**
 * The ipvlan plugin (reference `plugins/main/ipvlan`): the container gets an ipvlan of a host
 * device (the master), sharing its MAC, with the addresses of an IPAM plugin, or chained after
 * another plugin, on that plugin's interface with its addresses.
 *
 * @example A network config
 * ```json
 * { "cniVersion": "1.0.0", "name": "l3net", "type": "ipvlan", "master": "eth0",
 *   "mode": "l3", "ipam": { "type": "host-local", "subnet": "10.1.2.0/24" } }
 * ```
 *
 * @example In-process ADD (root, the master in this thread's namespace)
 * ```ts ignore
 * import { plugin } from "./mod.ts";
 * const result = await plugin.add(args, ctx);
 * ```
 *
 * @module
 */
export { plugin } from "./commands.ts";
export { ipvlanMode, loadIpvlanConf } from "./config.ts";
export type { IpvlanConf } from "./config.ts";
