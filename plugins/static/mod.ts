/**
 * The static IPAM plugin (reference `plugins/ipam/static`): the addresses, routes and DNS of
 * the configuration (or of `CNI_ARGS` `IP`/`GATEWAY`, `args.cni.ips`, `runtimeConfig.ips`)
 * reported as the IPAM result. Nothing is allocated, so DEL has nothing to release.
 *
 * @example In-process ADD
 * ```ts
 * import assert from "node:assert/strict";
 * import { plugin } from "./mod.ts";
 * const config = {
 *   cniVersion: "1.0.0", name: "n", type: "bridge",
 *   ipam: { type: "static", addresses: [{ address: "10.10.0.1/24", gateway: "10.10.0.254" }] },
 * };
 * const result = await plugin.add({
 *   command: "ADD", containerId: "c1", netns: "/run/netns/x", ifName: "eth0", args: "",
 *   path: "", stdinData: new TextEncoder().encode(JSON.stringify(config)), config,
 * }, { delegate: undefined as never, env: {}, log: () => {} });
 * assert.deepEqual(result.ips, [{ address: "10.10.0.1/24", gateway: "10.10.0.254" }]);
 * ```
 *
 * @module
 */
export { cmdAdd, cmdCheck, plugin } from "./commands.ts";
export { loadStaticConf } from "./config.ts";
export type { StaticAddress, StaticConf } from "./config.ts";
