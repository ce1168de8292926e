/**
 * The `u32` classifier: `struct tc_u32_sel` with its `struct tc_u32_key`s, and the `TCA_U32_*`
 * options (class id, selector, actions). Pure. Mask, value and hash mask are big-endian on the
 * wire and plain numbers here.
 *
 * @module
 */
import {
  TC_U32_KEY_SIZE,
  TC_U32_SEL_SIZE,
  TC_U32_TERMINAL,
  TCA_U32_ACT,
  TCA_U32_CLASSID,
  TCA_U32_DIVISOR,
  TCA_U32_FLAGS,
  TCA_U32_HASH,
  TCA_U32_LINK,
  TCA_U32_SEL,
} from "./tc_constants.ts";
import {
  type Attr,
  bytesAttr,
  decodeNested,
  findAttr,
  nestedAttr,
  readU32,
  u32Attr,
} from "./codec.ts";
import { NetlinkDecodeError } from "./errors.ts";
import { decodeActions, encodeActions, type MirredActionSpec, type TcAction } from "./tc_action.ts";

/** `struct tc_u32_key`: match `(packet[off] & mask) == val`. */
export interface U32Key {
  /** Mask (host number; big-endian on the wire). */
  mask: number;
  /** Value (host number; big-endian on the wire). */
  val: number;
  /** Offset of the 32-bit word. */
  off: number;
  /** `offmask`. */
  offmask: number;
}

/** `struct tc_u32_sel`. */
export interface U32Sel {
  /** `TC_U32_TERMINAL` and friends. */
  flags: number;
  /** `offshift`. */
  offshift: number;
  /** `offmask` (host number; big-endian on the wire). */
  offmask: number;
  /** `off`. */
  off: number;
  /** `offoff`. */
  offoff: number;
  /** `hoff`. */
  hoff: number;
  /** `hmask` (host number; big-endian on the wire). */
  hmask: number;
  /** The keys (`nkeys` is their count). */
  keys: U32Key[];
}

/**
 * Formats a u32 filter handle as `tc` prints it (`fh`): hash table, bucket and node,
 * `800:` for a table, `800::800` for the first filter in it, `none` for 0.
 *
 * @param handle The 32-bit handle (htid 12 bits, hash 8 bits, node 12 bits).
 * @returns The text.
 */
export function formatU32Handle(handle: number): string {
  const h = handle >>> 0;
  if (h === 0) return "none";
  const htid = h >>> 20;
  const hash = (h >>> 12) & 0xff;
  const node = h & 0xfff;
  let out = htid ? `${htid.toString(16)}:` : "";
  if (hash) out += hash.toString(16);
  if (node) out += `:${node.toString(16)}`;
  return out;
}

/**
 * The match-all selector `tc ... u32 match u32 0 0` builds: terminal, one all-zero key.
 *
 * @returns A fresh selector.
 */
export function u32MatchAll(): U32Sel {
  return {
    flags: TC_U32_TERMINAL,
    offshift: 0,
    offmask: 0,
    off: 0,
    offoff: 0,
    hoff: 0,
    hmask: 0,
    keys: [{ mask: 0, val: 0, off: 0, offmask: 0 }],
  };
}

/**
 * Encodes a `struct tc_u32_sel` followed by its keys.
 *
 * @param sel The selector.
 * @returns 16 bytes plus 16 per key.
 */
export function encodeU32Sel(sel: U32Sel): Uint8Array {
  const buf = new Uint8Array(TC_U32_SEL_SIZE + sel.keys.length * TC_U32_KEY_SIZE);
  const v = new DataView(buf.buffer);
  v.setUint8(0, sel.flags);
  v.setUint8(1, sel.offshift);
  v.setUint8(2, sel.keys.length);
  v.setUint16(4, sel.offmask, false);
  v.setUint16(6, sel.off, true);
  v.setInt16(8, sel.offoff, true);
  v.setInt16(10, sel.hoff, true);
  v.setUint32(12, sel.hmask >>> 0, false);
  sel.keys.forEach((k, i) => {
    const o = TC_U32_SEL_SIZE + i * TC_U32_KEY_SIZE;
    v.setUint32(o, k.mask >>> 0, false);
    v.setUint32(o + 4, k.val >>> 0, false);
    v.setInt32(o + 8, k.off, true);
    v.setInt32(o + 12, k.offmask, true);
  });
  return buf;
}

