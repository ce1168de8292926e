/**
 * How every wrapper of `ffi/` turns a failed call into an {@linkcode ErrnoError}: errno read
 * at once from the calling thread. Internal to `ffi/`.
 *
 * @module
 */
import { ErrnoError } from "./errno.ts";
import { errnoNow as errno } from "./libc.ts";

/** The calling thread's errno (0 when it cannot be read): a plain read of its location. */
export { errno };

/** Returns `result`, or throws the {@linkcode ErrnoError} of errno when it is -1. */
export function check(result: number, syscall: string, context?: string): number {
  if (result === -1) throw new ErrnoError(syscall, errno(), context);
  return result;
}

/** {@linkcode check} for calls returning `ssize_t` (a `bigint`): the result as a number. */
export function checkBig(result: number | bigint, syscall: string, context?: string): number {
  const n = Number(result);
  if (n === -1) throw new ErrnoError(syscall, errno(), context);
  return n;
}
