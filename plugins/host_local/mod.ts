/**
 * Placeholder until the plugin lands: every verb fails with code 999.
 *
 * @module
 */
import { CniError } from "../../cni/errors.ts";
import type { PluginFns } from "../../cni/plugin.ts";
import { SUPPORTED_VERSIONS } from "../../cni/types.ts";

function notYet(): Promise<never> {
  return Promise.reject(new CniError(999, "plugin not implemented yet"));
}

/** The plugin's functions. */
export const plugin: PluginFns = {
  add: notYet,
  check: notYet,
  del: notYet,
  supportedVersions: SUPPORTED_VERSIONS,
  about: "placeholder",
};
