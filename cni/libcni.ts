/**
 * The runtime side, after the reference `libcni`: run a network configuration list for an
 * attachment (ADD with `prevResult` threaded through and the result cached; CHECK against the
 * cached result; best-effort DEL in reverse order), GC, STATUS, validation and VERSION probes.
 * Plugins run through an {@linkcode Invoker}, so the same code drives binaries and built-ins.
 *
 * @module
 */
import {
  type AttachmentKey,
  deleteCacheEntry,
  listCachedAttachments,
  readCachedResult,
  writeCacheEntry,
} from "./cache.ts";
import { DEFAULT_CACHE_DIR } from "./defaults.ts";
import { CniError, ErrorCode, toCniError } from "./errors.ts";
import type { InvokeArgs, Invoker, VersionInfo } from "./invoke.ts";
import { validateContainerId, validateInterfaceName, validateNetworkName } from "./skel.ts";
import type { CniCommand, RuntimeConf } from "./types.ts";
import { buildPluginConfig, type NetworkConfigList, type PluginConfig } from "./conf.ts";
import { convertResult } from "./results/mod.ts";
import { versionGte } from "./version.ts";

/** A loaded network configuration list (from `conf.ts`). */
export type NetworkList = NetworkConfigList;

/** One plugin of a list. */
export type ListPlugin = PluginConfig;

/** The attachment a call is about (libcni `RuntimeConf`). */
export type Runtime = RuntimeConf;

/** What every libcni call needs. */
export interface LibcniOptions {
  /** Runs the plugins. */
  invoker: Invoker;
  /** The result cache directory (default `/var/lib/cni`). */
  cacheDir?: string;
}

/** Options of {@linkcode addNetworkList}. */
export interface AddOptions extends LibcniOptions {
  /**
   * When a plugin fails, DEL the plugins of the list in reverse order (including the one that
   * failed) before reporting (default true). The reference leaves this to the runtime.
   */
  rollback?: boolean;
}

/** An attachment GC must keep. */
export interface GcAttachment {
  /** Container ID. */
  containerID: string;
  /** Interface name. */
  ifname: string;
}

function describe(plugin: ListPlugin): string {
  const name = plugin.network.name;
  return `type=${JSON.stringify(plugin.network.type)}${
    typeof name === "string" && name !== "" ? ` name=${JSON.stringify(name)}` : ""
  }`;
}

/** Wraps an error with a prefix, keeping its code and details. */
function wrap(prefix: string, err: unknown): CniError {
  const e = toCniError(err);
  return new CniError(e.code, `${prefix}: ${e.msg}`, {
    details: e.details,
    cause: e,
    ...(e.cniVersion && { cniVersion: e.cniVersion }),
  });
}

/** Several errors as one: the first one's code, messages joined with "; ". */
function joinErrors(errors: readonly CniError[]): CniError {
  if (errors.length === 1) return errors[0]!;
  return new CniError(errors[0]!.code, errors.map((e) => e.message).join("; "), {
    cause: new AggregateError(errors),
    ...(errors[0]!.cniVersion && { cniVersion: errors[0]!.cniVersion }),
  });
}

function key(list: NetworkList, rt: Runtime): AttachmentKey {
  return { networkName: list.name, containerId: rt.containerId, ifName: rt.ifName };
}

function cniArgsText(rt: Runtime): string {
  return (rt.args ?? []).map(([k, v]) => `${k}=${v}`).join(";");
}

function attachmentArgs(command: CniCommand, rt: Runtime): InvokeArgs {
  return {
    command,
    containerId: rt.containerId,
    netns: rt.netns,
    ifName: rt.ifName,
    args: cniArgsText(rt),
  };
}

/** Builds a plugin's stdin (libcni `buildOneConfig`) through `conf.ts`. */
function buildRequest(
  list: NetworkList,
  plugin: ListPlugin,
  options: {
    prevResult?: Record<string, unknown> | undefined;
    runtime?: Runtime;
    extra?: Record<string, unknown>;
  } = {},
): Uint8Array {
  return buildPluginConfig(list, plugin, options.runtime, options.prevResult, options.extra);
}

function checkAttachment(list: NetworkList, rt: Runtime): void {
  const err = validateContainerId(rt.containerId) ?? validateNetworkName(list.name) ??
    validateInterfaceName(rt.ifName);
  if (err) throw err;
}

