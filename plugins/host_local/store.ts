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
 * files of `<ip>\t<owner>` lines keyed by owner, plus a marker recording the lease directory's
 * device, inode, mtime and ctime in nanoseconds and the `last_reserved_ip.*` contents) lets
 * ADD's duplicate check, DEL and CHECK read one bucket instead of walking the directory, so
 * their cost does not grow with the number of leases. Any change the marker does not account
 * for (a write by the reference binary or by hand, a wiped directory) makes the next command
 * rebuild the index with one walk; GC always walks.
 *
 * @module
 */
import { join } from "../../cni/_path.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import {
  close,
  ErrnoError,
  flock,
  LOCK_EX,
  LOCK_UN,
  O_CREAT,
  O_RDONLY,
  open,
} from "../../ffi/mod.ts";
import { dirStatTimes } from "../../ffi/stat.ts";
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
  /**
   * Lists the lease directory for a full scan (default `Deno.readDirSync`). A seam for tests
   * that count scans; the index exists so that ADD, DEL and CHECK need none.
   */
  readDir?: (path: string) => Iterable<Deno.DirEntry>;
}

/** The index's record of the lease directory it describes. */
interface Marker {
  /** Format version. */
  v: number;
  /** The lease directory's `dev:ino:mtime:ctime` (nanoseconds) after the last indexed change. */
  dir: string;
  /** `last_reserved_ip.<rangeId>` contents at that time. */
  last: Record<string, string>;
  /** How many indexed leases are legacy (container ID only); 0 skips their lookups. */
  legacy: number;
}

const MARKER_VERSION = 2;
const BUCKETS = 256;
const BUCKET_REGEXP = /^b[0-9a-f]{2}$/;
const ENCODER = new TextEncoder();

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
 * Replaces a small file's contents without truncating it to zero first: ext4 flushes a file
 * that was truncated to zero and rewritten when it is closed (`auto_da_alloc`), which costs a
 * disk write per call. The tail is cut only when the new text is shorter than `previous` (the
 * contents known to be on disk; unknown: always). A crash mid-way can leave a mix of old and
 * new bytes; every file written this way is either a hint (`last_reserved_ip`) or checked
 * before use (the index).
 */
function overwrite(path: string, text: string, mode: number, previous?: string): void {
  const data = ENCODER.encode(text);
  const file = Deno.openSync(path, { write: true, create: true, mode });
  try {
    let off = 0;
    while (off < data.length) off += file.writeSync(data.subarray(off));
    if (previous === undefined || data.length < ENCODER.encode(previous).length) {
      file.truncateSync(data.length);
    }
  } finally {
    file.close();
  }
}

function openLock(dir: string): LockFile {
  const path = `${dir}/lock`;
  try {
    return new LockFile(path);
  } catch (err) {
    const errno = err instanceof CniError ? err.cause : undefined;
    if (!(errno instanceof ErrnoError && errno.code === "ENOENT")) throw err;
  }
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw ioError(`failed to create data directory "${dir}"`, err);
  }
  return new LockFile(path);
}

