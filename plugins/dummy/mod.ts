/**
 * The dummy plugin (reference `plugins/main/dummy`, not in Debian's 1.1.1): the container gets
 * a dummy interface with the addresses of an IPAM plugin — an address that belongs to the
 * container without a link to anywhere. Needs the kernel's dummy driver; without it ADD says
 * so (`the kernel has no dummy support (module dummy)`).
 *
 * @example A network config
 * ```json
 * { "cniVersion": "1.0.0", "name": "svc", "type": "dummy",
 *   "ipam": { "type": "static", "addresses": [{ "address": "10.9.9.9/32" }] } }
 * ```
 *
 * @example In-process ADD (root)
 * ```ts ignore
 * import { plugin } from "./mod.ts";
 * const result = await plugin.add(args, ctx);
 * ```
 *
 * @module
 */
export { plugin } from "./commands.ts";
export { loadDummyConf } from "./config.ts";
export type { DummyConf } from "./config.ts";
