import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { decodeActions, decodeTcMirred, encodeActions, encodeTcMirred } from "./tc_action.ts";
import { cstringAttr, encodeAttrs, nestedAttr } from "./codec.ts";
import { NetlinkDecodeError } from "./errors.ts";
import { TC_ACT_OK, TCA_ACT_KIND, TCA_EGRESS_MIRROR } from "./tc_constants.ts";
import { hex } from "../tests/fixtures/netlink/fixtures.ts";

Deno.test("encodeTcMirred() golden bytes and decodeTcMirred() round trip", () => {
  const m = {
    index: 7,
    capab: 0,
    action: TC_ACT_OK,
    refcnt: 1,
    bindcnt: 1,
    eaction: TCA_EGRESS_MIRROR,
    ifindex: 0x1234,
  };
  const b = encodeTcMirred(m);
  assertEquals(
    hex(b),
    "07000000" + "00000000" + "00000000" + "01000000" + "01000000" +
      "02000000" + "34120000",
  );
  assertEquals(decodeTcMirred(b, 0), [m, 28]);
  assertThrows(() => decodeTcMirred(b, 4), NetlinkDecodeError, "tc_mirred");
});

Deno.test("decodeActions() numbers entries, keeps unknown kinds and sorts by order", () => {
  const two = encodeActions([
    { kind: "mirred", action: 4, eaction: 1, ifindex: 9 },
    { kind: "mirred", action: 0, eaction: 1, ifindex: 9 },
  ]);
  const nest = encodeAttrs([
    two[1]!,
    nestedAttr(3, [cstringAttr(TCA_ACT_KIND, "gact")]),
    two[0]!,
  ]);
  const got = decodeActions(nest);
  assertEquals(got.map((a) => [a.order, a.kind, a.mirred?.action]), [
    [1, "mirred", 4],
    [2, "mirred", 0],
    [3, "gact", undefined],
  ]);
  assertThrows(
    () => decodeActions(encodeAttrs([nestedAttr(1, [])])),
    NetlinkDecodeError,
    "no kind",
  );
});
