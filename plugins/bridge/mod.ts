/**
 * The `bridge` plugin: a Linux bridge in the host, a veth pair per container with the host end
 * as a bridge port, addresses from a delegated IPAM plugin, the gateway on the bridge,
 * forwarding and optional masquerade, VLANs and a MAC spoof check. It follows the newest
 * reference (`containernetworking/plugins` `plugins/main/bridge`) key for key and message for
 * message, and goes further where the reference is known to leak: a failed ADD rolls back
 * what it made, DEL without the namespace still removes masquerade rules (from `prevResult`),
 * CHECK works in L2 mode, and GC removes masquerade rules of attachments no longer valid.
 *
 * One netlink socket per namespace is opened per call and used for every step.
 *
 * @example A network configuration
 * ```json
 * { "cniVersion": "1.0.0", "name": "mynet", "type": "bridge", "bridge": "cni0",
 *   "isGateway": true, "ipMasq": true,
 *   "ipam": { "type": "host-local", "subnet": "10.22.0.0/16" } }
 * ```
 *
 * @example In-process ADD with a delegate for IPAM
 * ```ts ignore
 * import { plugin } from "./mod.ts";
 * const result = await plugin.add(args, { delegate, env: {} });
 * ```
 *
 * @module
 */
export { cmdAdd, plugin } from "./commands.ts";
export { cmdCheck } from "./check.ts";
export { cmdDel } from "./del.ts";
export { collectVlanTrunk, DEFAULT_BRIDGE_NAME, loadBridgeConf } from "./config.ts";
export type { BridgeConf } from "./config.ts";
export { calcGateways } from "./gateways.ts";
