/**
 * host-local's verbs: ADD, DEL, CHECK, GC and STATUS over a {@linkcode Store}, and the
 * `plugin` object the engine and `skel` call.
 *
 * @module
 */
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import { MAX_SMALL_FILE_BYTES, readRegularFile } from "../../cni/read_bounded.ts";
import type { CmdArgs, PluginContext, PluginFns } from "../../cni/plugin.ts";
import { CURRENT_VERSION, type DNS, type IPConfig, type Result } from "../../cni/types.ts";
import { parseWith } from "../../cni/validate.ts";
import { allocate, hasFreeAddress } from "./allocator.ts";
import { type IpamConfig, loadIpamConfig } from "./config.ts";
import { parseResolvConf } from "./resolv_conf.ts";
import { rangeContains, rangeSetToString } from "./range.ts";
import { formatIp, type IpAddr } from "../../ip/mod.ts";
import { openDiskStore } from "./disk_store.ts";
import type { Lease, Store } from "./store.ts";
import { builtinAbout } from "../about.ts";

/** How a plugin call gets its store (tests swap in a memory store). */
export type StoreFactory = (conf: IpamConfig) => Store;

function defaultStore(conf: IpamConfig): Store {
  return openDiskStore(conf.dataDir, conf.name);
}

async function readDns(conf: IpamConfig): Promise<DNS> {
  if (!conf.resolvConf) return {};
  // A regular file (a link to one is fine: /etc/resolv.conf often is), at most 64 KiB: a
  // device, a FIFO or a huge file is refused at once.
  const bytes = await readRegularFile(conf.resolvConf, {
    maxBytes: MAX_SMALL_FILE_BYTES,
    what: "resolvConf",
  });
  return parseResolvConf(new TextDecoder().decode(bytes));
}

/**
 * ADD: one address from each range set (a requested one when a set contains it), routes from
 * the config and DNS from `resolvConf`. On failure, the addresses reserved by this call are
 * released again (only those, unlike the reference, which releases every lease of the
 * container and interface).
 *
 * @param args The call's arguments.
 * @param storeFor Store factory.
 * @returns The 1.1.0 result.
 * @throws {CniError} Code 7 for bad config, 6 for bad `CNI_ARGS`, 5 for an unreadable
 * `resolvConf` or a disk error, 11 when the network's lock stays held, 999 when allocation
 * fails.
 */
export async function cmdAdd(
  args: CmdArgs,
  storeFor: StoreFactory = defaultStore,
): Promise<Result> {
  const conf = loadIpamConfig(args.config, args.args);
  const dns = await readDns(conf);
  const store = storeFor(conf);
  try {
    // One lock hold for every range set: the store validates its index and records its
    // changes once per command.
    return await store.withLock(() => allocateAll(conf, args, store, dns));
  } finally {
    store.close();
  }
}

/** Allocates from every range set under the caller's lock; rolls back on failure. */
function allocateAll(conf: IpamConfig, args: CmdArgs, store: Store, dns: DNS): Result {
  const requested = new Map<string, IpAddr>();
  for (const ip of conf.requestedIps) requested.set(formatIp(ip), ip);
  const ips: IPConfig[] = [];
  const taken: string[] = [];
  const rollback = () => {
    for (const ip of taken) {
      try {
        store.release(ip);
      } catch {
        // The allocation error is the one to report; a DEL retries the release.
      }
    }
  };
  for (const [idx, set] of conf.ranges.entries()) {
    let want: IpAddr | undefined;
    for (const [key, ip] of requested) {
      if (set.some((r) => rangeContains(r, ip))) {
        want = ip;
        requested.delete(key);
        break;
      }
    }
    try {
      const ipConf = allocate(store, set, {
        rangeId: idx,
        containerId: args.containerId,
        ifName: args.ifName,
        requested: want,
      });
      ips.push(ipConf);
      taken.push(ipConf.address.slice(0, ipConf.address.indexOf("/")));
    } catch (err) {
      rollback();
      const e = err instanceof CniError ? err : undefined;
      throw new CniError(
        e?.code ?? ErrorCode.Internal,
        `failed to allocate for range ${idx}: ${e?.msg ?? errorText(err)}`,
        e?.details ? { details: e.details, cause: err } : { cause: err },
      );
    }
  }
  if (requested.size > 0) {
    rollback();
    throw new CniError(
      ErrorCode.Internal,
      `failed to allocate all requested IPs: ${[...requested.keys()].join(" ")}`,
    );
  }
  const result: Result = { cniVersion: CURRENT_VERSION, ips };
  if (conf.routes.length > 0) result.routes = conf.routes;
  result.dns = dns;
  return result;
}

/**
 * DEL: releases every lease of the container ID and interface (or, failing that, legacy
 * container-ID-only leases) in the network's directory. Idempotent.
 *
 * @param args The call's arguments.
 * @param storeFor Store factory.
 * @throws {CniError} Code 7 for bad config, 5 when a lease cannot be removed, 11 when the
 * network's lock stays held.
 */
export async function cmdDel(args: CmdArgs, storeFor: StoreFactory = defaultStore): Promise<void> {
  const conf = loadIpamConfig(args.config, args.args);
  const store = storeFor(conf);
  try {
    await store.withLock(() => store.releaseById(args.containerId, args.ifName));
  } catch (err) {
    throw err instanceof CniError
      ? err
      : new CniError(ErrorCode.Internal, "failed to release addresses", {
        details: errorText(err),
        cause: err,
      });
  } finally {
    store.close();
  }
}

