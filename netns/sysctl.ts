/**
 * sysctls under `/proc/sys`, read and written with synchronous file calls, optionally inside a
 * network namespace (`/proc/sys/net` shows the namespace of the thread that opens it, so the
 * work runs on the switched JavaScript thread, never on an async worker thread).
 *
 * @module
 */
import { ErrnoError, errorText, readFileText, writeFileText } from "../ffi/mod.ts";
import { type NetnsHandle, type SyncOnly, withNetns } from "./netns.ts";

/** Root of the sysctl tree. */
export const SYSCTL_ROOT = "/proc/sys";

/** Options for the sysctl calls. */
export interface SysctlOptions {
  /** Namespace to act in (handle or path); the calling thread's own when absent. */
  netns?: NetnsHandle | string;
}

/** A sysctl key that is malformed, missing, or could not be read or written. */
export class SysctlError extends Error {
  /** The key as given. */
  readonly key: string;
  /**
   * Creates the error.
   *
   * @param key The key.
   * @param message The full message.
   * @param cause The underlying error, if any.
   */
  constructor(key: string, message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "SysctlError";
    this.key = key;
  }
}

/**
 * Turns a sysctl key into its path under `/proc/sys`, following `sysctl(8)`: when the first
 * separator is `/` the key is taken verbatim (so `net/ipv6/conf/eth0.1/accept_dad` works);
 * otherwise `.` and `/` are swapped (so `net.ipv6.conf.eth0/1.accept_dad` names the same file).
 *
 * @example Both forms
 * ```ts
 * import { sysctlPath } from "./sysctl.ts";
 * if (sysctlPath("net.ipv4.ip_forward") !== "/proc/sys/net/ipv4/ip_forward") throw new Error();
 * if (sysctlPath("net/ipv6/conf/eth0.1/accept_dad") !==
 *   "/proc/sys/net/ipv6/conf/eth0.1/accept_dad") throw new Error();
 * ```
 *
 * @param key A dotted or slashed key.
 * @returns The absolute path.
 * @throws {SysctlError} When the key is empty or has an empty, `.` or `..` component.
 */
export function sysctlPath(key: string): string {
  const firstSep = key.search(/[./]/);
  const slashed = firstSep >= 0 && key[firstSep] === "/"
    ? key
    : key.replace(/[./]/g, (c) => (c === "." ? "/" : "."));
  const parts = slashed.split("/");
  if (
    key === "" || key.includes("\0") ||
    parts.some((p) => p === "" || p === "." || p === "..")
  ) {
    throw new SysctlError(key, `invalid sysctl key "${key}"`);
  }
  return `${SYSCTL_ROOT}/${slashed}`;
}

function normalise(value: string): string {
  return value.trim().split(/\s+/).join(" ");
}

function inNetns<T>(opts: SysctlOptions, fn: (() => T) & SyncOnly<T>): T {
  return opts.netns === undefined ? fn() : withNetns(opts.netns, fn);
}

function failure(key: string, action: string, err: unknown): SysctlError {
  let why: string;
  if (err instanceof ErrnoError && err.code === "ENOENT") why = "no such key";
  else if (err instanceof ErrnoError && (err.code === "EACCES" || err.code === "EPERM")) {
    why = `permission denied (${err.code})`;
  } else why = errorText(err);
  return new SysctlError(key, `${action} sysctl "${key}": ${why}`, err);
}

/**
 * Reads a sysctl, without the trailing newline.
 *
 * Equivalent to: `sysctl -n KEY` (in `ip netns exec NS` when `netns` is given)
 *
 * @example Read IPv4 forwarding in a namespace
 * ```ts ignore
 * sysctlGet("net.ipv4.ip_forward", { netns: "/run/netns/blue" }); // "0"
 * ```
 *
 * @param key A dotted or slashed key.
 * @param opts The namespace to read in.
 * @returns The value.
 * @throws {SysctlError} When the key is malformed or cannot be read.
 * @throws {NotNetnsError} When `opts.netns` is not a network namespace.
 */
export function sysctlGet(key: string, opts: SysctlOptions = {}): string {
  const path = sysctlPath(key);
  return inNetns(opts, () => {
    try {
      return readFileText(path).replace(/\n$/, "");
    } catch (err) {
      throw failure(key, "read", err);
    }
  });
}

/**
 * Writes a sysctl.
 *
 * Equivalent to: `sysctl -w KEY=VALUE` (in `ip netns exec NS` when `netns` is given)
 *
 * @example Enable forwarding in a namespace
 * ```ts ignore
 * sysctlSet("net.ipv4.ip_forward", "1", { netns: "/run/netns/blue" });
 * ```
 *
 * @param key A dotted or slashed key.
 * @param value The value to write.
 * @param opts The namespace to write in.
 * @throws {SysctlError} When the key is malformed or the write fails.
 * @throws {NotNetnsError} When `opts.netns` is not a network namespace.
 */
export function sysctlSet(key: string, value: string, opts: SysctlOptions = {}): void {
  const path = sysctlPath(key);
  inNetns(opts, () => {
    try {
      writeFileText(path, value);
    } catch (err) {
      throw failure(key, `write "${value}" to`, err);
    }
  });
}

/**
 * Writes a sysctl only when its current value differs (compared with whitespace runs collapsed,
 * so `"4096 87380"` matches the kernel's tab-separated `4096\t87380\n`),
 * saving a redundant write; one namespace switch for both steps.
 *
 * @example Ensure forwarding
 * ```ts ignore
 * const wrote = sysctlEnsure("net.ipv4.ip_forward", "1");
 * ```
 *
 * @param key A dotted or slashed key.
 * @param value The wanted value.
 * @param opts The namespace to act in.
 * @returns `true` when it wrote, `false` when the value was already set.
 * @throws {SysctlError} When the key is malformed or the read or write fails.
 * @throws {NotNetnsError} When `opts.netns` is not a network namespace.
 */
export function sysctlEnsure(key: string, value: string, opts: SysctlOptions = {}): boolean {
  const path = sysctlPath(key);
  return inNetns(opts, () => {
    let current: string;
    try {
      current = readFileText(path);
    } catch (err) {
      throw failure(key, "read", err);
    }
    if (normalise(current) === normalise(value)) return false;
    try {
      writeFileText(path, value);
    } catch (err) {
      throw failure(key, `write "${value}" to`, err);
    }
    return true;
  });
}
