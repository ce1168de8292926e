/**
 * The exact stdin libcni gives each plugin of a list (`api.go` `buildOneConfig`,
 * `InjectConf`, `injectRuntimeConfig`): `name` and `cniVersion` injected, `runtimeConfig`
 * from the declared capabilities, `prevResult`, in Go's key order.
 *
 * @module
 */
import { goMarshal } from "./_json.ts";
import { compareBytes, parseJsonObject } from "./_conf_json.ts";
import { CniError, ErrorCode } from "./errors.ts";
import type { NetConf, RuntimeConf } from "./types.ts";
import { parseResult } from "./results/mod.ts";
import type { NetworkConfigList, PluginConfig } from "./conf.ts";

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/**
 * Sets keys on a plugin config (libcni `InjectConf`): parse, set, re-marshal with Go's map
 * key order.
 *
 * @param bytes The plugin config bytes.
 * @param values Keys to set; a value that is itself pre-ordered (e.g. a result) keeps its
 *   key order only when listed in `keepOrder`.
 * @param keepOrder Keys whose values are serialised as given (Go structs), not sorted.
 * @returns The new bytes.
 * @throws {CniError} Code 7 on an empty key or a `null`/`undefined` value.
 */
export function injectConf(
  bytes: Uint8Array,
  values: Record<string, unknown>,
  keepOrder: readonly string[] = [],
): Uint8Array {
  const config = parseJsonObject(DECODER.decode(bytes), "error parsing configuration");
  for (const [key, value] of Object.entries(values)) {
    if (key === "") throw new CniError(ErrorCode.InvalidNetworkConfig, "keys cannot be empty");
    if (value === null || value === undefined) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `key '${key}' value must not be nil`);
    }
    config[key] = value;
  }
  const keys = Object.keys(config).sort(compareBytes);
  const parts = keys.map((k) => {
    const v = keepOrder.includes(k)
      ? goMarshal(config[k])
      : goMarshal(config[k], { sortKeys: true });
    return `${goMarshal(k)}:${v}`;
  });
  return ENCODER.encode(`{${parts.join(",")}}`);
}

/**
 * Adds `runtimeConfig` (libcni `injectRuntimeConfig`): for each capability the plugin sets
 * to `true` and the runtime provides, that value. Nothing is added when there is no
 * overlap (a `runtimeConfig` already in the file then survives); otherwise it replaces
 * the file's. `capabilities` stays in the config, as libcni leaves it.
 *
 * @param bytes The plugin config bytes (already with name/version injected).
 * @param runtime The runtime config.
 * @returns The new bytes.
 */
export function injectRuntimeConfig(bytes: Uint8Array, runtime: RuntimeConf): Uint8Array {
  const config = parseJsonObject(DECODER.decode(bytes), "error parsing configuration");
  const caps = config.capabilities;
  const args = runtime.capabilityArgs ?? {};
  const rc: Record<string, unknown> = {};
  if (caps && typeof caps === "object") {
    for (const [cap, on] of Object.entries(caps as Record<string, unknown>)) {
      if (on === true && Object.hasOwn(args, cap)) rc[cap] = args[cap];
    }
  }
  if (Object.keys(rc).length === 0) return bytes;
  return injectConf(bytes, { runtimeConfig: rc });
}

/**
 * The exact stdin libcni gives a plugin of a list (`buildOneConfig`): the plugin's config
 * with `name` and `cniVersion` from the list, `prevResult` when given, then `runtimeConfig`
 * filtered by the plugin's capabilities when `runtime` is given. Compact JSON with Go's key
 * order (maps sorted; `prevResult` in its struct order unless `runtimeConfig` was added,
 * which re-sorts everything, as in Go).
 *
 * @param list The network list.
 * @param plugin One of its plugins.
 * @param runtime The runtime config (omit for GC / STATUS).
 * @param prevResult The previous result, any version, sent as it is (convert first when it
 *   must be in the list's version).
 * @param extra More keys to inject with name and version (e.g. `cni.dev/valid-attachments`).
 * @returns The bytes to write to the plugin's stdin.
 * @throws {CniError} Code 6 on a malformed `prevResult`, code 7 on a `null` extra value.
 * @example The C.1 request for a plugin declaring `mac`
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfList } from "./conf.ts";
 * import { buildPluginConfig } from "./conf_inject.ts";
 * const list = parseConfList(
 *   '{"cniVersion":"1.1.0","name":"dbnet","plugins":[{"type":"tuning","capabilities":{"mac":true}}]}',
 * );
 * const bytes = buildPluginConfig(list, list.plugins[0]!, {
 *   containerId: "c1",
 *   netns: "/var/run/netns/blue",
 *   ifName: "eth0",
 *   capabilityArgs: { mac: "00:11:22:33:44:66", portMappings: [] },
 * });
 * assert.equal(
 *   new TextDecoder().decode(bytes),
 *   '{"capabilities":{"mac":true},"cniVersion":"1.1.0","name":"dbnet","runtimeConfig":{"mac":"00:11:22:33:44:66"},"type":"tuning"}',
 * );
 * ```
 */
export function buildPluginConfig(
  list: NetworkConfigList,
  plugin: PluginConfig,
  runtime?: RuntimeConf,
  prevResult?: unknown,
  extra: Record<string, unknown> = {},
): Uint8Array {
  const inject: Record<string, unknown> = {
    name: list.name,
    cniVersion: list.cniVersion,
    ...extra,
  };
  if (prevResult !== undefined && prevResult !== null) {
    inject.prevResult = parseResult(prevResult);
  }
  const bytes = injectConf(plugin.bytes, inject, ["prevResult"]);
  // Only a plugin declaring a capability the runtime provides gets `runtimeConfig` (libcni
  // reads the capabilities of the parsed config too): the others skip parsing the bytes again.
  return runtime && wantsRuntimeConfig(plugin.network, runtime)
    ? injectRuntimeConfig(bytes, runtime)
    : bytes;
}

function wantsRuntimeConfig(network: NetConf, runtime: RuntimeConf): boolean {
  const caps: unknown = network.capabilities;
  if (!caps || typeof caps !== "object") return false;
  const args = runtime.capabilityArgs ?? {};
  return Object.entries(caps).some(([cap, on]) => on === true && Object.hasOwn(args, cap));
}
