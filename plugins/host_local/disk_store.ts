/**
 * The disk store: host-local's leases in the reference's exact format, shared safely with the
 * reference binary.
 *
 * Layout (`<dataDir>/<network>/`, as the reference): one file per leased address named by the
 * address and holding `<containerID>\r\n<ifname>` (no trailing newline, mode 0600),
 * `last_reserved_ip.<rangeID>` holding the last address reserved from a range set, and `lock`,
 * held with `flock(LOCK_EX)` around every command (see `lock_file.ts`). Beside it, outside the
 * lease directory, an owner index (`lease_index.ts`) spares ADD, DEL and CHECK a walk of every
 * lease; it is a cache, removed with the network's last lease.
 *
 * Nothing inside the data directory is followed if it is a symbolic link: the network
 * directory, the lock, lease files, `last_reserved_ip.*` and the index are opened relative to
 * their directory with `O_NOFOLLOW`. A lease name held by a link, a FIFO, a device or a file
 * over 4 KiB counts as taken and is never read, written or removed. Lease files are created
 * exclusively (`O_EXCL`) before anything else is written, so no order of crashes can hand out
 * an address twice. A failed ADD leaves no lease behind; a full disk first sheds the index.
 *
 * The work is in `_disk_store.ts`; the lease directory's reads are `_lease_dir.ts`, the
 * index's state through a lock hold `_index_hold.ts`.
 *
 * @module
 */
import { openDiskStoreWith } from "./_disk_store.ts";
import type { Store } from "./store.ts";

/** Options for {@linkcode openDiskStore}. */
export interface DiskStoreOptions {
  /** File mode of lease and `last_reserved_ip` files: 0o600 (newest reference, default) or 0o644 (1.1.1). */
  fileMode?: number;
  /** Keep the owner index (default true). */
  index?: boolean;
  /**
   * How long `withLock` waits for the network's lock while another process holds it, in ms
   * (default `DEFAULT_LOCK_TIMEOUT_MS`, `lock_file.ts`); then CNI code 11. The reference waits
   * forever.
   */
  lockTimeoutMs?: number;
}

/** A disk store, with the path of its lease directory. */
export interface DiskStore extends Store {
  /** `<dataDir>/<network>`. */
  readonly dir: string;
}

/**
 * Opens the disk store for a network: creates `<dataDir>/<network>/` (0755) and its `lock`.
 *
 * The owner index lets ADD's duplicate check, DEL and CHECK read one small file instead of
 * every lease. Each index entry is checked against the lease file it names before use, and an
 * entry that does not match (or a damaged index file) makes the command rebuild the index
 * from one scan and look again: the lease files win. A lease missing from the index can only
 * come from a writer that does not keep it (the reference binary, a hand edit) or a crash
 * between a lease and its index entry, and both change the lease directory (its size or
 * nanosecond times) or a `last_reserved_ip` file, which the index's marker records: a
 * mismatch makes the next command rebuild the index with one scan.
 *
 * @param dataDir The state root (may itself be a symlink; nothing inside it is followed).
 * @param network The network name.
 * @param options File mode, index switch, lock wait limit.
 * @returns The store (close it when done).
 * @throws {CniError} Code 5 when the directory or lock cannot be opened or created, or either
 * is a symlink.
 * @example Opening a store
 * ```ts ignore
 * import { openDiskStore } from "./disk_store.ts";
 * const store = openDiskStore("/tmp/cni-data", "mynet");
 * try {
 *   await store.withLock(() => store.reserve("c1", "eth0", "10.0.0.2", "0"));
 * } finally {
 *   store.close();
 * }
 * ```
 */
export function openDiskStore(
  dataDir: string,
  network: string,
  options: DiskStoreOptions = {},
): DiskStore {
  return openDiskStoreWith(dataDir, network, options, Deno.readDirSync);
}
