/**
 * The vlan plugin (reference `plugins/main/vlan`): the container gets an 802.1Q VLAN link of
 * a host device (the master), with the addresses of an IPAM plugin. Needs the kernel's 8021q
 * support; without it ADD says so (`the kernel has no vlan support (module 8021q)`).
 *
 * @example A network config
 * ```json
 * { "cniVersion": "1.0.0", "name": "vlan100", "type": "vlan", "master": "eth0",
 *   "vlanId": 100, "ipam": { "type": "host-local", "subnet": "10.100.0.0/24" } }
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
export { loadVlanConf } from "./config.ts";
export type { VlanConf } from "./config.ts";
