/**
 * The 12-byte family header that `struct rtmsg` (routes) and `struct fib_rule_hdr` (rules)
 * share: eight one-byte fields (family, dst_len, src_len, tos, table, then three that differ)
 * and a u32 of flags. Each codec names its eight fields; this file lays them out. Pure.
 *
 * @module
 */
import { RTMSG_SIZE } from "./constants.ts";
import { NetlinkDecodeError } from "./errors.ts";

/** Size of the header in bytes: `RTMSG_SIZE`, equal to `FIB_RULE_HDR_SIZE`. */
export const RT_HEADER_SIZE = RTMSG_SIZE;

/** The header as named fields: the eight one-byte ones and `flags`. */
export type RtHeader<K extends string> = Record<K | "flags", number>;

/**
 * Encodes the header.
 *
 * @example `rtmsg` of an IPv4 /24 in table main
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeRtHeader } from "./rt_header.ts";
 * const names = ["family", "dstLen", "srcLen", "tos", "table", "protocol", "scope", "type"];
 * assert.deepEqual(
 *   [...encodeRtHeader(names, { family: 2, dstLen: 24, table: 254, flags: 1 })],
 *   [2, 24, 0, 0, 254, 0, 0, 0, 1, 0, 0, 0],
 * );
 * ```
 *
 * @param names The eight one-byte fields, in order.
 * @param values Their values and `flags`; missing ones are 0.
 * @returns 12 bytes.
 */
export function encodeRtHeader<K extends string>(
  names: readonly K[],
  values: Partial<RtHeader<K>>,
): Uint8Array {
  const buf = new Uint8Array(RT_HEADER_SIZE);
  const v = new DataView(buf.buffer);
  for (let i = 0; i < 8; i++) v.setUint8(i, values[names[i]!] ?? 0);
  v.setUint32(8, (values.flags ?? 0) >>> 0, true);
  return buf;
}

/**
 * Decodes the header.
 *
 * @param names The eight one-byte fields, in order.
 * @param what The struct's name, for the decode error.
 * @param buf The bytes.
 * @param offset Where it starts.
 * @returns The fields and the offset after the header.
 * @throws {NetlinkDecodeError} When fewer than 12 bytes remain.
 */
export function decodeRtHeader<K extends string>(
  names: readonly K[],
  what: string,
  buf: Uint8Array,
  offset: number,
): [RtHeader<K>, number] {
  if (offset < 0 || offset + RT_HEADER_SIZE > buf.byteLength) {
    throw new NetlinkDecodeError(what, offset, "truncated");
  }
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = {} as RtHeader<K>;
  for (let i = 0; i < 8; i++) out[names[i]!] = v.getUint8(offset + i);
  out.flags = v.getUint32(offset + 8, true);
  return [out, offset + RT_HEADER_SIZE];
}
