/**
 * The `tbf` (token bucket filter) qdisc: `struct tc_ratespec`, `struct tc_tbf_qopt`, the
 * `TCA_TBF_*` options, and the psched clock arithmetic `tc` uses to turn sizes into transmit
 * times (`tc_calc_xmittime`, `tc_calc_rtable` of iproute2 `tc_core.c`). Pure: the psched
 * parameters are parsed from text the caller read from `/proc/net/psched`.
 *
 * @module
 */
import {
  TC_LINKLAYER_ATM,
  TC_LINKLAYER_ETHERNET,
  TC_LINKLAYER_MASK,
  TC_RATESPEC_SIZE,
  TC_RTAB_SIZE,
  TC_TBF_QOPT_SIZE,
  TCA_TBF_BURST,
  TCA_TBF_PARMS,
  TCA_TBF_PRATE64,
  TCA_TBF_RATE64,
  TCA_TBF_RTAB,
  TIME_UNITS_PER_SEC,
} from "./tc_constants.ts";
import { type Attr, bytesAttr, decodeNested, findAttr, u32Attr } from "./codec.ts";
import { NetlinkDecodeError } from "./errors.ts";

/** `struct tc_ratespec`. */
export interface TcRatespec {
  /** `cell_log`: log2 of the rate table's cell size. */
  cellLog: number;
  /** `linklayer`: `TC_LINKLAYER_*`. */
  linklayer: number;
  /** `overhead`: bytes added per packet. */
  overhead: number;
  /** `cell_align` (signed). */
  cellAlign: number;
  /** `mpu`: minimum packet unit. */
  mpu: number;
  /** `rate`: bytes per second (saturated at 2^32-1; `TCA_TBF_RATE64` carries larger ones). */
  rate: number;
}

/** `struct tc_tbf_qopt`. */
export interface TbfQopt {
  /** The rate. */
  rate: TcRatespec;
  /** The peak rate (all zero when none). */
  peakrate: TcRatespec;
  /** Queue limit in bytes. */
  limit: number;
  /** Bucket size as a transmit time, in psched ticks. */
  buffer: number;
  /** Peak-rate bucket (mtu) as a transmit time, in psched ticks. */
  mtu: number;
}

const ZERO_RATESPEC: TcRatespec = {
  cellLog: 0,
  linklayer: 0,
  overhead: 0,
  cellAlign: 0,
  mpu: 0,
  rate: 0,
};

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function writeRatespec(v: DataView, off: number, r: Partial<TcRatespec>): void {
  v.setUint8(off, r.cellLog ?? 0);
  v.setUint8(off + 1, r.linklayer ?? 0);
  v.setUint16(off + 2, r.overhead ?? 0, true);
  v.setInt16(off + 4, r.cellAlign ?? 0, true);
  v.setUint16(off + 6, r.mpu ?? 0, true);
  v.setUint32(off + 8, (r.rate ?? 0) >>> 0, true);
}

function readRatespec(v: DataView, off: number): TcRatespec {
  return {
    cellLog: v.getUint8(off),
    linklayer: v.getUint8(off + 1),
    overhead: v.getUint16(off + 2, true),
    cellAlign: v.getInt16(off + 4, true),
    mpu: v.getUint16(off + 6, true),
    rate: v.getUint32(off + 8, true),
  };
}

/**
 * Encodes a `struct tc_ratespec`.
 *
 * @param r Fields; missing ones are 0.
 * @returns 12 bytes.
 */
export function encodeRatespec(r: Partial<TcRatespec> = {}): Uint8Array {
  const buf = new Uint8Array(TC_RATESPEC_SIZE);
  writeRatespec(view(buf), 0, r);
  return buf;
}

/**
 * Encodes a `struct tc_tbf_qopt`.
 *
 * @param q Fields; missing ones are 0.
 * @returns 36 bytes.
 */
