/**
 * Lease stores for host-local: the {@linkcode Store} interface, the disk store in the
 * reference's exact format (shared safely with the reference binary), and an in-memory store
 * for unit tests.
 *
 * Disk layout (`<dataDir>/<network>/`, as the reference): one file per leased address named by
 * the address and holding `<containerID>\r\n<ifname>` (no trailing newline, mode 0600),
 * `last_reserved_ip.<rangeID>` holding the last address reserved from a range set, and `lock`,
 * held with `flock(LOCK_EX)` around every operation.
 *
 * Beyond the reference, an owner index in `<dataDir>/.denocni-index/<network>/` (256 bucket
 * files keyed by owner, plus a marker recording the lease directory's inode, mtime, ctime and
 * the `last_reserved_ip.*` contents) lets ADD's duplicate check skip the directory walk. Any
 * change the marker does not account for (a write by the reference binary, a wiped directory)
 * makes the next ADD rebuild the index with one walk; DEL, CHECK and GC always walk.
 *
 * @module
 */
import { join } from "../../cni/_path.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import { close, flock, LOCK_EX, LOCK_UN, O_CREAT, O_RDONLY, open } from "../../ffi/mod.ts";
import { parseIP } from "./ip.ts";

/** One lease file as found on disk. */
export interface Lease {
  /** The leased address (canonical text, the file name). */
  ip: string;
  /** The owner's container ID; empty for an empty or unreadable file. */
  containerId: string;
  /** The owner's interface name; absent for legacy files holding only the container ID. */
  ifName?: string;
}

/**
 * Where leases live. All methods except `withLock` and `close` expect the lock to be held
 * (the allocator and plugin take it); all are synchronous, so a lock is never held across an
 * `await`.
 */
export interface Store {
  /** Runs `fn` holding the store's exclusive lock. */
  withLock<T>(fn: () => T): T;
  /** Reserves `ip` for `id`/`ifName` unless taken; records it as the set's last reserved. */
  reserve(id: string, ifName: string, ip: string, rangeId: string): boolean;
  /** The set's last reserved address text, if recorded. */
  lastReservedIp(rangeId: string): string | undefined;
  /** Addresses held by `id`/`ifName` or by a legacy `id`-only lease. */
  getById(id: string, ifName: string): string[];
  /** Releases `id`/`ifName`'s leases, or failing that legacy `id`-only ones; returns them. */
  releaseById(id: string, ifName: string): string[];
  /** Whether `id`/`ifName` (or legacy `id`) holds any lease. */
  findById(id: string, ifName: string): boolean;
  /** Whether `ip` could be reserved now. */
  isFree(ip: string): boolean;
  /** Every lease file. */
  leases(): Lease[];
  /** Removes the lease of `ip`. */
  release(ip: string): void;
  /** Releases resources (the lock file descriptor). */
  close(): void;
}

const LAST_IP_PREFIX = "last_reserved_ip.";
const LINE_BREAK = "\r\n";

/** The reference's lease file contents for an owner. */
export function leaseContent(id: string, ifName: string): string {
  return id.trim() + LINE_BREAK + ifName;
}

/**
 * Parses the trimmed contents of a lease file.
 *
 * @param text Raw contents.
 * @param ip The file name.
 * @returns The lease.
 */
export function parseLease(text: string, ip: string): Lease {
  const t = text.trim();
  const at = t.indexOf(LINE_BREAK);
  if (at < 0) return { ip, containerId: t };
  return { ip, containerId: t.slice(0, at), ifName: t.slice(at + LINE_BREAK.length) };
}

function matches(lease: Lease, id: string, ifName: string | undefined): boolean {
  return lease.containerId === id.trim() && lease.ifName === ifName && lease.containerId !== "";
}

function releaseFromLeases(
  all: Lease[],
  id: string,
  ifName: string,
  remove: (ip: string) => void,
): string[] {
  let hits = all.filter((l) => matches(l, id, ifName));
  if (hits.length === 0) hits = all.filter((l) => matches(l, id, undefined));
  const out: string[] = [];
  for (const l of hits) {
    try {
      remove(l.ip);
      out.push(l.ip);
    } catch {
      // The reference skips files it cannot remove.
    }
  }
  return out;
}

/** Options for {@linkcode memoryStore}. */
export interface MemoryStoreOptions {
  /** Initial file contents by address (raw, as they would be on disk). */
  files?: Record<string, string>;
  /** Initial `last_reserved_ip.<rangeId>` contents. */
  lastReserved?: Record<string, string>;
}

