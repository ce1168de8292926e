/**
 * The disk store's work (see `disk_store.ts` for the layout and its guarantees), with the
 * lease directory's lister as a parameter: `openDiskStore` passes `Deno.readDirSync`, and
 * tests that count full scans pass a counting one.
 *
 * @module
 */
import { join } from "../../cni/_path.ts";
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import { indexHold } from "./_index_hold.ts";
import {
  dirState,
  ioError,
  isNoSpace,
  openNetworkDir,
  type ReadDir,
  readLease,
  scanLeases,
} from "./_lease_dir.ts";
import { ownerKey } from "./index_format.ts";
import { type LeaseIndex, leaseIndex } from "./lease_index.ts";
import { DEFAULT_LOCK_TIMEOUT_MS, LockFile } from "./lock_file.ts";
import { LAST_IP_PREFIX, leaseContent, matches, MAX_LEASE_BYTES, releasable } from "./store.ts";
import type { DiskStore, DiskStoreOptions } from "./disk_store.ts";

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/**
 * Opens the disk store for a network, as `openDiskStore`, listing the lease directory with
 * `readDir` for a full scan.
 *
 * @param dataDir The state root.
 * @param network The network name.
 * @param options File mode, index switch, lock wait limit.
 * @param readDir Lists the lease directory.
 * @returns The store (close it when done).
 * @throws {CniError} Code 5 when the directory or lock cannot be opened or created, or either
 * is a symlink.
 */
