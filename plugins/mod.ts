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
  bridge: aboutOf("bridge"),
  loopback: aboutOf("loopback"),
  "host-local": aboutOf("host-local", { about: "CNI host-local plugin (denocni)" }),
  bandwidth: aboutOf("bandwidth", { since: "0.3.0" }),
  static: aboutOf("static"),
  tuning: aboutOf("tuning"),
  portmap: aboutOf("portmap"),
  firewall: aboutOf("firewall", { since: "0.4.0" }),
  macvlan: aboutOf("macvlan"),
  ipvlan: aboutOf("ipvlan"),
  vlan: aboutOf("vlan"),
  dummy: aboutOf("dummy"),
  ptp: aboutOf("ptp"),
  "host-device": aboutOf("host-device"),
  sbr: aboutOf("sbr"),
  vrf: aboutOf("vrf", { since: "0.3.1" }),
};

/**
 * What a built-in plugin says about itself: by default every supported version and the about
 * text `CNI <type> plugin denocni`.
 */
function aboutOf(type: string, opts: { since?: string; about?: string } = {}): PluginAbout {
  return {
    supportedVersions: opts.since === undefined
      ? SUPPORTED_VERSIONS
      : SUPPORTED_VERSIONS.slice(SUPPORTED_VERSIONS.indexOf(opts.since)),
    about: opts.about ?? `CNI ${type} plugin denocni`,
  };
}
