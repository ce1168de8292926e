/**
 * The ptp plugin (reference `plugins/main/ptp`): a veth pair per container whose host end is
 * routed, not bridged. The container gets its IPAM addresses with every route through the
 * gateway (`<gw>/32` on the link, the subnet via the gateway); the host end carries the
 * gateway as /32 and a host route to each container address; masquerade optional.
 *
 * @example A network configuration
 * ```json
 * { "cniVersion": "1.0.0", "name": "p2p", "type": "ptp", "ipMasq": true, "mtu": 1400,
 *   "ipam": { "type": "host-local", "subnet": "10.1.1.0/24",
 *             "routes": [{ "dst": "0.0.0.0/0" }] } }
 * ```
 *
 * @example In-process ADD (root, a container namespace, an IPAM delegate)
 * ```ts ignore
 * import { plugin } from "./mod.ts";
 * const result = await plugin.add(args, ctx);
 * ```
 *
 * @module
 */
export { plugin } from "./commands.ts";
export { loadPtpConf } from "./config.ts";
export type { PtpConf } from "./config.ts";
