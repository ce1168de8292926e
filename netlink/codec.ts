/**
 * The netlink wire format of attributes: encoders and decoders of attribute trees, and the
 * alignment every netlink structure keeps ({@linkcode align4}, the only padding helper).
 * Messages (`nlmsghdr`, `nlmsgerr` with extended ack) are in `message.ts`.
 * Pure: works on `Uint8Array` and `DataView` only.
 *
 * Decoders take `(buf, offset)` and return `[value, nextOffset]`; truncated input throws
 * {@linkcode NetlinkDecodeError} naming the offset.
 *
 * @module
 */
import { NLA_F_NESTED, NLA_HDRLEN, NLA_TYPE_MASK, NLMSG_ALIGNTO } from "./constants.ts";
import { NetlinkDecodeError } from "./errors.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Rounds a length up to the netlink alignment (4 bytes). The only padding helper.
 *
 * @param n A length in bytes.
 * @returns `n` rounded up to a multiple of 4.
 */
export function align4(n: number): number {
  return (n + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);
}

/** An attribute to encode: raw bytes, or nested children. `type` may carry `NLA_F_NESTED`. */
export type Attr =
  | { readonly type: number; readonly value: Uint8Array }
  | { readonly type: number; readonly children: readonly Attr[] };

/** A decoded attribute: type without flag bits, the flags, and its payload bytes. */
export interface RawAttr {
  /** Attribute type with `NLA_F_NESTED` / `NLA_F_NET_BYTEORDER` masked off. */
  type: number;
  /** True when the sender set `NLA_F_NESTED`. */
  nested: boolean;
  /** The payload (a view into the decoded buffer, without padding). */
  value: Uint8Array;
}

/** A DataView over exactly `buf`. */
export function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Raw-bytes attribute. */
export function bytesAttr(type: number, value: Uint8Array): Attr {
  return { type, value };
}

/** `u8` attribute. */
export function u8Attr(type: number, value: number): Attr {
  return { type, value: Uint8Array.of(value & 0xff) };
}

/** Host-order (little-endian) `u16` attribute. */
export function u16Attr(type: number, value: number): Attr {
  const b = new Uint8Array(2);
  view(b).setUint16(0, value, true);
  return { type, value: b };
}

/** Big-endian (network order) `u16` attribute, e.g. ports and VLAN protocols. */
export function be16Attr(type: number, value: number): Attr {
  const b = new Uint8Array(2);
  view(b).setUint16(0, value, false);
  return { type, value: b };
}

/** Host-order (little-endian) `u32` attribute. */
export function u32Attr(type: number, value: number): Attr {
  const b = new Uint8Array(4);
  view(b).setUint32(0, value >>> 0, true);
  return { type, value: b };
}

/** Host-order (little-endian) `s32` attribute. */
export function s32Attr(type: number, value: number): Attr {
  const b = new Uint8Array(4);
  view(b).setInt32(0, value, true);
  return { type, value: b };
}

/** NUL-terminated string attribute (`NLA_NUL_STRING` / `NLA_STRING` with terminator). */
export function cstringAttr(type: number, value: string): Attr {
  const s = encoder.encode(value);
  const b = new Uint8Array(s.length + 1);
  b.set(s);
  return { type, value: b };
}

/** String attribute without a terminator. */
export function stringAttr(type: number, value: string): Attr {
  return { type, value: encoder.encode(value) };
}

/** Nested attribute. Pass `type | NLA_F_NESTED` where the kernel wants the flag. */
export function nestedAttr(type: number, children: readonly Attr[]): Attr {
  return { type, children };
}

/**
 * Size of one encoded attribute including header and trailing padding.
 *
 * @param attr The attribute.
 * @returns Its aligned size in bytes.
 */
export function attrSize(attr: Attr): number {
  return align4(NLA_HDRLEN + attrPayloadSize(attr));
}

function attrPayloadSize(attr: Attr): number {
  if ("value" in attr) return attr.value.byteLength;
  let n = 0;
  for (const c of attr.children) n += attrSize(c);
  return n;
}

/**
 * Writes attributes into `buf` at `offset` (padding bytes are zeroed).
 *
 * @param attrs The attributes.
 * @param buf Destination with room for them.
 * @param offset Where to start.
 * @returns The offset after the last attribute.
 */
export function writeAttrs(attrs: readonly Attr[], buf: Uint8Array, offset: number): number {
  const v = view(buf);
  let off = offset;
  for (const a of attrs) {
    const payload = attrPayloadSize(a);
    const len = NLA_HDRLEN + payload;
    v.setUint16(off, len, true);
    v.setUint16(off + 2, a.type, true);
    if ("value" in a) buf.set(a.value, off + NLA_HDRLEN);
    else writeAttrs(a.children, buf, off + NLA_HDRLEN);
    const end = off + align4(len);
    buf.fill(0, off + len, end);
    off = end;
  }
  return off;
}

