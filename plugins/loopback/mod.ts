/**
 * The `loopback` plugin (reference `plugins/main/loopback`): ADD brings `lo` up in the
 * container's namespace and reports it, DEL brings it down, CHECK verifies it is up. After
 * another plugin, ADD hands the `prevResult` on as it came, printed in the config's version.
 *
 * Beyond the reference: ADD and DEL open the target namespace first and refuse (code 8) to act
 * when it is this process's own namespace, unless `CNI_NETNS_OVERRIDE` is `1`/`true`; the
 * reference's dispatcher only notices after DEL has already taken the host's `lo` down
 * (plugins#714).
 *
 * @example A network configuration (usually the last of a list)
 * ```json
 * { "cniVersion": "1.0.0", "name": "lo", "type": "loopback" }
 * ```
 *
 * @example In-process ADD
 * ```ts ignore
 * import { plugin } from "./mod.ts";
 * const result = await plugin.add(args, ctx);
 * // { cniVersion: "1.1.0", interfaces: [{ name: "lo", mac: "00:00:00:00:00:00", sandbox }],
 * //   ips: [{ interface: 0, address: "127.0.0.1/8" }, { interface: 0, address: "::1/128" }] }
 * ```
 *
 * @module
 */
export { plugin } from "./commands.ts";
