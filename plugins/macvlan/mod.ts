/**
 * The macvlan plugin (reference `plugins/main/macvlan`): the container gets a macvlan of a
 * host device (the master), with the addresses of an IPAM plugin or, without IPAM, as a plain
 * L2 interface (the kernel gives it its IPv6 link-local address).
 *
 * @example A network config
 * ```json
 * { "cniVersion": "1.0.0", "name": "lan", "type": "macvlan", "master": "eth0",
 *   "mode": "bridge", "ipam": { "type": "host-local", "subnet": "192.168.1.0/24" } }
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
export { loadMacvlanConf, macvlanMode } from "./config.ts";
export type { MacvlanConf } from "./config.ts";
