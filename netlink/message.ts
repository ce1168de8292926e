/**
 * The netlink wire format of messages: `nlmsghdr` encoded and decoded, the messages of a
 * datagram, and `nlmsgerr` with extended ack. Attributes are in `codec.ts`.
 * Pure: works on `Uint8Array` and `DataView` only.
 *
 * Decoders take `(buf, offset)` and return `[value, nextOffset]`; truncated input throws
 * {@linkcode NetlinkDecodeError} naming the offset.
 *
 * @module
 */
import {
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLMSG_HDRLEN,
  NLMSGERR_ATTR_MISS_TYPE,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
  NLMSGERR_SIZE,
} from "./constants.ts";
import {
  align4,
  type Attr,
  attrSize,
  decodeAttrs,
  findAttr,
  readString,
  readU32,
  view,
  writeAttrs,
} from "./codec.ts";
import { NetlinkDecodeError } from "./errors.ts";

/** `struct nlmsghdr`. */
export interface NlMsgHeader {
  /** Total message length including this header. */
  len: number;
  /** Message type (`RTM_*`, `NLMSG_*`). */
  type: number;
  /** `NLM_F_*` flags. */
  flags: number;
  /** Sequence number. */
  seq: number;
  /** Sender port id. */
  pid: number;
}

/** A decoded message: header plus the payload bytes after it (up to `len`). */
export interface NlMessage {
  /** The header. */
  header: NlMsgHeader;
  /** Family header and attributes (a view into the decoded buffer). */
  payload: Uint8Array;
}

/** A message to encode. */
export interface NlMessageInit {
  /** Message type. */
  type: number;
  /** `NLM_F_*` flags. */
  flags: number;
  /** Sequence number. */
  seq: number;
  /** Sender port id (0 lets the kernel fill it in). */
  pid?: number;
  /** Fixed family header (`ifinfomsg`, `ifaddrmsg`, `rtmsg`), padded to 4. */
  body?: Uint8Array;
  /** Attributes after the family header. */
  attrs?: readonly Attr[];
}

/**
 * Encodes one netlink message.
 *
 * @param msg Header fields, family header and attributes.
 * @returns The bytes; `nlmsg_len` counts everything, trailing padding included.
 */
export function encodeMessage(msg: NlMessageInit): Uint8Array {
  const body = msg.body ?? new Uint8Array(0);
  const attrs = msg.attrs ?? [];
  const bodyLen = align4(body.byteLength);
  let len = NLMSG_HDRLEN + bodyLen;
  for (const a of attrs) len += attrSize(a);
  const buf = new Uint8Array(len);
  const v = view(buf);
  v.setUint32(0, len, true);
  v.setUint16(4, msg.type, true);
  v.setUint16(6, msg.flags, true);
  v.setUint32(8, msg.seq >>> 0, true);
  v.setUint32(12, msg.pid ?? 0, true);
  buf.set(body, NLMSG_HDRLEN);
  writeAttrs(attrs, buf, NLMSG_HDRLEN + bodyLen);
  return buf;
}

/**
 * Decodes a `struct nlmsghdr`.
 *
 * @param buf The bytes.
 * @param offset Where the header starts.
 * @returns The header and the offset just after it.
 * @throws {NetlinkDecodeError} When fewer than 16 bytes remain or the length is impossible.
 */
export function decodeHeader(buf: Uint8Array, offset: number): [NlMsgHeader, number] {
  if (offset + NLMSG_HDRLEN > buf.byteLength) {
    throw new NetlinkDecodeError(
      "nlmsghdr",
      offset,
      `header truncated (${buf.byteLength - offset} of ${NLMSG_HDRLEN} bytes)`,
    );
  }
  const v = view(buf);
  const header: NlMsgHeader = {
    len: v.getUint32(offset, true),
    type: v.getUint16(offset + 4, true),
    flags: v.getUint16(offset + 6, true),
    seq: v.getUint32(offset + 8, true),
    pid: v.getUint32(offset + 12, true),
  };
  if (header.len < NLMSG_HDRLEN) {
    throw new NetlinkDecodeError("nlmsghdr", offset, `length ${header.len} shorter than header`);
  }
  return [header, offset + NLMSG_HDRLEN];
}

