import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import {
  checkLinkName,
  decodeIfinfomsg,
  encodeBridgeVlanInfo,
  encodeIfinfomsg,
  formatMac,
  linkRefText,
  parseBridgeVlans,
  parseLinkMessage,
  parseMac,
} from "./link.ts";
import { nestedAttr } from "./codec.ts";
import { decodeMessages, encodeMessage } from "./message.ts";
import { bytesAttr } from "./codec.ts";
import {
  AF_BRIDGE,
  BRIDGE_VLAN_INFO_PVID,
  BRIDGE_VLAN_INFO_RANGE_BEGIN,
  BRIDGE_VLAN_INFO_RANGE_END,
  BRIDGE_VLAN_INFO_UNTAGGED,
  IFF_UP,
  IFLA_AF_SPEC,
  IFLA_BRIDGE_VLAN_INFO,
  RTM_NEWLINK,
} from "./constants.ts";
import { NetlinkDecodeError, NetlinkInputError } from "./errors.ts";
import { captured, hex } from "../tests/fixtures/netlink/fixtures.ts";

Deno.test("encodeIfinfomsg() golden bytes and decodeIfinfomsg() round trip", () => {
  const b = encodeIfinfomsg({ family: 7, type: 1, index: 5, flags: IFF_UP, change: 0xffffffff });
  assertEquals(hex(b), "07000100" + "05000000" + "01000000" + "ffffffff");
  assertEquals(decodeIfinfomsg(b, 0), [
    { family: 7, type: 1, index: 5, flags: 1, change: 0xffffffff },
    16,
  ]);
  assertThrows(() => decodeIfinfomsg(b, 4), NetlinkDecodeError, "offset 4");
});

Deno.test("parseLinkMessage() reads a captured veth bridge port", () => {
  const [m] = decodeMessages(captured("getlinkVeth").replies[0]!);
  assertEquals(m!.header.type, RTM_NEWLINK);
  const link = parseLinkMessage(m!.payload);
  assertEquals(link.name, "fxv0");
  assertEquals(link.kind, "veth");
  assertEquals(link.mtu, 1400);
  assertEquals(link.mac, "02:00:00:00:00:02");
  assertEquals(link.up, true);
  assertEquals(link.promisc, false);
  assertEquals(link.allmulti, false);
  assertEquals(link.txQLen, 1000);
  assertEquals([link.minMtu, link.maxMtu], [68, 65535]);
  assertEquals(link.brport, { hairpin: true, isolated: false, learning: true });
  assertEquals(typeof link.masterIndex, "number");
  assertEquals(typeof link.parentIndex, "number");
  assertEquals(link.operState, "UP");
});

Deno.test("parseLinkMessage() reads every link of a captured dump", () => {
  const msgs = captured("dumpLinks").replies.flatMap((d) => decodeMessages(d))
    .filter((m) => m.header.type === RTM_NEWLINK);
  const links = msgs.map((m) => parseLinkMessage(m.payload));
  const byName = new Map(links.map((l) => [l.name, l]));
  assertEquals([...byName.keys()].sort(), ["fxbr0", "fxv0", "fxv1", "lo"]);
  const br = byName.get("fxbr0")!;
  assertEquals(br.kind, "bridge");
  assertEquals(br.bridge?.vlanFiltering, false);
  assertEquals(br.mac, "02:00:00:00:00:01");
  assertEquals(byName.get("fxv0")!.masterIndex, br.index);
  assertEquals(byName.get("fxv0")!.parentIndex, byName.get("fxv1")!.index);
  assertEquals(byName.get("fxv1")!.parentIndex, byName.get("fxv0")!.index);
  assertEquals(byName.get("fxv1")!.mac, "02:00:00:00:00:03");
  assertEquals(byName.get("lo")!.kind, undefined);
  assertEquals(byName.get("lo")!.index, 1);
});

Deno.test("parseMac() and formatMac() round trip; bad MACs are NetlinkInputError", () => {
  assertEquals(hex(parseMac("02:42:AC:11:00:02")), "0242ac110002");
  assertEquals(formatMac(parseMac("02:42:ac:11:00:02")), "02:42:ac:11:00:02");
  const e = assertThrows(() => parseMac("02:42:ac:11:00", "link set address"), NetlinkInputError);
  assertEquals(e.code, "EINVAL");
  assertEquals(e.message.startsWith('link set address "02:42:ac:11:00": invalid MAC'), true);
});

Deno.test("checkLinkName() enforces the kernel's name rules", () => {
  assertEquals(checkLinkName("a".repeat(15), "link add"), "a".repeat(15));
  const long = assertThrows(() => checkLinkName("a".repeat(16), "link add"), NetlinkInputError);
  assertEquals(
    long.message,
    `link add "${"a".repeat(16)}": invalid interface name: 16 bytes, at most 15 allowed (EINVAL)`,
  );
  // 8 characters, 16 bytes in UTF-8.
  assertThrows(() => checkLinkName("éééééééé", "link add"), NetlinkInputError, "16 bytes");
  for (const bad of ["", "a/b", "a b", "a:b", ".", "..", "tab\t"]) {
    assertThrows(() => checkLinkName(bad, "link add"), NetlinkInputError, "invalid interface name");
  }
  assertEquals(linkRefText({ index: 3 }), "index 3");
  assertEquals(linkRefText({ name: "eth0" }), "eth0");
});

Deno.test("parseBridgeVlans() expands ranges and reads PVID/untagged", () => {
  const payload = encodeMessage({
    type: RTM_NEWLINK,
    flags: 0,
    seq: 0,
    body: encodeIfinfomsg({ family: AF_BRIDGE, index: 4 }),
    attrs: [nestedAttr(IFLA_AF_SPEC, [
      bytesAttr(
        IFLA_BRIDGE_VLAN_INFO,
        encodeBridgeVlanInfo(BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, 1),
      ),
      bytesAttr(IFLA_BRIDGE_VLAN_INFO, encodeBridgeVlanInfo(BRIDGE_VLAN_INFO_RANGE_BEGIN, 20)),
      bytesAttr(IFLA_BRIDGE_VLAN_INFO, encodeBridgeVlanInfo(BRIDGE_VLAN_INFO_RANGE_END, 22)),
    ])],
  }).subarray(16);
  assertEquals(hex(encodeBridgeVlanInfo(BRIDGE_VLAN_INFO_PVID, 10)), "02000a00");
  assertEquals(parseBridgeVlans(payload), {
    index: 4,
    vlans: [
      { vid: 1, pvid: true, untagged: true },
      { vid: 20, pvid: false, untagged: false },
      { vid: 21, pvid: false, untagged: false },
      { vid: 22, pvid: false, untagged: false },
    ],
  });
});