export function openDiskStoreWith(
  dataDir: string,
  network: string,
  options: DiskStoreOptions,
  readDir: ReadDir,
): DiskStore {
  const dirPath = join(dataDir, network);
  const fileMode = options.fileMode ?? 0o600;
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const dir = openNetworkDir(dataDir, dirPath);
  let lockFile: LockFile;
  try {
    lockFile = new LockFile(`${dirPath}/lock`);
  } catch (err) {
    dir.close();
    throw err;
  }
  const index: LeaseIndex | undefined = options.index === false
    ? undefined
    : leaseIndex(dataDir, network);

  // State of one lock hold (reset when withLock takes the lock).
  let holding = false;
  /** `last_reserved_ip.<id>` contents as on disk (`undefined`: no file), read at most once. */
  const last = new Map<string, string | undefined>();

  function lastOf(rangeId: string): string | undefined {
    if (last.has(rangeId)) return last.get(rangeId);
    const r = dir.read(`${LAST_IP_PREFIX}${rangeId}`, MAX_LEASE_BYTES);
    const text = r.kind === "file" ? DECODER.decode(r.bytes) : undefined;
    last.set(rangeId, text);
    return text;
  }

  /** Every lease; unfinished ones (empty files, see `Scan`) are removed on the way. */
  const scan = () => {
    const found = scanLeases(dir, dirPath, readDir);
    for (const ip of found.unfinished) {
      try {
        dir.unlink(ip);
      } catch {
        // still free by the reserve rule; the next scan tries again
      }
    }
    return found;
  };
  const hold = indexHold(index, {
    dirState: () => dirState(dir),
    lastOf,
    scan,
    readLease: (ip) => readLease(dir, ip),
  });

  /**
   * Removes lease files and their index entries; after trying them all, reports those that
   * could not be removed.
   */
  function removeLeases(
    ips: readonly string[],
    action: string,
    owner?: { id: string; ifName: string | undefined },
  ): string[] {
    const out: string[] = [];
    const errors: string[] = [];
    let first: unknown;
    for (const ip of ips) {
      try {
        if (dir.unlink(ip)) out.push(ip);
      } catch (err) {
        first ??= err;
        errors.push(errorText(err));
      }
    }
    if (out.length > 0) {
      hold.changed();
      if (owner) {
        hold.removed(ownerKey(owner.id.trim(), owner.ifName), out, owner.ifName === undefined);
      }
    }
    if (errors.length > 0) {
      throw new CniError(ErrorCode.IoFailure, action, { details: errors.join("; "), cause: first });
    }
    return out;
  }

  /** Runs a write; on a full disk, sheds the index (freeing its blocks) and tries once more. */
  function withSpace<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (!isNoSpace(err) || !hold.drop(true)) throw err;
      return fn();
    }
  }

  function held<T>(fn: () => T): T {
    if (holding) return fn();
    holding = true;
    hold.begin();
    last.clear();
    try {
      return fn();
    } finally {
      hold.flush();
      holding = false;
    }
  }

  const store: DiskStore = {
    dir: dirPath,

    withLock<T>(fn: () => T): Promise<T> {
      if (holding) {
        try {
          return Promise.resolve(fn());
        } catch (err) {
          return Promise.reject(err);
        }
      }
      return lockFile.run(() => held(fn), { timeoutMs: lockTimeoutMs, network });
    },

    reserve(id, ifName, ip, rangeId) {
      const data = ENCODER.encode(leaseContent(id, ifName));
      if (data.length > MAX_LEASE_BYTES) {
        throw new CniError(
          ErrorCode.InvalidEnvironmentVariables,
          `container ID and interface name too long for a lease (${data.length} bytes, at most ${MAX_LEASE_BYTES})`,
        );
      }
      hold.ensure();
      const action = `failed to reserve "${ip}" in "${dirPath}"`;
      let created: boolean;
      try {
        created = withSpace(() => dir.create(ip, data, fileMode));
        if (!created) {
          // An empty lease file is a reservation whose write never finished (plugins#498):
          // under the lock nobody is writing it, so it is free. Anything else is taken.
          const r = dir.read(ip, MAX_LEASE_BYTES);
          if (r.kind !== "file" || DECODER.decode(r.bytes).trim() !== "") return false;
          withSpace(() => dir.overwrite(ip, data, fileMode, r.bytes.length));
        }
      } catch (err) {
        throw ioError(action, err);
      }
      hold.changed();
      const lastName = `${LAST_IP_PREFIX}${rangeId}`;
      try {
        const previous = lastOf(rangeId)?.length; // unknown: cut the tail
        withSpace(() => dir.overwrite(lastName, ENCODER.encode(ip), fileMode, previous));
        last.set(rangeId, ip);
      } catch (err) {
        // Undo the lease: a failed ADD leaves nothing behind.
        last.delete(rangeId);
        try {
          dir.unlink(ip);
        } catch { /* a read-only disk would have refused the lease already */ }
        throw ioError(`failed to record the last reserved address in "${dirPath}"`, err);
      }
      hold.added(ip, ownerKey(id.trim(), ifName), rangeId);
      return true;
    },

    lastReservedIp(rangeId) {
      return lastOf(rangeId);
    },

    getById(id, ifName) {
      const exact = hold.owned(id, ifName);
      const legacy = exact === undefined ? undefined : hold.owned(id, undefined);
      if (exact !== undefined && legacy !== undefined) {
        return [...exact, ...legacy.filter((ip) => !exact.includes(ip))];
      }
      return scan().leases.filter((l) => matches(l, id, ifName) || matches(l, id, undefined))
        .map((l) => l.ip);
    },

    releaseById(id, ifName) {
      const action = `failed to release the addresses of "${id.trim()}" in "${dirPath}"`;
      const exact = hold.owned(id, ifName);
      if (exact !== undefined && exact.length > 0) {
        return removeLeases(exact, action, { id, ifName });
      }
      const legacy = exact === undefined ? undefined : hold.owned(id, undefined);
      if (legacy !== undefined) return removeLeases(legacy, action, { id, ifName: undefined });
      return removeLeases(releasable(scan().leases, id, ifName), action);
    },

    findById(id, ifName) {
      const exact = hold.owned(id, ifName);
      if (exact !== undefined && exact.length > 0) return true;
      const legacy = exact === undefined ? undefined : hold.owned(id, undefined);
      if (legacy !== undefined) return legacy.length > 0;
      const { leases } = scan();
      return leases.some((l) => matches(l, id, ifName) || matches(l, id, undefined));
    },

    isFree(ip) {
      const r = dir.read(ip, MAX_LEASE_BYTES);
      if (r.kind === "missing") return true;
      return r.kind === "file" && DECODER.decode(r.bytes).trim() === "";
    },

    leases() {
      const found = scan();
      // The scan is paid for already: validate the index, or rebuild it from this scan.
      hold.adopt(found);
      return found.leases;
    },

    release(ip) {
      hold.ensure();
      const lease = readLease(dir, ip);
      // Links, FIFOs and devices are not ours to remove; an oversized file is a broken lease.
      if (lease === "missing" || lease === "special") return;
      const owner = typeof lease !== "string" && lease.containerId !== ""
        ? { id: lease.containerId, ifName: lease.ifName }
        : undefined;
      removeLeases([ip], `failed to release "${ip}" in "${dirPath}"`, owner);
    },

    close() {
      lockFile.close();
      index?.close();
      dir.close();
    },
  };
  return store;
}
