/**
 * The owner index of one network: which addresses each owner (`<containerID>\t<ifname>`, or
 * a legacy container ID alone) holds, so that ADD's duplicate check, DEL and CHECK read one
 * small file instead of every lease. It is a cache: the lease files are the truth, every
 * entry is checked against its lease file before use, and any doubt (a marker that does not
 * describe the lease directory as it is, a checksum that does not match, an entry whose lease
 * says otherwise) makes the store rebuild the index from one scan of the lease directory.
 *
 * On disk in `<dataDir>/.denocni-index/<network>/`, not in the lease directory: the reference
 * walks that directory (subdirectories too) and reads every file whole on each DEL, CHECK and
 * duplicate check, and its GC releases any file that is not `lock` or `last_reserved_ip.*` and
 * names no valid attachment, so files of ours there would cost it time and could be deleted
 * under us. The index holds `<ip>\t<owner>` lines in `B` buckets, an owner's lines
 * all in bucket `fnv1a(owner) mod B`, each file a JSON header line then lines. File `0` is the
 * marker, holding the entries too while `B` is 1; with more buckets, bucket `k` is file
 * `k + 1`. The marker records the lease directory's device, inode, size and nanosecond times
 * after the last indexed change, the `last_reserved_ip.*` contents then, the entry count, `B`
 * and the checksum of every bucket's lines; every header also carries the index's generation
 * and its own file's checksum, so a bucket garbled, cut, emptied or swapped for an older copy
 * is caught before it is believed. `B` grows with the number of leases (128 per bucket on
 * average), so a small network's index is one small file and a large one's buckets stay
 * small. The index goes with the network's last lease, and `.denocni-index` with the last
 * network's index.
 *
 * @module
 */
import { DirHandle, rmdirPath } from "./_dir.ts";
import {
  bucketCount,
  checksum,
  fileOf,
  findInBucket,
  fnv1a,
  formatBucket,
  formatMarker,
  type Marker,
  parseBucket,
  parseMarker,
  removeFromBucket,
  withSum,
} from "./index_format.ts";

/** The largest index file read (a bucket holds a few KiB; anything bigger is damage). */
const MAX_INDEX_FILE_BYTES = 4 * 1024 * 1024;

const ROOT_NAME = ".denocni-index";
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const ENCODER = new TextEncoder();

const BUCKET_NAME_REGEXP = /^(0|[1-9][0-9]*)$/;

/**
 * Empties and removes the directory `name` under `parent` (never through a link); `true` when
 * anything was removed.
 */
function removeIndexDir(parent: DirHandle, name: string): boolean {
  let removed = false;
  let d: DirHandle;
  try {
    d = parent.sub(name);
  } catch {
    return false; // missing, or a link: not ours
  }
  try {
    for (const e of Deno.readDirSync(d.path)) {
      try {
        removed = d.unlink(e.name) || removed;
      } catch {
        // A directory someone put there: rmdir below then fails and leaves it.
      }
    }
  } finally {
    d.close();
  }
  return parent.rmdir(name) || removed;
}

