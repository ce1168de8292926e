/**
 * The sbr meta plugin (reference `plugins/meta/sbr`): source-based routing in the container,
 * chained after an interface plugin. Each address of the interface gets a rule `from <ip>
 * lookup <table>` on its own table (from 100 up) holding the interface's routes and a default
 * route through its gateway, so replies leave by the interface the traffic came in on.
 *
 * @example A chain: ptp, then sbr
 * ```json
 * { "cniVersion": "1.0.0", "name": "sbrnet", "plugins": [
 *   { "type": "ptp", "ipam": { "type": "host-local", "subnet": "10.1.1.0/24" } },
 *   { "type": "sbr" } ] }
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
export { plugin } from "./commands.ts";
export { loadSbrConf } from "./config.ts";
export type { SbrConf } from "./config.ts";
export { addressesFor, copiesRoute, FIRST_TABLE_ID, firstFreeTable, hostPrefix } from "./plan.ts";
export { LOCK_WAIT_MS, lockNetns } from "./lock.ts";
export type { NetnsLock } from "./lock.ts";
