/**
 * Typed wrappers of the file-descriptor calls (`open`, `openat`, `read`, `write`, `close`,
 * `flock`, `fstat`, `ioctl`, ...). On failure errno is read at once and thrown as
 * {@linkcode ErrnoError}.
 *
 * @module
 */
import { check, errno } from "./_check.ts";
import { O_CLOEXEC } from "./constants.ts";
import { EINTR, ErrnoError } from "./errno.ts";
import { libc } from "./libc.ts";
import { cstring } from "./structs.ts";

/**
 * `open(2)`.
 *
 * @param path File path.
 * @param flags `O_*` flags (`O_CLOEXEC` is always added).
 * @param mode Mode for `O_CREAT`.
 * @returns The file descriptor.
 * @throws {ErrnoError} On failure; the message names the path.
 */
export function open(path: string, flags: number, mode = 0o644): number {
  return check(libc().open(cstring(path), flags | O_CLOEXEC, mode), "open", `open "${path}"`);
}

/**
 * `openat(2)`: opens `path` relative to the directory `dirFd`.
 *
 * @param dirFd Directory file descriptor (or `AT_FDCWD`).
 * @param path Path relative to it (a plain name for a file in that directory).
 * @param flags `O_*` flags (`O_CLOEXEC` is always added).
 * @param mode Mode for `O_CREAT`.
 * @param context Words naming the file for the error message (default: the path).
 * @returns The file descriptor.
 * @throws {ErrnoError} On failure; the message names the file.
 */
export function openat(
  dirFd: number,
  path: string,
  flags: number,
  mode = 0o644,
  context = `open "${path}"`,
): number {
  return check(libc().openat(dirFd, cstring(path), flags | O_CLOEXEC, mode), "openat", context);
}

/**
 * `openat(2)` for a caller to whom some failures are answers ("missing", "exists"): the file
 * descriptor, or minus errno, and no exception. Building an {@linkcode ErrnoError} captures a
 * stack, which costs several times the call itself; {@linkcode openat} is this plus that.
 *
 * @example A missing file is a negative number
 * ```ts
 * import assert from "node:assert/strict";
 * import { AT_FDCWD, O_RDONLY } from "./constants.ts";
 * import { ENOENT } from "./errno.ts";
 * import { openatOrErrno } from "./fd.ts";
 * assert.equal(openatOrErrno(AT_FDCWD, "/nonexistent/file", O_RDONLY), -ENOENT);
 * ```
 *
 * @param dirFd Directory file descriptor (or `AT_FDCWD`).
 * @param path Path relative to it.
 * @param flags `O_*` flags (`O_CLOEXEC` is always added).
 * @param mode Mode for `O_CREAT`.
 * @returns The file descriptor, or `-errno`.
 */
export function openatOrErrno(dirFd: number, path: string, flags: number, mode = 0o644): number {
  const fd = libc().openat(dirFd, cstring(path), flags | O_CLOEXEC, mode);
  return fd === -1 ? -errno() : fd;
}

/**
 * `unlinkat(2)`: removes `path` relative to `dirFd` (a symlink itself, never its target).
 *
 * @param dirFd Directory file descriptor (or `AT_FDCWD`).
 * @param path Path relative to it.
 * @param flags 0, or `AT_REMOVEDIR` to remove an empty directory.
 * @param context Words naming the file for the error message (default: the path).
 * @throws {ErrnoError} On failure; the message names the file.
 */
export function unlinkat(
  dirFd: number,
  path: string,
  flags = 0,
  context = `remove "${path}"`,
): void {
  check(libc().unlinkat(dirFd, cstring(path), flags), "unlinkat", context);
}

/**
 * `mkdirat(2)`: creates the directory `path` relative to `dirFd` (never through a symlink).
 *
 * @param dirFd Directory file descriptor (or `AT_FDCWD`).
 * @param path Path relative to it.
 * @param mode Mode bits (masked by the umask).
 * @param context Words naming the directory for the error message (default: the path).
 * @throws {ErrnoError} On failure (`EEXIST` when anything has that name).
 */
export function mkdirat(
  dirFd: number,
  path: string,
  mode: number,
  context = `mkdir "${path}"`,
): void {
  check(libc().mkdirat(dirFd, cstring(path), mode), "mkdirat", context);
}

/**
 * `close(2)`.
 *
 * @param fd File descriptor.
 * @throws {ErrnoError} On failure.
 */
export function close(fd: number): void {
  check(libc().close(fd), "close");
}

/**
 * A descriptor owned by one object: closed once, by `close()` or at the end of a `using`
 * block. Subclasses read it through `fd` (-1 once closed).
 */
