/**
 * The owner index's file format (see `lease_index.ts` for the layout and why): owner keys,
 * buckets of `<ip>\t<owner>` lines, the marker and bucket files with their JSON header lines,
 * checksums and the bucket count. Pure: bytes and text only.
 *
 * @module
 */

/**
 * Entries per bucket, on average, before the bucket count doubles: a bucket stays a few KiB
 * (one to three pages), so reading and rewriting one costs microseconds, and the index of a
 * large network takes a few percent of its leases' space (each lease file is a block).
 */
export const ENTRIES_PER_BUCKET = 128;
/** The largest bucket count. */
const MAX_BUCKETS = 1 << 16;

const FORMAT = 3;

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

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

/**
 * The marker's `sums` with bucket `k`'s checksum replaced.
 *
 * @param sums Every bucket's checksum.
 * @param k Bucket number.
 * @param sum The new checksum.
 * @returns The new `sums`.
 */
export function withSum(sums: string, k: number, sum: string): string {
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
