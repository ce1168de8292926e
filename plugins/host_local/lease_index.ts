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
import { DirHandle, isErrno, rmdirPath } from "./_dir.ts";

/**
 * Entries per bucket, on average, before the bucket count doubles: a bucket stays a few KiB
 * (one to three pages), so reading and rewriting one costs microseconds, and the index of a
 * large network takes a few percent of its leases' space (each lease file is a block).
 */
export const ENTRIES_PER_BUCKET = 128;
/** The largest bucket count. */
const MAX_BUCKETS = 1 << 16;
/** The largest index file read (a bucket holds a few KiB; anything bigger is damage). */
const MAX_INDEX_FILE_BYTES = 4 * 1024 * 1024;
const FORMAT = 3;
const ROOT_NAME = ".denocni-index";
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();
const BUCKET_NAME_REGEXP = /^(0|[1-9][0-9]*)$/;

/**
 * FNV-1a (32 bit) of a string's UTF-16 code units.
 *
 * @param text The text.
 * @returns The hash.
 */
export function fnv1a(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/**
 * The checksum of a file's entries: a 32-bit multiplicative hash over little-endian 32-bit
 * words (and the tail bytes) with a final mix, as 8 hex digits. Not cryptographic; it tells
 * damage and stale copies apart from what was written, at a few microseconds per bucket.
 *
 * @param bytes The entries' bytes.
 * @returns The checksum.
 */
export function checksum(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let h = 2166136261 ^ bytes.length;
  const words = bytes.length & ~3;
  let i = 0;
  for (; i < words; i += 4) h = Math.imul(h ^ view.getUint32(i, true), 16777619);
  for (; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 16777619);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0).toString(16).padStart(8, "0");
}

const NEWLINE = 10;

