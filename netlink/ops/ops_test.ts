// Request encoding of the ops, checked against hand-computed golden bytes through a recording
// fake socket (no kernel, no root). The privileged end-to-end tests are in tests/.
import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { addrAdd, addrDel } from "./addr.ts";
import { bridgeVlanAdd } from "./bridge_vlan.ts";
import {
  linkDel,
  linkGet,
  linkList,
  linkSetAllmulti,
  linkSetBrportFlags,
  linkSetTxQLen,
  linkSetUp,
} from "./link.ts";
import { linkAddBridge, linkAddVeth } from "./link_add.ts";
import { routeAdd, routeDel, routeList, routePrepend, routeReplace } from "./route.ts";
import { decodeMessages, encodeMessage } from "../message.ts";
import type { NlMessage } from "../message.ts";
import {
  NLM_F_CREATE,
  NLM_F_ECHO,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  RTM_DELROUTE,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  RTM_SETLINK,
} from "../constants.ts";
import { LinkNotFoundError, NetlinkInputError } from "../errors.ts";
import type { NetlinkSocket, RequestContext, RequestInit } from "../socket.ts";
import { captured, hex } from "../../tests/fixtures/netlink/fixtures.ts";

interface Sent {
  kind: "request" | "dump";
  bytes: string;
  ctx: RequestContext;
}

/** A fake socket that records requests (encoded with seq 0) and answers from fixtures. */
function fakeSocket(
  answer: (init: RequestInit, kind: "request" | "dump") => NlMessage[] = () => [],
): { sock: NetlinkSocket; sent: Sent[] } {
  const sent: Sent[] = [];
  const record = (kind: "request" | "dump") => (init: RequestInit, ctx: RequestContext) => {
    sent.push({
      kind,
      bytes: hex(
        encodeMessage({
          type: init.type,
          flags: init.flags ?? 0,
          seq: 0,
          ...(init.body ? { body: init.body } : {}),
          ...(init.attrs ? { attrs: init.attrs } : {}),
        }).subarray(16),
      ),
      ctx,
    });
    return answer(init, kind);
  };
  const sock = { request: record("request"), dump: record("dump") };
  return { sock: sock as unknown as NetlinkSocket, sent };
}

const getlinkReply = decodeMessages(captured("getlinkVeth").replies[0]!).slice(0, 1);
/** Answers RTM_GETLINK with the captured fxv0 link. */
function withLink(init: RequestInit): NlMessage[] {
  return init.type === RTM_GETLINK ? getlinkReply : [];
}
const FXV0_INDEX = linkGet(fakeSocket(withLink).sock, { name: "fxv0" }).index;
const IDX = FXV0_INDEX.toString(16).padStart(2, "0") + "000000";

Deno.test("linkAddVeth() nests VETH_INFO_PEER with its own ifinfomsg", () => {
  const { sock, sent } = fakeSocket();
  linkAddVeth(sock, { name: "v0", peerName: "v1", mtu: 1400 });
  assertEquals(sent.length, 1);
  assertEquals(
    sent[0]!.bytes,
    "00".repeat(16) + // ifinfomsg
      "07000300" + "76300000" + // IFLA_IFNAME "v0"
      "08000400" + "78050000" + // IFLA_MTU 1400
      "38001200" + // IFLA_LINKINFO (56)
      "09000100" + "7665746800000000" + // IFLA_INFO_KIND "veth"
      "28000200" + // IFLA_INFO_DATA (40)
      "24000100" + "00".repeat(16) + // VETH_INFO_PEER (36): ifinfomsg
      "07000300" + "76310000" + // IFLA_IFNAME "v1"
      "08000400" + "78050000", // IFLA_MTU 1400
  );
  assertEquals(sent[0]!.ctx, { op: "link add", target: "v0" });
});

Deno.test("linkAddVeth() puts IFLA_NET_NS_FD and the peer MAC inside the peer", () => {
  const { sock, sent } = fakeSocket();
  linkAddVeth(sock, { name: "v0", peerName: "v1", peerNetnsFd: 9, peerMac: "02:00:00:00:00:09" });
  assertEquals(
    sent[0]!.bytes.endsWith(
      "07000300" + "76310000" + "0a000100" + "020000000009" + "0000" + "08001c00" + "09000000",
    ),
    true,
  );
});

Deno.test("linkAddVeth() sends RTM_NEWLINK with NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO", () => {
  let flags = -1;
  let type = -1;
  const { sock } = fakeSocket((init) => {
    flags = init.flags ?? 0;
    type = init.type;
    return [];
  });
  linkAddVeth(sock, { name: "v0", peerName: "v1" });
  assertEquals(type, RTM_NEWLINK);
  assertEquals(flags, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO);
});

