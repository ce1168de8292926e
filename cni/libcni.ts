/**
 * The runtime side, after the reference `libcni`: run a network configuration list for an
 * attachment (ADD with `prevResult` threaded through and the result cached; CHECK against the
 * cached result; best-effort DEL in reverse order). GC, STATUS, validation and VERSION probes
 * are `libcni_network.ts`. Plugins run through an {@linkcode Invoker}, so the same code drives
 * binaries and built-ins.
 *
 * @module
 */
import {
  type AttachmentKey,
  deleteCacheEntry,
  readCachedResult,
  writeCacheEntry,
} from "./cache.ts";
import { DEFAULT_CACHE_DIR } from "./defaults.ts";
import { CniError, ErrorCode } from "./errors.ts";
import type { InvokeArgs, Invoker } from "./invoke.ts";
import { validateContainerId, validateInterfaceName, validateNetworkName } from "./names.ts";
import type { CniCommand, RuntimeConf } from "./types.ts";
import type { NetworkConfigList, PluginConfig } from "./conf.ts";
import { buildRequest, describe, joinErrors, wrap } from "./_libcni.ts";
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
