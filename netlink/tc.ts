/**
 * `struct tcmsg`, tc handles, and the decoding of qdisc and filter messages (`RTM_NEWQDISC`,
 * `RTM_NEWTFILTER`) into plain objects, with the options of the kinds this library speaks
 * (`tbf`, `u32`) decoded. Pure.
 *
 * @module
 */
import {
  TC_H_MAJ_MASK,
  TC_H_MIN_MASK,
  TC_H_ROOT,
  TC_H_UNSPEC,
  TCA_CHAIN,
  TCA_KIND,
  TCA_OPTIONS,
  TCMSG_SIZE,
} from "./tc_constants.ts";
import { decodeAttrs, findAttr, readString, readU32 } from "./codec.ts";
import { NetlinkDecodeError } from "./errors.ts";
import { decodeTbfOptions, type Tbf } from "./tc_tbf.ts";
import { decodeU32Options, type U32Options } from "./tc_u32.ts";

/** `struct tcmsg`. */
export interface Tcmsg {
  /** `tcm_family`: `AF_UNSPEC`. */
  family: number;
  /** `tcm_ifindex`: the device. */
  ifindex: number;
  /** `tcm_handle`: the object's handle (`major:minor` in the two 16-bit halves). */
  handle: number;
  /** `tcm_parent`: the parent's handle, or `TC_H_ROOT` / `TC_H_INGRESS`. */
  parent: number;
  /** `tcm_info`: for filters, priority in the high half and the protocol (network order) low. */
  info: number;
}

/**
 * Encodes a `struct tcmsg`.
 *
 * @param msg Fields; missing ones are 0.
 * @returns 20 bytes.
 */
export function encodeTcmsg(msg: Partial<Tcmsg> = {}): Uint8Array {
  const buf = new Uint8Array(TCMSG_SIZE);
  const v = new DataView(buf.buffer);
  v.setUint8(0, msg.family ?? 0);
  v.setInt32(4, msg.ifindex ?? 0, true);
  v.setUint32(8, (msg.handle ?? 0) >>> 0, true);
  v.setUint32(12, (msg.parent ?? 0) >>> 0, true);
  v.setUint32(16, (msg.info ?? 0) >>> 0, true);
  return buf;
}

/**
 * Decodes a `struct tcmsg`.
 *
 * @param buf The bytes.
 * @param offset Where it starts.
 * @returns The struct and the offset after it.
 * @throws {NetlinkDecodeError} When fewer than 20 bytes remain.
 */
export function decodeTcmsg(buf: Uint8Array, offset: number): [Tcmsg, number] {
  if (offset + TCMSG_SIZE > buf.byteLength) {
    throw new NetlinkDecodeError("tcmsg", offset, "truncated");
  }
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return [{
    family: v.getUint8(offset),
    ifindex: v.getInt32(offset + 4, true),
    handle: v.getUint32(offset + 8, true),
    parent: v.getUint32(offset + 12, true),
    info: v.getUint32(offset + 16, true),
  }, offset + TCMSG_SIZE];
}

/**
 * Builds a handle from its halves (`TC_H_MAKE`).
 *
 * @example `1:` and `ffff:`
 * ```ts
 * import assert from "node:assert/strict";
 * import { tcHandle } from "./tc.ts";
 * assert.equal(tcHandle(1, 0).toString(16), "10000");
 * assert.equal(tcHandle(0xffff, 0).toString(16), "ffff0000");
 * ```
 *
 * @param major The major number (16 bits).
 * @param minor The minor number (16 bits).
 * @returns The 32-bit handle.
 */
export function tcHandle(major: number, minor: number): number {
  return (((major << 16) & TC_H_MAJ_MASK) | (minor & TC_H_MIN_MASK)) >>> 0;
}

/**
 * Formats a handle as `tc` prints it: `1:`, `1:1`, `:5`, `root`, `none`, `ffff:fff1`.
 *
 * @param handle A 32-bit handle.
 * @returns The text.
 */
export function formatTcHandle(handle: number): string {
  const h = handle >>> 0;
  if (h === TC_H_ROOT) return "root";
  if (h === TC_H_UNSPEC) return "none";
  const major = (h & TC_H_MAJ_MASK) >>> 16;
  const minor = h & TC_H_MIN_MASK;
  if (major === 0) return `:${minor.toString(16)}`;
  if (minor === 0) return `${major.toString(16)}:`;
  return `${major.toString(16)}:${minor.toString(16)}`;
}