Deno.test("linkAddBridge() encodes vlan_filtering and vlan_default_pvid in IFLA_INFO_DATA", () => {
  const { sock, sent } = fakeSocket();
  linkAddBridge(sock, { name: "br0", vlanFiltering: true, defaultPvid: 1 });
  assertEquals(
    sent[0]!.bytes,
    "00".repeat(16) + "08000300" + "62723000" +
      "24001200" + // IFLA_LINKINFO (36)
      "0b000100" + "6272696467650000" + // IFLA_INFO_KIND "bridge"
      "14000200" + // IFLA_INFO_DATA (20)
      "05000700" + "01000000" + // IFLA_BR_VLAN_FILTERING 1
      "06002700" + "01000000", // IFLA_BR_VLAN_DEFAULT_PVID 1
  );
});

Deno.test("linkSetUp() by name sets IFF_UP in flags and change with IFLA_IFNAME", () => {
  const types: number[] = [];
  const { sock, sent } = fakeSocket((init) => (types.push(init.type), []));
  linkSetUp(sock, { name: "eth0" });
  assertEquals(types, [RTM_SETLINK]);
  assertEquals(
    sent[0]!.bytes,
    "00000000" + "00000000" + "01000000" + "01000000" + "090003006574683000000000",
  );
});

Deno.test("linkSetAllmulti() toggles IFF_ALLMULTI in flags, change always IFF_ALLMULTI", () => {
  const { sock, sent } = fakeSocket();
  linkSetAllmulti(sock, { index: 7 }, true);
  linkSetAllmulti(sock, { index: 7 }, false);
  // ifinfomsg: family 0, pad, type 0, index 7, flags, change; no attributes
  assertEquals(sent.map((s) => s.bytes), [
    "00000000" + "07000000" + "00020000" + "00020000",
    "00000000" + "07000000" + "00000000" + "00020000",
  ]);
});

Deno.test("linkSetTxQLen() sends IFLA_TXQLEN as u32 and refuses values outside 0..2^32-1", () => {
  const { sock, sent } = fakeSocket();
  linkSetTxQLen(sock, { name: "eth0" }, 5000);
  assertEquals(
    sent[0]!.bytes,
    "00000000" + "00000000" + "00000000" + "00000000" +
      "090003006574683000000000" + // IFLA_IFNAME "eth0"
      "08000d0088130000", // IFLA_TXQLEN 5000
  );
  for (const bad of [-1, 1.5, 2 ** 32]) {
    assertThrows(() => linkSetTxQLen(sock, { name: "eth0" }, bad), NetlinkInputError);
  }
  assertEquals(sent.length, 1);
});

Deno.test("linkSetBrportFlags() sends AF_BRIDGE + nested IFLA_PROTINFO to the resolved index", () => {
  const { sock, sent } = fakeSocket(withLink);
  linkSetBrportFlags(sock, { name: "fxv0" }, { hairpin: true, isolated: false, learning: true });
  assertEquals(sent.length, 2); // resolve by name, then set
  assertEquals(
    sent[1]!.bytes,
    "07000000" + IDX + "00000000" + "00000000" +
      "1c000c80" + // IFLA_PROTINFO | NLA_F_NESTED (28)
      "0500040001000000" + // IFLA_BRPORT_MODE (hairpin) 1
      "0500080001000000" + // IFLA_BRPORT_LEARNING 1
      "0500210000000000", // IFLA_BRPORT_ISOLATED 0
  );
});

Deno.test("bridgeVlanAdd() encodes a range as RANGE_BEGIN/RANGE_END entries in IFLA_AF_SPEC", () => {
  const { sock, sent } = fakeSocket(withLink);
  bridgeVlanAdd(sock, { index: FXV0_INDEX }, { vid: 10, vidEnd: 20, untagged: true });
  assertEquals(sent.length, 1);
  assertEquals(
    sent[0]!.bytes,
    "07000000" + IDX + "00000000" + "00000000" +
      "14001a00" + // IFLA_AF_SPEC (20)
      "08000200" + "0c000a00" + // RANGE_BEGIN|UNTAGGED vid 10
      "08000200" + "14001400", // RANGE_END|UNTAGGED vid 20
  );
  assertThrows(
    () => bridgeVlanAdd(sock, { index: 1 }, { vid: 10, vidEnd: 20, pvid: true }),
    NetlinkInputError,
    "cannot be the PVID",
  );
  assertThrows(
    () => bridgeVlanAdd(sock, { index: 1 }, { vid: 4095 }),
    NetlinkInputError,
    "VLAN id",
  );
});

Deno.test("addrAdd() sends IFA_LOCAL, IFA_ADDRESS and the derived broadcast", () => {
  const types: number[] = [];
  const { sock, sent } = fakeSocket((init) => (types.push(init.type), withLink(init)));
  addrAdd(sock, { name: "fxv0" }, { address: "10.1.2.3/24", broadcast: true });
  assertEquals(types, [RTM_GETLINK, RTM_NEWADDR]);
  assertEquals(
    sent[1]!.bytes,
    "02180000" + IDX + "080002000a010203" + "080001000a010203" + "080004000a0102ff",
  );
  assertEquals(sent[1]!.ctx, { op: "addr add", target: "10.1.2.3/24 dev fxv0" });
});