/** The in-memory store's visible state (for assertions). */
export interface MemoryStore extends Store {
  /** Lease file contents by address. */
  readonly files: Map<string, string>;
  /** `last_reserved_ip.<rangeId>` contents by range ID. */
  readonly lastReserved: Map<string, string>;
}

/**
 * An in-memory store with the disk store's semantics (for unit tests).
 *
 * @param options Initial contents.
 * @returns The store.
 * @example Reserving
 * ```ts
 * import { memoryStore } from "./store.ts";
 * const s = memoryStore();
 * console.log(s.reserve("c1", "eth0", "10.0.0.2", "0"), s.files.get("10.0.0.2")); // true "c1\r\neth0"
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const files = new Map(Object.entries(options.files ?? {}));
  const lastReserved = new Map(Object.entries(options.lastReserved ?? {}));
  const leases = () => [...files].map(([ip, text]) => parseLease(text, ip));
  const store: MemoryStore = {
    files,
    lastReserved,
    withLock: (fn) => fn(),
    reserve(id, ifName, ip, rangeId) {
      const existing = files.get(ip);
      if (existing !== undefined && existing.trim() !== "") return false;
      files.set(ip, leaseContent(id, ifName));
      lastReserved.set(rangeId, ip);
      return true;
    },
    lastReservedIp: (rangeId) => lastReserved.get(rangeId),
    getById: (id, ifName) =>
      leases().filter((l) => matches(l, id, ifName) || matches(l, id, undefined)).map((l) => l.ip),
    releaseById: (id, ifName) => releaseFromLeases(leases(), id, ifName, (ip) => files.delete(ip)),
    findById: (id, ifName) =>
      leases().some((l) => matches(l, id, ifName)) ||
      leases().some((l) => matches(l, id, undefined)),
    isFree: (ip) => (files.get(ip) ?? "").trim() === "",
    leases,
    release: (ip) => void files.delete(ip),
    close() {},
  };
  return store;
}

/**
 * The lock file: an `flock`ed descriptor on `<dir>/lock` (created 0750 as the reference does).
 */
export class LockFile {
  #fd: number;
  #path: string;

  /**
   * Opens (creating) the lock file.
   *
   * @param path The lock file path.
   * @throws {CniError} Code 999 when it cannot be opened.
   */
  constructor(path: string) {
    this.#path = path;
    try {
      this.#fd = open(path, O_RDONLY | O_CREAT, 0o750);
    } catch (err) {
      throw new CniError(ErrorCode.Internal, `failed to open lock file "${path}"`, {
        details: err instanceof Error ? err.message : String(err),
        cause: err,
      });
    }
  }