async function delPlugins(
  list: NetworkList,
  plugins: readonly ListPlugin[],
  rt: Runtime,
  invoker: Invoker,
  prevResult: Record<string, unknown> | undefined,
): Promise<CniError[]> {
  const errors: CniError[] = [];
  for (const plugin of [...plugins].reverse()) {
    try {
      const stdin = buildRequest(list, plugin, { prevResult, runtime: rt });
      await invoker.execPlugin(plugin.network.type, stdin, attachmentArgs("DEL", rt));
    } catch (err) {
      errors.push(wrap(`plugin ${describe(plugin)} failed (delete)`, err));
    }
  }
  return errors;
}

/**
 * ADD for a list (libcni `AddNetworkList`): validates the attachment and finds every plugin
 * first, then runs each plugin with the previous one's result as `prevResult`, caches the
 * final result and returns it (in the version the last plugin emitted). On failure the
 * plugins are DEL'd in reverse order (unless `rollback: false`) and nothing is cached.
 *
 * @example Attaching a container
 * ```ts ignore
 * const result = await addNetworkList(list, { containerId: "c1", netns: "/run/netns/c1", ifName: "eth0" },
 *   { invoker: execInvoker({ cniPath: ["/usr/lib/cni"] }) });
 * ```
 *
 * @param list The network list.
 * @param rt The attachment.
 * @param options Invoker, cache directory, rollback.
 * @returns The final result.
 * @throws {CniError} `plugin type="x" failed (add): <msg>` keeping the plugin's code; code 3/4/7
 *   for a bad container ID, interface or network name; `failed to set network "n" cached
 *   result: ...` when the cache cannot be written.
 */
export async function addNetworkList(
  list: NetworkList,
  rt: Runtime,
  options: AddOptions,
): Promise<Record<string, unknown>> {
  const { invoker } = options;
  checkAttachment(list, rt);
  for (const plugin of list.plugins) {
    try {
      await invoker.findInPath(plugin.network.type);
    } catch (err) {
      throw wrap(`plugin ${describe(plugin)} failed (add)`, err);
    }
  }
  let result: Record<string, unknown> | undefined;
  for (const [i, plugin] of list.plugins.entries()) {
    try {
      const stdin = buildRequest(list, plugin, { prevResult: result, runtime: rt });
      result = await invoker.execPlugin(plugin.network.type, stdin, attachmentArgs("ADD", rt));
    } catch (err) {
      const failure = wrap(`plugin ${describe(plugin)} failed (add)`, err);
      if (options.rollback === false) throw failure;
      const undo = await delPlugins(list, list.plugins.slice(0, i + 1), rt, invoker, undefined);
      if (undo.length === 0) throw failure;
      throw new CniError(failure.code, failure.msg, {
        details: [failure.details, `rollback also failed: ${undo.map((e) => e.message).join("; ")}`]
          .filter(Boolean).join("; "),
        cause: failure,
      });
    }
  }
  const final = result ?? {};
  try {
    await writeCacheEntry(options.cacheDir ?? DEFAULT_CACHE_DIR, {
      ...key(list, rt),
      config: list.bytes,
      netns: rt.netns,
      ...(rt.args && { cniArgs: rt.args }),
      ...(rt.capabilityArgs && { capabilityArgs: rt.capabilityArgs }),
      result: final,
    });
  } catch (err) {
    throw wrap(`failed to set network ${JSON.stringify(list.name)} cached result`, err);
  }
  return final;
}

async function cachedResultAs(
  list: NetworkList,
  rt: Runtime,
  cacheDir: string,
): Promise<Record<string, unknown> | undefined> {
  const raw = await readCachedResult(cacheDir, key(list, rt));
  if (raw === null) return undefined;
  const labelled = typeof raw.cniVersion === "string" && raw.cniVersion !== ""
    ? raw
    : { ...raw, cniVersion: list.cniVersion };
  try {
    return convertResult(labelled, list.cniVersion);
  } catch (err) {
    throw wrap(
      `failed to convert cached result to config version ${JSON.stringify(list.cniVersion)}`,
      err,
    );
  }
}

function gte(version: string, min: string): boolean {
  try {
    return versionGte(version, min);
  } catch (err) {
    throw wrap(`invalid configuration version ${JSON.stringify(version)}`, err);
  }
}