/**
 * Decodes one message.
 *
 * @param buf The bytes (a datagram may hold several messages).
 * @param offset Where the message starts.
 * @returns The message and the offset of the next one.
 * @throws {NetlinkDecodeError} When the message is cut short.
 */
export function decodeMessage(buf: Uint8Array, offset: number): [NlMessage, number] {
  const [header, bodyStart] = decodeHeader(buf, offset);
  if (offset + header.len > buf.byteLength) {
    throw new NetlinkDecodeError(
      "netlink message",
      offset,
      `length ${header.len} runs past the end (${buf.byteLength - offset} bytes left)`,
    );
  }
  const payload = buf.subarray(bodyStart, offset + header.len);
  return [{ header, payload }, Math.min(offset + align4(header.len), buf.byteLength)];
}

/**
 * Decodes every message in a datagram.
 *
 * @param buf One received datagram.
 * @returns The messages in order.
 * @throws {NetlinkDecodeError} When a message is cut short.
 */
export function decodeMessages(buf: Uint8Array): NlMessage[] {
  const out: NlMessage[] = [];
  let off = 0;
  while (off < buf.byteLength) {
    const [m, next] = decodeMessage(buf, off);
    out.push(m);
    off = next;
  }
  return out;
}

/** Extended-ack information from an `NLMSG_ERROR` reply. */
export interface ExtAck {
  /** `NLMSGERR_ATTR_MSG`: the kernel's text. */
  msg?: string;
  /** `NLMSGERR_ATTR_OFFS`: offset of the offending attribute in the request. */
  offset?: number;
  /** `NLMSGERR_ATTR_MISS_TYPE`: a required attribute that was missing. */
  missingType?: number;
}

/** A decoded `struct nlmsgerr`. */
export interface NlMsgErr {
  /** 0 for an ACK, otherwise a negative errno. */
  error: number;
  /** The header of the request this answers. */
  request: NlMsgHeader;
  /** Extended-ack TLVs, when `NLM_F_ACK_TLVS` was set. */
  extack?: ExtAck;
}

/**
 * Decodes the payload of an `NLMSG_ERROR` message, including extended-ack TLVs.
 *
 * @param buf The `NLMSG_ERROR` message payload (after its `nlmsghdr`).
 * @param offset Where `struct nlmsgerr` starts (normally 0).
 * @param flags The `NLMSG_ERROR` message's own header flags (`NLM_F_CAPPED`, `NLM_F_ACK_TLVS`).
 * @returns The error and the end offset.
 * @throws {NetlinkDecodeError} When the payload is cut short.
 */
export function decodeNlmsgerr(
  buf: Uint8Array,
  offset: number,
  flags: number,
): [NlMsgErr, number] {
  if (offset + NLMSGERR_SIZE > buf.byteLength) {
    throw new NetlinkDecodeError(
      "nlmsgerr",
      offset,
      `truncated (${buf.byteLength - offset} of ${NLMSGERR_SIZE} bytes)`,
    );
  }
  const error = view(buf).getInt32(offset, true);
  const [request] = decodeHeader(buf, offset + 4);
  const out: NlMsgErr = { error, request };
  let off = offset + NLMSGERR_SIZE;
  if ((flags & NLM_F_CAPPED) === 0 && error !== 0) {
    off = offset + 4 + align4(request.len);
  }
  if ((flags & NLM_F_ACK_TLVS) !== 0 && off < buf.byteLength) {
    const [tlvs] = decodeAttrs(buf, off);
    const ext: ExtAck = {};
    const msg = findAttr(tlvs, NLMSGERR_ATTR_MSG);
    if (msg) ext.msg = readString(msg);
    const offs = findAttr(tlvs, NLMSGERR_ATTR_OFFS);
    if (offs) ext.offset = readU32(offs);
    const miss = findAttr(tlvs, NLMSGERR_ATTR_MISS_TYPE);
    if (miss) ext.missingType = readU32(miss);
    out.extack = ext;
  }
  return [out, buf.byteLength];
}
