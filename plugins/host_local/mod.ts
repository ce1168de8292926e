/**
 * The host-local IPAM plugin: addresses from range sets, leases on disk in the reference's
 * format (shared safely with the reference binary), plus GC and STATUS.
 *
 * @module
 * @example Allocating in-process
 * ```ts
 * import assert from "node:assert/strict";
 * import { plugin } from "./mod.ts";
 * const dataDir = Deno.makeTempDirSync();
 * const config = {
 *   cniVersion: "1.1.0", name: "n", type: "bridge",
 *   ipam: { type: "host-local", subnet: "10.9.0.0/29", dataDir },
 * };
 * const result = await plugin.add({
 *   command: "ADD", containerId: "c1", netns: "x", ifName: "eth0", args: "", path: "",
 *   stdinData: new TextEncoder().encode(JSON.stringify(config)), config,
 * }, { delegate: undefined as never, env: {}, log: () => {} });
 * Deno.removeSync(dataDir, { recursive: true });
 * assert.deepEqual(result.ips, [{ address: "10.9.0.2/29", gateway: "10.9.0.1" }]);
 * ```
 */
export { cmdAdd, cmdCheck, cmdDel, cmdGc, cmdStatus, leaseIsValid, plugin } from "./commands.ts";
export type { StoreFactory } from "./commands.ts";
export { DEFAULT_DATA_DIR, loadIpamConfig } from "./config.ts";
export { canonicalizeRange } from "./range.ts";
export { parseEnvArgs } from "./env_args.ts";
export { parseResolvConf } from "./resolv_conf.ts";
export type { IpamConfig } from "./config.ts";
export type { Range, RangeSet } from "./range.ts";
export { allocate, hasFreeAddress, rangeIterator } from "./allocator.ts";
export type { Candidate } from "./allocator.ts";
export { LAST_IP_PREFIX, MAX_LEASE_BYTES } from "./store.ts";
export type { Lease, Store } from "./store.ts";
export { openDiskStore } from "./disk_store.ts";
export type { DiskStore, DiskStoreOptions } from "./disk_store.ts";
export { DEFAULT_LOCK_TIMEOUT_MS, LockFile } from "./lock_file.ts";
export type { LockWaitOptions } from "./lock_file.ts";