/**
 * CHECK for a list (libcni `CheckNetworkList`): needs config version >= 0.4.0, does nothing
 * when `disableCheck`, gives every plugin the cached ADD result (converted to the list's
 * version) as `prevResult`, in list order, and stops at the first failure.
 *
 * @param list The network list.
 * @param rt The attachment (as at ADD).
 * @param options Invoker, cache directory.
 * @returns Resolves when every plugin agreed.
 * @throws {CniError} Code 1 `configuration version "v" does not support the CHECK command`;
 *   `failed to get network "n" cached result: ...`; `plugin type="x" failed (check): <msg>`.
 */
export async function checkNetworkList(
  list: NetworkList,
  rt: Runtime,
  options: LibcniOptions,
): Promise<void> {
  if (!gte(list.cniVersion, "0.4.0")) {
    throw new CniError(
      ErrorCode.IncompatibleCniVersion,
      `configuration version ${JSON.stringify(list.cniVersion)} does not support the CHECK command`,
    );
  }
  if (list.disableCheck) return;
  let prevResult: Record<string, unknown> | undefined;
  try {
    prevResult = await cachedResultAs(list, rt, options.cacheDir ?? DEFAULT_CACHE_DIR);
  } catch (err) {
    throw wrap(`failed to get network ${JSON.stringify(list.name)} cached result`, err);
  }
  for (const plugin of list.plugins) {
    try {
      const stdin = buildRequest(list, plugin, { prevResult, runtime: rt });
      await options.invoker.execPlugin(plugin.network.type, stdin, attachmentArgs("CHECK", rt));
    } catch (err) {
      throw wrap(`plugin ${describe(plugin)} failed (check)`, err);
    }
  }
}

/**
 * DEL for a list, best effort (libcni `DelNetworkList`, but continuing past failures): every
 * plugin in reverse order gets the cached ADD result as `prevResult` (config >= 0.4.0; an
 * unreadable cache entry is dropped and DEL goes on without it). The cache entry is removed
 * when every plugin succeeded; otherwise all failures are reported together and it is kept.
 * Repeating a DEL succeeds.
 *
 * @param list The network list.
 * @param rt The attachment.
 * @param options Invoker, cache directory.
 * @returns Resolves when everything is gone.
 * @throws {CniError} `plugin type="x" failed (delete): <msg>` (several joined with "; "),
 *   with the first failure's code.
 */
export async function delNetworkList(
  list: NetworkList,
  rt: Runtime,
  options: LibcniOptions,
): Promise<void> {
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const haveKey = rt.containerId !== "" && rt.ifName !== "" && list.name !== "";
  let prevResult: Record<string, unknown> | undefined;
  if (haveKey && gte(list.cniVersion, "0.4.0")) {
    try {
      prevResult = await cachedResultAs(list, rt, cacheDir);
    } catch {
      await deleteCacheEntry(cacheDir, key(list, rt)).catch(() => {});
    }
  }
  const errors = await delPlugins(list, list.plugins, rt, options.invoker, prevResult);
  if (errors.length > 0) throw joinErrors(errors);
  if (haveKey) await deleteCacheEntry(cacheDir, key(list, rt)).catch(() => {});
}

/**
 * GC for a list (libcni `GCNetworkList`): nothing when `disableGC`; DELs every cached
 * attachment of this network that is not in `validAttachments` (all of them when it is
 * undefined); then, for config >= 1.1.0, sends GC to every plugin with
 * `cni.dev/valid-attachments` (and the older `cni.dev/attachments`) when given. Continues
 * past failures and reports them together.
 *
 * @param list The network list.
 * @param options Invoker, cache directory, `validAttachments`.
 * @returns Resolves when done.
 * @throws {CniError} `failed to delete stale attachment <cid> <ifname>: ...`,
 *   `failed to GC plugin <type>: ...`, joined with "; ".
 */