/**
 * Encodes a list of attributes.
 *
 * @param attrs The attributes.
 * @returns The bytes, each attribute padded to 4.
 */
export function encodeAttrs(attrs: readonly Attr[]): Uint8Array {
  let n = 0;
  for (const a of attrs) n += attrSize(a);
  const buf = new Uint8Array(n);
  writeAttrs(attrs, buf, 0);
  return buf;
}

/**
 * Decodes one attribute.
 *
 * @param buf The bytes.
 * @param offset Where the attribute header starts.
 * @returns The attribute and the offset of the next one (after padding, capped at the end).
 * @throws {NetlinkDecodeError} When the header or payload is cut short.
 */
export function decodeAttr(buf: Uint8Array, offset: number): [RawAttr, number] {
  if (offset + NLA_HDRLEN > buf.byteLength) {
    throw new NetlinkDecodeError("attribute", offset, "header truncated");
  }
  const v = view(buf);
  const len = v.getUint16(offset, true);
  const rawType = v.getUint16(offset + 2, true);
  if (len < NLA_HDRLEN) {
    throw new NetlinkDecodeError("attribute", offset, `length ${len} shorter than its header`);
  }
  if (offset + len > buf.byteLength) {
    throw new NetlinkDecodeError(
      "attribute",
      offset,
      `length ${len} runs past the end (${buf.byteLength - offset} bytes left)`,
    );
  }
  const attr: RawAttr = {
    type: rawType & NLA_TYPE_MASK,
    nested: (rawType & NLA_F_NESTED) !== 0,
    value: buf.subarray(offset + NLA_HDRLEN, offset + len),
  };
  return [attr, Math.min(offset + align4(len), buf.byteLength)];
}

/**
 * Decodes consecutive attributes from `offset` to `end`.
 *
 * @param buf The bytes.
 * @param offset First attribute.
 * @param end Where the attributes stop (default: end of `buf`).
 * @returns The attributes and `end`.
 * @throws {NetlinkDecodeError} When an attribute is cut short.
 */
export function decodeAttrs(
  buf: Uint8Array,
  offset = 0,
  end = buf.byteLength,
): [RawAttr[], number] {
  const region = buf.subarray(0, end);
  const out: RawAttr[] = [];
  let off = offset;
  while (off < end) {
    const [a, next] = decodeAttr(region, off);
    out.push(a);
    off = next;
  }
  return [out, end];
}

/**
 * Decodes the children of a nested attribute's payload.
 *
 * @param value The nested attribute's payload.
 * @returns Its child attributes.
 * @throws {NetlinkDecodeError} When a child is cut short.
 */
export function decodeNested(value: Uint8Array): RawAttr[] {
  return decodeAttrs(value, 0)[0];
}

/**
 * Finds the first attribute of a type.
 *
 * @param attrs Decoded attributes.
 * @param type The type to look for.
 * @returns Its payload, or `undefined`.
 */
export function findAttr(attrs: readonly RawAttr[], type: number): Uint8Array | undefined {
  for (const a of attrs) if (a.type === type) return a.value;
  return undefined;
}

function need(value: Uint8Array, size: number, what: string): DataView {
  if (value.byteLength < size) {
    throw new NetlinkDecodeError(what, 0, `payload of ${value.byteLength} bytes, need ${size}`);
  }
  return view(value);
}

/** Reads a `u8` attribute payload. */
export function readU8(value: Uint8Array): number {
  return need(value, 1, "u8 attribute").getUint8(0);
}

/** Reads a host-order `u16` attribute payload. */
export function readU16(value: Uint8Array): number {
  return need(value, 2, "u16 attribute").getUint16(0, true);
}

/** Reads a big-endian `u16` attribute payload. */
export function readBe16(value: Uint8Array): number {
  return need(value, 2, "be16 attribute").getUint16(0, false);
}

/** Reads a host-order `u32` attribute payload. */
export function readU32(value: Uint8Array): number {
  return need(value, 4, "u32 attribute").getUint32(0, true);
}

/** Reads a host-order `s32` attribute payload. */
export function readS32(value: Uint8Array): number {
  return need(value, 4, "s32 attribute").getInt32(0, true);
}

/** Reads a string attribute payload, dropping the NUL terminator and anything after it. */
export function readString(value: Uint8Array): string {
  const nul = value.indexOf(0);
  return decoder.decode(nul === -1 ? value : value.subarray(0, nul));
}