export function encodeTbfQopt(q: Partial<TbfQopt> = {}): Uint8Array {
  const buf = new Uint8Array(TC_TBF_QOPT_SIZE);
  const v = view(buf);
  writeRatespec(v, 0, q.rate ?? ZERO_RATESPEC);
  writeRatespec(v, TC_RATESPEC_SIZE, q.peakrate ?? ZERO_RATESPEC);
  v.setUint32(24, (q.limit ?? 0) >>> 0, true);
  v.setUint32(28, (q.buffer ?? 0) >>> 0, true);
  v.setUint32(32, (q.mtu ?? 0) >>> 0, true);
  return buf;
}

/**
 * Decodes a `struct tc_tbf_qopt`.
 *
 * @param buf The bytes.
 * @param offset Where it starts.
 * @returns The struct and the offset after it.
 * @throws {NetlinkDecodeError} When fewer than 36 bytes remain.
 */
export function decodeTbfQopt(buf: Uint8Array, offset: number): [TbfQopt, number] {
  if (offset + TC_TBF_QOPT_SIZE > buf.byteLength) {
    throw new NetlinkDecodeError("tc_tbf_qopt", offset, "truncated");
  }
  const v = view(buf);
  return [{
    rate: readRatespec(v, offset),
    peakrate: readRatespec(v, offset + TC_RATESPEC_SIZE),
    limit: v.getUint32(offset + 24, true),
    buffer: v.getUint32(offset + 28, true),
    mtu: v.getUint32(offset + 32, true),
  }, offset + TC_TBF_QOPT_SIZE];
}

// ---- the psched clock -----------------------------------------------------------------

/** The kernel's packet-scheduler clock, from `/proc/net/psched`. */
export interface Psched {
  /** Ticks per microsecond (`tick_in_usec`; 15.625 on current kernels). */
  tickInUsec: number;
  /** `clock_res / TIME_UNITS_PER_SEC`. */
  clockFactor: number;
}

const PSCHED_REGEXP = /^\s*([0-9a-fA-F]{1,8})\s+([0-9a-fA-F]{1,8})\s+([0-9a-fA-F]{1,8})/;

/**
 * Parses `/proc/net/psched` (hex words `t2us us2t clock_res hz`) as iproute2's
 * `tc_core_init` does: with a clock resolution of 1e9 `t2us` is taken to equal `us2t`.
 *
 * @example The usual file
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePsched } from "./tc_tbf.ts";
 * assert.equal(parsePsched("000003e8 00000040 000f4240 3b9aca00\n").tickInUsec, 15.625);
 * ```
 *
 * @param text The file's text.
 * @returns The clock parameters.
 * @throws {NetlinkDecodeError} When the text does not start with three hex words or `us2t` is 0.
 */
export function parsePsched(text: string): Psched {
  const m = PSCHED_REGEXP.exec(text);
  if (!m) throw new NetlinkDecodeError("psched", 0, "expected hex words t2us us2t clock_res");
  let t2us = parseInt(m[1]!, 16);
  const us2t = parseInt(m[2]!, 16);
  const clockRes = parseInt(m[3]!, 16);
  if (us2t === 0) throw new NetlinkDecodeError("psched", 0, "us2t is 0");
  if (clockRes === 1_000_000_000) t2us = us2t;
  const clockFactor = clockRes / TIME_UNITS_PER_SEC;
  return { tickInUsec: t2us / us2t * clockFactor, clockFactor };
}

const TWO_32 = 0x1_0000_0000;
const TWO_63 = 2 ** 63;

/**
 * Converts a double to u32 as C's `(unsigned)` cast and Go's `uint32(float64)` do on
 * x86-64: truncated toward zero through a 64-bit integer, keeping the low 32 bits (0 for
 * NaN, infinities and magnitudes of 2^63 or more).
 *
 * @param x The value.
 * @returns The u32.
 */
