import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import {
  decodeTcmsg,
  encodeTcmsg,
  filterInfo,
  formatTcHandle,
  parseFilterMessage,
  parseQdiscMessage,
  tcHandle,
} from "./tc.ts";
import { cstringAttr } from "./codec.ts";
import { decodeMessages, encodeMessage } from "./message.ts";
import { NetlinkDecodeError } from "./errors.ts";
import {
  ETH_P_ALL,
  RTM_NEWQDISC,
  RTM_NEWTFILTER,
  TC_ACT_STOLEN,
  TC_H_INGRESS,
  TC_H_ROOT,
  TC_U32_TERMINAL,
  TCA_EGRESS_REDIR,
  TCA_KIND,
} from "./tc_constants.ts";
import { formatU32Handle } from "./tc_u32.ts";
import { hex } from "../tests/fixtures/netlink/fixtures.ts";
import { TC_IFINDEX, tcDump } from "../tests/fixtures/netlink/tc_fixtures.ts";

Deno.test("encodeTcmsg() golden bytes and decodeTcmsg() round trip", () => {
  const init = { family: 0, ifindex: 3, handle: 0x10000, parent: TC_H_ROOT, info: 0x00010300 };
  const b = encodeTcmsg(init);
  assertEquals(hex(b), "00000000" + "03000000" + "00000100" + "ffffffff" + "00030100");
  assertEquals(decodeTcmsg(b, 0), [init, 20]);
  assertThrows(() => decodeTcmsg(b, 4), NetlinkDecodeError, "offset 4");
});

Deno.test("tcHandle(), formatTcHandle() and filterInfo() follow tc's notation", () => {
  assertEquals(tcHandle(1, 0), 0x10000);
  assertEquals(tcHandle(0xffff, 0), 0xffff0000);
  assertEquals(tcHandle(1, 1), 0x10001);
  assertEquals(
    [0x10000, 0x10001, 0xffff0000, TC_H_INGRESS, TC_H_ROOT, 0, 5].map(formatTcHandle),
    ["1:", "1:1", "ffff:", "ffff:fff1", "root", "none", ":5"],
  );
  // priority 1, protocol ETH_P_ALL in network order: 0x0003 -> 0x0300.
  assertEquals(filterInfo(1, ETH_P_ALL), 0x00010300);
  assertEquals(filterInfo(16, 0x0800), 0x00100008);
});

Deno.test("parseQdiscMessage() reads the captured qdisc dump", () => {
  const qdiscs = tcDump("dumpQdiscs").replies.flatMap((d) => decodeMessages(d))
    .filter((m) => m.header.type === RTM_NEWQDISC)
    .map((m) => parseQdiscMessage(m.payload));
  const v0 = TC_IFINDEX.v0!, ifb = TC_IFINDEX.bwtest0!;
  const short = qdiscs.map((q) => [q.index, q.kind, formatTcHandle(q.handle), q.root]);
  assertEquals(short.filter(([i]) => i === v0 || i === ifb), [
    [v0, "tbf", "1:", true],
    [v0, "ingress", "ffff:", false],
    [ifb, "tbf", "1:", true],
  ]);
  const tbf = qdiscs.find((q) => q.index === v0 && q.kind === "tbf")!.tbf!;
  assertEquals(
    [tbf.rate, tbf.limit, tbf.buffer, tbf.peakrate, tbf.mtu],
    [125_000, 28_125, 3_125_000, 0, 0],
  );
  // The kernel reports its own link layer, not tc's cell_log.
  assertEquals(tbf.parms.rate.linklayer, 1);
  const tbf64 = qdiscs.find((q) => q.index === ifb)!.tbf!;
  assertEquals([tbf64.rate, tbf64.parms.rate.rate, tbf64.limit], [5e9, 0xffffffff, 126_048_576]);
  assertEquals(qdiscs.find((q) => q.kind === "ingress")!.parent, TC_H_INGRESS);
});

Deno.test("parseFilterMessage() reads the captured u32 mirred filter dump", () => {
  const filters = tcDump("dumpFilters").replies.flatMap((d) => decodeMessages(d))
    .filter((m) => m.header.type === RTM_NEWTFILTER)
    .map((m) => parseFilterMessage(m.payload));
  // The per-priority head, the 800: hash table and the 800::800 filter, as tc shows them.
  assertEquals(filters.map((f) => formatU32Handle(f.handle)), ["none", "800:", "800::800"]);
  for (const f of filters) {
    assertEquals([f.index, f.parent, f.priority, f.protocol, f.kind, f.chain], [
      TC_IFINDEX.v0,
      0xffff0000,
      1,
      ETH_P_ALL,
      "u32",
      0,
    ]);
  }
  assertEquals(filters[1]!.u32!.divisor, 1);
  const u32 = filters[2]!.u32!;
  assertEquals(u32.classId, 0x10001);
  assertEquals(u32.sel!.flags & TC_U32_TERMINAL, TC_U32_TERMINAL);
  assertEquals(u32.sel!.keys, [{ mask: 0, val: 0, off: 0, offmask: 0 }]);
  assertEquals(u32.actions.length, 1);
  const a = u32.actions[0]!;
  assertEquals([a.order, a.kind], [1, "mirred"]);
  assertEquals(
    [a.mirred!.action, a.mirred!.eaction, a.mirred!.ifindex],
    [TC_ACT_STOLEN, TCA_EGRESS_REDIR, TC_IFINDEX.bwtest0],
  );
});

Deno.test("parseQdiscMessage() needs TCA_KIND and a whole tcmsg", () => {
  const noKind = encodeMessage({ type: RTM_NEWQDISC, flags: 0, seq: 0, body: encodeTcmsg() })
    .subarray(16);
  assertThrows(() => parseQdiscMessage(noKind), NetlinkDecodeError, "TCA_KIND");
  assertThrows(() => parseQdiscMessage(new Uint8Array(8)), NetlinkDecodeError, "tcmsg");
  const noqueue = encodeMessage({
    type: RTM_NEWQDISC,
    flags: 0,
    seq: 0,
    body: encodeTcmsg({ ifindex: 2, parent: TC_H_ROOT }),
    attrs: [cstringAttr(TCA_KIND, "noqueue")],
  }).subarray(16);
  assertEquals(parseQdiscMessage(noqueue), {
    index: 2,
    handle: 0,
    parent: TC_H_ROOT,
    kind: "noqueue",
    root: true,
  });
});