/**
 * Opens the disk store for a network: creates `<dataDir>/<network>/` (0755) and its `lock`.
 *
 * The owner index lets ADD's duplicate check, DEL and CHECK read one bucket file instead of
 * every lease. Each index entry is checked against the lease file it names before use, so an
 * entry left behind by a removal is harmless; a lease missing from the index can only come
 * from a writer that does not keep it (the reference binary, a hand edit) or a crash between
 * a lease and its index entry, and both change the lease directory's modification time
 * (nanoseconds) or a `last_reserved_ip` file, which the marker records: a mismatch makes the
 * next command rebuild the index with one scan. Leases are created with `O_EXCL` before any
 * index write, so no order of crashes can hand out an address twice.
 *
 * @param dataDir The state root.
 * @param network The network name.
 * @param options File mode, index switch, directory reader.
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
  const markerPath = `${indexDir}/marker`;
  const fileMode = options.fileMode ?? 0o600;
  const useIndex = options.index ?? true;
  const readDir = options.readDir ?? Deno.readDirSync;
  const lockFile = openLock(dir);

  // State of one lock hold (reset when the outermost withLock takes the lock).
  let locked = 0;
  /** unknown: not looked at yet; valid: matches the directory; off: unusable this time. */
  let index: "unknown" | "valid" | "off" = "unknown";
  /** The directory or index changed while the index was valid: rewrite the marker. */
  let dirty = false;
  /** `last_reserved_ip.<id>` contents as on disk (`undefined`: no file), read at most once. */
  const last = new Map<string, string | undefined>();
  /** Range IDs whose `last_reserved_ip` the marker records. */
  let tracked = new Set<string>();
  let legacy = 0;
  /** The marker text read this hold, if any. */
  let markerText: string | undefined;

  const path = (ip: string) => `${dir}/${ip}`;
  const bucketPath = (key: string) => `${indexDir}/${bucketOf(key)}`;
  const readText = (p: string): string | undefined => {
    try {
      return Deno.readTextFileSync(p);
    } catch {
      return undefined;
    }
  };

  function lastOf(rangeId: string): string | undefined {
    if (last.has(rangeId)) return last.get(rangeId);
    const text = readText(`${dir}/${LAST_IP_PREFIX}${rangeId}`);
    last.set(rangeId, text);
    return text;
  }

  function dirState(): string {
    const t = dirStatTimes(dir);
    return `${t.dev}:${t.ino}:${t.mtimeNs}:${t.ctimeNs}`;
  }

  function scan(): { leases: Lease[]; rangeIds: string[] } {
    const leases: Lease[] = [];
    const rangeIds: string[] = [];
    for (const e of readDir(dir)) {
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

  /** Makes sure no marker vouches for an index this hold could not keep. */
  function dropIndex(): void {
    index = "off";
    dirty = false;
    try {
      Deno.removeSync(markerPath);
    } catch {
      // Nothing to drop.
    }
  }

  /** Whether the marker on disk describes the directory as it is now. */
  function markerMatches(): boolean {
    const text = readText(markerPath);
    markerText = text;
    if (text === undefined) return false;
    let m: Partial<Marker>;
    try {
      m = JSON.parse(text);
    } catch {
      return false;
    }
    if (m.v !== MARKER_VERSION || typeof m.dir !== "string" || m.dir !== dirState()) return false;
    const recorded = m.last !== null && typeof m.last === "object" ? m.last : {};
    for (const [id, value] of Object.entries(recorded)) {
      if (lastOf(id) !== value) return false;
    }
    tracked = new Set(Object.keys(recorded));
    legacy = typeof m.legacy === "number" ? m.legacy : 1;
    return true;
  }

  function rebuild(leases: Lease[], rangeIds: string[]): void {
    const buckets = new Map<string, string[]>();
    let legacyCount = 0;
    for (const l of leases) {
      if (l.containerId === "") continue;
      if (l.ifName === undefined) legacyCount++;
      const key = ownerKey(l);
      const b = bucketOf(key);
      const lines = buckets.get(b) ?? [];
      lines.push(`${l.ip}\t${key}`);
      buckets.set(b, lines);
    }
    Deno.mkdirSync(indexDir, { recursive: true, mode: 0o700 });
    for (const e of Deno.readDirSync(indexDir)) {
      if (!BUCKET_REGEXP.test(e.name) || buckets.has(e.name)) continue;
      try {
        Deno.removeSync(`${indexDir}/${e.name}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    for (const [b, lines] of buckets) {
      Deno.writeTextFileSync(`${indexDir}/${b}`, lines.join("\n") + "\n");
    }
    tracked = new Set(rangeIds);
    legacy = legacyCount;
    index = "valid";
    dirty = true;
  }

  /** Validates the index once per lock hold, rebuilding it from a scan when stale. */
  function ensureIndex(): boolean {
    if (index !== "unknown") return index === "valid";
    if (!useIndex) {
      index = "off";
      return false;
    }
    try {
      if (markerMatches()) {
        index = "valid";
        return true;
      }
      const { leases, rangeIds } = scan();
      rebuild(leases, rangeIds);
      return true;
    } catch {
      dropIndex();
      return false;
    }
  }

  /** Records a change of the directory: the marker is rewritten at unlock, or dropped. */
  function changed(): void {
    if (index === "valid") dirty = true;
    else if (useIndex && index === "unknown") dropIndex();
  }

  function flush(): void {
    if (!dirty || index !== "valid") return;
    dirty = false;
    const recorded: Record<string, string> = {};
    for (const id of tracked) recorded[id] = lastOf(id) ?? "";
    const marker: Marker = { v: MARKER_VERSION, dir: dirState(), last: recorded, legacy };
    overwrite(markerPath, JSON.stringify(marker), 0o644, markerText);
  }

  /** Index entries of `key` whose lease file still names that owner, and the bucket text. */
  function lookup(key: string): { ips: string[]; bucket: string | undefined } {
    const bucket = readText(bucketPath(key));
    const ips: string[] = [];
    if (bucket === undefined) return { ips, bucket };
    // A bucket holds many owners' lines: find this owner's with a native search, not a split.
    const needle = `\t${key}\n`;
    for (let at = bucket.indexOf(needle); at >= 0; at = bucket.indexOf(needle, at + 1)) {
      const ip = bucket.slice(bucket.lastIndexOf("\n", at - 1) + 1, at);
      if (ip.includes("\t") || ips.includes(ip)) continue; // a longer key ending in this one
      const lease = readText(path(ip));
      if (lease !== undefined && ownerKey(parseLease(lease, ip)) === key) ips.push(ip);
    }
    return { ips, bucket };
  }

  /**
   * Drops `key`'s lines for `ips` from its bucket. An emptied bucket is truncated, not
   * removed: creating a file costs far more than writing one (an inode and a journal entry).
   */
  function unindex(key: string, ips: readonly string[], bucket: string | undefined): void {
    if (ips.length === 0) return;
    let text = bucket ?? readText(bucketPath(key));
    if (text === undefined) return;
    for (const ip of ips) {
      const line = `${ip}\t${key}\n`;
      for (let at = text.indexOf(line); at >= 0; at = text.indexOf(line, at)) {
        if (at === 0 || text[at - 1] === "\n") {
          text = text.slice(0, at) + text.slice(at + line.length);
        } else at++;
      }
    }
    overwrite(bucketPath(key), text, 0o644);
  }

  function keysOf(id: string, ifName: string): { key: string; legacyKey: string | undefined } {
    const cid = id.trim();
    return { key: `${cid}\t${ifName}`, legacyKey: legacy > 0 ? cid : undefined };
  }

  function removeLeases(ips: readonly string[]): string[] {
    const out: string[] = [];
    for (const ip of ips) {
      try {
        Deno.removeSync(path(ip));
        out.push(ip);
      } catch {
        // The reference skips files it cannot remove.
      }
    }
    return out;
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
      index = "unknown";
      dirty = false;
      markerText = undefined;
      last.clear();
      try {
        return fn();
      } finally {
        try {
          flush();
        } catch {
          dropIndex();
        }
        locked = 0;
        lockFile.unlock();
      }
    },

    reserve(id, ifName, ip, rangeId) {
      ensureIndex();
      const p = path(ip);
      const data = ENCODER.encode(leaseContent(id, ifName));
      try {
        Deno.writeFileSync(p, data, { createNew: true, mode: fileMode });
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) {
          try {
            Deno.removeSync(p); // a short write after the create; nothing else can hold `p`
          } catch { /* never created */ }
          throw ioError(`failed to reserve "${ip}" in "${dir}"`, err);
        }
        // An empty lease file is a reservation whose write never finished (plugins#498):
        // under the lock nobody is writing it, so it is free.
        if (!reclaimable(p)) return false;
        try {
          Deno.writeFileSync(p, data);
        } catch (err) {
          throw ioError(`failed to write lease "${p}"`, err);
        }
      }
      changed();
      try {
        overwrite(`${dir}/${LAST_IP_PREFIX}${rangeId}`, ip, fileMode, lastOf(rangeId));
        last.set(rangeId, ip);
      } catch (err) {
        // The lease stays (as with the reference) but will never be indexed: let the next
        // command rebuild the index rather than miss it.
        last.delete(rangeId);
        dropIndex();
        throw ioError(`failed to record last reserved address in "${dir}"`, err);
      }
      if (index === "valid") {
        try {
          const key = `${id.trim()}\t${ifName}`;
          Deno.writeTextFileSync(bucketPath(key), `${ip}\t${key}\n`, { append: true });
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
      if (ensureIndex()) {
        const { key, legacyKey } = keysOf(id, ifName);
        const out = lookup(key).ips;
        if (legacyKey !== undefined) {
          for (const ip of lookup(legacyKey).ips) if (!out.includes(ip)) out.push(ip);
        }
        return out;
      }
      return scan().leases.filter((l) => matches(l, id, ifName) || matches(l, id, undefined))
        .map((l) => l.ip);
    },

    releaseById(id, ifName) {
      if (!ensureIndex()) {
        const released = releaseFromLeases(
          scan().leases,
          id,
          ifName,
          (ip) => Deno.removeSync(path(ip)),
        );
        if (released.length > 0) changed();
        return released;
      }
      const { key, legacyKey } = keysOf(id, ifName);
      let owner = key;
      let found = lookup(key);
      if (found.ips.length === 0 && legacyKey !== undefined) {
        owner = legacyKey;
        found = lookup(legacyKey);
      }
      const released = removeLeases(found.ips);
      if (released.length === 0) return released;
      changed();
      try {
        unindex(owner, released, found.bucket);
      } catch {
        dropIndex();
      }
      return released;
    },

    findById(id, ifName) {
      if (ensureIndex()) {
        const { key, legacyKey } = keysOf(id, ifName);
        return lookup(key).ips.length > 0 ||
          (legacyKey !== undefined && lookup(legacyKey).ips.length > 0);
      }
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

    leases() {
      const { leases, rangeIds } = scan();
      if (useIndex && index === "unknown") {
        // The scan is paid for already: validate the index, or rebuild it from this scan.
        try {
          if (markerMatches()) index = "valid";
          else rebuild(leases, rangeIds);
        } catch {
          dropIndex();
        }
      }
      return leases;
    },

    release(ip) {
      const valid = ensureIndex();
      const text = valid ? readText(path(ip)) : undefined;
      try {
        Deno.removeSync(path(ip));
      } catch (err) {
        if (!isNotFound(err)) throw ioError(`failed to release "${ip}" in "${dir}"`, err);
        return;
      }
      changed();
      if (valid && text !== undefined) {
        const lease = parseLease(text, ip);
        if (lease.containerId === "") return;
        try {
          unindex(ownerKey(lease), [ip], undefined);
        } catch {
          dropIndex();
        }
      }
    },

    close() {
      lockFile.close();
    },
  };
  return store;
}

function reclaimable(p: string): boolean {
  try {
    const st = Deno.statSync(p);
    if (!st.isFile) return false;
    if (st.size === 0) return true;
    if (st.size >= 16) return false;
    return Deno.readTextFileSync(p).trim() === "";
  } catch {
    return false;
  }
}