/**
 * CHECK: succeeds when the container ID and interface (or a legacy container-ID-only lease)
 * hold an address.
 *
 * @param args The call's arguments.
 * @param storeFor Store factory.
 * @throws {CniError} Code 999 `host-local: Failed to find address added by container <id>`.
 */
export async function cmdCheck(
  args: CmdArgs,
  storeFor: StoreFactory = defaultStore,
): Promise<void> {
  const conf = loadIpamConfig(args.config, args.args);
  const store = storeFor(conf);
  try {
    const found = await store.withLock(() => store.findById(args.containerId, args.ifName));
    if (!found) {
      throw new CniError(
        ErrorCode.Internal,
        `host-local: Failed to find address added by container ${args.containerId}`,
      );
    }
  } finally {
    store.close();
  }
}

/** The GC request's attachment lists, built on first use (importing a plugin builds no schema). */
const gcSchema = lazy(() => {
  const attachments = z.array(z.object({ containerID: z.string(), ifname: z.string() }));
  return z.object({
    "cni.dev/valid-attachments": z.optional(z.nullable(attachments)),
    "cni.dev/attachments": z.optional(z.nullable(attachments)),
  });
});

/**
 * Whether a lease belongs to a valid attachment. Legacy leases (container ID only) are kept
 * when any valid attachment has that container ID; empty or unreadable leases never are.
 *
 * @param lease The lease.
 * @param valid Valid `containerID\tifname` keys.
 * @param validIds Valid container IDs.
 * @returns `true` to keep it.
 */
export function leaseIsValid(lease: Lease, valid: Set<string>, validIds: Set<string>): boolean {
  if (lease.containerId === "") return false;
  if (lease.ifName === undefined) return validIds.has(lease.containerId);
  return valid.has(`${lease.containerId}\t${lease.ifName}`);
}

/**
 * GC (spec 1.1): releases every lease whose attachment is not in `cni.dev/valid-attachments`
 * (or the older `cni.dev/attachments`); with neither key, every lease is released. `lock` and
 * `last_reserved_ip.*` are kept. Continues past errors and reports them together.
 *
 * @param args The call's arguments.
 * @param storeFor Store factory.
 * @returns The released addresses.
 * @throws {CniError} Code 7 for bad config, 999 listing addresses that could not be released.
 */
export async function cmdGc(
  args: CmdArgs,
  storeFor: StoreFactory = defaultStore,
): Promise<string[]> {
  const conf = loadIpamConfig(args.config, "");
  const gc = parseWith(gcSchema(), args.config, { what: "invalid GC request" });
  const list = gc["cni.dev/valid-attachments"] ?? gc["cni.dev/attachments"] ?? [];
  const valid = new Set(list.map((a) => `${a.containerID.trim()}\t${a.ifname}`));
  const validIds = new Set(list.map((a) => a.containerID.trim()));
  const store = storeFor(conf);
  const released: string[] = [];
  const errors: string[] = [];
  try {
    await store.withLock(() => {
      for (const lease of store.leases()) {
        if (leaseIsValid(lease, valid, validIds)) continue;
        try {
          store.release(lease.ip);
          released.push(lease.ip);
        } catch (err) {
          errors.push(`${lease.ip}: ${errorText(err)}`);
        }
      }
    });
  } finally {
    store.close();
  }
  if (errors.length > 0) {
    throw new CniError(ErrorCode.Internal, "failed to release some addresses", {
      details: errors.join("; "),
    });
  }
  return released;
}

/**
 * STATUS (spec 1.1): code 50 when ADD cannot succeed: the data directory is not writable, or a
 * range set has no free address.
 *
 * @param args The call's arguments.
 * @param storeFor Store factory.
 * @throws {CniError} Code 50 naming the problem, 7 for bad config.
 */
export async function cmdStatus(
  args: CmdArgs,
  storeFor: StoreFactory = defaultStore,
): Promise<void> {
  const conf = loadIpamConfig(args.config, "");
  let store: Store;
  try {
    store = storeFor(conf);
  } catch (err) {
    throw new CniError(
      ErrorCode.PluginNotAvailable,
      `host-local data directory "${conf.dataDir}" is unusable`,
      { details: errorText(err), cause: err },
    );
  }
  try {
    if (storeFor === defaultStore) probeWritable(`${conf.dataDir}/${conf.name}`);
    const exhausted = await store.withLock(() =>
      conf.ranges.find((set, idx) => !hasFreeAddress(store, set, idx))
    );
    if (exhausted) {
      throw new CniError(
        ErrorCode.PluginNotAvailable,
        `no IP addresses available in range set: ${rangeSetToString(exhausted)}`,
      );
    }
  } finally {
    store.close();
  }
}

function probeWritable(dir: string): void {
  try {
    const probe = Deno.makeTempFileSync({ dir, prefix: ".status-probe-" });
    Deno.removeSync(probe);
  } catch (err) {
    throw new CniError(ErrorCode.PluginNotAvailable, `data directory "${dir}" is not writable`, {
      details: errorText(err),
      cause: err,
    });
  }
}

/** The host-local plugin. */
export const plugin: PluginFns = {
  add: (args: CmdArgs, _ctx: PluginContext) => cmdAdd(args),
  del: (args: CmdArgs, _ctx: PluginContext) => cmdDel(args),
  check: (args: CmdArgs, _ctx: PluginContext) => cmdCheck(args),
  gc: async (args: CmdArgs, _ctx: PluginContext) => {
    await cmdGc(args);
  },
  status: (args: CmdArgs, _ctx: PluginContext) => cmdStatus(args),
  ...builtinAbout("host-local"),
};
