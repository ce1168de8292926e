// Request encoding of the filter ops, byte for byte against what tc (iproute2) sent for the
// same commands (tests/fixtures/netlink/tc_replies.json), through a recording fake socket.
import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { filterAdd, filterDel, filterList, redirectAllFilter } from "./filter.ts";
import { INGRESS_HANDLE } from "./qdisc.ts";
import { tcHandle } from "../tc.ts";
import { u32MatchAll } from "../tc_u32.ts";
import { decodeMessages } from "../message.ts";
import { NetlinkInputError } from "../errors.ts";
import { ETH_P_ALL, RTM_GETTFILTER } from "../tc_constants.ts";
import { recordingSocket } from "../../tests/helpers/fake_netlink.ts";
import { hex } from "../../tests/fixtures/netlink/fixtures.ts";
import { TC_IFINDEX, tcDump, tcRequest } from "../../tests/fixtures/netlink/tc_fixtures.ts";

const v0 = { index: TC_IFINDEX.v0! };

Deno.test("filterAdd() sends what `tc filter add ... u32 match u32 0 0 flowid 1:1 action mirred egress redirect dev bwtest0` sends", () => {
  const { sock, sent } = recordingSocket();
  filterAdd(sock, v0, redirectAllFilter(TC_IFINDEX.bwtest0!, tcHandle(1, 1)));
  assertEquals(hex(sent[0]!.bytes), hex(tcRequest("filterAdd")));
  assertEquals(sent[0]!.ctx, {
    op: "filter add",
    target: `u32 parent ffff: dev index ${v0.index}`,
  });
});

Deno.test("filterDel() sends what `tc filter del dev v0 parent ffff: protocol all prio 1` sends", () => {
  const { sock, sent } = recordingSocket();
  filterDel(sock, v0, { parent: INGRESS_HANDLE, priority: 1, protocol: ETH_P_ALL });
  assertEquals(hex(sent[0]!.bytes), hex(tcRequest("filterDel")));
});

Deno.test("filterList() asks for one device and parent and decodes the dump", () => {
  const replies = tcDump("dumpFilters").replies.flatMap((d) => decodeMessages(d));
  const { sock, sent } = recordingSocket(() => replies);
  const got = filterList(sock, v0, { parent: INGRESS_HANDLE });
  assertEquals(sent[0]!.init.type, RTM_GETTFILTER);
  // The request carries the device and the parent (the kernel needs both).
  assertEquals(hex(sent[0]!.bytes.subarray(16)), hex(tcDump("dumpFilters").request.subarray(16)));
  assertEquals(got.length, 3);
  assertEquals(got[2]!.u32!.actions[0]!.mirred!.ifindex, TC_IFINDEX.bwtest0);
});

Deno.test("filterAdd() refuses out-of-range parameters before sending", () => {
  const { sock, sent } = recordingSocket();
  const base = { kind: "u32" as const, parent: INGRESS_HANDLE, protocol: ETH_P_ALL };
  assertThrows(
    () => filterAdd(sock, v0, { ...base, priority: 70000, u32: { sel: u32MatchAll() } }),
    NetlinkInputError,
    "invalid priority",
  );
  const many = { ...u32MatchAll(), keys: Array(129).fill({ mask: 0, val: 0, off: 0, offmask: 0 }) };
  assertThrows(
    () => filterAdd(sock, v0, { ...base, priority: 1, u32: { sel: many } }),
    NetlinkInputError,
    "128 keys",
  );
  assertEquals(sent, []);
});
