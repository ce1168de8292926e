/**
 * A directory held open by descriptor, and the few file operations host-local does inside it,
 * none of which follows a symbolic link: every name is opened relative to the directory with
 * `O_NOFOLLOW`, reads are bounded and refuse anything but a regular file, creation is
 * exclusive, and a FIFO or device never blocks an open (`O_NONBLOCK`, `O_NOCTTY`).
 *
 * Failures are thrown as the `ErrnoError` of the failed call (its message names the file);
 * callers turn them into `CniError`s that say what they were doing.
 *
 * @module
 */
import {
  AT_FDCWD,
  AT_REMOVEDIR,
  close,
  ENOENT,
  ErrnoError,
  errnoName,
  ftruncate,
  mkdirat,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOCTTY,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_RDONLY,
  O_WRONLY,
  openat,
  openatOrErrno,
  OwnedFd,
  read,
  unlinkat,
  write,
} from "../../ffi/mod.ts";
import { type FileStat, fstatFile, fstatKind, S_IFMT, S_IFREG } from "../../ffi/stat.ts";

/** What a bounded read of a name found. */
export type FileRead =
  | { kind: "missing" }
  | { kind: "file"; bytes: Uint8Array }
  /** A symlink (never followed), a FIFO, a device, a socket or a directory. */
  | { kind: "special"; why: string }
  /** A regular file larger than the cap (never read). */
  | { kind: "large"; size: number };

const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
const READ_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
const WRITE_FLAGS = O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;

/** Whether `err` is the `ErrnoError` named `code`. */
export function isErrno(err: unknown, ...codes: string[]): err is ErrnoError {
  return err instanceof ErrnoError && codes.includes(err.code);
}

function isRegular(st: { mode: number }): boolean {
  return (st.mode & S_IFMT) === S_IFREG;
}

