// VRF links and link aliases: the request `ip link add x type vrf table 10` sends (captured with
// strace; this kernel refuses it, and the refusal is captured too), the table and alias read back
// from a link message, and the alias request. No kernel, no root.
import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { recordingSocket } from "../tests/helpers/fake_netlink.ts";
import { ruleCapture } from "../tests/fixtures/netlink/rule_fixtures.ts";
import { hex } from "../tests/fixtures/netlink/fixtures.ts";
import { bytesAttr, cstringAttr, encodeAttrs, nestedAttr, u32Attr } from "./codec.ts";
import { decodeMessages, decodeNlmsgerr } from "./message.ts";
import {
  IFLA_IFALIAS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  IFLA_VRF_TABLE,
  NLMSG_ERROR,
} from "./constants.ts";
import { encodeIfinfomsg, parseLinkMessage } from "./link.ts";
import { parseVrfTable, vrfLinkAttrs } from "./vrf.ts";
import { linkAddVrf } from "./ops/vrf.ts";
import { linkSetAlias } from "./ops/link.ts";
import { NetlinkInputError } from "./errors.ts";

function normalised(bytes: Uint8Array): string {
  const copy = new Uint8Array(bytes);
  copy.fill(0, 8, 16);
  return hex(copy);
}

Deno.test("linkAddVrf() sends what `ip link add x type vrf table 10` sends", () => {
  const { sock, sent } = recordingSocket();
  linkAddVrf(sock, { name: "x", table: 10 });
  assertEquals(sent.map((s) => normalised(s.bytes)), [normalised(ruleCapture("vrfAdd"))]);
});

Deno.test("linkAddVrf() checks the name and the table before sending", () => {
  const { sock, sent } = recordingSocket();
  assertThrows(() => linkAddVrf(sock, { name: "a/b", table: 10 }), NetlinkInputError);
  assertThrows(() => linkAddVrf(sock, { name: "v", table: 0 }), NetlinkInputError, "table 0");
  assertThrows(() => vrfLinkAttrs("v", 2 ** 32), NetlinkInputError, "1..2^32-1");
  assertEquals(sent.length, 0);
});

Deno.test("the kernel's refusal of a vrf link (no vrf module) is EOPNOTSUPP with its text", () => {
  const [msg] = decodeMessages(ruleCapture("vrfAddReply"));
  assertEquals(msg!.header.type, NLMSG_ERROR);
  const [err] = decodeNlmsgerr(msg!.payload, 0, msg!.header.flags);
  assertEquals(err.error, -95);
  assertEquals(err.extack?.msg, "Unknown device type");
});

function linkPayload(attrs: Parameters<typeof encodeAttrs>[0]): Uint8Array {
  const ifi = encodeIfinfomsg({ index: 7 });
  const a = encodeAttrs(attrs);
  const out = new Uint8Array(ifi.byteLength + a.byteLength);
  out.set(ifi);
  out.set(a, ifi.byteLength);
  return out;
}

Deno.test("parseLinkMessage() reads a VRF's table and a link's alias", () => {
  const link = parseLinkMessage(linkPayload([
    cstringAttr(IFLA_IFNAME, "blue"),
    cstringAttr(IFLA_IFALIAS, "was-eth1"),
    nestedAttr(IFLA_LINKINFO, [
      cstringAttr(IFLA_INFO_KIND, "vrf"),
      nestedAttr(IFLA_INFO_DATA, [u32Attr(IFLA_VRF_TABLE, 1001)]),
    ]),
  ]));
  assertEquals([link.kind, link.vrfTable, link.alias], ["vrf", 1001, "was-eth1"]);
  // An empty alias (the kernel sends a lone NUL once an alias was cleared) reads as none.
  const cleared = parseLinkMessage(linkPayload([
    cstringAttr(IFLA_IFNAME, "eth0"),
    bytesAttr(IFLA_IFALIAS, new Uint8Array(1)),
  ]));
  assertEquals(cleared.alias, undefined);
  assertEquals(parseVrfTable(encodeAttrs([])), undefined);
});

Deno.test("linkSetAlias() sends IFLA_IFALIAS without a terminator; empty clears it", () => {
  const { sock, sent } = recordingSocket();
  linkSetAlias(sock, { index: 3 }, "eth1");
  linkSetAlias(sock, { index: 3 }, "");
  // ifinfomsg for index 3, then IFLA_IFALIAS (len 8, type 20) "eth1"; then an empty one.
  assertEquals(
    hex(sent[0]!.bytes.subarray(16)),
    hex(encodeIfinfomsg({ index: 3 })) + "080014006574683" + "1",
  );
  assertEquals(hex(sent[1]!.bytes.subarray(32)), "04001400");
  assertThrows(() => linkSetAlias(sock, { index: 3 }, "a".repeat(256)), NetlinkInputError);
});
