/**
 * An in-memory {@linkcode Store} with the disk store's semantics, for unit tests of the
 * allocator and the store contract. Private: not part of host-local's API.
 *
 * @module
 */
import { leaseContent, matches, parseLease, releasable, type Store } from "./store.ts";

/** Options for {@linkcode memoryStore}. */
export interface MemoryStoreOptions {
  /** Initial file contents by address (raw, as they would be on disk). */
  files?: Record<string, string>;
  /** Initial `last_reserved_ip.<rangeId>` contents. */
  lastReserved?: Record<string, string>;
}

/** The in-memory store's visible state (for assertions). */
export interface MemoryStore extends Store {
  /** Lease file contents by address. */
  readonly files: Map<string, string>;
  /** `last_reserved_ip.<rangeId>` contents by range ID. */
  readonly lastReserved: Map<string, string>;
}

/**
 * An in-memory store with the disk store's semantics (for unit tests).
 *
 * @param options Initial contents.
 * @returns The store.
 * @example Reserving
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryStore } from "./_memory_store.ts";
 * const s = memoryStore();
 * assert.equal(s.reserve("c1", "eth0", "10.0.0.2", "0"), true);
 * assert.equal(s.files.get("10.0.0.2"), "c1\r\neth0");
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const files = new Map(Object.entries(options.files ?? {}));
  const lastReserved = new Map(Object.entries(options.lastReserved ?? {}));
  const leases = () => [...files].map(([ip, text]) => parseLease(text, ip));
  const store: MemoryStore = {
    files,
    lastReserved,
    withLock<T>(fn: () => T): Promise<T> {
      try {
        return Promise.resolve(fn());
      } catch (err) {
        return Promise.reject(err);
      }
    },
    reserve(id, ifName, ip, rangeId) {
      const existing = files.get(ip);
      if (existing !== undefined && existing.trim() !== "") return false;
      files.set(ip, leaseContent(id, ifName));
      lastReserved.set(rangeId, ip);
      return true;
    },
    lastReservedIp: (rangeId) => lastReserved.get(rangeId),
    getById: (id, ifName) =>
      leases().filter((l) => matches(l, id, ifName) || matches(l, id, undefined)).map((l) => l.ip),
    releaseById(id, ifName) {
      const ips = releasable(leases(), id, ifName);
      for (const ip of ips) files.delete(ip);
      return ips;
    },
    findById: (id, ifName) =>
      leases().some((l) => matches(l, id, ifName)) ||
      leases().some((l) => matches(l, id, undefined)),
    isFree: (ip) => (files.get(ip) ?? "").trim() === "",
    leases,
    release: (ip) => void files.delete(ip),
    close() {},
  };
  return store;
}