export async function gcNetworkList(
  list: NetworkList,
  options: LibcniOptions & { validAttachments?: readonly GcAttachment[] },
): Promise<void> {
  if (list.disableGC) return;
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const valid = options.validAttachments;
  const errors: CniError[] = [];
  let cached: Awaited<ReturnType<typeof listCachedAttachments>> = [];
  try {
    cached = await listCachedAttachments(cacheDir);
  } catch {
    return; // like libcni: an unreadable cache means nothing to do
  }
  for (const a of cached) {
    if (a.networkName !== list.name) continue;
    if (valid?.some((v) => v.containerID === a.containerId && v.ifname === a.ifName)) continue;
    try {
      await delNetworkList(list, {
        containerId: a.containerId,
        netns: a.netns,
        ifName: a.ifName,
        args: a.cniArgs,
        capabilityArgs: a.capabilityArgs,
      }, options);
    } catch (err) {
      errors.push(wrap(`failed to delete stale attachment ${a.containerId} ${a.ifName}`, err));
    }
  }
  let modern = false;
  try {
    modern = versionGte(list.cniVersion, "1.1.0");
  } catch {
    modern = false;
  }
  if (modern) {
    const extra = valid
      ? {
        "cni.dev/valid-attachments": valid.map((v) => ({
          containerID: v.containerID,
          ifname: v.ifname,
        })),
        "cni.dev/attachments": valid.map((v) => ({ containerID: v.containerID, ifname: v.ifname })),
      }
      : {};
    for (const plugin of list.plugins) {
      try {
        const stdin = buildRequest(list, plugin, { extra });
        await options.invoker.execPlugin(plugin.network.type, stdin, { command: "GC" });
      } catch (err) {
        errors.push(wrap(`failed to GC plugin ${plugin.network.type}`, err));
      }
    }
  }
  if (errors.length > 0) throw joinErrors(errors);
}

/**
 * STATUS for a list (libcni `GetStatusNetworkList`): a no-op below config version 1.1.0;
 * otherwise asks each plugin in order and stops at the first that is not ready, keeping its
 * code (50, 51).
 *
 * @param list The network list.
 * @param options Invoker.
 * @returns Resolves when every plugin is ready.
 * @throws {CniError} `plugin type="x" is not ready: <msg>` with the plugin's code.
 */
export async function getStatusNetworkList(
  list: NetworkList,
  options: LibcniOptions,
): Promise<void> {
  let modern = false;
  try {
    modern = versionGte(list.cniVersion, "1.1.0");
  } catch {
    modern = false;
  }
  if (!modern) return;
  for (const plugin of list.plugins) {
    try {
      const stdin = buildRequest(list, plugin);
      await options.invoker.execPlugin(plugin.network.type, stdin, { command: "STATUS" });
    } catch (err) {
      throw wrap(`plugin ${describe(plugin)} is not ready`, err);
    }
  }
}

/**
 * Validates a list before use (libcni `ValidateNetworkList`): every plugin must be found and
 * must list the config version among its VERSION answer. All plugins are checked.
 *
 * @param list The network list.
 * @param options Invoker.
 * @returns The capability names enabled by any plugin, sorted.
 * @throws {CniError} Every problem, joined with "; " (e.g. `plugin bridge does not support
 *   config version "9.9.9"`).
 */
export async function validateNetworkList(
  list: NetworkList,
  options: LibcniOptions,
): Promise<string[]> {
  const version = list.cniVersion === "" ? "0.1.0" : list.cniVersion;
  const errors: CniError[] = [];
  const caps = new Set<string>();
  for (const plugin of list.plugins) {
    const type = plugin.network.type;
    try {
      await options.invoker.findInPath(type);
      const info = await options.invoker.version(type);
      if (!info.supportedVersions.includes(version)) {
        errors.push(
          new CniError(
            ErrorCode.IncompatibleCniVersion,
            `plugin ${type} does not support config version ${JSON.stringify(version)}`,
          ),
        );
      }
    } catch (err) {
      errors.push(wrap(`plugin ${type}`, err));
    }
    for (const [cap, on] of Object.entries(plugin.network.capabilities ?? {})) {
      if (on === true) caps.add(cap);
    }
  }
  if (errors.length > 0) throw joinErrors(errors);
  return [...caps].sort();
}

/**
 * A plugin's VERSION answer (libcni `GetVersionInfo`).
 *
 * @param pluginType The plugin type.
 * @param options Invoker.
 * @returns Its version info.
 * @throws {CniError} When it cannot be found, run or decoded.
 */
export function getVersionInfo(pluginType: string, options: LibcniOptions): Promise<VersionInfo> {
  return options.invoker.version(pluginType);
}
