/**
 * Typed wrappers of the process calls: ids (`getpid`, `gettid`, `geteuid`), `kill`, and the
 * effective capabilities (`capget`).
 *
 * @module
 */
import { check } from "./_check.ts";
import { LINUX_CAPABILITY_VERSION_3 } from "./constants.ts";
import { libc } from "./libc.ts";

/**
 * `getpid(2)`.
 *
 * @returns The process id.
 */
export function getpid(): number {
  return libc().getpid();
}

/**
 * `gettid(2)`.
 *
 * @returns The calling thread's id.
 */
export function gettid(): number {
  return libc().gettid();
}

/**
 * `geteuid(2)`.
 *
 * @returns The effective user id.
 */
export function geteuid(): number {
  return libc().geteuid();
}

/**
 * `kill(2)`.
 *
 * @param pid Process id.
 * @param signal Signal number.
 * @throws {ErrnoError} On failure.
 */
export function kill(pid: number, signal: number): void {
  check(libc().kill(pid, signal), "kill");
}

/**
 * `capget(2)` for the calling thread: its effective capability set.
 *
 * @returns The effective capabilities as a 64-bit mask.
 * @throws {ErrnoError} On failure.
 */
export function capgetEffective(): bigint {
  const header = new Uint8Array(8);
  new DataView(header.buffer).setUint32(0, LINUX_CAPABILITY_VERSION_3, true);
  const data = new Uint8Array(24); // two struct __user_cap_data_struct { effective, permitted, inheritable }
  check(libc().capget(header, data), "capget");
  const view = new DataView(data.buffer);
  return (BigInt(view.getUint32(12, true)) << 32n) | BigInt(view.getUint32(0, true));
}