/** A header line and the entries' bytes, as one file. */
function fileBytes(header: unknown, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const head = ENCODER.encode(`${JSON.stringify(header)}\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** `sums` with bucket `k`'s checksum replaced. */
function withSum(sums: string, k: number, sum: string): string {
  return sums.slice(0, 8 * k) + sum + sums.slice(8 * k + 8);
}

/**
 * The bucket count for `n` entries: the smallest power of two giving at most
 * {@linkcode ENTRIES_PER_BUCKET} entries per bucket on average.
 *
 * @param n Entry count.
 * @returns The bucket count.
 */
export function bucketCount(n: number): number {
  let b = 1;
  while (b < MAX_BUCKETS && n > b * ENTRIES_PER_BUCKET) b *= 2;
  return b;
}

/**
 * The index key of an owner.
 *
 * @param containerId The (trimmed) container ID.
 * @param ifName The interface name; `undefined` for a legacy (ID-only) lease.
 * @returns The key.
 */
export function ownerKey(containerId: string, ifName: string | undefined): string {
  return ifName === undefined ? containerId : `${containerId}\t${ifName}`;
}

/**
 * Whether a key can be kept in the line format (no line break inside).
 *
 * @param key The key.
 * @returns `true` when it can.
 */
export function indexable(key: string): boolean {
  return !key.includes("\n");
}

/**
 * The addresses of `key`'s lines in a bucket body (a line is `<ip>\t<key>\n`).
 *
 * @param body The bucket's lines.
 * @param key The owner key.
 * @returns The addresses, each once.
 */
export function findInBucket(body: string, key: string): string[] {
  const ips: string[] = [];
  // A bucket holds many owners' lines: find this owner's with a native search, not a split.
  const needle = `\t${key}\n`;
  for (let at = body.indexOf(needle); at >= 0; at = body.indexOf(needle, at + 1)) {
    const ip = body.slice(body.lastIndexOf("\n", at - 1) + 1, at);
    if (ip.includes("\t") || ips.includes(ip)) continue; // a longer key ending in this one
    ips.push(ip);
  }
  return ips;
}

/**
 * Removes the lines `<ip>\t<key>` for `ips` from a bucket body.
 *
 * @param body The bucket's lines.
 * @param key The owner key.
 * @param ips The addresses.
 * @returns The new body and how many lines went.
 */
export function removeFromBucket(
  body: string,
  key: string,
  ips: readonly string[],
): { body: string; removed: number } {
  let removed = 0;
  for (const ip of ips) {
    const line = `${ip}\t${key}\n`;
    for (let at = body.indexOf(line); at >= 0; at = body.indexOf(line, at)) {
      if (at === 0 || body[at - 1] === "\n") {
        body = body.slice(0, at) + body.slice(at + line.length);
        removed++;
      } else at++;
    }
  }
  return { body, removed };
}

/** The marker: what the index describes, the header of file `0`. */
export interface Marker {
  /** The lease directory's `dev:ino:size:mtime:ctime` after the last indexed change. */
  dir: string;
  /** `last_reserved_ip.<rangeId>` contents then (`""`: no file). */
  last: Record<string, string>;
  /** Entry count. */
  n: number;
  /** Entries of legacy (container-ID-only) leases; 0 skips their lookups. */
  legacy: number;
  /** Bucket count (a power of two). */
  b: number;
  /** Generation: every file of one index carries the same. */
  g: string;
  /** The checksum of every bucket's lines (8 hex digits each, bucket 0 first). */
  sums: string;
}

interface Header {
  v: number;
  g: string;
  k: number;
  sum: string;
}

/**
 * The file holding bucket `k`: with one bucket, `0` (the marker's file) holds the entries;
 * with more, bucket `k` is file `k + 1` and `0` holds the marker alone.
 *
 * @param k Bucket number.
 * @param b Bucket count.
 * @returns The file number.
 */
export function fileOf(k: number, b: number): number {
  return b === 1 ? 0 : k + 1;
}

/**
 * Formats the marker file: the marker as a JSON line, then the entries when there is one
 * bucket.
 *
 * @param marker The marker.
 * @param body The entries (one bucket) or `""`.
 * @returns The file's text.
 */
export function formatMarker(marker: Marker, body: Uint8Array): Uint8Array<ArrayBuffer> {
  return fileBytes({ v: FORMAT, k: -1, sum: checksum(body), ...marker }, body);
}

/**
 * Formats a bucket file (bucket count above one): a header line, then the entries.
 *
 * @param k Bucket number.
 * @param body The entries.
 * @param marker The marker (for its generation).
 * @returns The file's text.
 */
export function formatBucket(
  k: number,
  body: Uint8Array,
  marker: Marker,
  sum: string = checksum(body),
): Uint8Array<ArrayBuffer> {
  return fileBytes({ v: FORMAT, g: marker.g, k, sum }, body);
}

function parseFile(bytes: Uint8Array): { h: Partial<Header & Marker>; body: string } | undefined {
  const nl = bytes.indexOf(NEWLINE);
  if (nl < 0) return undefined;
  let h: Partial<Header & Marker>;
  try {
    h = JSON.parse(DECODER.decode(bytes.subarray(0, nl)));
  } catch {
    return undefined;
  }
  if (h === null || typeof h !== "object" || h.v !== FORMAT || typeof h.g !== "string") {
    return undefined;
  }
  const raw = bytes.subarray(nl + 1);
  if (h.sum !== checksum(raw) || (raw.length > 0 && raw[raw.length - 1] !== NEWLINE)) {
    return undefined;
  }
  return { h, body: DECODER.decode(raw) };
}

/**
 * Parses the marker file, checking it whole.
 *
 * @param text The file's text.
 * @returns The marker and the entries (`""` unless one bucket), or `undefined` when damaged.
 */
export function parseMarker(bytes: Uint8Array): { marker: Marker; body: string } | undefined {
  const parsed = parseFile(bytes);
  if (!parsed || parsed.h.k !== -1) return undefined;
  const { h, body } = parsed;
  const { dir, last, n, legacy, b, sums } = h;
  if (
    typeof dir !== "string" || last === null || typeof last !== "object" ||
    !Number.isInteger(n) || !Number.isInteger(legacy) || !Number.isInteger(b) ||
    b! < 1 || b! > MAX_BUCKETS || (b! & (b! - 1)) !== 0 ||
    typeof sums !== "string" || sums.length !== 8 * b! ||
    (b === 1 ? sums !== h.sum : body !== "")
  ) return undefined;
  return { marker: { dir, last, n: n!, legacy: legacy!, b: b!, g: h.g!, sums }, body };
}

/**
 * Parses a bucket file, checking it against the marker (generation and checksum: an older
 * copy of the file is refused too).
 *
 * @param k The bucket number it should be.
 * @param text The file's text.
 * @param marker The marker.
 * @returns The entries, or `undefined` when damaged.
 */
export function parseBucket(k: number, bytes: Uint8Array, marker: Marker): string | undefined {
  const parsed = parseFile(bytes);
  if (!parsed || parsed.h.k !== k || parsed.h.g !== marker.g) return undefined;
  if (parsed.h.sum !== marker.sums.slice(8 * k, 8 * k + 8)) return undefined;
  return parsed.body;
}

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
    if (!root) {
      try {
        root = DirHandle.open(rootPath, create ? DIR_MODE : undefined);
      } catch (err) {
        if (isErrno(err, "ENOENT") && !create) return undefined;
        throw err;
      }
    }
    try {
      dir = root.sub(network, create ? DIR_MODE : undefined);
    } catch (err) {
      if (isErrno(err, "ENOENT") && !create) return undefined;
      throw err;
    }
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