/**
 * Decodes a `struct tc_u32_sel` and its keys.
 *
 * @param buf The bytes.
 * @param offset Where it starts.
 * @returns The selector and the offset after its last key.
 * @throws {NetlinkDecodeError} When the header or a key is cut short.
 */
export function decodeU32Sel(buf: Uint8Array, offset: number): [U32Sel, number] {
  if (offset + TC_U32_SEL_SIZE > buf.byteLength) {
    throw new NetlinkDecodeError("tc_u32_sel", offset, "truncated");
  }
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const nkeys = v.getUint8(offset + 2);
  const end = offset + TC_U32_SEL_SIZE + nkeys * TC_U32_KEY_SIZE;
  if (end > buf.byteLength) {
    throw new NetlinkDecodeError("tc_u32_sel", offset, `${nkeys} keys run past the end`);
  }
  const keys: U32Key[] = [];
  for (let i = 0; i < nkeys; i++) {
    const o = offset + TC_U32_SEL_SIZE + i * TC_U32_KEY_SIZE;
    keys.push({
      mask: v.getUint32(o, false),
      val: v.getUint32(o + 4, false),
      off: v.getInt32(o + 8, true),
      offmask: v.getInt32(o + 12, true),
    });
  }
  return [{
    flags: v.getUint8(offset),
    offshift: v.getUint8(offset + 1),
    offmask: v.getUint16(offset + 4, false),
    off: v.getUint16(offset + 6, true),
    offoff: v.getInt16(offset + 8, true),
    hoff: v.getInt16(offset + 10, true),
    hmask: v.getUint32(offset + 12, false),
    keys,
  }, end];
}

/** What a `u32` filter is created with. */
export interface U32Spec {
  /** The selector (see {@linkcode u32MatchAll}). */
  sel: U32Sel;
  /** `TCA_U32_CLASSID` (`flowid`). */
  classId?: number;
  /** Actions run on a match. */
  actions?: readonly MirredActionSpec[];
}

/** A decoded `u32` filter's options. */
export interface U32Options {
  /** `TCA_U32_CLASSID`. */
  classId?: number;
  /** `TCA_U32_SEL` (absent on hash-table entries). */
  sel?: U32Sel;
  /** `TCA_U32_HASH`. */
  hash?: number;
  /** `TCA_U32_LINK`. */
  link?: number;
  /** `TCA_U32_DIVISOR` (hash-table entries). */
  divisor?: number;
  /** `TCA_U32_FLAGS`. */
  flags?: number;
  /** The actions. */
  actions: TcAction[];
}

/**
 * The `TCA_OPTIONS` children of a `u32` filter, in `tc`'s order: `TCA_U32_CLASSID`,
 * `TCA_U32_ACT`, `TCA_U32_SEL`.
 *
 * @param spec Selector, class id and actions.
 * @returns The attributes.
 */
export function encodeU32Options(spec: U32Spec): Attr[] {
  const attrs: Attr[] = [];
  if (spec.classId !== undefined) attrs.push(u32Attr(TCA_U32_CLASSID, spec.classId));
  if (spec.actions && spec.actions.length > 0) {
    attrs.push(nestedAttr(TCA_U32_ACT, encodeActions(spec.actions)));
  }
  attrs.push(bytesAttr(TCA_U32_SEL, encodeU32Sel(spec.sel)));
  return attrs;
}

/**
 * Decodes the `TCA_OPTIONS` payload of a `u32` filter.
 *
 * @param value The payload.
 * @returns The options.
 * @throws {NetlinkDecodeError} When an attribute is malformed.
 */
export function decodeU32Options(value: Uint8Array): U32Options {
  const attrs = decodeNested(value);
  const out: U32Options = { actions: [] };
  const classId = findAttr(attrs, TCA_U32_CLASSID);
  if (classId) out.classId = readU32(classId);
  const sel = findAttr(attrs, TCA_U32_SEL);
  if (sel) out.sel = decodeU32Sel(sel, 0)[0];
  const hash = findAttr(attrs, TCA_U32_HASH);
  if (hash) out.hash = readU32(hash);
  const link = findAttr(attrs, TCA_U32_LINK);
  if (link) out.link = readU32(link);
  const divisor = findAttr(attrs, TCA_U32_DIVISOR);
  if (divisor) out.divisor = readU32(divisor);
  const flags = findAttr(attrs, TCA_U32_FLAGS);
  if (flags) out.flags = readU32(flags);
  const act = findAttr(attrs, TCA_U32_ACT);
  if (act) out.actions = decodeActions(act);
  return out;
}
