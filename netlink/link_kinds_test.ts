// The macvlan/ipvlan/vlan/dummy link codec and ops, checked against the exact RTM_NEWLINK bytes
// iproute2 sends (no kernel, no root; the captures and how they were made are in
// tests/fixtures/netlink/iproute2_newlink.ts). tests/link_kinds_iproute2_test.ts captures them
// again from the installed iproute2 where strace is available.
import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { recordingSocket } from "../tests/helpers/fake_netlink.ts";
import { hex } from "../tests/fixtures/netlink/fixtures.ts";
import { decodeAttrs, decodeNested, encodeAttrs, findAttr } from "./codec.ts";
import { encodeMessage } from "./message.ts";
import {
  IFLA_INFO_DATA,
  IFLA_LINKINFO,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  RTM_NEWLINK,
} from "./constants.ts";
import { encodeIfinfomsg, parseLinkMessage } from "./link.ts";
import { encodeLinkInfo, IPVLAN_MODES, MACVLAN_MODES, parseLinkKindData } from "./link_kinds.ts";
import { linkAddDummy, linkAddIpvlan, linkAddMacvlan, linkAddVlan } from "./ops/link_add.ts";
import { NetlinkInputError } from "./errors.ts";
import { IPROUTE2 } from "../tests/fixtures/netlink/iproute2_newlink.ts";

/** The whole message iproute2 sent for `args`, with its sequence number set to 0. */
function iproute2Message(args: string, extra = ""): string {
  const body = IPROUTE2[args]! + extra;
  const len = 16 + body.length / 2;
  const header = new Uint8Array(16);
  const v = new DataView(header.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, RTM_NEWLINK, true);
  v.setUint16(6, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, true);
  return hex(header) + body;
}

/** What our op sends for the same link (p0 given by its index 3, as iproute2 resolved it). */
function ours(add: (sock: ReturnType<typeof recordingSocket>["sock"]) => void): string {
  const { sock, sent } = recordingSocket();
  add(sock);
  assertEquals(sent.length, 1);
  return hex(sent[0]!.bytes);
}

const P0 = { index: 3 };

Deno.test("linkAddVlan() sends iproute2's bytes for `type vlan id N` (with and without mtu)", () => {
  assertEquals(
    ours((s) => linkAddVlan(s, { name: "vl0", parent: P0, id: 100 })),
    iproute2Message("link p0 name vl0 type vlan id 100"),
  );
  assertEquals(
    ours((s) => linkAddVlan(s, { name: "vl0", parent: P0, id: 4094, mtu: 1400 })),
    iproute2Message("link p0 name vl0 mtu 1400 type vlan id 4094"),
  );
});

Deno.test("linkAddIpvlan() sends iproute2's bytes for each mode (mode, then flags 0)", () => {
  for (const mode of ["l2", "l3", "l3s"] as const) {
    assertEquals(
      ours((s) => linkAddIpvlan(s, { name: "ipv0", parent: P0, mode })),
      iproute2Message(`link p0 name ipv0 type ipvlan mode ${mode}`),
      mode,
    );
  }
  // The default mode is the reference's (l2), not the kernel's (l3).
  assertEquals(
    ours((s) => linkAddIpvlan(s, { name: "ipv0", parent: P0 })),
    iproute2Message("link p0 name ipv0 type ipvlan mode l2"),
  );
});

Deno.test("linkAddDummy() sends iproute2's bytes for `type dummy` (with and without mtu)", () => {
  assertEquals(
    ours((s) => linkAddDummy(s, { name: "dm0" })),
    iproute2Message("name dm0 type dummy"),
  );
  assertEquals(
    ours((s) => linkAddDummy(s, { name: "dm0", mtu: 1400 })),
    iproute2Message("name dm0 mtu 1400 type dummy"),
  );
});

Deno.test("linkAddMacvlan() sends iproute2's bytes for each mode, mtu, address and bcqueuelen", () => {
  assertEquals(
    ours((s) => linkAddMacvlan(s, { name: "mv0", parent: P0 })),
    iproute2Message("link p0 name mv0 type macvlan mode bridge"),
    "bridge is the default",
  );
  assertEquals(
    ours((s) =>
      linkAddMacvlan(s, {
        name: "mv1",
        parent: P0,
        mode: "private",
        mtu: 1400,
        mac: "02:00:00:00:00:0a",
        bcQueueLen: 100,
      })
    ),
    iproute2Message(
      "link p0 name mv1 mtu 1400 address 02:00:00:00:00:0a type macvlan mode private bcqueuelen 100",
    ),
  );
  assertEquals(
    ours((s) => linkAddMacvlan(s, { name: "mv2", parent: P0, mode: "passthru" })),
    iproute2Message("link p0 name mv2 type macvlan mode passthru"),
  );
  assertEquals(
    ours((s) => linkAddMacvlan(s, { name: "mv3", parent: P0, mode: "vepa" })),
    iproute2Message("link p0 name mv3 type macvlan mode vepa"),
  );
});

