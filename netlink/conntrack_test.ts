import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { be16Attr, bytesAttr, encodeAttrs, nestedAttr, u8Attr } from "./codec.ts";
import { NLA_F_NESTED } from "./constants.ts";
import { ctnetlinkType, decodeConntrack, encodeNfgenmsg } from "./conntrack.ts";
import { NetlinkDecodeError } from "./errors.ts";

function tuple(type: number, src: number[], dst: number[], sport: number, dport: number) {
  return nestedAttr(type | NLA_F_NESTED, [
    nestedAttr(1 | NLA_F_NESTED, [
      bytesAttr(src.length === 4 ? 1 : 3, Uint8Array.from(src)),
      bytesAttr(src.length === 4 ? 2 : 4, Uint8Array.from(dst)),
    ]),
    nestedAttr(2 | NLA_F_NESTED, [u8Attr(1, 17), be16Attr(2, sport), be16Attr(3, dport)]),
  ]);
}

Deno.test("encodeNfgenmsg() and ctnetlinkType() build the ctnetlink header", () => {
  assertEquals(encodeNfgenmsg(2), Uint8Array.of(2, 0, 0, 0));
  assertEquals(ctnetlinkType(1), 0x101);
  assertEquals(ctnetlinkType(2), 0x102);
});

Deno.test("decodeConntrack() reads both tuples, zone and id, and keeps the delete key", () => {
  const attrs = encodeAttrs([
    tuple(1, [10, 0, 0, 1], [10, 0, 0, 2], 40000, 8053),
    tuple(2, [10, 88, 0, 2], [10, 0, 0, 1], 53, 40000),
    bytesAttr(3, Uint8Array.of(0, 0, 1, 0x88)), // CTA_STATUS: not part of the key
    be16Attr(18, 7), // CTA_ZONE
    bytesAttr(12, Uint8Array.of(0xde, 0xad, 0xbe, 0xef)), // CTA_ID
  ]);
  const payload = new Uint8Array(4 + attrs.length);
  payload.set(encodeNfgenmsg(2));
  payload.set(attrs, 4);
  const flow = decodeConntrack(payload)!;
  assertEquals(flow.family, 4);
  assertEquals(flow.proto, 17);
  assertEquals(flow.orig, { src: "10.0.0.1", dst: "10.0.0.2", srcPort: 40000, dstPort: 8053 });
  assertEquals(flow.reply, { src: "10.88.0.2", dst: "10.0.0.1", srcPort: 53, dstPort: 40000 });
  assertEquals(flow.zone, 7);
  assertEquals(flow.id, 0xdeadbeef);
  assertEquals(flow.key.map((a) => [a.type, a.nested]), [[1, true], [18, false], [12, false]]);
});

Deno.test("decodeConntrack() reads IPv6 flows and refuses truncated ones", () => {
  const v6 = (last: number) => [0xfd, 0, ...new Array(13).fill(0), last];
  const attrs = encodeAttrs([tuple(1, v6(1), v6(2), 1, 2), tuple(2, v6(2), v6(1), 2, 1)]);
  const payload = new Uint8Array(4 + attrs.length);
  payload.set(encodeNfgenmsg(10));
  payload.set(attrs, 4);
  const flow = decodeConntrack(payload)!;
  assertEquals([flow.family, flow.orig.src, flow.orig.dst], [6, "fd00::1", "fd00::2"]);
  assertEquals(decodeConntrack(Uint8Array.of(7, 0, 0, 0)), undefined);
  assertThrows(() => decodeConntrack(Uint8Array.of(2, 0)), NetlinkDecodeError);
  assertThrows(() => decodeConntrack(encodeNfgenmsg(2)), NetlinkDecodeError);
});
