/**
 * The built-in plugins by CNI type name, each imported only when first used so that a plugin
 * process loads just the code it runs, and (re-exported from `about.ts`) what each says about
 * itself (VERSION answer, about text) so that those answers need no plugin code at all.
 *
 * @module
 */
import type { PluginFns, PluginRegistry } from "../cni/plugin.ts";
import type { BuiltinName } from "./about.ts";

export { BUILTIN_ABOUT } from "./about.ts";
export type { PluginAbout } from "./about.ts";

/**
 * Built-in plugins: `bridge`, `loopback`, `host-local`, `bandwidth`, `static`, `tuning`,
 * `portmap`, `firewall`, `macvlan`, `ipvlan`, `vlan`, `dummy`, `ptp`, `host-device`, `sbr` and
 * `vrf`. The type checker holds this list and the table of `about.ts` to the same names.
 */
export const BUILTIN_PLUGINS: PluginRegistry = {
  bridge: () => import("./bridge/mod.ts").then((m) => m.plugin),
  loopback: () => import("./loopback/mod.ts").then((m) => m.plugin),
  "host-local": () => import("./host_local/mod.ts").then((m) => m.plugin),
  bandwidth: () => import("./bandwidth/mod.ts").then((m) => m.plugin),
  static: () => import("./static/mod.ts").then((m) => m.plugin),
  tuning: () => import("./tuning/mod.ts").then((m) => m.plugin),
  portmap: () => import("./portmap/mod.ts").then((m) => m.plugin),
  firewall: () => import("./firewall/mod.ts").then((m) => m.plugin),
  macvlan: () => import("./macvlan/mod.ts").then((m) => m.plugin),
  ipvlan: () => import("./ipvlan/mod.ts").then((m) => m.plugin),
  vlan: () => import("./vlan/mod.ts").then((m) => m.plugin),
  dummy: () => import("./dummy/mod.ts").then((m) => m.plugin),
  ptp: () => import("./ptp/mod.ts").then((m) => m.plugin),
  "host-device": () => import("./host_device/mod.ts").then((m) => m.plugin),
  sbr: () => import("./sbr/mod.ts").then((m) => m.plugin),
  vrf: () => import("./vrf/mod.ts").then((m) => m.plugin),
} satisfies Record<BuiltinName, () => Promise<PluginFns>>;
