/**
 * What each built-in plugin says about itself: the CNI versions it supports (its VERSION answer)
 * and the about text it prints when `CNI_COMMAND` is unset. This table is the one source: each
 * plugin's `PluginFns` takes both fields from it ({@linkcode builtinAbout}), and `cmd/plugin.ts`
 * and the launchers `cnitool install` writes answer from it without loading the plugin. It
 * imports no plugin code and no zod, so that those answers stay cheap.
 *
 * @example The VERSION answer and about text of two plugins
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_ABOUT, builtinAbout } from "./about.ts";
 *
 * assert.equal(builtinAbout("bridge").about, "CNI bridge plugin denocni");
 * assert.equal(BUILTIN_ABOUT.bridge, builtinAbout("bridge"));
 * assert.deepEqual(builtinAbout("firewall").supportedVersions, ["0.4.0", "1.0.0", "1.1.0"]);
 * ```
 *
 * @module
 */
import type { PluginFns } from "../cni/plugin.ts";
import { SUPPORTED_VERSIONS } from "../cni/types.ts";

/** What a plugin answers to VERSION and prints when `CNI_COMMAND` is unset. */
export type PluginAbout = Pick<PluginFns, "supportedVersions" | "about">;

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

/** The CNI type name of a built-in plugin: a key of {@linkcode BUILTIN_ABOUT}. */
export type BuiltinName =
  | "bridge"
  | "loopback"
  | "host-local"
  | "bandwidth"
  | "static"
  | "tuning"
  | "portmap"
  | "firewall"
  | "macvlan"
  | "ipvlan"
  | "vlan"
  | "dummy"
  | "ptp"
  | "host-device"
  | "sbr"
  | "vrf";

const TABLE: Readonly<Record<BuiltinName, PluginAbout>> = {
  bridge: aboutOf("bridge"),
  loopback: aboutOf("loopback"),
  "host-local": aboutOf("host-local", { about: "CNI host-local plugin (denocni)" }),
  // The reference bandwidth plugin accepts configs of 0.3.0 and later.
  bandwidth: aboutOf("bandwidth", { since: "0.3.0" }),
  static: aboutOf("static"),
  tuning: aboutOf("tuning"),
  portmap: aboutOf("portmap"),
  // The reference firewall plugin: 0.4.0 and later.
  firewall: aboutOf("firewall", { since: "0.4.0" }),
  macvlan: aboutOf("macvlan"),
  ipvlan: aboutOf("ipvlan"),
  vlan: aboutOf("vlan"),
  dummy: aboutOf("dummy"),
  ptp: aboutOf("ptp"),
  "host-device": aboutOf("host-device"),
  sbr: aboutOf("sbr"),
  // The reference vrf plugin: 0.3.1 and later.
  vrf: aboutOf("vrf", { since: "0.3.1" }),
};

/**
 * The `supportedVersions` and `about` of each built-in plugin, by CNI type name: the one source
 * of both, so that a plugin process answers VERSION without loading the plugin's module.
 */
export const BUILTIN_ABOUT: Readonly<Record<string, PluginAbout>> = TABLE;

/**
 * One built-in plugin's entry of {@linkcode BUILTIN_ABOUT}, for its `PluginFns`
 * (`{ ...builtinAbout("firewall"), add, ... }`).
 *
 * @param name The plugin's CNI type name.
 * @returns Its supported versions and about text.
 */
export function builtinAbout(name: BuiltinName): PluginAbout {
  return TABLE[name];
}
