/**
 * Counters of netlink work since the process started, for tests that bound the work of an
 * operation (take a snapshot before and after, and subtract). Not public API: tests import
 * this file directly; no `mod.ts` re-exports it.
 *
 * @module
 */

/** Counters of netlink work since the process started. */
export interface NetlinkStats {
  /** Sockets opened. */
  sockets: number;
  /** Requests sent and answered (each request, each dump attempt). */
  roundTrips: number;
  /** Datagrams received. */
  datagrams: number;
  /** Existence probes sent while a `NetlinkSocket.requestUntilGone` waited. */
  probes: number;
  /** Requests whose send ran off the JavaScript thread. */
  offThread: number;
}

/** The live counters; the socket files count into them. */
export const stats: NetlinkStats = {
  sockets: 0,
  roundTrips: 0,
  datagrams: 0,
  probes: 0,
  offThread: 0,
};

/**
 * A snapshot of the process's netlink counters.
 *
 * @example Counting what an operation cost
 * ```ts
 * import assert from "node:assert/strict";
 * import { netlinkStats, stats } from "./_socket_stats.ts";
 * const before = netlinkStats();
 * stats.roundTrips++; // what a request does
 * assert.equal(netlinkStats().roundTrips - before.roundTrips, 1);
 * ```
 *
 * @returns A copy of the counters.
 */
export function netlinkStats(): NetlinkStats {
  return { ...stats };
}