  /** Takes the exclusive lock (blocks until free). */
  lock(): void {
    if (this.#fd < 0) throw new CniError(ErrorCode.Internal, `lock file "${this.#path}" is closed`);
    flock(this.#fd, LOCK_EX);
  }

  /** Drops the lock. */
  unlock(): void {
    if (this.#fd >= 0) flock(this.#fd, LOCK_UN);
  }

  /** Closes the descriptor (dropping any lock). Idempotent. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    close(fd);
  }

  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Options for {@linkcode openDiskStore}. */
export interface DiskStoreOptions {
  /** File mode of lease and `last_reserved_ip` files: 0o600 (newest reference, default) or 0o644 (1.1.1). */
  fileMode?: number;
  /** Keep the owner index (default true). */
  index?: boolean;
}

interface Marker {
  ino: number | null;
  mtime: number | null;
  ctime: number | null;
  last: Record<string, string>;
}

const BUCKETS = 256;

function bucketOf(key: string): string {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return `b${((h >>> 0) % BUCKETS).toString(16).padStart(2, "0")}`;
}

function ownerKey(l: Lease): string {
  return l.ifName === undefined ? l.containerId : `${l.containerId}\t${l.ifName}`;
}

function isNotFound(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound;
}

function ioError(action: string, err: unknown): CniError {
  return new CniError(ErrorCode.Internal, action, {
    details: err instanceof Error ? err.message : String(err),
    cause: err,
  });
}

/**
 * Opens the disk store for a network: creates `<dataDir>/<network>/` (0755) and its `lock`.
 *
 * @param dataDir The state root.
 * @param network The network name.
 * @param options File mode and index switch.
 * @returns The store (close it when done).
 * @throws {CniError} Code 999 when the directory or lock cannot be created.
 * @example Opening a store
 * ```ts ignore
 * import { openDiskStore } from "./store.ts";
 * const store = openDiskStore("/tmp/cni-data", "mynet");
 * try {
 *   store.withLock(() => store.reserve("c1", "eth0", "10.0.0.2", "0"));
 * } finally {
 *   store.close();
 * }
 * ```
 */
export function openDiskStore(
  dataDir: string,
  network: string,
  options: DiskStoreOptions = {},
): Store & { readonly dir: string } {
  const dir = join(dataDir, network);
  const indexDir = join(dataDir, ".denocni-index", network);
  const fileMode = options.fileMode ?? 0o600;
  const useIndex = options.index ?? true;
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw ioError(`failed to create data directory "${dir}"`, err);
  }
  const lockFile = new LockFile(join(dir, "lock"));
  let locked = 0;
  let indexValid = false;
  let indexDirty = false;
  let trackedRanges = new Set<string>();

  const path = (ip: string) => join(dir, ip);
  const readText = (p: string): string | undefined => {
    try {
      return Deno.readTextFileSync(p);
    } catch {
      return undefined;
    }
  };

  function scan(): { leases: Lease[]; rangeIds: string[] } {
    const leases: Lease[] = [];
    const rangeIds: string[] = [];
    for (const e of Deno.readDirSync(dir)) {
      if (e.name.startsWith(LAST_IP_PREFIX)) {
        rangeIds.push(e.name.slice(LAST_IP_PREFIX.length));
        continue;
      }
      if (!e.isFile || parseIP(e.name) === undefined) continue;
      const text = readText(path(e.name));
      leases.push(text === undefined ? { ip: e.name, containerId: "" } : parseLease(text, e.name));
    }
    return { leases, rangeIds };
  }

  function dirStat(): Pick<Marker, "ino" | "mtime" | "ctime"> {
    const st = Deno.statSync(dir);
    return { ino: st.ino, mtime: st.mtime?.getTime() ?? null, ctime: st.ctime?.getTime() ?? null };
  }

  function currentLast(ids: Iterable<string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const id of ids) out[id] = readText(join(dir, LAST_IP_PREFIX + id)) ?? "";
    return out;
  }

  function writeIndex(leases: Lease[], rangeIds: string[]): void {
    const buckets = new Map<string, string[]>();
    for (const l of leases) {
      if (l.containerId === "") continue;
      const key = ownerKey(l);
      const b = bucketOf(key);
      const lines = buckets.get(b) ?? [];
      lines.push(`${l.ip}\t${key}`);
      buckets.set(b, lines);
    }
    Deno.mkdirSync(indexDir, { recursive: true, mode: 0o700 });
    // Remove only bucket files that exist (a failed remove per absent bucket cost 256 thrown
    // NotFound errors per rebuild).
    for (const e of Deno.readDirSync(indexDir)) {
      if (!/^b[0-9a-f]{2}$/.test(e.name) || buckets.has(e.name)) continue;
      try {
        Deno.removeSync(join(indexDir, e.name));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    for (const [b, lines] of buckets) {
      Deno.writeTextFileSync(join(indexDir, b), lines.join("\n") + "\n");
    }
    trackedRanges = new Set(rangeIds);
    indexValid = true;
    indexDirty = true;
  }

  function flushIndex(): void {
    if (!indexDirty) return;
    indexDirty = false;
    const marker: Marker = { ...dirStat(), last: currentLast(trackedRanges) };
    Deno.writeTextFileSync(join(indexDir, "marker"), JSON.stringify(marker));
  }

  function dropIndex(): void {
    indexValid = false;
    indexDirty = false;
    try {
      Deno.removeSync(join(indexDir, "marker"));
    } catch {
      // Nothing to drop.
    }
  }

  function ensureIndex(): boolean {
    if (!useIndex) return false;
    if (indexValid) return true;
    try {
      const text = readText(join(indexDir, "marker"));
      if (text !== undefined) {
        const m = JSON.parse(text) as Marker;
        const st = dirStat();
        const last = currentLast(Object.keys(m.last ?? {}));
        if (
          st.ino === m.ino && st.mtime === m.mtime && st.ctime === m.ctime &&
          JSON.stringify(last) === JSON.stringify(m.last)
        ) {
          trackedRanges = new Set(Object.keys(m.last));
          indexValid = true;
          return true;
        }
      }
      const { leases, rangeIds } = scan();
      writeIndex(leases, rangeIds);
      return true;
    } catch {
      dropIndex();
      return false;
    }
  }

  function indexAdd(ip: string, id: string, ifName: string, rangeId: string): void {
    if (!indexValid) return;
    try {
      const key = `${id.trim()}\t${ifName}`;
      const f = join(indexDir, bucketOf(key));
      Deno.writeTextFileSync(f, `${ip}\t${key}\n`, { append: true });
      trackedRanges.add(rangeId);
      indexDirty = true;
    } catch {
      dropIndex();
    }
  }

  function reclaimable(p: string): boolean {
    try {
      const st = Deno.statSync(p);
      if (!st.isFile) return false;
      if (st.size === 0) return true;
      return st.size < 16 && (readText(p) ?? "x").trim() === "";
    } catch {
      return false;
    }
  }

  const store: Store & { readonly dir: string } = {
    dir,
    withLock<T>(fn: () => T): T {
      if (locked > 0) {
        locked++;
        try {
          return fn();
        } finally {
          locked--;
        }
      }
      lockFile.lock();
      locked = 1;
      indexValid = false;
      try {
        return fn();
      } finally {
        try {
          flushIndex();
        } catch {
          dropIndex();
        }
        locked = 0;
        lockFile.unlock();
      }
    },

    reserve(id, ifName, ip, rangeId) {
      if (!indexValid) ensureIndex();
      const p = path(ip);
      const data = new TextEncoder().encode(leaseContent(id, ifName));
      let file: Deno.FsFile;
      try {
        file = Deno.openSync(p, { createNew: true, write: true, mode: fileMode });
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) {
          throw ioError(`failed to reserve "${ip}" in "${dir}"`, err);
        }
        // An empty lease file is a reservation whose write never finished (plugins#498):
        // under the lock nobody is writing it, so it is free.
        if (!reclaimable(p)) return false;
        file = Deno.openSync(p, { write: true, truncate: true });
      }
      try {
        let off = 0;
        while (off < data.length) off += file.writeSync(data.subarray(off));
        file.close();
      } catch (err) {
        try {
          file.close();
        } catch { /* already closed */ }
        Deno.removeSync(p);
        throw ioError(`failed to write lease "${p}"`, err);
      }
      try {
        Deno.writeTextFileSync(join(dir, LAST_IP_PREFIX + rangeId), ip, { mode: fileMode });
      } catch (err) {
        throw ioError(`failed to record last reserved address in "${dir}"`, err);
      }
      indexAdd(ip, id, ifName, rangeId);
      return true;
    },

    lastReservedIp(rangeId) {
      return readText(join(dir, LAST_IP_PREFIX + rangeId));
    },

    getById(id, ifName) {
      if (ensureIndex()) {
        const keys = [`${id.trim()}\t${ifName}`, id.trim()];
        const out: string[] = [];
        let stale = false;
        for (const key of keys) {
          const text = readText(join(indexDir, bucketOf(key))) ?? "";
          for (const line of text.split("\n")) {
            const tab = line.indexOf("\t");
            if (tab < 0 || line.slice(tab + 1) !== key) continue;
            const ip = line.slice(0, tab);
            const lease = parseLease(readText(path(ip)) ?? "", ip);
            if (ownerKey(lease) === key) out.push(ip);
            else stale = true;
          }
        }
        if (!stale) return [...new Set(out)];
        dropIndex();
      }
      const { leases, rangeIds } = scan();
      if (useIndex) {
        try {
          writeIndex(leases, rangeIds);
        } catch {
          dropIndex();
        }
      }
      return leases.filter((l) => matches(l, id, ifName) || matches(l, id, undefined)).map((l) =>
        l.ip
      );
    },

    releaseById(id, ifName) {
      const { leases, rangeIds } = scan();
      const released = releaseFromLeases(leases, id, ifName, (ip) => Deno.removeSync(path(ip)));
      if (useIndex) {
        const gone = new Set(released);
        try {
          writeIndex(leases.filter((l) => !gone.has(l.ip)), rangeIds);
        } catch {
          dropIndex();
        }
      }
      return released;
    },

    findById(id, ifName) {
      const { leases } = scan();
      return leases.some((l) => matches(l, id, ifName)) ||
        leases.some((l) => matches(l, id, undefined));
    },

    isFree(ip) {
      const p = path(ip);
      try {
        Deno.lstatSync(p);
      } catch (err) {
        if (isNotFound(err)) return true;
        return false;
      }
      return reclaimable(p);
    },

    leases: () => scan().leases,

    release(ip) {
      try {
        Deno.removeSync(path(ip));
      } catch (err) {
        if (!isNotFound(err)) throw ioError(`failed to release "${ip}" in "${dir}"`, err);
      }
      if (indexValid) {
        // The index line goes stale; getById verifies and rebuilds. Force a rebuild next time.
        dropIndex();
      }
    },

    close() {
      lockFile.close();
    },
  };
  return store;
}
