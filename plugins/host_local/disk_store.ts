/**
 * The disk store: host-local's leases in the reference's exact format, shared safely with the
 * reference binary.
 *
 * Layout (`<dataDir>/<network>/`, as the reference): one file per leased address named by the
 * address and holding `<containerID>\r\n<ifname>` (no trailing newline, mode 0600),
 * `last_reserved_ip.<rangeID>` holding the last address reserved from a range set, and `lock`,
 * held with `flock(LOCK_EX)` around every command (see `lock_file.ts`). Beside it, outside the
 * lease directory, an owner index (`lease_index.ts`) spares ADD, DEL and CHECK a walk of every
 * lease; it is a cache, removed with the network's last lease.
 *
 * Nothing inside the data directory is followed if it is a symbolic link: the network
 * directory, the lock, lease files, `last_reserved_ip.*` and the index are opened relative to
 * their directory with `O_NOFOLLOW`. A lease name held by a link, a FIFO, a device or a file
 * over 4 KiB counts as taken and is never read, written or removed. Lease files are created
 * exclusively (`O_EXCL`) before anything else is written, so no order of crashes can hand out
 * an address twice. A failed ADD leaves no lease behind; a full disk first sheds the index.
 *
 * @module
 */
import { join } from "../../cni/_path.ts";
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import { DirHandle, type FileRead, isErrno } from "./_dir.ts";
import { parseIp } from "../../ip/mod.ts";
import { indexable, type LeaseIndex, leaseIndex, ownerKey } from "./lease_index.ts";
import { DEFAULT_LOCK_TIMEOUT_MS, LockFile } from "./lock_file.ts";
import {
  LAST_IP_PREFIX,
  type Lease,
  leaseContent,
  matches,
  MAX_LEASE_BYTES,
  parseLease,
  releasable,
  type Store,
} from "./store.ts";

/** Options for {@linkcode openDiskStore}. */
export interface DiskStoreOptions {
  /** File mode of lease and `last_reserved_ip` files: 0o600 (newest reference, default) or 0o644 (1.1.1). */
  fileMode?: number;
  /** Keep the owner index (default true). */
  index?: boolean;
  /**
   * Lists the lease directory for a full scan (default `Deno.readDirSync`). A seam for tests
   * that count scans; the index exists so that ADD, DEL and CHECK need none.
   */
  readDir?: (path: string) => Iterable<Deno.DirEntry>;
  /**
   * How long `withLock` waits for the network's lock while another process holds it, in ms
   * (default {@linkcode DEFAULT_LOCK_TIMEOUT_MS}); then CNI code 11. The reference waits
   * forever.
   */
  lockTimeoutMs?: number;
}

