/**
 * The libcni operations on a whole network rather than one attachment: GC, STATUS,
 * validation and VERSION probes (`api.go` `GCNetworkList`, `GetStatusNetworkList`,
 * `ValidateNetworkList`, `GetVersionInfo`).
 *
 * @module
 */
import { listCachedAttachments } from "./cache.ts";
import { DEFAULT_CACHE_DIR } from "./defaults.ts";
import { CniError, ErrorCode } from "./errors.ts";
import type { VersionInfo } from "./invoke.ts";
import { delNetworkList, type LibcniOptions, type NetworkList } from "./libcni.ts";
import { buildRequest, describe, joinErrors, wrap } from "./_libcni.ts";
import { versionGte } from "./version.ts";

/** An attachment GC must keep. */
export interface GcAttachment {
  /** Container ID. */
  containerID: string;
  /** Interface name. */
  ifname: string;
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
