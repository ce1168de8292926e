/**
 * The owner index through one lock hold of the disk store: validated once per hold (rebuilt
 * from one scan when it does not describe the lease directory as it is), asked for an owner's
 * leases (each checked against its file; a contradiction makes one rescan), kept up to date as
 * leases come and go, and written when the hold ends. Any failure turns the index off for the
 * hold and the store scans instead: the index is a cache, the lease files win.
 *
 * @module
 */
import type { FileRead } from "./_dir.ts";
import type { Scan } from "./_lease_dir.ts";
import { indexable, ownerKey } from "./index_format.ts";
import type { LeaseIndex } from "./lease_index.ts";
import { type Lease, matches } from "./store.ts";

/** What the index needs of the lease directory. */
export interface LeaseDirView {
  /** The directory's `dev:ino:size:mtime:ctime` now. */
  dirState(): string;
  /** `last_reserved_ip.<rangeId>` contents now (`undefined`: no file). */
  lastOf(rangeId: string): string | undefined;
  /** Every lease (a full scan). */
  scan(): Scan;
  /** One lease file. */
  readLease(ip: string): Lease | FileRead["kind"];
}

/** The index's state through one lock hold. */
export interface IndexHold {
  /** Starts a hold: nothing is known of the index yet. */
  begin(): void;
  /** Validates the index (once per hold), rebuilding it from a scan when stale; `true` when usable. */
  ensure(): boolean;
  /** Whether the index is valid this hold. */
  isValid(): boolean;
  /**
   * The leases of `id` and `ifName` (`undefined`: legacy ID-only ones) by the index, each
   * checked against its file; `undefined` when the index cannot answer (then scan).
   */
  owned(id: string, ifName: string | undefined): string[] | undefined;
  /** Records a change of the directory: the index is rewritten at the end, or dropped. */
  changed(): void;
  /** Records a new lease of `key` reserved from range set `rangeId`. */
  added(ip: string, key: string, rangeId: string): void;
  /** Records that `key`'s leases `ips` went. */
  removed(key: string, ips: readonly string[], legacy: boolean): void;
  /** A scan already paid for: validates the index, or rebuilds it from this scan. */
  adopt(scan: Scan): void;
  /** Gives up the index for this hold; `shed` also frees its disk space. */
  drop(shed?: boolean): boolean;
  /** Writes the index when it changed (the end of a hold). */
  flush(): void;
}

/**
 * The index state of a disk store, for one lock hold at a time.
 *
 * @param index The network's index, or `undefined` when the store keeps none.
 * @param view The lease directory.
 * @returns The state (call `begin` when a hold starts and `flush` when it ends).
 */
export function indexHold(index: LeaseIndex | undefined, view: LeaseDirView): IndexHold {
  /** unknown: not looked at yet; valid: matches the directory; off: unusable this hold. */
  let mode: "unknown" | "valid" | "off" = "unknown";
  /** The directory or index changed while the index was valid: write it at the end. */
  let dirty = false;
  /** Range IDs whose `last_reserved_ip` the marker records. */
  let tracked = new Set<string>();

  /** Gives up the index for this hold; `shed` also frees its disk space. */
  function dropIndex(shed = false): boolean {
    mode = "off";
    dirty = false;
    try {
      return index?.destroy() ?? false;
    } catch {
      return false;
    } finally {
      if (shed) index?.close();
    }
  }

  function rebuild(leases: Lease[], rangeIds: string[]): void {
    const entries = [];
    for (const l of leases) {
      if (l.containerId === "") continue;
      const key = ownerKey(l.containerId, l.ifName);
      if (indexable(key)) entries.push({ ip: l.ip, key, legacy: l.ifName === undefined });
    }
    index!.rebuild(entries, rangeIds);
    tracked = new Set(rangeIds);
    mode = "valid";
    dirty = true;
  }

  /** Validates the index once per lock hold, rebuilding it from a scan when stale. */
  function ensureIndex(): boolean {
    if (mode !== "unknown") return mode === "valid";
    if (!index) {
      mode = "off";
      return false;
    }
    try {
      if (index.check(view.dirState(), view.lastOf)) {
        mode = "valid";
        tracked = new Set(index.rangeIds());
        return true;
      }
    } catch {
      dropIndex();
      return false;
    }
    return rescan();
  }

  /** Rebuilds the index from a scan after it disagreed with the lease files. */
  function rescan(): boolean {
    try {
      const { leases, rangeIds } = view.scan();
      rebuild(leases, rangeIds);
      return true;
    } catch {
      dropIndex();
      return false;
    }
  }

  function changed(): void {
    if (mode === "valid") dirty = true;
    else if (index && mode === "unknown") dropIndex();
  }

  function flush(): void {
    if (!dirty || mode !== "valid" || !index) return;
    dirty = false;
    const recorded: Record<string, string> = {};
    for (const id of tracked) recorded[id] = view.lastOf(id) ?? "";
    try {
      index.flush(view.dirState(), recorded);
    } catch {
      dropIndex(); // never leave a marker that vouches for what was not written
    }
  }

  function owned(id: string, ifName: string | undefined): string[] | undefined {
    const cid = id.trim();
    const key = ownerKey(cid, ifName);
    if (!indexable(key)) return undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!ensureIndex()) return undefined;
      if (ifName === undefined && index!.legacy() === 0) return [];
      let found: string[] | undefined;
      try {
        found = index!.lookup(key);
      } catch {
        found = undefined;
      }
      if (found !== undefined) {
        const ips: string[] = [];
        let stale = false;
        for (const ip of found) {
          const lease = view.readLease(ip);
          if (typeof lease !== "string" && matches(lease, cid, ifName)) ips.push(ip);
          else stale = true;
        }
        if (!stale) return ips;
      }
      // A damaged bucket or an entry the lease file contradicts: the files win.
      if (!rescan()) return undefined;
    }
    return undefined;
  }

  return {
    begin() {
      mode = "unknown";
      dirty = false;
    },
    ensure: ensureIndex,
    isValid: () => mode === "valid",
    owned,
    changed,
    added(ip, key, rangeId) {
      if (mode !== "valid") return;
      try {
        index!.add(ip, key, false);
        tracked.add(rangeId);
      } catch {
        dropIndex();
      }
    },
    removed(key, ips, legacy) {
      if (mode !== "valid") return;
      try {
        index!.remove(key, ips, legacy);
      } catch {
        dropIndex();
      }
    },
    adopt({ leases, rangeIds }) {
      if (!index || mode !== "unknown") return;
      try {
        if (index.check(view.dirState(), view.lastOf)) {
          mode = "valid";
          tracked = new Set(index.rangeIds());
        } else rebuild(leases, rangeIds);
      } catch {
        dropIndex();
      }
    },
    drop: dropIndex,
    flush,
  };
}
