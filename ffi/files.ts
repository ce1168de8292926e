/**
 * Whole-file helpers through libc, for the `/proc` and sysfs files that Deno's permission
 * model reserves for `--allow-all`: read a file, list a directory, read a link, write a
 * file, an inode number.
 *
 * @module
 */
import { checkBig } from "./_check.ts";
import { O_DIRECTORY, O_RDONLY, O_WRONLY } from "./constants.ts";
import { EOVERFLOW, ErrnoError } from "./errno.ts";
import { close, fstat, open, read, write } from "./fd.ts";
import { libc } from "./libc.ts";
import { cstring } from "./structs.ts";

/**
 * Reads a whole (small, virtual) file through libc: `/proc` files that Deno's permission
 * model reserves for `--allow-all` are readable this way with `--allow-ffi`.
 *
 * @param path File path.
 * @param maxBytes The most it reads (default 1 MiB; sysctl and `/proc/net` files are far
 *   smaller): a larger file is an error, not an unbounded read.
 * @returns Its text.
 * @throws {ErrnoError} On failure, `EOVERFLOW` over `maxBytes`; the message names the path.
 */
export function readFileText(path: string, maxBytes = 1024 * 1024): string {
  const fd = open(path, O_RDONLY);
  try {
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    let total = 0;
    for (;;) {
      const n = read(fd, buf);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) {
        throw new ErrnoError("read", EOVERFLOW, `read "${path}" (over ${maxBytes} bytes)`);
      }
      chunks.push(buf.slice(0, n));
    }
    const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return new TextDecoder().decode(out);
  } finally {
    close(fd);
  }
}

/**
 * Lists a directory's entry names (without `.` and `..`) through libc, in no particular
 * order: sysfs directories that Deno's permission model reserves for `--allow-all` are
 * listable this way with `--allow-ffi`.
 *
 * @param path Directory path.
 * @returns The names.
 * @throws {ErrnoError} On failure (`ENOENT`, `ENOTDIR`, ...); the message names the path.
 */
export function readDirNames(path: string): string[] {
  const fd = open(path, O_RDONLY | O_DIRECTORY);
  try {
    const names: string[] = [];
    const buf = new Uint8Array(32 * 1024);
    const view = new DataView(buf.buffer);
    const dec = new TextDecoder();
    for (;;) {
      const n = checkBig(
        libc().getdents64(fd, buf, BigInt(buf.byteLength)),
        "getdents64",
        `read directory "${path}"`,
      );
      if (n === 0) break;
      // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
      for (let off = 0; off < n;) {
        const reclen = view.getUint16(off + 16, true);
        const start = off + 19;
        let end = start;
        while (end < off + reclen && buf[end] !== 0) end++;
        const name = dec.decode(buf.subarray(start, end));
        if (name !== "." && name !== "..") names.push(name);
        off += reclen;
      }
    }
    return names;
  } finally {
    close(fd);
  }
}

/**
 * `readlink(2)`: the target of a symbolic link, as stored (not resolved).
 *
 * @param path The link.
 * @returns Its target text.
 * @throws {ErrnoError} On failure (`ENOENT`, `EINVAL` for a non-link); the message names it.
 */
export function readLink(path: string): string {
  const buf = new Uint8Array(4096);
  const n = checkBig(
    libc().readlink(cstring(path), buf, BigInt(buf.byteLength)),
    "readlink",
    `readlink "${path}"`,
  );
  return new TextDecoder().decode(buf.subarray(0, n));
}

/**
 * Writes text to an existing (virtual) file through libc, as `/proc/sys` writes need.
 *
 * @param path File path.
 * @param text The text.
 * @throws {ErrnoError} On failure; the message names the path.
 */
export function writeFileText(path: string, text: string): void {
  const fd = open(path, O_WRONLY);
  try {
    const bytes = new TextEncoder().encode(text);
    try {
      write(fd, bytes);
    } catch (err) {
      if (err instanceof ErrnoError) throw new ErrnoError("write", err.errno, `write "${path}"`);
      throw err;
    }
  } finally {
    close(fd);
  }
}

/**
 * The inode number of a path (following links), through libc.
 *
 * @param path File path, e.g. `/proc/thread-self/ns/net`.
 * @returns The inode number.
 * @throws {ErrnoError} On failure.
 */
export function inodeOf(path: string): number {
  const fd = open(path, O_RDONLY);
  try {
    return Number(fstat(fd).ino);
  } finally {
    close(fd);
  }
}