Deno.test("addrAdd() sets IFA_F_NODAD for IPv6 and refuses an IPv6 broadcast", () => {
  const { sock, sent } = fakeSocket();
  addrAdd(sock, { index: 3 }, { address: "fd00::2/64", noDad: true });
  assertEquals(sent[0]!.bytes.slice(0, 16), "0a400200" + "03000000");
  assertThrows(
    () => addrAdd(sock, { index: 3 }, { address: "fd00::2/64", broadcast: true }),
    NetlinkInputError,
    "IPv4 only",
  );
  assertThrows(() => addrDel(sock, { index: 3 }, { address: "10.0.0.1/40" }), NetlinkInputError);
});

Deno.test("routeAdd() default via gateway: no RTA_DST, RTPROT_BOOT, universe scope", () => {
  const types: number[] = [];
  const { sock, sent } = fakeSocket((init) => (types.push(init.type), []));
  routeAdd(sock, { dst: "0.0.0.0/0", gw: "10.0.0.1", metric: 100 });
  assertEquals(types, [RTM_NEWROUTE]);
  assertEquals(
    sent[0]!.bytes,
    "02000000" + "fe030001" + "00000000" + "080005000a000001" + "0800060064000000",
  );
  assertEquals(sent[0]!.ctx.target, "0.0.0.0/0 via 10.0.0.1");
});

Deno.test("routeAdd() device route gets link scope; big tables go in RTA_TABLE", () => {
  const { sock, sent } = fakeSocket();
  routeAdd(sock, { dst: "10.5.0.0/16", link: { index: 4 }, table: 1000, mtu: 1300 });
  assertEquals(
    sent[0]!.bytes,
    "02100000" + "0003fd01" + "00000000" + "080001000a050000" + "0800040004000000" +
      "08000f00e8030000" + "0c000800" + "0800020014050000",
  );
  assertThrows(
    () => routeAdd(sock, { dst: "10.0.0.0/8", gw: "fd00::1" }),
    NetlinkInputError,
    "family",
  );
});

Deno.test("routePrepend() is create-only, routeAdd() exclusive, routeReplace() replacing", () => {
  const flags: number[] = [];
  const { sock, sent } = fakeSocket((init) => (flags.push(init.flags ?? 0), []));
  const route = { dst: "0.0.0.0/0", gw: "10.0.0.1", link: { index: 4 } };
  routePrepend(sock, route);
  routeAdd(sock, route);
  routeReplace(sock, route);
  // The reference's RouteAddEcmp sends NLM_F_CREATE alone (0x400); `ip route add` adds EXCL.
  assertEquals(flags, [NLM_F_CREATE, NLM_F_CREATE | NLM_F_EXCL, NLM_F_CREATE | NLM_F_REPLACE]);
  assertEquals(flags[0], 0x400);
  // The same message body whichever the flags.
  assertEquals(sent[0]!.bytes, sent[1]!.bytes);
  assertEquals(sent[0]!.bytes, sent[2]!.bytes);
  assertEquals(sent[0]!.ctx, { op: "route prepend", target: "0.0.0.0/0 via 10.0.0.1 dev index 4" });
});

Deno.test("routeDel() matches loosely: scope nowhere, protocol and type unspec", () => {
  const types: number[] = [];
  const { sock, sent } = fakeSocket((init) => (types.push(init.type), []));
  routeDel(sock, { dst: "::/0" });
  assertEquals(types, [RTM_DELROUTE]);
  assertEquals(sent[0]!.bytes, "0a000000" + "fe00ff00" + "00000000");
});

Deno.test("linkList() and routeList() parse what the dump returns", () => {
  const links = captured("dumpLinks").replies.flatMap((d) => decodeMessages(d));
  const routes = captured("dumpRoutes4").replies.flatMap((d) => decodeMessages(d));
  const { sock, sent } = fakeSocket((init, kind) =>
    kind !== "dump" ? [] : init.type === RTM_GETLINK ? links : routes
  );
  assertEquals(linkList(sock).map((l) => l.name).sort(), ["fxbr0", "fxv0", "fxv1", "lo"]);
  const main = routeList(sock, { family: 4 });
  assertEquals(main.map((r) => r.dst).sort(), ["0.0.0.0/0", "10.77.0.0/24"]);
  assertEquals(sent.map((s) => s.kind), ["dump", "dump"]);
  // The route dump asks the kernel to filter on the main table.
  assertEquals(sent[1]!.bytes, "02000000" + "00000000" + "00000000" + "08000f00fe000000");
});

Deno.test("bad names and missing links fail before or at the first request", () => {
  const { sock, sent } = fakeSocket();
  const e = assertThrows(
    () => linkAddVeth(sock, { name: "x".repeat(16), peerName: "p" }),
    NetlinkInputError,
  );
  assertEquals(e.code, "EINVAL");
  assertThrows(() => linkDel(sock, { index: 0 }), NetlinkInputError, "invalid link index");
  assertThrows(() => linkSetUp(sock, { name: "a/b" }), NetlinkInputError);
  assertEquals(sent.length, 0);
  const nf = assertThrows(
    () => addrAdd(sock, { name: "gone0" }, { address: "10.0.0.1/8" }),
    LinkNotFoundError,
  );
  assertEquals(nf.message, 'addr add "gone0": no such device (ENODEV)');
});
