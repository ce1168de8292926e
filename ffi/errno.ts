/**
 * errno: read right after a failed call, mapped to its symbolic name, thrown as `ErrnoError`;
 * and `errorText`, the one way every layer turns anything thrown into text.
 *
 * @module
 */

/** errno numbers (Linux, x86_64 and aarch64 share them) to their symbolic names. */
export const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: "EPERM",
  2: "ENOENT",
  3: "ESRCH",
  4: "EINTR",
  5: "EIO",
  6: "ENXIO",
  7: "E2BIG",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  16: "EBUSY",
  17: "EEXIST",
  18: "EXDEV",
  19: "ENODEV",
  20: "ENOTDIR",
  21: "EISDIR",
  22: "EINVAL",
  23: "ENFILE",
  24: "EMFILE",
  25: "ENOTTY",
  26: "ETXTBSY",
  28: "ENOSPC",
  30: "EROFS",
  34: "ERANGE",
  36: "ENAMETOOLONG",
  38: "ENOSYS",
  39: "ENOTEMPTY",
  40: "ELOOP",
  61: "ENODATA",
  71: "EPROTO",
  74: "EBADMSG",
  75: "EOVERFLOW",
  88: "ENOTSOCK",
  90: "EMSGSIZE",
  92: "ENOPROTOOPT",
  93: "EPROTONOSUPPORT",
  95: "EOPNOTSUPP",
  97: "EAFNOSUPPORT",
  98: "EADDRINUSE",
  99: "EADDRNOTAVAIL",
  100: "ENETDOWN",
  101: "ENETUNREACH",
  105: "ENOBUFS",
  110: "ETIMEDOUT",
  111: "ECONNREFUSED",
  113: "EHOSTUNREACH",
  114: "EALREADY",
  115: "EINPROGRESS",
  122: "EDQUOT",
};

/** `ENOENT`: no such file or directory (`<asm-generic/errno-base.h>`). */
export const ENOENT = 2;
/** `EINTR`: interrupted system call (`<asm-generic/errno-base.h>`). */
export const EINTR = 4;
/** `EAGAIN` (= `EWOULDBLOCK`): try again (`<asm-generic/errno-base.h>`). */
export const EAGAIN = 11;
/** `ENODEV`: no such device (`<asm-generic/errno-base.h>`). */
export const ENODEV = 19;
/** `EINVAL`: invalid argument (`<asm-generic/errno-base.h>`). */
export const EINVAL = 22;
/** `EOVERFLOW`: value too large for defined data type (`<asm-generic/errno.h>`). */
export const EOVERFLOW = 75;
/** `EPROTO`: protocol error (`<asm-generic/errno.h>`). */
export const EPROTO = 71;
/** `EMSGSIZE`: message too long (`<asm-generic/errno.h>`). */
export const EMSGSIZE = 90;

/** Human text for the errno values users meet most, lower case as `strerror` has it. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  ESRCH: "no such process",
  EINTR: "interrupted system call",
  EBADF: "bad file descriptor",
  EAGAIN: "resource temporarily unavailable",
  ENOMEM: "out of memory",
  EACCES: "permission denied",
  EBUSY: "device or resource busy",
  EEXIST: "file exists",
  ENODEV: "no such device",
  EOVERFLOW: "value too large for defined data type",
  ENOTDIR: "not a directory",
  EINVAL: "invalid argument",
  ERANGE: "numerical result out of range",
  ENAMETOOLONG: "file name too long",
  ENOTSUP: "operation not supported",
  EOPNOTSUPP: "operation not supported",
  EADDRNOTAVAIL: "cannot assign requested address",
  ENETUNREACH: "network is unreachable",
  ENOBUFS: "no buffer space available",
  EAFNOSUPPORT: "address family not supported by protocol",
  ETXTBSY: "text file busy",
  EMSGSIZE: "message too long",
  ENOTEMPTY: "directory not empty",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  ELOOP: "too many levels of symbolic links",
  EISDIR: "is a directory",
  EIO: "input/output error",
  EMFILE: "too many open files",
};

/**
 * Returns the symbolic name of an errno number (`"EEXIST"`), or `"E<number>"` if unknown.
 *
 * @param errno The errno number (positive).
 * @returns Its symbolic name.
 */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `E${errno}`;
}

/**
 * Returns a short lower-case description of an errno number, as `strerror` words it.
 *
 * @param errno The errno number (positive).
 * @returns The description, or `"errno <n>"` when unknown.
 */
export function errnoText(errno: number): string {
  return ERRNO_TEXT[errnoName(errno)] ?? `errno ${errno}`;
}

/** A failed system call: the errno number, its name and the call that failed. */
export class ErrnoError extends Error {
  /** The errno number, e.g. 17. */
  readonly errno: number;
  /** The symbolic errno name, e.g. `"EEXIST"`. */
  readonly code: string;
  /** The failed call, e.g. `"setns"`. */
  readonly syscall: string;

  /**
   * Creates the error for a call that returned -1 with `errno` set.
   *
   * @param syscall The failed call.
   * @param errno The errno number it set.
   * @param context Optional words on what was being done (`"open \"/run/netns/x\""`).
   */
  constructor(syscall: string, errno: number, context?: string) {
    const name = errnoName(errno);
    super(`${context ?? syscall}: ${errnoText(errno)} (${name})`);
    this.name = "ErrnoError";
    this.errno = errno;
    this.code = name;
    this.syscall = syscall;
  }
}

/**
 * The text of anything thrown: a `CniError`'s full message (with details), an `Error`'s
 * message, or the value as a string.
 *
 * @example
 * ```ts
 * import { errorText } from "./errno.ts";
 * import { assertEquals } from "../tests/helpers/assert.ts";
 * assertEquals(errorText(new Error("file exists")), "file exists");
 * assertEquals(errorText("boom"), "boom");
 * ```
 *
 * @param err What was thrown.
 * @returns Its message.
 */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