export class OwnedFd {
  #fd: number;

  /**
   * @param fd The descriptor, now owned.
   */
  constructor(fd: number) {
    this.#fd = fd;
  }

  /** The descriptor, or -1 once closed. */
  protected get fd(): number {
    return this.#fd;
  }

  /** Closes the descriptor. Idempotent. */
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

/**
 * `read(2)`, retried on `EINTR`.
 *
 * @param fd File descriptor.
 * @param buf Buffer to fill.
 * @returns Bytes read (0 at end of file).
 * @throws {ErrnoError} On failure.
 */
export function read(fd: number, buf: Uint8Array<ArrayBuffer>): number {
  for (;;) {
    const n = Number(libc().read(fd, buf, BigInt(buf.byteLength)));
    if (n >= 0) return n;
    const e = errno();
    if (e !== EINTR) throw new ErrnoError("read", e);
  }
}

/**
 * `write(2)`, retried on `EINTR`.
 *
 * @param fd File descriptor.
 * @param data Bytes to write.
 * @returns Bytes written.
 * @throws {ErrnoError} On failure.
 */
export function write(fd: number, data: Uint8Array<ArrayBuffer>): number {
  for (;;) {
    const n = Number(libc().write(fd, data, BigInt(data.byteLength)));
    if (n >= 0) return n;
    const e = errno();
    if (e !== EINTR) throw new ErrnoError("write", e);
  }
}

/**
 * `read(2)` on a Deno worker thread (bounded by the socket's `SO_RCVTIMEO`, if set). The
 * buffer is kept alive until the call returns.
 *
 * @param fd Descriptor.
 * @param buf Buffer to fill.
 * @returns Bytes read, 0 at the end, `-1` on failure (errno lost).
 */
export async function readOffThread(fd: number, buf: Uint8Array<ArrayBuffer>): Promise<number> {
  const n = Number(await libc().read_nonblocking(fd, buf, BigInt(buf.byteLength)));
  return buf.byteLength >= 0 ? n : -1; // `buf` referenced after the await
}

/**
 * `write(2)` on a Deno worker thread (bounded by the socket's `SO_SNDTIMEO`, if set). The
 * buffer is kept alive until the call returns.
 *
 * @param fd Descriptor.
 * @param data Bytes to write.
 * @returns Bytes written, `-1` on failure (errno lost).
 */
export async function writeOffThread(fd: number, data: Uint8Array<ArrayBuffer>): Promise<number> {
  const n = Number(await libc().write_nonblocking(fd, data, BigInt(data.byteLength)));
  return data.byteLength >= 0 ? n : -1; // `data` referenced after the await
}

/**
 * `ftruncate(2)`.
 *
 * @param fd File descriptor open for writing.
 * @param length New length in bytes.
 * @throws {ErrnoError} On failure.
 */
export function ftruncate(fd: number, length: number): void {
  check(libc().ftruncate(fd, BigInt(length)), "ftruncate");
}

/**
 * `flock(2)`.
 *
 * @param fd File descriptor.
 * @param operation `LOCK_SH`, `LOCK_EX` or `LOCK_UN`, optionally `| LOCK_NB`.
 * @throws {ErrnoError} On failure (`EWOULDBLOCK`/`EAGAIN` with `LOCK_NB`).
 */
export function flock(fd: number, operation: number): void {
  for (;;) {
    const rc = libc().flock(fd, operation);
    if (rc === 0) return;
    const e = errno();
    if (e !== EINTR) throw new ErrnoError("flock", e);
  }
}

/**
 * `fstat(2)`, reduced to the fields callers use.
 *
 * @param fd File descriptor.
 * @returns Device and inode numbers.
 * @throws {ErrnoError} On failure.
 */
export function fstat(fd: number): { dev: bigint; ino: bigint } {
  const buf = new Uint8Array(256); // struct stat is 144 bytes on x86_64, 128 on aarch64
  check(libc().fstat(fd, buf), "fstat");
  const view = new DataView(buf.buffer);
  return { dev: view.getBigUint64(0, true), ino: view.getBigUint64(8, true) };
}

/**
 * `ioctl(2)` with an integer argument.
 *
 * @param fd File descriptor.
 * @param request Request number.
 * @param arg Integer argument.
 * @returns The call's non-negative result.
 * @throws {ErrnoError} On failure.
 */
export function ioctl(fd: number, request: number, arg = 0): number {
  return check(libc().ioctl(fd, BigInt(request), BigInt(arg)), "ioctl");
}
