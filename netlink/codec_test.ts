import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import {
  align4,
  be16Attr,
  cstringAttr,
  decodeAttr,
  decodeAttrs,
  decodeNested,
  encodeAttrs,
  findAttr,
  nestedAttr,
  readBe16,
  readString,
  readU16,
  readU32,
  s32Attr,
  stringAttr,
  u16Attr,
  u32Attr,
  u8Attr,
} from "./codec.ts";
import { NLA_F_NESTED } from "./constants.ts";
import { NetlinkDecodeError } from "./errors.ts";
import { hex, unhex } from "../tests/fixtures/netlink/fixtures.ts";

Deno.test("align4() rounds up to multiples of 4", () => {
  assertEquals([0, 1, 2, 3, 4, 5, 8, 9, 15, 16].map(align4), [0, 4, 4, 4, 4, 8, 8, 12, 16, 16]);
});

Deno.test("scalar attribute helpers encode golden bytes", () => {
  assertEquals(hex(encodeAttrs([u8Attr(4, 1)])), "0500040001000000");
  assertEquals(hex(encodeAttrs([u16Attr(39, 0x0102)])), "0600270002010000");
  assertEquals(hex(encodeAttrs([be16Attr(1, 0x8100)])), "0600010081000000");
  assertEquals(hex(encodeAttrs([u32Attr(3, 0x01020304)])), "0800030004030201");
  assertEquals(hex(encodeAttrs([s32Attr(37, -1)])), "08002500ffffffff");
});

Deno.test("cstringAttr() adds NUL and pads, stringAttr() does not add NUL", () => {
  assertEquals(hex(encodeAttrs([cstringAttr(3, "eth0")])), "090003006574683000000000");
  assertEquals(hex(encodeAttrs([stringAttr(3, "eth0")])), "0800030065746830");
});

Deno.test("nestedAttr() nests children and keeps NLA_F_NESTED in the type", () => {
  assertEquals(
    hex(encodeAttrs([nestedAttr(18, [cstringAttr(1, "veth")])])),
    "10001200" + "09000100" + "76657468" + "00000000",
  );
  assertEquals(
    hex(encodeAttrs([nestedAttr(12 | NLA_F_NESTED, [u8Attr(4, 1)])])),
    "0c000c80" + "0500040001000000",
  );
});

Deno.test("decodeAttrs() round-trips nested trees and reports the nested flag", () => {
  const bytes = encodeAttrs([
    cstringAttr(3, "br0"),
    nestedAttr(12 | NLA_F_NESTED, [u8Attr(4, 1), u16Attr(9, 7)]),
    u32Attr(4, 1500),
  ]);
  const [attrs, end] = decodeAttrs(bytes, 0);
  assertEquals(end, bytes.byteLength);
  assertEquals(attrs.map((a) => [a.type, a.nested]), [[3, false], [12, true], [4, false]]);
  assertEquals(readString(findAttr(attrs, 3)!), "br0");
  assertEquals(readU32(findAttr(attrs, 4)!), 1500);
  const inner = decodeNested(findAttr(attrs, 12)!);
  assertEquals(inner.map((a) => a.type), [4, 9]);
  assertEquals(readU16(inner[1]!.value), 7);
  assertEquals(readBe16(Uint8Array.of(0x81, 0)), 0x8100);
});

Deno.test("decodeAttr() rejects lengths past the end and below the header size", () => {
  const bad = unhex("0c000300616263");
  const e = assertThrows(() => decodeAttr(bad, 0), NetlinkDecodeError, "runs past the end");
  assertEquals(e.offset, 0);
  assertThrows(
    () => decodeAttr(unhex("02000300"), 0),
    NetlinkDecodeError,
    "shorter than its header",
  );
  assertThrows(
    () => decodeAttrs(unhex("0800030061626364" + "0800"), 0),
    NetlinkDecodeError,
    "offset 8",
  );
});
