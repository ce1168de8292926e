/**
 * File times with nanosecond precision. `Deno.statSync` rounds `mtime` to milliseconds and
 * `ctime` to seconds, too coarse to tell two changes of a directory apart; this reads them from
 * `struct stat` through libc.
 *
 * @module
 */
import { libc } from "./libc.ts";
import { O_DIRECTORY, O_RDONLY } from "./constants.ts";
import { close, open } from "./fd.ts";
import { errno } from "./_check.ts";
import { ErrnoError } from "./errno.ts";

/** Identity and change times of a file. */
export interface StatTimes {
  /** Device number. */
  dev: bigint;
  /** Inode number. */
  ino: bigint;
  /** Last modification, nanoseconds since the epoch. */
  mtimeNs: bigint;
  /** Last status change, nanoseconds since the epoch. */
  ctimeNs: bigint;
}

/** What `fstat(2)` says of an open file: identity, type and size, change times. */
export interface FileStat extends StatTimes {
  /** `st_mode`: type (`S_IFMT` bits) and permissions. */
  mode: number;
  /** Size in bytes. */
  size: number;
}

/** `S_IFMT` from `<sys/stat.h>`: the file type bits of `st_mode`. */
export const S_IFMT = 0o170000;
/** `S_IFREG` from `<sys/stat.h>`: a regular file. */
export const S_IFREG = 0o100000;
/** `S_IFDIR` from `<sys/stat.h>`: a directory. */
export const S_IFDIR = 0o040000;

// struct stat offsets shared by x86_64 and the generic layout (aarch64): st_dev 0, st_ino 8,
// st_size 48, st_mtim 88, st_ctim 104 (each a struct timespec { time_t tv_sec; long tv_nsec; }).
// st_mode is at 24 on x86_64 (after a 64-bit st_nlink) and at 16 in the generic layout.
const ST_DEV = 0;
const ST_INO = 8;
const ST_MODE = Deno.build.arch === "aarch64" ? 16 : 24;
const ST_SIZE = 48;
const ST_MTIM = 88;
const ST_CTIM = 104;
const STAT_BUF_SIZE = 256; // struct stat is 144 bytes on x86_64, 128 on aarch64
const NS = 1_000_000_000n;

/**
 * `fstat(2)` of a directory by path (opened `O_RDONLY | O_DIRECTORY`), with nanosecond times.
 *
 * @example A directory's change times
 * ```ts
 * import assert from "node:assert/strict";
 * import { dirStatTimes } from "./stat.ts";
 * const t = dirStatTimes("/tmp");
 * assert.ok(t.mtimeNs > 0n);
 * ```
 *
 * @param path Directory path.
 * @returns Device, inode, modification and status-change times.
 * @throws {ErrnoError} On failure (e.g. `ENOENT`, `ENOTDIR`).
 */
export function dirStatTimes(path: string): StatTimes {
  const fd = open(path, O_RDONLY | O_DIRECTORY);
  try {
    const { dev, ino, mtimeNs, ctimeNs } = fstatFile(fd, `fstat "${path}"`);
    return { dev, ino, mtimeNs, ctimeNs };
  } finally {
    close(fd);
  }
}

/**
 * `fstat(2)` of an open file: identity, type, size and nanosecond change times.
 *
 * @example The type of an open directory
 * ```ts
 * import assert from "node:assert/strict";
 * import { O_DIRECTORY, O_RDONLY } from "./constants.ts";
 * import { close, open } from "./fd.ts";
 * import { fstatFile, S_IFDIR, S_IFMT } from "./stat.ts";
 * const fd = open("/tmp", O_RDONLY | O_DIRECTORY);
 * assert.equal(fstatFile(fd).mode & S_IFMT, S_IFDIR);
 * close(fd);
 * ```
 *
 * @param fd An open file descriptor.
 * @param context Words for the error message (default `fstat`).
 * @returns Device, inode, mode, size, modification and status-change times.
 * @throws {ErrnoError} On failure (`EBADF`).
 */
export function fstatFile(fd: number, context?: string): FileStat {
  const v = fstatInto(fd, context);
  const time = (at: number) => v.getBigInt64(at, true) * NS + v.getBigInt64(at + 8, true);
  return {
    dev: v.getBigUint64(ST_DEV, true),
    ino: v.getBigUint64(ST_INO, true),
    mode: v.getUint32(ST_MODE, true),
    size: Number(v.getBigInt64(ST_SIZE, true)),
    mtimeNs: time(ST_MTIM),
    ctimeNs: time(ST_CTIM),
  };
}

/** One buffer for every call: they are synchronous, and allocating costs more than the call. */
const STAT_BUF = new Uint8Array(STAT_BUF_SIZE);
const STAT_VIEW = new DataView(STAT_BUF.buffer);

function fstatInto(fd: number, context?: string): DataView {
  if (libc().fstat(fd, STAT_BUF) === -1) throw new ErrnoError("fstat", errno(), context);
  return STAT_VIEW;
}

/**
 * `fstat(2)` reduced to the type and size of an open file: cheaper than
 * {@linkcode fstatFile} (no 64-bit identity or times), for checks on every file opened.
 *
 * @example A regular file's size
 * ```ts
 * import assert from "node:assert/strict";
 * import { O_RDONLY } from "./constants.ts";
 * import { close, open } from "./fd.ts";
 * import { fstatKind, S_IFMT, S_IFREG } from "./stat.ts";
 * const path = Deno.makeTempFileSync();
 * Deno.writeTextFileSync(path, "abc");
 * const fd = open(path, O_RDONLY);
 * const st = fstatKind(fd);
 * assert.equal(st.mode & S_IFMT, S_IFREG);
 * assert.equal(st.size, 3);
 * close(fd);
 * ```
 *
 * @param fd An open file descriptor.
 * @param context Words for the error message (default `fstat`).
 * @returns `st_mode` and the size in bytes.
 * @throws {ErrnoError} On failure (`EBADF`).
 */
export function fstatKind(fd: number, context?: string): { mode: number; size: number } {
  const v = fstatInto(fd, context);
  const size = v.getUint32(ST_SIZE + 4, true) * 2 ** 32 + v.getUint32(ST_SIZE, true);
  return { mode: v.getUint32(ST_MODE, true), size };
}