export function truncU32(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= TWO_63) return 0;
  const t = Math.trunc(x);
  if (t >= 0 && t < TWO_32) return t;
  if (Math.abs(t) <= Number.MAX_SAFE_INTEGER) return ((t % TWO_32) + TWO_32) % TWO_32;
  return Number(BigInt(t) & 0xffffffffn);
}

/**
 * Microseconds to psched ticks (`tc_core_time2tick`).
 *
 * @param psched The clock.
 * @param usec A time in microseconds (already a u32).
 * @returns Ticks, as a u32.
 */
export function timeToTicks(psched: Psched, usec: number): number {
  return truncU32(usec * psched.tickInUsec);
}

/**
 * The time to send `size` bytes at `rate` bytes/s, in ticks (`tc_calc_xmittime`).
 *
 * @param psched The clock.
 * @param rate Bytes per second.
 * @param size Bytes.
 * @returns Ticks, as a u32.
 */
export function calcXmittime(psched: Psched, rate: number, size: number): number {
  return timeToTicks(psched, truncU32(TIME_UNITS_PER_SEC * (size / rate)));
}

/** Options for {@linkcode calcRateTable}. */
export interface RateTableOptions {
  /** The clock. */
  psched: Psched;
  /** Largest packet size (default 2047, as `tc`). */
  mtu?: number;
  /** Cell size log; by default the smallest that covers `mtu` in 256 cells. */
  cellLog?: number;
  /** `TC_LINKLAYER_*` (default ethernet). */
  linklayer?: number;
  /** Minimum packet unit. */
  mpu?: number;
}

function adjustSize(size: number, mpu: number, linklayer: number): number {
  const sz = size < mpu ? mpu : size;
  if (linklayer === TC_LINKLAYER_ATM) return Math.ceil(sz / 48) * 53;
  return sz;
}

/**
 * The rate table `tc` sends with a rate (`tc_calc_rtable`): the transmit time of 256 packet
 * sizes, and the ratespec fields it settles (`cell_log`, `cell_align` -1, `linklayer`).
 *
 * @param rate Bytes per second.
 * @param options The clock, MTU, cell size, link layer and MPU.
 * @returns The 1024-byte table and the ratespec fields to send with it.
 */
export function calcRateTable(
  rate: number,
  options: RateTableOptions,
): { table: Uint8Array; ratespec: TcRatespec } {
  const mtu = options.mtu || 2047;
  const linklayer = options.linklayer ?? TC_LINKLAYER_ETHERNET;
  const mpu = options.mpu ?? 0;
  let cellLog = options.cellLog ?? -1;
  if (cellLog < 0) {
    cellLog = 0;
    while ((mtu >>> cellLog) > 255) cellLog++;
  }
  // tc computes the table from the ratespec's 32-bit rate, saturated for 64-bit rates (the
  // kernel then ignores the table and uses TCA_TBF_RATE64).
  const rate32 = Math.min(rate, TWO_32 - 1);
  const table = new Uint8Array(TC_RTAB_SIZE);
  const v = view(table);
  for (let i = 0; i < 256; i++) {
    const size = adjustSize((i + 1) << cellLog, mpu, linklayer);
    v.setUint32(i * 4, calcXmittime(options.psched, rate32, size), true);
  }
  return {
    table,
    ratespec: {
      cellLog,
      linklayer: linklayer & TC_LINKLAYER_MASK,
      overhead: 0,
      cellAlign: -1,
      mpu,
      rate: rate32,
    },
  };
}

// ---- TCA_OPTIONS of a tbf qdisc -------------------------------------------------------

/** What a `tbf` qdisc is created with. */
export interface TbfSpec {
  /** Rate in bytes per second (`TCA_TBF_RATE64` is added from 2^32 on). */
  rate: number;
  /** Queue limit in bytes. */
  limit: number;
  /** Bucket size as a transmit time at `rate`, in psched ticks. */
  buffer: number;
  /** Bucket size in bytes, sent as `TCA_TBF_BURST` (as `tc` does); omitted when absent. */
  burst?: number;
  /** `mtu` field of `tc_tbf_qopt` in ticks (default 0). */
  mtu?: number;
  /**
   * Send a rate table computed as `tc` does (`TCA_TBF_RTAB`, with the ratespec's `cell_log`,
   * `cell_align` and `linklayer`); the kernel computes its own when absent.
   */
  rateTable?: RateTableOptions;
}

