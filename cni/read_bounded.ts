/**
 * Reading input whole, with a size cap: the one way denocni reads a file a config points at,
 * a config file, a cache entry or stdin. A device (`/dev/zero`), a FIFO, a directory or an
 * oversized file gives a clean `CniError` instead of an unbounded read or a hang.
 *
 * @module
 */

import { CniError, ErrorCode } from "./errors.ts";

/** Cap for a network configuration (stdin, `.conf`/`.conflist` files, cache entries). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Cap for small text files a config names, such as `resolv.conf`. */
export const MAX_SMALL_FILE_BYTES = 64 * 1024;

/** Options for {@linkcode readRegularFileSync} and {@linkcode readRegularFile}. */
export interface ReadBoundedOptions {
  /** Largest accepted size in bytes. */
  maxBytes: number;
  /** What the file is, for messages (`resolvConf`, `network configuration`). */
  what: string;
  /** CNI code of the error (default 5, I/O failure). */
  code?: number;
  /**
   * Refuse a symbolic link instead of following it (files in directories we own): the path
   * must name a regular file itself, and the file opened must be the one examined (same device
   * and inode), so a link swapped in between is refused too.
   */
  noFollow?: boolean;
}

function sizeText(n: number): string {
  return n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;
}

// Every failure to get at the file is the file's problem (code 5), also a path this program
// has no permission for (`NotCapable`, e.g. `/dev/stdin` -> `/proc/self/fd/0` for a plugin
// that runs without `--allow-all`): the message names the path either way.
function refuse(path: string, o: ReadBoundedOptions, why: string, cause?: unknown): CniError {
  return new CniError(o.code ?? ErrorCode.IoFailure, `failed to read ${o.what} "${path}"`, {
    details: why,
    cause,
  });
}