function kindText(mode: number): string {
  switch (mode & S_IFMT) {
    case 0o040000:
      return "a directory";
    case 0o010000:
      return "a FIFO";
    case 0o020000:
      return "a character device";
    case 0o060000:
      return "a block device";
    case 0o140000:
      return "a socket";
    default:
      return "not a regular file";
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += write(fd, data.subarray(off) as Uint8Array<ArrayBuffer>);
}

/** An open directory; every operation names a file directly inside it. */
export class DirHandle extends OwnedFd {
  /** The directory's path (for messages). */
  readonly path: string;

  private constructor(fd: number, path: string) {
    super(fd);
    this.path = path;
  }

  /**
   * Opens the directory at `path` (its last component must be a real directory, not a link to
   * one; the components before it are resolved as usual).
   *
   * @param path The directory.
   * @param create Mode to create it with when missing (its parent must exist).
   * @returns The handle.
   * @throws {ErrnoError} `ENOENT` when missing (and not created), `ENOTDIR` when it is a
   * symlink or not a directory, anything else `open` or `mkdir` reports.
   */
  static open(path: string, create?: number): DirHandle {
    return new DirHandle(openDir(AT_FDCWD, path, path, create), path);
  }

  /**
   * {@linkcode DirHandle.open} without creating: `undefined` when the directory is missing.
   *
   * @param path The directory.
   * @returns The handle, or `undefined`.
   * @throws {ErrnoError} `ENOTDIR` when it is a symlink or not a directory, anything else
   * `open` reports.
   */
  static openIfPresent(path: string): DirHandle | undefined {
    const fd = openDirFd(AT_FDCWD, path, path, undefined);
    return fd === undefined ? undefined : new DirHandle(fd, path);
  }

  /**
   * Opens the subdirectory `name`, never through a link.
   *
   * @param name A name in this directory.
   * @param create Mode to create it with when missing.
   * @returns The handle.
   * @throws {ErrnoError} As {@linkcode DirHandle.open}.
   */
  sub(name: string, create?: number): DirHandle {
    const path = this.#name(name);
    return new DirHandle(openDir(this.#live(), name, path, create), path);
  }

  /**
   * {@linkcode DirHandle.sub} without creating: `undefined` when it is missing.
   *
   * @param name A name in this directory.
   * @returns The handle, or `undefined`.
   * @throws {ErrnoError} As {@linkcode DirHandle.openIfPresent}.
   */
  subIfPresent(name: string): DirHandle | undefined {
    const path = this.#name(name);
    const fd = openDirFd(this.#live(), name, path, undefined);
    return fd === undefined ? undefined : new DirHandle(fd, path);
  }

  /**
   * Reads the regular file `name` whole when it holds at most `maxBytes`. A symlink, a FIFO,
   * a device or a larger file is reported, never followed, waited on or read.
   *
   * @param name A name in this directory.
   * @param maxBytes The cap.
   * @returns What was found.
   * @throws {ErrnoError} On failures other than "missing" and "a link".
   */
  read(name: string, maxBytes: number): FileRead {
    const fd = openatOrErrno(this.#live(), name, READ_FLAGS, 0);
    if (fd < 0) {
      const code = errnoName(-fd);
      if (code === "ENOENT") return { kind: "missing" };
      if (code === "ELOOP") return { kind: "special", why: "a symbolic link" };
      if (code === "ENXIO") return { kind: "special", why: "a socket" };
      throw new ErrnoError("openat", -fd, `open "${this.#name(name)}"`);
    }
    try {
      const st = fstatKind(fd);
      if (!isRegular(st)) return { kind: "special", why: kindText(st.mode) };
      if (st.size > maxBytes) return { kind: "large", size: st.size };
      let buf = new Uint8Array(st.size + 1);
      let n = 0;
      for (;;) {
        if (n === buf.length) {
          if (n > maxBytes) return { kind: "large", size: n };
          const next = new Uint8Array(Math.min(buf.length * 2, maxBytes + 1));
          next.set(buf);
          buf = next;
        }
        const want = buf.length - n;
        const got = read(fd, buf.subarray(n));
        if (got === 0) break;
        n += got;
        if (got < want && n === st.size) break; // a short read of a regular file: its end
      }
      return { kind: "file", bytes: buf.subarray(0, n) };
    } finally {
      close(fd);
    }
  }

  /**
   * Creates the regular file `name` holding `data`, only if nothing has that name (a symlink,
   * even a dangling one, counts). A failed write removes the file again.
   *
   * @param name A name in this directory.
   * @param data The contents.
   * @param mode Its mode (masked by the umask).
   * @returns `false` when the name exists.
   * @throws {ErrnoError} On other failures (`ENOSPC`, `EROFS`, ...).
   */
  create(name: string, data: Uint8Array, mode: number): boolean {
    const fd = openatOrErrno(this.#live(), name, WRITE_FLAGS | O_CREAT | O_EXCL, mode);
    if (fd < 0) {
      if (errnoName(-fd) === "EEXIST") return false;
      throw new ErrnoError("openat", -fd, this.#ctx(name));
    }
    try {
      writeAll(fd, data);
    } catch (err) {
      close(fd);
      this.unlink(name);
      throw this.#named(err, name);
    }
    close(fd);
    return true;
  }

  /**
   * Replaces the contents of `name` (creating it when missing) without truncating it to zero
   * first: ext4 flushes a file truncated to zero and rewritten when it is closed, a disk write
   * per call. The tail is cut only when the new contents are shorter than `previousLength`
   * (the length known to be on disk; unknown: always). A symlink, FIFO or device of that name
   * is removed (never followed) and a regular file put in its place.
   *
   * @param name A name in this directory.
   * @param data The contents.
   * @param mode Mode for a new file.
   * @param previousLength The current length, when known.
   * @throws {ErrnoError} On failure; `EISDIR` when `name` is a directory.
   */
  overwrite(name: string, data: Uint8Array, mode: number, previousLength?: number): void {
    let fd = this.#openForWrite(name, mode);
    if (fd === undefined) {
      this.unlink(name); // a link or a special file: replace it, never write through it
      fd = openat(this.#live(), name, WRITE_FLAGS | O_CREAT | O_EXCL, mode, this.#ctx(name));
      previousLength = 0;
    }
    try {
      writeAll(fd, data);
      if (previousLength === undefined || data.length < previousLength) ftruncate(fd, data.length);
    } catch (err) {
      throw this.#named(err, name);
    } finally {
      close(fd);
    }
  }

  /**
   * Removes `name` (a link itself, never its target).
   *
   * @param name A name in this directory.
   * @returns `false` when it was missing.
   * @throws {ErrnoError} On other failures (`EROFS`, `EISDIR`, ...).
   */
  unlink(name: string): boolean {
    try {
      unlinkat(this.#live(), name, 0, `remove "${this.#name(name)}"`);
      return true;
    } catch (err) {
      if (isErrno(err, "ENOENT")) return false;
      throw err;
    }
  }

  /**
   * Removes the empty subdirectory `name`.
   *
   * @param name A name in this directory.
   * @returns `false` when it is missing, not empty or not a directory.
   * @throws {ErrnoError} On other failures.
   */
  rmdir(name: string): boolean {
    try {
      unlinkat(this.#live(), name, AT_REMOVEDIR, `remove "${this.#name(name)}"`);
      return true;
    } catch (err) {
      if (isErrno(err, "ENOENT", "ENOTEMPTY", "EEXIST", "ENOTDIR")) return false;
      throw err;
    }
  }

  /**
   * `fstat` of the directory itself.
   *
   * @returns Identity, size and change times.
   */
  stat(): FileStat {
    return fstatFile(this.#live(), `fstat "${this.path}"`);
  }

  /** Opens `name` for writing when it is a regular file (or missing: created); else undefined. */
  #openForWrite(name: string, mode: number): number | undefined {
    let fd: number;
    try {
      fd = openat(this.#live(), name, WRITE_FLAGS | O_CREAT, mode, this.#ctx(name));
    } catch (err) {
      if (isErrno(err, "ELOOP", "ENXIO")) return undefined;
      throw err;
    }
    let regular: boolean;
    try {
      regular = isRegular(fstatKind(fd));
    } catch (err) {
      close(fd);
      throw err;
    }
    if (regular) return fd;
    close(fd);
    return undefined;
  }

  #live(): number {
    if (this.fd < 0) throw new ErrnoError("openat", 9, `directory "${this.path}" is closed`);
    return this.fd;
  }

  #name(name: string): string {
    return `${this.path}/${name}`;
  }

  #ctx(name: string): string {
    return `open "${this.#name(name)}"`;
  }

  /** An `ErrnoError` of a call on an open file, renamed after the file. */
  #named(err: unknown, name: string): unknown {
    if (!(err instanceof ErrnoError)) return err;
    return new ErrnoError(err.syscall, err.errno, `${err.syscall} "${this.#name(name)}"`);
  }
}

/**
 * Removes the empty directory at `path` (`rmdir`: a symlink there is left alone).
 *
 * @param path The directory.
 * @returns `false` when it is missing, not empty or not a directory, or cannot be removed.
 */
export function rmdirPath(path: string): boolean {
  try {
    unlinkat(AT_FDCWD, path, AT_REMOVEDIR, `remove "${path}"`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens the directory `name` (created with mode `create` when missing and `create` is given):
 * its descriptor, or `undefined` when it is missing and not to be created.
 */
function openDirFd(
  at: number,
  name: string,
  path: string,
  create: number | undefined,
): number | undefined {
  const fd = openatOrErrno(at, name, DIR_FLAGS, 0);
  if (fd >= 0) return fd;
  if (errnoName(-fd) !== "ENOENT") throw new ErrnoError("openat", -fd, `open directory "${path}"`);
  if (create === undefined) return undefined;
  try {
    mkdirat(at, name, create, `mkdir "${path}"`);
  } catch (err) {
    if (!isErrno(err, "EEXIST")) throw err; // made by someone else meanwhile
  }
  return openat(at, name, DIR_FLAGS, 0, `open directory "${path}"`);
}

function openDir(at: number, name: string, path: string, create: number | undefined): number {
  const fd = openDirFd(at, name, path, create);
  if (fd === undefined) throw new ErrnoError("openat", ENOENT, `open directory "${path}"`);
  return fd;
}
