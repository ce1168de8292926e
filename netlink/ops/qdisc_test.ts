// Request encoding of the qdisc ops, byte for byte against what tc (iproute2) sent for the same
// commands (tests/fixtures/netlink/tc_replies.json), through a recording fake socket.
import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { INGRESS_HANDLE, qdiscAdd, qdiscDel, qdiscList } from "./qdisc.ts";
import { tcHandle } from "../tc.ts";
import { calcXmittime, parsePsched } from "../tc_tbf.ts";
import { decodeMessages } from "../message.ts";
import { NetlinkInputError } from "../errors.ts";
import { RTM_GETQDISC, TC_H_INGRESS } from "../tc_constants.ts";
import { recordingSocket } from "../../tests/helpers/fake_netlink.ts";
import { hex } from "../../tests/fixtures/netlink/fixtures.ts";
import {
  TC_IFINDEX,
  TC_PSCHED_TEXT,
  tcDump,
  tcRequest,
} from "../../tests/fixtures/netlink/tc_fixtures.ts";

const psched = parsePsched(TC_PSCHED_TEXT);
const v0 = { index: TC_IFINDEX.v0! };

Deno.test("qdiscAdd() tbf sends what `tc qdisc add dev v0 root handle 1: tbf rate 1mbit burst 25000 limit 28125` sends", () => {
  const { sock, sent } = recordingSocket();
  qdiscAdd(sock, v0, {
    kind: "tbf",
    handle: tcHandle(1, 0),
    tbf: {
      rate: 125_000,
      burst: 25_000,
      limit: 28_125,
      buffer: calcXmittime(psched, 125_000, 25_000),
      rateTable: { psched },
    },
  });
  assertEquals(sent.length, 1);
  assertEquals(hex(sent[0]!.bytes), hex(tcRequest("tbfAdd")));
  assertEquals(sent[0]!.ctx, { op: "qdisc add", target: `tbf dev index ${v0.index}` });
});

Deno.test("qdiscAdd() tbf at 40gbit sends RATE64 as tc does", () => {
  const { sock, sent } = recordingSocket();
  qdiscAdd(sock, { index: TC_IFINDEX.bwtest0! }, {
    kind: "tbf",
    handle: tcHandle(1, 0),
    tbf: {
      rate: 5_000_000_000,
      burst: 1_048_576,
      limit: 126_048_576,
      // tc 6.1 computes the buffer from the 32-bit (saturated) rate.
      buffer: calcXmittime(psched, 0xffffffff, 1_048_576),
      rateTable: { psched },
    },
  });
  assertEquals(hex(sent[0]!.bytes), hex(tcRequest("tbf64Add")));
});

Deno.test("qdiscAdd() ingress and qdiscDel() send what tc sends", () => {
  const { sock, sent } = recordingSocket();
  qdiscAdd(sock, v0, { kind: "ingress" });
  qdiscDel(sock, v0, { parent: TC_H_INGRESS });
  qdiscDel(sock, v0);
  assertEquals(sent.map((s) => hex(s.bytes)), [
    hex(tcRequest("ingressAdd")),
    hex(tcRequest("ingressDel")),
    hex(tcRequest("tbfDel")),
  ]);
  // The reference plugin's library adds an empty TCA_OPTIONS; replace swaps EXCL for REPLACE.
  const r = recordingSocket();
  qdiscAdd(r.sock, v0, { kind: "ingress", emptyOptions: true, replace: true });
  const b = r.sent[0]!.bytes;
  assertEquals(hex(b.subarray(6, 8)), "0505"); // REQUEST|ACK|REPLACE|CREATE
  assertEquals(hex(b.subarray(b.length - 4)), "04000200");
  assertEquals(INGRESS_HANDLE, 0xffff0000);
});

Deno.test("qdiscAdd() refuses out-of-range parameters before sending", () => {
  const { sock, sent } = recordingSocket();
  assertThrows(
    () => qdiscAdd(sock, v0, { kind: "tbf", tbf: { rate: -1, limit: 1, buffer: 1 } }),
    NetlinkInputError,
    "invalid rate -1",
  );
  assertThrows(
    () => qdiscAdd(sock, v0, { kind: "tbf", tbf: { rate: 1, limit: 2 ** 32, buffer: 1 } }),
    NetlinkInputError,
    "invalid limit",
  );
  assertThrows(
    () => qdiscAdd(sock, v0, { kind: "tbf", tbf: { rate: 1, limit: 1, buffer: 1.5 } }),
    NetlinkInputError,
    "invalid buffer",
  );
  assertThrows(
    () => qdiscAdd(sock, v0, { kind: "nope" } as never),
    NetlinkInputError,
    "unsupported qdisc kind",
  );
  assertEquals(sent, []);
});

Deno.test("qdiscList() dumps all devices and keeps the asked one's", () => {
  const replies = tcDump("dumpQdiscs").replies.flatMap((d) => decodeMessages(d));
  const { sock, sent } = recordingSocket(() => replies);
  const all = qdiscList(sock);
  const one = qdiscList(sock, { link: v0 });
  assertEquals(sent.map((s) => [s.init.type, s.kind]), [[RTM_GETQDISC, "dump"], [
    RTM_GETQDISC,
    "dump",
  ]]);
  assertEquals(one.map((q) => q.kind), ["tbf", "ingress"]);
  assertEquals(all.length > one.length, true);
});
