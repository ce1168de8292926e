/**
 * The built-in plugins by CNI type name, each imported only when first used so that a plugin
 * process loads just the code it runs, and what each says about itself (VERSION answer, about
 * text) so that those answers need no plugin code at all.
 *
 * @module
 */
import type { PluginFns, PluginRegistry } from "../cni/plugin.ts";
import { SUPPORTED_VERSIONS } from "../cni/types.ts";

/**
 * Built-in plugins: `bridge`, `loopback`, `host-local`, `bandwidth`, `static`, `tuning`,
 * `portmap`, `firewall`, `macvlan`, `ipvlan`, `vlan`, `dummy`, `ptp`, `host-device`, `sbr` and
 * `vrf`.
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
};

/** What a plugin answers to VERSION and prints when `CNI_COMMAND` is unset. */
export type PluginAbout = Pick<PluginFns, "supportedVersions" | "about">;

/**
 * The `supportedVersions` and `about` of each built-in plugin, equal to its `PluginFns`
 * fields (a test checks it), so that a plugin process answers VERSION without loading the
 * plugin's module.
 */
export const BUILTIN_ABOUT: Readonly<Record<string, PluginAbout>> = {
  bridge: { supportedVersions: SUPPORTED_VERSIONS, about: "CNI bridge plugin denocni" },
  loopback: { supportedVersions: SUPPORTED_VERSIONS, about: "CNI loopback plugin denocni" },
  "host-local": {
    supportedVersions: SUPPORTED_VERSIONS,
    about: "CNI host-local plugin (denocni)",
  },
  bandwidth: {
    supportedVersions: SUPPORTED_VERSIONS.slice(SUPPORTED_VERSIONS.indexOf("0.3.0")),
    about: "CNI bandwidth plugin denocni",
  },
  static: { supportedVersions: SUPPORTED_VERSIONS, about: "CNI static plugin denocni" },
  tuning: { supportedVersions: SUPPORTED_VERSIONS, about: "CNI tuning plugin denocni" },
  portmap: { supportedVersions: SUPPORTED_VERSIONS, about: "CNI portmap plugin denocni" },
  firewall: {
    supportedVersions: SUPPORTED_VERSIONS.slice(SUPPORTED_VERSIONS.indexOf("0.4.0")),
    about: "CNI firewall plugin denocni",
  },
  macvlan: { supportedVersions: SUPPORTED_VERSIONS, about: "CNI macvlan plugin denocni" },
  ipvlan: { supportedVersions: SUPPORTED_VERSIONS, about: "CNI ipvlan plugin denocni" },
  vlan: { supportedVersions: SUPPORTED_VERSIONS, about: "CNI vlan plugin denocni" },
  dummy: { supportedVersions: SUPPORTED_VERSIONS, about: "CNI dummy plugin denocni" },
  ptp: { supportedVersions: SUPPORTED_VERSIONS, about: "CNI ptp plugin denocni" },
  "host-device": {
    supportedVersions: SUPPORTED_VERSIONS,
    about: "CNI host-device plugin denocni",
  },
  sbr: { supportedVersions: SUPPORTED_VERSIONS, about: "CNI sbr plugin denocni" },
  vrf: {
    supportedVersions: SUPPORTED_VERSIONS.slice(SUPPORTED_VERSIONS.indexOf("0.3.1")),
    about: "CNI vrf plugin denocni",
  },
};