/**
 * The `tcm_info` of a filter: priority in the high 16 bits, the protocol in network byte
 * order in the low 16 (`TC_H_MAKE(prio << 16, htons(protocol))`).
 *
 * @param priority Filter priority (`pref`), 0..65535.
 * @param protocol Ethernet protocol (`ETH_P_ALL`, `ETH_P_IP`, ...).
 * @returns The 32-bit value.
 */
export function filterInfo(priority: number, protocol: number): number {
  const be = ((protocol & 0xff) << 8) | ((protocol >> 8) & 0xff);
  return (((priority & 0xffff) << 16) | be) >>> 0;
}

/** A qdisc as `tc -j qdisc show` describes it. */
export interface Qdisc {
  /** The device index. */
  index: number;
  /** Its handle (`0x10000` for `1:`). */
  handle: number;
  /** Its parent (`TC_H_ROOT`, `TC_H_INGRESS`, or a class). */
  parent: number;
  /** `TCA_KIND`: `"tbf"`, `"ingress"`, `"noqueue"`, `"pfifo_fast"`, ... */
  kind: string;
  /** Whether it is the device's root qdisc. */
  root: boolean;
  /** The decoded options, for kind `tbf`. */
  tbf?: Tbf;
}

/** A filter as `tc -j filter show` describes it. */
export interface Filter {
  /** The device index. */
  index: number;
  /** Its handle (`0x80000800` for u32's `800::800`; 0 for the per-priority head entry). */
  handle: number;
  /** The qdisc or class it is attached to. */
  parent: number;
  /** Priority (`pref`). */
  priority: number;
  /** Ethernet protocol (host order: `ETH_P_ALL` is 3). */
  protocol: number;
  /** `TCA_KIND`: `"u32"`, ... */
  kind: string;
  /** `TCA_CHAIN`. */
  chain?: number;
  /** The decoded options, for kind `u32`. */
  u32?: U32Options;
}

/** The common part of a tc message: header, kind and the raw `TCA_OPTIONS`. */
function parseTcCommon(payload: Uint8Array, what: string) {
  const [tcm, off] = decodeTcmsg(payload, 0);
  const [attrs] = decodeAttrs(payload, off);
  const kind = findAttr(attrs, TCA_KIND);
  if (!kind) throw new NetlinkDecodeError(what, off, "no TCA_KIND attribute");
  return { tcm, attrs, kind: readString(kind), options: findAttr(attrs, TCA_OPTIONS) };
}

/**
 * Decodes an `RTM_NEWQDISC` payload (a dump entry or an echo).
 *
 * @param payload The message payload (tcmsg + attributes).
 * @returns The qdisc; `tbf` options are decoded, other kinds keep only kind and handles.
 * @throws {NetlinkDecodeError} When the payload is malformed.
 */
export function parseQdiscMessage(payload: Uint8Array): Qdisc {
  const { tcm, kind, options } = parseTcCommon(payload, "qdisc");
  const q: Qdisc = {
    index: tcm.ifindex,
    handle: tcm.handle,
    parent: tcm.parent,
    kind,
    root: tcm.parent === TC_H_ROOT,
  };
  if (kind === "tbf" && options) q.tbf = decodeTbfOptions(options);
  return q;
}

/**
 * Decodes an `RTM_NEWTFILTER` payload (a dump entry or an echo).
 *
 * @param payload The message payload (tcmsg + attributes).
 * @returns The filter; `u32` options are decoded.
 * @throws {NetlinkDecodeError} When the payload is malformed.
 */
export function parseFilterMessage(payload: Uint8Array): Filter {
  const { tcm, attrs, kind, options } = parseTcCommon(payload, "filter");
  const proto = tcm.info & 0xffff;
  const f: Filter = {
    index: tcm.ifindex,
    handle: tcm.handle,
    parent: tcm.parent,
    priority: tcm.info >>> 16,
    protocol: ((proto & 0xff) << 8) | (proto >> 8),
    kind,
  };
  const chain = findAttr(attrs, TCA_CHAIN);
  if (chain) f.chain = readU32(chain);
  if (kind === "u32" && options) f.u32 = decodeU32Options(options);
  return f;
}
