/**
 * The built-in plugins by CNI type name, each imported only when first used so that a plugin
 * process loads just the code it runs.
 *
 * @module
 */
import type { PluginRegistry } from "../cni/plugin.ts";

/** Built-in plugins: `bridge`, `loopback` and `host-local`. */
export const BUILTIN_PLUGINS: PluginRegistry = {
  bridge: () => import("./bridge.ts").then((m) => m.plugin),
  loopback: () => import("./loopback.ts").then((m) => m.plugin),
  "host-local": () => import("./host_local/mod.ts").then((m) => m.plugin),
};
