import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { cstringAttr, decodeAttrs, encodeAttrs, u32Attr } from "./codec.ts";
import {
  decodeHeader,
  decodeMessage,
  decodeMessages,
  decodeNlmsgerr,
  encodeMessage,
} from "./message.ts";
import {
  NLA_F_NESTED,
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  RTM_NEWLINK,
} from "./constants.ts";
import { NetlinkDecodeError } from "./errors.ts";
import { captured, CAPTURED_PORT_ID, hex } from "../tests/fixtures/netlink/fixtures.ts";

Deno.test("encodeMessage() writes nlmsghdr, padded body and attributes", () => {
  const msg = encodeMessage({
    type: RTM_NEWLINK,
    flags: 0x605,
    seq: 1,
    pid: 0,
    body: new Uint8Array(16),
    attrs: [cstringAttr(3, "eth0")],
  });
  assertEquals(
    hex(msg),
    "2c000000" + "1000" + "0506" + "01000000" + "00000000" + "00".repeat(16) +
      "090003006574683000000000",
  );
  const [m, next] = decodeMessage(msg, 0);
  assertEquals(next, 44);
  assertEquals(m.header, { len: 44, type: RTM_NEWLINK, flags: 0x605, seq: 1, pid: 0 });
  assertEquals(m.payload.byteLength, 28);
});

Deno.test("encodeMessage() pads an odd-length body to 4", () => {
  const msg = encodeMessage({ type: 1, flags: 0, seq: 2, body: Uint8Array.of(1, 2, 3) });
  assertEquals(hex(msg), "14000000010000000200000000000000" + "01020300");
});

Deno.test("decodeHeader() throws NetlinkDecodeError naming the offset when truncated", () => {
  const err = assertThrows(
    () => decodeHeader(new Uint8Array(24), 10),
    NetlinkDecodeError,
    "offset 10",
  );
  assertEquals(err.offset, 10);
  assertEquals(err instanceof RangeError, true);
  assertThrows(
    () => decodeHeader(new Uint8Array(16), 0),
    NetlinkDecodeError,
    "shorter than header",
  );
});

Deno.test("decodeMessages() rejects a captured datagram cut short, naming the offset", () => {
  const d = captured("dumpAddrs").replies[0]!;
  const [, second] = decodeMessage(d, 0);
  const cut = d.subarray(0, second + 20);
  const err = assertThrows(() => decodeMessages(cut), NetlinkDecodeError);
  assertEquals(err.offset, second);
});

Deno.test("decodeMessages() splits a captured link dump into MULTI parts ending in DONE", () => {
  const ex = captured("dumpLinks");
  const msgs = ex.replies.flatMap((d) => decodeMessages(d));
  const last = msgs[msgs.length - 1]!;
  assertEquals(last.header.type, NLMSG_DONE);
  for (const m of msgs) {
    assertEquals(m.header.seq, 102);
    assertEquals(m.header.pid, CAPTURED_PORT_ID);
    assertEquals((m.header.flags & NLM_F_MULTI) !== 0, true);
  }
  assertEquals(msgs.filter((m) => m.header.type === RTM_NEWLINK).length, 4);
});

Deno.test("decodeNlmsgerr() reads a captured ACK (error 0, capped)", () => {
  const [m] = decodeMessages(captured("ackSetUp").replies[0]!);
  assertEquals(m!.header.type, NLMSG_ERROR);
  assertEquals((m!.header.flags & NLM_F_CAPPED) !== 0, true);
  const [e] = decodeNlmsgerr(m!.payload, 0, m!.header.flags);
  assertEquals(e.error, 0);
  assertEquals(e.request.seq, 108);
  assertEquals(e.extack, undefined);
});

Deno.test("decodeNlmsgerr() reads a captured EEXIST with the request echoed", () => {
  const ex = captured("errorExists");
  const [m] = decodeMessages(ex.replies[0]!);
  const [e] = decodeNlmsgerr(m!.payload, 0, m!.header.flags);
  assertEquals(e.error, -17);
  assertEquals(e.request.len, ex.request.byteLength);
  // Not capped: the whole request follows the error code.
  assertEquals(hex(m!.payload.subarray(4, 4 + ex.request.byteLength)), hex(ex.request));
});

Deno.test("decodeNlmsgerr() reads the kernel's captured extended-ack text", () => {
  const [m] = decodeMessages(captured("errorExtack").replies[0]!);
  assertEquals((m!.header.flags & NLM_F_ACK_TLVS) !== 0, true);
  const [e] = decodeNlmsgerr(m!.payload, 0, m!.header.flags);
  assertEquals(e.error, -99);
  assertEquals(e.extack?.msg, "ipv4: Address not found");
});

Deno.test("decodeNlmsgerr() parses a hand-built capped error with MSG and OFFS TLVs", () => {
  const req = encodeMessage({ type: 16, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 9, pid: 5 });
  const tlvs = encodeAttrs([cstringAttr(1, "bad"), u32Attr(2, 32)]);
  const payload = new Uint8Array(4 + 16 + tlvs.byteLength);
  new DataView(payload.buffer).setInt32(0, -22, true);
  payload.set(req.subarray(0, 16), 4);
  payload.set(tlvs, 20);
  const [e, end] = decodeNlmsgerr(payload, 0, NLM_F_CAPPED | NLM_F_ACK_TLVS);
  assertEquals(end, payload.byteLength);
  assertEquals(e, {
    error: -22,
    request: { len: 16, type: 16, flags: 5, seq: 9, pid: 5 },
    extack: { msg: "bad", offset: 32 },
  });
  assertThrows(() => decodeNlmsgerr(payload.subarray(0, 10), 0, 0), NetlinkDecodeError, "offset 0");
});

Deno.test("decodeMessages() then encodeMessage() reproduces a captured reply byte for byte", () => {
  const d = captured("getlinkVeth").replies[0]!;
  const [m] = decodeMessages(d);
  const [attrs] = decodeAttrs(m!.payload, 16);
  const again = encodeMessage({
    type: m!.header.type,
    flags: m!.header.flags,
    seq: m!.header.seq,
    pid: m!.header.pid,
    body: m!.payload.subarray(0, 16),
    attrs: attrs.map((a) => ({ type: a.type | (a.nested ? NLA_F_NESTED : 0), value: a.value })),
  });
  assertEquals(hex(again), hex(d.subarray(0, m!.header.len)));
});
