/**
 * tc actions as filters carry them (`TCA_U32_ACT` and friends): a nest of numbered entries,
 * each `TCA_ACT_KIND` plus `TCA_ACT_OPTIONS`, and the `mirred` action's `struct tc_mirred`.
 * Pure.
 *
 * @module
 */
import {
  TC_MIRRED_SIZE,
  TCA_ACT_INDEX,
  TCA_ACT_KIND,
  TCA_ACT_OPTIONS,
  TCA_MIRRED_PARMS,
} from "./tc_constants.ts";
import { NLA_F_NESTED } from "./constants.ts";
import {
  type Attr,
  bytesAttr,
  cstringAttr,
  decodeNested,
  findAttr,
  nestedAttr,
  readString,
  readU32,
} from "./codec.ts";
import { NetlinkDecodeError } from "./errors.ts";

/** `struct tc_mirred`: the `tc_gen` header, the direction and the target device. */
export interface TcMirred {
  /** `index`: the action's index in the kernel's table (0 to let it pick). */
  index: number;
  /** `capab`. */
  capab: number;
  /** `action`: the verdict after mirroring (`TC_ACT_STOLEN` for a redirect, as `tc`). */
  action: number;
  /** `refcnt`. */
  refcnt: number;
  /** `bindcnt`. */
  bindcnt: number;
  /** `eaction`: `TCA_EGRESS_REDIR`, `TCA_EGRESS_MIRROR`, ... */
  eaction: number;
  /** `ifindex`: the device packets go to. */
  ifindex: number;
}

/** An action to encode. */
export interface MirredActionSpec {
  /** The kind. */
  kind: "mirred";
  /** The verdict (`TC_ACT_*`). */
  action: number;
  /** `TCA_EGRESS_REDIR`, `TCA_EGRESS_MIRROR`, `TCA_INGRESS_REDIR`, `TCA_INGRESS_MIRROR`. */
  eaction: number;
  /** Target device index. */
  ifindex: number;
}

/** A decoded action. */
export interface TcAction {
  /** Its position (`order`, from 1). */
  order: number;
  /** `TCA_ACT_KIND`. */
  kind: string;
  /** `TCA_ACT_INDEX`, when the kernel reports it. */
  index?: number;
  /** The decoded `tc_mirred`, for kind `mirred`. */
  mirred?: TcMirred;
}

/**
 * Encodes a `struct tc_mirred`.
 *
 * @param m Fields; missing ones are 0.
 * @returns 28 bytes.
 */
export function encodeTcMirred(m: Partial<TcMirred>): Uint8Array {
  const buf = new Uint8Array(TC_MIRRED_SIZE);
  const v = new DataView(buf.buffer);
  v.setUint32(0, (m.index ?? 0) >>> 0, true);
  v.setUint32(4, (m.capab ?? 0) >>> 0, true);
  v.setInt32(8, m.action ?? 0, true);
  v.setInt32(12, m.refcnt ?? 0, true);
  v.setInt32(16, m.bindcnt ?? 0, true);
  v.setInt32(20, m.eaction ?? 0, true);
  v.setUint32(24, (m.ifindex ?? 0) >>> 0, true);
  return buf;
}

/**
 * Decodes a `struct tc_mirred`.
 *
 * @param buf The bytes.
 * @param offset Where it starts.
 * @returns The struct and the offset after it.
 * @throws {NetlinkDecodeError} When fewer than 28 bytes remain.
 */
export function decodeTcMirred(buf: Uint8Array, offset: number): [TcMirred, number] {
  if (offset + TC_MIRRED_SIZE > buf.byteLength) {
    throw new NetlinkDecodeError("tc_mirred", offset, "truncated");
  }
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return [{
    index: v.getUint32(offset, true),
    capab: v.getUint32(offset + 4, true),
    action: v.getInt32(offset + 8, true),
    refcnt: v.getInt32(offset + 12, true),
    bindcnt: v.getInt32(offset + 16, true),
    eaction: v.getInt32(offset + 20, true),
    ifindex: v.getUint32(offset + 24, true),
  }, offset + TC_MIRRED_SIZE];
}

/**
 * The children of an actions nest (`TCA_U32_ACT`): entry `i + 1` per action, each holding
 * its kind and, as `tc` sends it, `TCA_ACT_OPTIONS` flagged `NLA_F_NESTED`.
 *
 * @param actions The actions, in order.
 * @returns The attributes.
 */
export function encodeActions(actions: readonly MirredActionSpec[]): Attr[] {
  return actions.map((a, i) =>
    nestedAttr(i + 1, [
      cstringAttr(TCA_ACT_KIND, a.kind),
      nestedAttr(TCA_ACT_OPTIONS | NLA_F_NESTED, [
        bytesAttr(
          TCA_MIRRED_PARMS,
          encodeTcMirred({ action: a.action, eaction: a.eaction, ifindex: a.ifindex }),
        ),
      ]),
    ])
  );
}

/**
 * Decodes an actions nest.
 *
 * @param value The nest's payload.
 * @returns The actions, ordered as the kernel numbered them.
 * @throws {NetlinkDecodeError} When an entry has no kind or a short `tc_mirred`.
 */
export function decodeActions(value: Uint8Array): TcAction[] {
  const out: TcAction[] = [];
  for (const entry of decodeNested(value)) {
    const attrs = decodeNested(entry.value);
    const kind = findAttr(attrs, TCA_ACT_KIND);
    if (!kind) throw new NetlinkDecodeError("action", 0, `entry ${entry.type} has no kind`);
    const action: TcAction = { order: entry.type, kind: readString(kind) };
    const index = findAttr(attrs, TCA_ACT_INDEX);
    if (index) action.index = readU32(index);
    const options = findAttr(attrs, TCA_ACT_OPTIONS);
    if (action.kind === "mirred" && options) {
      const parms = findAttr(decodeNested(options), TCA_MIRRED_PARMS);
      if (parms) action.mirred = decodeTcMirred(parms, 0)[0];
    }
    out.push(action);
  }
  return out.sort((a, b) => a.order - b.order);
}