function kindOf(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

function checkRegular(path: string, info: Deno.FileInfo, o: ReadBoundedOptions): void {
  if (info.isSymlink) throw refuse(path, o, "a symbolic link, not followed here");
  if (!info.isFile) throw refuse(path, o, `${kindOf(info)}, not a regular file`);
  if (info.size > o.maxBytes) {
    throw refuse(path, o, `larger than ${sizeText(o.maxBytes)} (${info.size} bytes)`);
  }
}

function statOrThrow(path: string, o: ReadBoundedOptions): Deno.FileInfo {
  try {
    // stat before open: opening a FIFO for reading would block until a writer comes.
    return o.noFollow ? Deno.lstatSync(path) : Deno.statSync(path);
  } catch (err) {
    throw refuse(path, o, (err as Error).message, err);
  }
}

/** The opened file is regular, small enough, and (with `noFollow`) the one examined before. */
function checkOpened(
  path: string,
  before: Deno.FileInfo,
  opened: Deno.FileInfo,
  o: ReadBoundedOptions,
): void {
  checkRegular(path, opened, o); // the path may have changed under us
  if (o.noFollow && (opened.dev !== before.dev || opened.ino !== before.ino)) {
    throw refuse(path, o, "replaced while being opened");
  }
}

/**
 * Reads a regular file whole, refusing anything else and anything over `maxBytes` (also a
 * file that grows while read, and `/proc`-style files that report size 0). Symlinks are
 * followed: use this for files a user's config names (`/etc/resolv.conf` is often a link);
 * files in directories we own are opened without following links by their owners.
 *
 * @param path The file.
 * @param options Cap, description and error code.
 * @returns The bytes.
 * @throws {CniError} Code 5 (or `options.code`) when the file is missing, not regular, or
 * too large.
 *
 * @example Reading a small file
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { readRegularFileSync } from "./read_bounded.ts";
 * const path = Deno.makeTempFileSync();
 * Deno.writeTextFileSync(path, "nameserver 192.0.2.1\n");
 * const bytes = readRegularFileSync(path, { maxBytes: 64 * 1024, what: "resolvConf" });
 * assertEquals(new TextDecoder().decode(bytes), "nameserver 192.0.2.1\n");
 * Deno.removeSync(path);
 * ```
 */
export function readRegularFileSync(path: string, options: ReadBoundedOptions): Uint8Array {
  const before = statOrThrow(path, options);
  checkRegular(path, before, options);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (err) {
    throw refuse(path, options, (err as Error).message, err);
  }
  try {
    checkOpened(path, before, file.statSync(), options);
    return readAllBounded((buf) => file.readSync(buf), path, options);
  } finally {
    file.close();
  }
}

/**
 * Async form of {@linkcode readRegularFileSync}, for callers that must not block the event
 * loop on slow storage.
 *
 * @param path The file.
 * @param options Cap, description and error code.
 * @returns The bytes.
 * @throws {CniError} Code 5 (or `options.code`) when the file is missing, not regular, or
 * too large.
 *
 * @example Refusing a device
 * ```ts
 * import { rejects } from "node:assert/strict";
 * import { readRegularFile } from "./read_bounded.ts";
 * await rejects(readRegularFile("/dev/zero", { maxBytes: 65536, what: "resolvConf" }));
 * ```
 */
export async function readRegularFile(
  path: string,
  options: ReadBoundedOptions,
): Promise<Uint8Array> {
  let info: Deno.FileInfo;
  try {
    info = await (options.noFollow ? Deno.lstat(path) : Deno.stat(path));
  } catch (err) {
    throw refuse(path, options, (err as Error).message, err);
  }
  checkRegular(path, info, options);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (err) {
    throw refuse(path, options, (err as Error).message, err);
  }
  try {
    checkOpened(path, info, await file.stat(), options);
    return await readAllBoundedAsync((buf) => file.read(buf), path, options);
  } finally {
    file.close();
  }
}

/**
 * Reads a stream (such as stdin) to its end, refusing more than `maxBytes`: the caller gets
 * a clean error instead of a process that grows without limit.
 *
 * @param read Reads into a buffer, resolving to the count or null at the end.
 * @param options Cap, description (`stdin`) and error code.
 * @returns The bytes.
 * @throws {CniError} Code 5 (or `options.code`) when the input is larger than the cap.
 *
 * @example Reading a small stream
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { readStreamBounded } from "./read_bounded.ts";
 * const data = new TextEncoder().encode("{}");
 * let done = false;
 * const bytes = await readStreamBounded((buf) => {
 *   if (done) return Promise.resolve(null);
 *   done = true;
 *   buf.set(data);
 *   return Promise.resolve(data.length);
 * }, { maxBytes: 16, what: "stdin" });
 * assertEquals(bytes.length, 2);
 * ```
 */
export function readStreamBounded(
  read: (buf: Uint8Array) => Promise<number | null>,
  options: ReadBoundedOptions,
): Promise<Uint8Array> {
  return readAllBoundedAsync(read, options.what, options, true);
}

const CHUNK = 64 * 1024;

function tooLarge(label: string, o: ReadBoundedOptions, stream: boolean): CniError {
  const why = `larger than ${sizeText(o.maxBytes)}`;
  if (!stream) return refuse(label, o, why);
  return new CniError(o.code ?? ErrorCode.IoFailure, `failed to read ${o.what}`, { details: why });
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function readAllBounded(
  read: (buf: Uint8Array) => number | null,
  label: string,
  o: ReadBoundedOptions,
): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(Math.min(CHUNK, o.maxBytes + 1));
  for (let n = read(buf); n !== null; n = read(buf)) {
    if (n === 0) continue;
    total += n;
    if (total > o.maxBytes) throw tooLarge(label, o, false);
    chunks.push(buf.slice(0, n));
  }
  return concat(chunks, total);
}

async function readAllBoundedAsync(
  read: (buf: Uint8Array) => Promise<number | null>,
  label: string,
  o: ReadBoundedOptions,
  stream = false,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(Math.min(CHUNK, o.maxBytes + 1));
  for (let n = await read(buf); n !== null; n = await read(buf)) {
    if (n === 0) continue;
    total += n;
    if (total > o.maxBytes) throw tooLarge(label, o, stream);
    chunks.push(buf.slice(0, n));
  }
  return concat(chunks, total);
}
