/**
 * The host-device plugin (reference `plugins/main/host-device`): hands an existing host
 * network device to the container under `CNI_IFNAME` (found by `device`, `hwaddr`,
 * `kernelpath`, `pciBusID` or the `deviceID` capability) and gives it back to the host under
 * its original name on DEL.
 *
 * @example A network configuration
 * ```json
 * { "cniVersion": "1.0.0", "name": "sriov", "type": "host-device", "device": "enp3s0f1",
 *   "ipam": { "type": "static", "addresses": [{ "address": "10.9.8.2/24" }] } }
 * ```
 *
 * @example In-process ADD (root, a container namespace)
 * ```ts ignore
 * import { plugin } from "./mod.ts";
 * const result = await plugin.add(args, ctx);
 * ```
 *
 * @module
 */
export { plugin } from "./commands.ts";
export { loadHostDeviceConf } from "./config.ts";
export type { HostDeviceConf } from "./config.ts";
export { deviceSelector, findHostDevice, hasDpdkDriver, USERSPACE_DRIVERS } from "./find.ts";
export type { DeviceSelector } from "./find.ts";
export { moveLinkIn, moveLinkOut } from "./move.ts";
export type { MoveSides } from "./move.ts";
