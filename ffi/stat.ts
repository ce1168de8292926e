/**
 * File times with nanosecond precision. `Deno.statSync` rounds `mtime` to milliseconds and
 * `ctime` to seconds, too coarse to tell two changes of a directory apart; this reads them from
 * `struct stat` through libc.
 *
 * @module
 */
import { libc } from "./libc.ts";
import { close, O_DIRECTORY, O_RDONLY, open } from "./syscalls.ts";
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

// struct stat offsets shared by x86_64 and the generic layout (aarch64): st_dev 0, st_ino 8,
// st_mtim 88, st_ctim 104 (each a struct timespec { time_t tv_sec; long tv_nsec; }).
const ST_DEV = 0;
const ST_INO = 8;
const ST_MTIM = 88;
const ST_CTIM = 104;
const STAT_BUF_SIZE = 256; // struct stat is 144 bytes on x86_64, 128 on aarch64
const NS = 1_000_000_000n;

/**
 * `fstat(2)` of a directory by path (opened `O_RDONLY | O_DIRECTORY`), with nanosecond times.
 *
 * @example A directory's change times
 * ```ts
 * import { dirStatTimes } from "./stat.ts";
 * const t = dirStatTimes("/tmp");
 * console.log(t.mtimeNs > 0n); // true
 * ```
 *
 * @param path Directory path.
 * @returns Device, inode, modification and status-change times.
 * @throws {ErrnoError} On failure (e.g. `ENOENT`, `ENOTDIR`).
 */
export function dirStatTimes(path: string): StatTimes {
  const fd = open(path, O_RDONLY | O_DIRECTORY);
  try {
    const buf = new Uint8Array(STAT_BUF_SIZE);
    if (libc().fstat(fd, buf) === -1) throw new ErrnoError("fstat", errnoNow(), `fstat "${path}"`);
    const v = new DataView(buf.buffer);
    const time = (at: number) => v.getBigInt64(at, true) * NS + v.getBigInt64(at + 8, true);
    return {
      dev: v.getBigUint64(ST_DEV, true),
      ino: v.getBigUint64(ST_INO, true),
      mtimeNs: time(ST_MTIM),
      ctimeNs: time(ST_CTIM),
    };
  } finally {
    close(fd);
  }
}

function errnoNow(): number {
  const ptr = libc().__errno_location();
  return ptr === null ? 0 : new Deno.UnsafePointerView(ptr).getInt32();
}
