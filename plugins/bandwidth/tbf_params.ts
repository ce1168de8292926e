/**
 * The reference's parameter arithmetic for one direction: a rate in bits/s and a burst in bits
 * become the `tbf` qdisc's byte rate, queue limit (25 ms of latency plus the burst) and bucket
 * (the burst's transmit time in psched ticks). Floating point, then truncation, in exactly the
 * reference's order (Go `uint32(float64)` on x86-64), so the kernel state is the same.
 *
 * Pure: the psched clock comes from the caller.
 *
 * @module
 */
import { type Psched, TIME_UNITS_PER_SEC, truncU32 } from "../../netlink/mod.ts";

/** The latency the reference fixes for every limit, milliseconds. */
export const LATENCY_MS = 25;

/** A direction's `tbf` parameters. */
export interface TbfParams {
  /** Rate in bytes per second. */
  rate: number;
  /** Queue limit in bytes. */
  limit: number;
  /** Bucket size as a transmit time, in psched ticks. */
  buffer: number;
}

/**
 * Computes the `tbf` parameters of one direction as the reference's `createTBF` does:
 * `rate = rateBits / 8`, `burst = burstBits / 8` (integer division),
 * `buffer = uint32(float(uint32(burst * 1e6 / rate)) * tickInUsec)`,
 * `limit = uint32(rate * 25000 / 1e6) + burst`.
 *
 * @example 1 Mbit/s with a 200 000 bit burst
 * ```ts
 * import assert from "node:assert/strict";
 * import { tbfParams } from "./tbf_params.ts";
 * const psched = { tickInUsec: 15.625, clockFactor: 1 };
 * assert.deepEqual(tbfParams(1_000_000, 200_000, psched), {
 *   rate: 125000,
 *   limit: 28125,
 *   buffer: 3125000,
 * });
 * ```
 *
 * @param rateBits Rate in bits/s (non-zero).
 * @param burstBits Burst in bits (non-zero, below 32 Gbit).
 * @param psched The kernel's psched clock.
 * @returns Rate, limit and buffer.
 */
export function tbfParams(rateBits: number, burstBits: number, psched: Psched): TbfParams {
  const rate = Math.floor(rateBits / 8);
  const burst = truncU32(Math.floor(burstBits / 8));
  const usec = truncU32(burst * TIME_UNITS_PER_SEC / rate);
  const buffer = truncU32(usec * psched.tickInUsec);
  const latency = TIME_UNITS_PER_SEC * (LATENCY_MS / 1000);
  const limit = (truncU32(rate * latency / TIME_UNITS_PER_SEC) + burst) >>> 0;
  return { rate, limit, buffer };
}