function newGeneration(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return [...bytes].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** One network's index, loaded lazily for one lock hold. */
export interface LeaseIndex {
  /**
   * Loads the marker; `true` when it describes the lease directory as it is now.
   *
   * @param dirState The lease directory's `dev:ino:size:mtime:ctime` now.
   * @param lastOf `last_reserved_ip.<id>` contents now.
   */
  check(dirState: string, lastOf: (rangeId: string) => string | undefined): boolean;
  /** Range IDs whose `last_reserved_ip` the marker records. */
  rangeIds(): string[];
  /** Legacy entries count. */
  legacy(): number;
  /** Addresses indexed for `key`, or `undefined` when its bucket is damaged. */
  lookup(key: string): string[] | undefined;
  /** Adds the entry `ip` -> `key`. */
  add(ip: string, key: string, legacy: boolean): void;
  /** Removes `key`'s entries for `ips`. */
  remove(key: string, ips: readonly string[], legacy: boolean): void;
  /** Replaces the index (in memory) with these leases. */
  rebuild(
    leases: readonly { ip: string; key: string; legacy: boolean }[],
    rangeIds: string[],
  ): void;
  /**
   * Writes what changed this hold; removes the index when it holds no entry.
   *
   * @param dirState The lease directory's state now.
   * @param last `last_reserved_ip.*` contents now, by range ID.
   * @throws {ErrnoError} When a write fails (the caller then calls `destroy`).
   */
  flush(dirState: string, last: Record<string, string>): void;
  /** Removes the index files (and the index root when empty); `true` when any existed. */
  destroy(): boolean;
  /** Closes open directories. */
  close(): void;
}

/**
 * Opens (lazily) the index of `network` under `<dataDir>/.denocni-index/`. Nothing is created
 * until a flush has entries to write; a symlink or non-directory in place of the index root
 * or the network's index directory is never followed (the index is then off: every call
 * throws, and the store scans instead).
 *
 * @param dataDir The data directory.
 * @param network The network name.
 * @returns The index.
 */
export function leaseIndex(dataDir: string, network: string): LeaseIndex {
  const rootPath = `${dataDir}/${ROOT_NAME}`;
  let root: DirHandle | undefined;
  let dir: DirHandle | undefined;
  let marker: Marker | undefined;
  /** Bucket bodies loaded or changed this hold. */
  const bodies = new Map<number, string>();
  const dirty = new Set<number>();
  /** Bucket files on disk beyond the current count (after a shrink or a format change). */
  let stray = false;

  /** The network's index directory, if it exists (opened once). */
  function openDir(create: boolean): DirHandle | undefined {
    if (dir) return dir;
    // Missing is an answer here, not an error: no exception is built for it.
    root ??= create ? DirHandle.open(rootPath, DIR_MODE) : DirHandle.openIfPresent(rootPath);
    if (!root) return undefined;
    dir = create ? root.sub(network, DIR_MODE) : root.subIfPresent(network);
    return dir;
  }

  function readFile(file: number): Uint8Array | undefined {
    const d = openDir(false);
    if (!d) return undefined;
    const r = d.read(String(file), MAX_INDEX_FILE_BYTES);
    return r.kind === "file" ? r.bytes : undefined;
  }

  /** Bucket `k`'s entries (read once per hold), or `undefined` when its file is damaged. */
  function body(k: number): string | undefined {
    const known = bodies.get(k);
    if (known !== undefined || marker!.b === 1) return known;
    const text = readFile(fileOf(k, marker!.b));
    if (text === undefined) return undefined;
    const parsed = parseBucket(k, text, marker!);
    if (parsed !== undefined) bodies.set(k, parsed);
    return parsed;
  }

  function bucketFor(key: string): number {
    return fnv1a(key) & (marker!.b - 1);
  }

  /** Redistributes every entry over `b` buckets (all loaded first). */
  function rebucket(b: number): void {
    const all: string[] = [];
    for (let k = 0; k < marker!.b; k++) {
      const text = body(k);
      if (text === undefined) throw new Error("index bucket damaged");
      all.push(text);
    }
    const next = new Map<number, string[]>();
    for (const text of all) {
      for (const line of text.split("\n")) {
        if (line === "") continue;
        const key = line.slice(line.indexOf("\t") + 1);
        const k = fnv1a(key) & (b - 1);
        const lines = next.get(k) ?? [];
        lines.push(line);
        next.set(k, lines);
      }
    }
    stray = true; // the files of the old layout go at the flush
    bodies.clear();
    dirty.clear();
    for (let k = 0; k < b; k++) {
      const lines = next.get(k);
      bodies.set(k, lines ? lines.join("\n") + "\n" : "");
      dirty.add(k);
    }
    marker!.b = b;
    marker!.sums = "0".repeat(8 * b); // all dirty: each is set at the flush
  }

  /**
   * Removes the indexes of networks whose lease directory is gone (a runtime removed the
   * network): nothing of ours outlives what it describes.
   */
  function sweepOrphans(r: DirHandle): void {
    for (const e of Deno.readDirSync(rootPath)) {
      if (e.name === network || !e.isDirectory) continue;
      try {
        Deno.lstatSync(`${dataDir}/${e.name}`);
        continue;
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) continue;
      }
      removeIndexDir(r, e.name);
    }
  }

  /** Removes files that are not files of the current index. */
  function removeStray(d: DirHandle): void {
    const files = marker!.b === 1 ? 1 : marker!.b + 1;
    for (const e of Deno.readDirSync(d.path)) {
      if (BUCKET_NAME_REGEXP.test(e.name) && Number(e.name) < files) continue;
      try {
        d.unlink(e.name);
      } catch {
        // A directory someone put there: harmless.
      }
    }
    stray = false;
  }

  return {
    check(dirState, lastOf) {
      bodies.clear();
      dirty.clear();
      marker = undefined;
      const text = readFile(0);
      if (text === undefined) return false;
      const parsed = parseMarker(text);
      if (!parsed) return false;
      const m = parsed.marker;
      if (m.dir !== dirState) return false;
      for (const [id, value] of Object.entries(m.last)) {
        if ((lastOf(id) ?? "") !== value) return false;
      }
      marker = m;
      if (m.b === 1) bodies.set(0, parsed.body);
      return true;
    },

    rangeIds: () => Object.keys(marker?.last ?? {}),
    legacy: () => marker?.legacy ?? 0,

    lookup(key) {
      const text = body(bucketFor(key));
      return text === undefined ? undefined : findInBucket(text, key);
    },

    add(ip, key, legacy) {
      const k = bucketFor(key);
      const text = body(k);
      if (text === undefined) throw new Error("index bucket damaged");
      bodies.set(k, `${text}${ip}\t${key}\n`);
      dirty.add(k);
      marker!.n++;
      if (legacy) marker!.legacy++;
    },

    remove(key, ips, legacy) {
      const k = bucketFor(key);
      const text = body(k);
      if (text === undefined) throw new Error("index bucket damaged");
      const { body: next, removed } = removeFromBucket(text, key, ips);
      if (removed === 0) return;
      bodies.set(k, next);
      dirty.add(k);
      marker!.n = Math.max(0, marker!.n - removed);
      if (legacy) marker!.legacy = Math.max(0, marker!.legacy - removed);
    },

    rebuild(leases, rangeIds) {
      const b = bucketCount(leases.length);
      const lines = new Map<number, string[]>();
      let legacy = 0;
      for (const l of leases) {
        if (l.legacy) legacy++;
        const k = fnv1a(l.key) & (b - 1);
        const list = lines.get(k) ?? [];
        list.push(`${l.ip}\t${l.key}`);
        lines.set(k, list);
      }
      marker = {
        dir: "",
        last: Object.fromEntries(rangeIds.map((id) => [id, ""])),
        n: leases.length,
        legacy,
        b,
        g: newGeneration(),
        sums: "0".repeat(8 * b),
      };
      bodies.clear();
      dirty.clear();
      for (let k = 0; k < b; k++) {
        const list = lines.get(k);
        bodies.set(k, list ? list.join("\n") + "\n" : "");
        dirty.add(k);
      }
      stray = true; // whatever an earlier index (or format) left goes at the flush
    },

    flush(dirState, last) {
      if (!marker) return;
      if (marker.n === 0) {
        this.destroy();
        return;
      }
      const want = bucketCount(marker.n);
      if (want > marker.b || want * 4 <= marker.b) rebucket(want);
      const d = openDir(true)!;
      marker.dir = dirState;
      marker.last = last;
      const encoded = new Map<number, { bytes: Uint8Array; sum: string }>();
      for (const k of dirty) {
        const text = body(k);
        if (text === undefined) throw new Error(`index bucket ${k} damaged`);
        const bytes = ENCODER.encode(text);
        const sum = checksum(bytes);
        encoded.set(k, { bytes, sum });
        marker.sums = withSum(marker.sums, k, sum);
      }
      if (marker.b > 1) {
        for (const [k, { bytes, sum }] of encoded) {
          const file = String(fileOf(k, marker.b));
          d.overwrite(file, formatBucket(k, bytes, marker, sum), FILE_MODE);
        }
      }
      // The marker last: until it is written, the old one no longer matches the directory.
      let entries: Uint8Array = new Uint8Array();
      if (marker.b === 1) {
        const text = body(0);
        if (text === undefined) throw new Error("index bucket 0 damaged");
        entries = encoded.get(0)?.bytes ?? ENCODER.encode(text);
      }
      d.overwrite("0", formatMarker(marker, entries), FILE_MODE);
      dirty.clear();
      if (stray) {
        removeStray(d);
        try {
          sweepOrphans(root!);
        } catch {
          // Tidying other networks' leftovers is a courtesy.
        }
      }
    },

    destroy() {
      bodies.clear();
      dirty.clear();
      marker = undefined;
      stray = false;
      let removed = false;
      let d: DirHandle | undefined;
      try {
        d = openDir(false);
      } catch {
        return false; // a link or a file in place of the index: not ours to remove
      }
      if (d) {
        d.close();
        dir = undefined;
        removed = removeIndexDir(root!, network);
      }
      if (root) {
        try {
          sweepOrphans(root);
        } catch {
          // Tidying other networks' leftovers is a courtesy.
        }
        root.close();
        root = undefined;
        // The index root goes with the last network's index (rmdir refuses a non-empty one).
        rmdirPath(rootPath);
      }
      return removed;
    },

    close() {
      dir?.close();
      root?.close();
      dir = undefined;
      root = undefined;
    },
  };
}