Deno.test("linkAddMacvlan() puts IFLA_NET_NS_FD last (hand-computed)", () => {
  assertEquals(
    ours((s) => linkAddMacvlan(s, { name: "mv0", parent: P0, netnsFd: 9 })),
    iproute2Message("link p0 name mv0 type macvlan mode bridge", "08001c00" + "09000000"),
  );
});

Deno.test("linkAdd*() resolve a parent given by name with RTM_GETLINK first", () => {
  const { sock, sent } = recordingSocket(() => []);
  // No reply: the lookup fails as "not found" before anything is created.
  assertThrows(() => linkAddVlan(sock, { name: "vl0", parent: { name: "p0" }, id: 5 }));
  assertEquals(sent.length, 1);
  assertEquals(sent[0]!.ctx.op, "link show");
});

Deno.test("encodeLinkInfo() refuses bad modes, ids and lengths before anything is sent", () => {
  assertThrows(
    () => encodeLinkInfo({ kind: "vlan", id: 4095 }),
    NetlinkInputError,
    "invalid VLAN id: need an integer 0..4094",
  );
  assertThrows(() => encodeLinkInfo({ kind: "vlan", id: -1 }), NetlinkInputError);
  assertThrows(
    () => encodeLinkInfo({ kind: "macvlan", mode: "nope" as never }),
    NetlinkInputError,
    "unknown macvlan mode",
  );
  assertThrows(
    () => encodeLinkInfo({ kind: "ipvlan", mode: "l4" as never }),
    NetlinkInputError,
    "unknown ipvlan mode",
  );
  assertThrows(
    () => encodeLinkInfo({ kind: "macvlan", mode: "bridge", bcQueueLen: 2 ** 32 }),
    NetlinkInputError,
  );
  const { sock, sent } = recordingSocket();
  assertThrows(() => linkAddVlan(sock, { name: "vl0", parent: P0, id: 5000 }), NetlinkInputError);
  assertThrows(() => linkAddDummy(sock, { name: "bad/name" }), NetlinkInputError);
  assertEquals(sent.length, 0);
});

Deno.test("parseLinkKindData() reads back what encodeLinkInfo() wrote, for every mode", () => {
  const roundTrip = (spec: Parameters<typeof encodeLinkInfo>[0]) => {
    const [attrs] = decodeAttrs(encodeAttrs([encodeLinkInfo(spec)]), 0);
    const info = decodeNested(findAttr(attrs, IFLA_LINKINFO)!);
    const data = findAttr(info, IFLA_INFO_DATA);
    return parseLinkKindData(spec.kind, data ? decodeNested(data) : []);
  };
  for (const mode of Object.keys(MACVLAN_MODES) as (keyof typeof MACVLAN_MODES)[]) {
    assertEquals(roundTrip({ kind: "macvlan", mode }), { macvlan: { mode } });
  }
  assertEquals(roundTrip({ kind: "macvlan", mode: "bridge", bcQueueLen: 7 }), {
    macvlan: { mode: "bridge", bcQueueLen: 7 },
  });
  for (const mode of Object.keys(IPVLAN_MODES) as (keyof typeof IPVLAN_MODES)[]) {
    assertEquals(roundTrip({ kind: "ipvlan", mode }), { ipvlan: { mode, flags: 0 } });
  }
  assertEquals(roundTrip({ kind: "vlan", id: 42 }), { vlan: { id: 42 } });
  assertEquals(roundTrip({ kind: "dummy" }), {});
  assertEquals(
    parseLinkKindData("macvlan", [{ type: 1, nested: false, value: new Uint8Array([3, 0, 0, 0]) }]),
    {
      macvlan: { mode: "unknown(3)" },
    },
  );
});

Deno.test("parseLinkMessage() fills macvlan, ipvlan and vlan from a reply's IFLA_INFO_DATA", () => {
  const reply = (kindAttrs: Parameters<typeof encodeLinkInfo>[0]) =>
    parseLinkMessage(
      encodeMessage({
        type: RTM_NEWLINK,
        flags: 0,
        seq: 0,
        body: encodeIfinfomsg({ index: 7 }),
        attrs: [encodeLinkInfo(kindAttrs)],
      }).subarray(16),
    );
  const mv = reply({ kind: "macvlan", mode: "private" });
  assertEquals([mv.kind, mv.macvlan], ["macvlan", { mode: "private" }]);
  const ipv = reply({ kind: "ipvlan", mode: "l3s" });
  assertEquals([ipv.kind, ipv.ipvlan], ["ipvlan", { mode: "l3s", flags: 0 }]);
  const vl = reply({ kind: "vlan", id: 100 });
  assertEquals([vl.kind, vl.vlan], ["vlan", { id: 100 }]);
  const dm = reply({ kind: "dummy" });
  assertEquals([dm.kind, dm.macvlan, dm.ipvlan, dm.vlan], [
    "dummy",
    undefined,
    undefined,
    undefined,
  ]);
});