/** A decoded `tbf` qdisc's options. */
export interface Tbf {
  /** Rate in bytes per second (`TCA_TBF_RATE64` when present). */
  rate: number;
  /** Peak rate in bytes per second, 0 when none. */
  peakrate: number;
  /** Queue limit in bytes. */
  limit: number;
  /** Bucket size in ticks, as the kernel reports it back. */
  buffer: number;
  /** Peak-rate bucket in ticks. */
  mtu: number;
  /** The raw `tc_tbf_qopt`. */
  parms: TbfQopt;
}

function u64Attr(type: number, value: number): Attr {
  const b = new Uint8Array(8);
  view(b).setBigUint64(0, BigInt(value), true);
  return bytesAttr(type, b);
}

function readU64(value: Uint8Array, what: string): number {
  if (value.byteLength < 8) throw new NetlinkDecodeError(what, 0, "u64 attribute truncated");
  return Number(view(value).getBigUint64(0, true));
}

/**
 * The `TCA_OPTIONS` children of a `tbf` qdisc, in `tc`'s order: `TCA_TBF_PARMS`,
 * `TCA_TBF_BURST`, `TCA_TBF_RATE64`, `TCA_TBF_RTAB`.
 *
 * @param spec Rate, limit, buffer, and optionally burst, mtu and a rate table.
 * @returns The attributes.
 */
export function encodeTbfOptions(spec: TbfSpec): Attr[] {
  let rate: TcRatespec = { ...ZERO_RATESPEC, rate: Math.min(spec.rate, TWO_32 - 1) };
  let rtab: Uint8Array | undefined;
  if (spec.rateTable) {
    const t = calcRateTable(spec.rate, spec.rateTable);
    rate = t.ratespec;
    rtab = t.table;
  }
  const parms = encodeTbfQopt({
    rate,
    peakrate: ZERO_RATESPEC,
    limit: spec.limit,
    buffer: spec.buffer,
    mtu: spec.mtu ?? 0,
  });
  const attrs: Attr[] = [bytesAttr(TCA_TBF_PARMS, parms)];
  if (spec.burst !== undefined) attrs.push(u32Attr(TCA_TBF_BURST, spec.burst));
  if (spec.rate >= TWO_32) attrs.push(u64Attr(TCA_TBF_RATE64, spec.rate));
  if (rtab) attrs.push(bytesAttr(TCA_TBF_RTAB, rtab));
  return attrs;
}

/**
 * Decodes the `TCA_OPTIONS` payload of a `tbf` qdisc.
 *
 * @param value The payload.
 * @returns The options.
 * @throws {NetlinkDecodeError} When `TCA_TBF_PARMS` is missing or short.
 */
export function decodeTbfOptions(value: Uint8Array): Tbf {
  const attrs = decodeNested(value);
  const p = findAttr(attrs, TCA_TBF_PARMS);
  if (!p) throw new NetlinkDecodeError("tbf options", 0, "no TCA_TBF_PARMS");
  const [parms] = decodeTbfQopt(p, 0);
  const rate64 = findAttr(attrs, TCA_TBF_RATE64);
  const prate64 = findAttr(attrs, TCA_TBF_PRATE64);
  return {
    rate: rate64 ? readU64(rate64, "TCA_TBF_RATE64") : parms.rate.rate,
    peakrate: prate64 ? readU64(prate64, "TCA_TBF_PRATE64") : parms.peakrate.rate,
    limit: parms.limit,
    buffer: parms.buffer,
    mtu: parms.mtu,
    parms,
  };
}
