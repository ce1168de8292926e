import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import {
  decodeU32Options,
  decodeU32Sel,
  encodeU32Options,
  encodeU32Sel,
  formatU32Handle,
  u32MatchAll,
} from "./tc_u32.ts";
import { encodeAttrs } from "./codec.ts";
import { NetlinkDecodeError } from "./errors.ts";
import { TC_ACT_STOLEN, TCA_EGRESS_REDIR } from "./tc_constants.ts";
import { hex } from "../tests/fixtures/netlink/fixtures.ts";

Deno.test("encodeU32Sel() golden bytes: big-endian mask/value/hmask, host-order offsets", () => {
  const sel = {
    flags: 1,
    offshift: 2,
    offmask: 0x0f00,
    off: 4,
    offoff: -2,
    hoff: 8,
    hmask: 0x00ff0000,
    keys: [{ mask: 0xffffff00, val: 0x0a000100, off: 16, offmask: 0 }],
  };
  const b = encodeU32Sel(sel);
  assertEquals(
    hex(b),
    "01020100" + "0f00" + "0400" + "feff" + "0800" + "00ff0000" +
      "ffffff00" + "0a000100" + "10000000" + "00000000",
  );
  assertEquals(decodeU32Sel(b, 0), [sel, 32]);
  assertThrows(() => decodeU32Sel(b.subarray(0, 20), 0), NetlinkDecodeError, "1 keys");
  assertThrows(() => decodeU32Sel(b, 20), NetlinkDecodeError, "offset 20");
});

Deno.test("encodeU32Options() orders CLASSID, ACT, SEL as tc and round-trips", () => {
  const spec = {
    sel: u32MatchAll(),
    classId: 0x10001,
    actions: [{
      kind: "mirred" as const,
      action: TC_ACT_STOLEN,
      eaction: TCA_EGRESS_REDIR,
      ifindex: 4,
    }],
  };
  const b = encodeAttrs(encodeU32Options(spec));
  assertEquals(
    hex(b),
    "0800" + "0100" + "01000100" + // TCA_U32_CLASSID 1:1
      "3800" + "0700" + "3400" + "0100" + // TCA_U32_ACT { 1: {
      "0b00" + "0100" + "6d6972726564" + "0000" + // TCA_ACT_KIND "mirred" (padded)
      "2400" + "0280" + "2000" + "0200" + // TCA_ACT_OPTIONS|NESTED { TCA_MIRRED_PARMS
      "00000000" + "00000000" + "04000000" + "00000000" + "00000000" + "01000000" + "04000000" +
      "2400" + "0500" + "01000100" + "0".repeat(24) + "0".repeat(32), // TCA_U32_SEL, one key
  );
  const back = decodeU32Options(b);
  assertEquals(back.classId, 0x10001);
  assertEquals(back.sel, spec.sel);
  assertEquals(back.actions, [{
    order: 1,
    kind: "mirred",
    mirred: {
      index: 0,
      capab: 0,
      action: TC_ACT_STOLEN,
      refcnt: 0,
      bindcnt: 0,
      eaction: TCA_EGRESS_REDIR,
      ifindex: 4,
    },
  }]);
  // Without class id and actions only the selector is sent.
  assertEquals(hex(encodeAttrs(encodeU32Options({ sel: u32MatchAll() }))).slice(0, 8), "24000500");
});

Deno.test("formatU32Handle() prints hash table, bucket and node as tc", () => {
  assertEquals(
    [0, 0x80000000, 0x80000800, 0x80001001, 0x00000800].map(formatU32Handle),
    ["none", "800:", "800::800", "800:1:1", ":800"],
  );
});