/** A disk store, with the path of its lease directory. */
export interface DiskStore extends Store {
  /** `<dataDir>/<network>`. */
  readonly dir: string;
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

function ioError(action: string, err: unknown): CniError {
  if (err instanceof CniError) return err;
  return new CniError(ErrorCode.IoFailure, action, { details: errorText(err), cause: err });
}

function isNoSpace(err: unknown): boolean {
  return isErrno(err, "ENOSPC", "EDQUOT");
}

/** Opens `<dataDir>/<network>`, creating it (0755) and `dataDir` when missing. */
function openNetworkDir(dataDir: string, path: string): DirHandle {
  try {
    try {
      return DirHandle.open(path, 0o755);
    } catch (err) {
      if (!isErrno(err, "ENOENT")) throw err;
    }
    Deno.mkdirSync(dataDir, { recursive: true, mode: 0o755 }); // dataDir itself may be a link
    return DirHandle.open(path, 0o755);
  } catch (err) {
    const why = isErrno(err, "ENOTDIR")
      ? "not a directory (a symbolic link there is never followed)"
      : errorText(err);
    throw new CniError(ErrorCode.IoFailure, `failed to open data directory "${path}"`, {
      details: why,
      cause: err,
    });
  }
}

/**
 * Opens the disk store for a network: creates `<dataDir>/<network>/` (0755) and its `lock`.
 *
 * The owner index lets ADD's duplicate check, DEL and CHECK read one small file instead of
 * every lease. Each index entry is checked against the lease file it names before use, and an
 * entry that does not match (or a damaged index file) makes the command rebuild the index
 * from one scan and look again: the lease files win. A lease missing from the index can only
 * come from a writer that does not keep it (the reference binary, a hand edit) or a crash
 * between a lease and its index entry, and both change the lease directory (its size or
 * nanosecond times) or a `last_reserved_ip` file, which the index's marker records: a
 * mismatch makes the next command rebuild the index with one scan.
 *
 * @param dataDir The state root (may itself be a symlink; nothing inside it is followed).
 * @param network The network name.
 * @param options File mode, index switch, directory reader, lock wait limit.
 * @returns The store (close it when done).
 * @throws {CniError} Code 5 when the directory or lock cannot be opened or created, or either
 * is a symlink.
 * @example Opening a store
 * ```ts ignore
 * import { openDiskStore } from "./disk_store.ts";
 * const store = openDiskStore("/tmp/cni-data", "mynet");
 * try {
 *   await store.withLock(() => store.reserve("c1", "eth0", "10.0.0.2", "0"));
 * } finally {
 *   store.close();
 * }
 * ```
 */
export function openDiskStore(
  dataDir: string,
  network: string,
  options: DiskStoreOptions = {},
): DiskStore {
  const dirPath = join(dataDir, network);
  const fileMode = options.fileMode ?? 0o600;
  const readDir = options.readDir ?? Deno.readDirSync;
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
  /** unknown: not looked at yet; valid: matches the directory; off: unusable this hold. */
  let mode: "unknown" | "valid" | "off" = "unknown";
  /** The directory or index changed while the index was valid: write it at the end. */
  let dirty = false;
  /** `last_reserved_ip.<id>` contents as on disk (`undefined`: no file), read at most once. */
  const last = new Map<string, string | undefined>();
  /** Range IDs whose `last_reserved_ip` the marker records. */
  let tracked = new Set<string>();

  function readLease(ip: string): Lease | FileRead["kind"] {
    const r = dir.read(ip, MAX_LEASE_BYTES);
    if (r.kind !== "file") return r.kind;
    return parseLease(DECODER.decode(r.bytes), ip);
  }

  function lastOf(rangeId: string): string | undefined {
    if (last.has(rangeId)) return last.get(rangeId);
    const r = dir.read(`${LAST_IP_PREFIX}${rangeId}`, MAX_LEASE_BYTES);
    const text = r.kind === "file" ? DECODER.decode(r.bytes) : undefined;
    last.set(rangeId, text);
    return text;
  }

  function dirState(): string {
    const t = dir.stat();
    return `${t.dev}:${t.ino}:${t.size}:${t.mtimeNs}:${t.ctimeNs}`;
  }

  function scan(): { leases: Lease[]; rangeIds: string[] } {
    const leases: Lease[] = [];
    const rangeIds: string[] = [];
    for (const e of readDir(dirPath)) {
      if (e.name.startsWith(LAST_IP_PREFIX)) {
        rangeIds.push(e.name.slice(LAST_IP_PREFIX.length));
        continue;
      }
      if (!e.isFile || parseIp(e.name) === undefined) continue;
      const lease = readLease(e.name);
      if (typeof lease !== "string") leases.push(lease);
      else if (lease === "large") leases.push({ ip: e.name, containerId: "" }); // taken, unread
    }
    return { leases, rangeIds };
  }

  /** Gives up the index for this hold; `shed` also frees its disk space. */
  function dropIndex(shed = false): boolean {
    mode = "off";
    dirty = false;
    try {
      return index?.destroy() ?? false;
    } catch {
      return false;
    } finally {
      if (shed) index?.close();
    }
  }

  function rebuild(leases: Lease[], rangeIds: string[]): void {
    const entries = [];
    for (const l of leases) {
      if (l.containerId === "") continue;
      const key = ownerKey(l.containerId, l.ifName);
      if (indexable(key)) entries.push({ ip: l.ip, key, legacy: l.ifName === undefined });
    }
    index!.rebuild(entries, rangeIds);
    tracked = new Set(rangeIds);
    mode = "valid";
    dirty = true;
  }

  /** Validates the index once per lock hold, rebuilding it from a scan when stale. */
  function ensureIndex(): boolean {
    if (mode !== "unknown") return mode === "valid";
    if (!index) {
      mode = "off";
      return false;
    }
    try {
      if (index.check(dirState(), lastOf)) {
        mode = "valid";
        tracked = new Set(index.rangeIds());
        return true;
      }
    } catch {
      dropIndex();
      return false;
    }
    return rescan();
  }

  /** Rebuilds the index from a scan after it disagreed with the lease files. */
  function rescan(): boolean {
    try {
      const { leases, rangeIds } = scan();
      rebuild(leases, rangeIds);
      return true;
    } catch {
      dropIndex();
      return false;
    }
  }

  /** Records a change of the directory: the index is rewritten at unlock, or dropped. */
  function changed(): void {
    if (mode === "valid") dirty = true;
    else if (index && mode === "unknown") dropIndex();
  }

  function flush(): void {
    if (!dirty || mode !== "valid" || !index) return;
    dirty = false;
    const recorded: Record<string, string> = {};
    for (const id of tracked) recorded[id] = lastOf(id) ?? "";
    try {
      index.flush(dirState(), recorded);
    } catch {
      dropIndex(); // never leave a marker that vouches for what was not written
    }
  }

  /**
   * The leases of `id` and `ifName` (`undefined`: legacy ID-only ones) by the index, each
   * checked against its file; `undefined` when the index cannot answer (then scan).
   */
  function owned(id: string, ifName: string | undefined): string[] | undefined {
    const cid = id.trim();
    const key = ownerKey(cid, ifName);
    if (!indexable(key)) return undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!ensureIndex()) return undefined;
      if (ifName === undefined && index!.legacy() === 0) return [];
      let found: string[] | undefined;
      try {
        found = index!.lookup(key);
      } catch {
        found = undefined;
      }
      if (found !== undefined) {
        const ips: string[] = [];
        let stale = false;
        for (const ip of found) {
          const lease = readLease(ip);
          if (typeof lease !== "string" && matches(lease, cid, ifName)) ips.push(ip);
          else stale = true;
        }
        if (!stale) return ips;
      }
      // A damaged bucket or an entry the lease file contradicts: the files win.
      if (!rescan()) return undefined;
    }
    return undefined;
  }

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
      changed();
      if (owner && mode === "valid") {
        try {
          index!.remove(ownerKey(owner.id.trim(), owner.ifName), out, owner.ifName === undefined);
        } catch {
          dropIndex();
        }
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
      if (!isNoSpace(err) || !dropIndex(true)) throw err;
      return fn();
    }
  }

  function held<T>(fn: () => T): T {
    if (holding) return fn();
    holding = true;
    mode = "unknown";
    dirty = false;
    last.clear();
    try {
      return fn();
    } finally {
      flush();
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
      ensureIndex();
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
      changed();
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
      if (mode === "valid") {
        try {
          index!.add(ip, ownerKey(id.trim(), ifName), false);
          tracked.add(rangeId);
        } catch {
          dropIndex();
        }
      }
      return true;
    },

    lastReservedIp(rangeId) {
      return lastOf(rangeId);
    },

    getById(id, ifName) {
      const exact = owned(id, ifName);
      const legacy = exact === undefined ? undefined : owned(id, undefined);
      if (exact !== undefined && legacy !== undefined) {
        return [...exact, ...legacy.filter((ip) => !exact.includes(ip))];
      }
      return scan().leases.filter((l) => matches(l, id, ifName) || matches(l, id, undefined))
        .map((l) => l.ip);
    },

    releaseById(id, ifName) {
      const action = `failed to release the addresses of "${id.trim()}" in "${dirPath}"`;
      const exact = owned(id, ifName);
      if (exact !== undefined && exact.length > 0) {
        return removeLeases(exact, action, { id, ifName });
      }
      const legacy = exact === undefined ? undefined : owned(id, undefined);
      if (legacy !== undefined) return removeLeases(legacy, action, { id, ifName: undefined });
      return removeLeases(releasable(scan().leases, id, ifName), action);
    },

    findById(id, ifName) {
      const exact = owned(id, ifName);
      if (exact !== undefined && exact.length > 0) return true;
      const legacy = exact === undefined ? undefined : owned(id, undefined);
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
      const { leases, rangeIds } = scan();
      if (index && mode === "unknown") {
        // The scan is paid for already: validate the index, or rebuild it from this scan.
        try {
          if (index.check(dirState(), lastOf)) {
            mode = "valid";
            tracked = new Set(index.rangeIds());
          } else rebuild(leases, rangeIds);
        } catch {
          dropIndex();
        }
      }
      return leases;
    },

    release(ip) {
      ensureIndex();
      const lease = readLease(ip);
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
