/**
 * Pure allocation over range sets: the reference's round-robin iterator and `Get` / `Release`
 * logic, on top of any {@linkcode Store}.
 *
 * @module
 */
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { IPConfig } from "../../cni/types.ts";
import { type Range, rangeContains, type RangeSet, rangeSetToString } from "./range.ts";
import {
  formatCidr,
  formatIp,
  type IpAddr,
  ipEquals,
  ipToBigint,
  nextIp,
  parseIp,
} from "../../ip/mod.ts";
import type { Store } from "./store.ts";

/** One candidate from the iterator: the address and the range it came from. */
export interface Candidate {
  /** The address. */
  ip: IpAddr;
  /** Its range (for the prefix and gateway). */
  range: Range;
}

/**
 * The range in `set` containing `ip`, if any.
 *
 * @param set The range set.
 * @param ip The address.
 * @returns The range, or `undefined`.
 */
export function rangeFor(set: RangeSet, ip: IpAddr): Range | undefined {
  return set.find((r) => rangeContains(r, ip));
}

/**
 * The reference's round-robin order over a range set: start just after `lastReserved` (in the
 * range that holds it) or, when it is absent or outside the set, at the first range's start;
 * step one address at a time, jump from a range's end to the next range's start, wrap round,
 * skip each range's gateway, and stop after one full turn (so `lastReserved` comes last).
 *
 * @param set The range set (non-empty, canonical).
 * @param lastReserved The last address reserved from this set, if known.
 * @returns A lazy sequence of candidates.
 * @example Iterating
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadIpamConfig } from "./config.ts";
 * import { rangeIterator } from "./allocator.ts";
 * import { formatIp } from "../../ip/mod.ts";
 * const { ranges } = loadIpamConfig(
 *   { cniVersion: "1.0.0", name: "n", type: "x", ipam: { subnet: "10.0.0.0/29" } }, "");
 * assert.deepEqual(
 *   [...rangeIterator(ranges[0]!)].map((c) => formatIp(c.ip)),
 *   ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"],
 * );
 * ```
 */
export function* rangeIterator(set: RangeSet, lastReserved?: IpAddr): Generator<Candidate> {
  let total = 0n;
  for (const r of set) total += ipToBigint(r.rangeEnd) - ipToBigint(r.rangeStart) + 1n;
  let idx = 0;
  let cur = set[0]!.rangeStart;
  const lastIdx = lastReserved ? set.findIndex((r) => rangeContains(r, lastReserved)) : -1;
  if (lastReserved && lastIdx >= 0) {
    idx = lastIdx;
    const r = set[idx]!;
    if (ipEquals(lastReserved, r.rangeEnd)) {
      idx = (idx + 1) % set.length;
      cur = set[idx]!.rangeStart;
    } else {
      cur = nextIp(lastReserved);
    }
  }
  for (let n = 0n; n < total; n++) {
    const r = set[idx]!;
    if (!ipEquals(cur, r.gateway)) yield { ip: cur, range: r };
    if (ipEquals(cur, r.rangeEnd)) {
      idx = (idx + 1) % set.length;
      cur = set[idx]!.rangeStart;
    } else {
      cur = nextIp(cur);
    }
  }
}

function ipConfig(c: Candidate): IPConfig {
  const out: IPConfig = { address: formatCidr({ ip: c.ip, prefix: c.range.subnet.prefix }) };
  if (c.range.gateway) out.gateway = formatIp(c.range.gateway);
  return out;
}

function fail(msg: string): CniError {
  return new CniError(ErrorCode.Internal, msg);
}

/**
 * The reference's `IPAllocator.Get` for one range set: reserve the requested address, or the
 * next free one in round-robin order. Refuses a second dynamic address for the same container
 * ID and interface in this set. Call it holding the store's lock (inside `store.withLock`).
 *
 * @param store The lease store.
 * @param set The range set.
 * @param options `rangeId` (the set's index), `containerId`, `ifName`, and `requested`.
 * @returns The address (with the subnet prefix) and gateway.
 * @throws {CniError} Code 999 with the reference's messages when nothing can be reserved.
 */
export function allocate(
  store: Store,
  set: RangeSet,
  options: { rangeId: number; containerId: string; ifName: string; requested?: IpAddr | undefined },
): IPConfig {
  const rangeId = String(options.rangeId);
  const { containerId: id, ifName } = options;
  const requested = options.requested;
  if (requested) {
    const r = rangeFor(set, requested);
    const text = formatIp(requested);
    if (!r) throw fail(`${text} not in range set ${rangeSetToString(set)}`);
    if (ipEquals(requested, r.gateway)) throw fail(`requested ip ${text} is subnet's gateway`);
    if (!store.reserve(id, ifName, text, rangeId)) {
      throw fail(
        `requested IP address ${text} is not available in range set ${rangeSetToString(set)}`,
      );
    }
    return ipConfig({ ip: requested, range: r });
  }
  for (const held of store.getById(id, ifName)) {
    const ip = parseIp(held);
    if (ip && rangeFor(set, ip)) {
      throw fail(`${held} has been allocated to ${id}, duplicate allocation is not allowed`);
    }
  }
  const lastText = store.lastReservedIp(rangeId);
  const last = lastText === undefined ? undefined : parseIp(lastText);
  for (const c of rangeIterator(set, last)) {
    if (store.reserve(id, ifName, formatIp(c.ip), rangeId)) return ipConfig(c);
  }
  throw fail(`no IP addresses available in range set: ${rangeSetToString(set)}`);
}

/**
 * Whether at least one address of a set could be reserved now (for STATUS). Starts after the
 * last reserved address, so on a healthy network the first probe answers. Call it holding the
 * store's lock.
 *
 * @param store The lease store.
 * @param set The range set.
 * @param rangeId The set's index.
 * @returns `true` when some address is free.
 */
export function hasFreeAddress(store: Store, set: RangeSet, rangeId: number): boolean {
  const lastText = store.lastReservedIp(String(rangeId));
  const last = lastText === undefined ? undefined : parseIp(lastText);
  for (const c of rangeIterator(set, last)) {
    if (store.isFree(formatIp(c.ip))) return true;
  }
  return false;
}
