/**
 * Lease stores for host-local: the {@linkcode Store} interface and the lease file format. The
 * disk store (the reference's files, shared safely with the reference binary) is in
 * `disk_store.ts`; tests use the in-memory one of `_memory_store.ts`.
 *
 * @module
 */
/** One lease file as found on disk. */
export interface Lease {
  /** The leased address (canonical text, the file name). */
  ip: string;
  /** The owner's container ID; empty for an empty or unreadable file. */
  containerId: string;
  /** The owner's interface name; absent for legacy files holding only the container ID. */
  ifName?: string;
}

/**
 * Where leases live. All methods except `withLock` and `close` expect the lock to be held:
 * call them inside `withLock`. They are synchronous, so a lock is never held across an
 * `await`; only waiting for the lock is asynchronous.
 */
export interface Store {
  /**
   * Waits for the store's exclusive lock without blocking the event loop, then runs `fn`
   * (synchronous) holding it and drops it. A call from inside `fn` runs at once in the same
   * hold.
   *
   * @throws {CniError} Code 11 when the lock stays held by another process too long.
   */
  withLock<T>(fn: () => T): Promise<T>;
  /** Reserves `ip` for `id`/`ifName` unless taken; records it as the set's last reserved. */
  reserve(id: string, ifName: string, ip: string, rangeId: string): boolean;
  /** The set's last reserved address text, if recorded. */
  lastReservedIp(rangeId: string): string | undefined;
  /** Addresses held by `id`/`ifName` or by a legacy `id`-only lease. */
  getById(id: string, ifName: string): string[];
  /** Releases `id`/`ifName`'s leases, or failing that legacy `id`-only ones; returns them. */
  releaseById(id: string, ifName: string): string[];
  /** Whether `id`/`ifName` (or legacy `id`) holds any lease. */
  findById(id: string, ifName: string): boolean;
  /** Whether `ip` could be reserved now. */
  isFree(ip: string): boolean;
  /** Every lease file. */
  leases(): Lease[];
  /** Removes the lease of `ip`. */
  release(ip: string): void;
  /** Releases resources (the lock file descriptor). */
  close(): void;
}

/** Prefix of the files recording the last address reserved from each range set. */
export const LAST_IP_PREFIX = "last_reserved_ip.";
const LINE_BREAK = "\r\n";

/**
 * The largest lease file read (`<containerID>\r\n<ifname>` is tens of bytes): a bigger file,
 * like a symlink or any other non-regular file, counts as taken and is never read.
 */
export const MAX_LEASE_BYTES = 4096;

/** The reference's lease file contents for an owner. */
export function leaseContent(id: string, ifName: string): string {
  return id.trim() + LINE_BREAK + ifName;
}

/**
 * Parses the trimmed contents of a lease file.
 *
 * @param text Raw contents.
 * @param ip The file name.
 * @returns The lease.
 */
export function parseLease(text: string, ip: string): Lease {
  const t = text.trim();
  const at = t.indexOf(LINE_BREAK);
  if (at < 0) return { ip, containerId: t };
  return { ip, containerId: t.slice(0, at), ifName: t.slice(at + LINE_BREAK.length) };
}

/**
 * Whether a lease belongs to `id` and `ifName` (`undefined`: a legacy, ID-only lease of `id`).
 *
 * @param lease The lease.
 * @param id Container ID (trimmed here).
 * @param ifName Interface name, or `undefined` for the legacy match.
 * @returns `true` on a match.
 */
export function matches(lease: Lease, id: string, ifName: string | undefined): boolean {
  return lease.containerId === id.trim() && lease.ifName === ifName && lease.containerId !== "";
}

/**
 * The leases DEL releases for `id`/`ifName`: those of that attachment, or failing that the
 * legacy ID-only leases of `id` (as the reference).
 *
 * @param all Every lease.
 * @param id Container ID.
 * @param ifName Interface name.
 * @returns The addresses to release.
 */
export function releasable(all: readonly Lease[], id: string, ifName: string): string[] {
  let hits = all.filter((l) => matches(l, id, ifName));
  if (hits.length === 0) hits = all.filter((l) => matches(l, id, undefined));
  return hits.map((l) => l.ip);
}
