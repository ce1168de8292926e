import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import {
  broadcastOf,
  decodeIfaddrmsg,
  encodeIfaddrmsg,
  formatIp,
  parseAddrMessage,
  parseIp,
  parsePrefix,
  scopeNumber,
} from "./addr.ts";
import { decodeMessages } from "./message.ts";
import { IFA_F_NODAD, IFA_F_PERMANENT, RTM_NEWADDR } from "./constants.ts";
import { NetlinkDecodeError, NetlinkInputError } from "./errors.ts";
import { captured, hex } from "../tests/fixtures/netlink/fixtures.ts";

Deno.test("parseIp() and formatIp() round trip IPv4 and canonical IPv6", () => {
  const cases: [string, string, string][] = [
    ["10.1.2.3", "0a010203", "10.1.2.3"],
    ["0.0.0.0", "00000000", "0.0.0.0"],
    ["::", "00".repeat(16), "::"],
    ["::1", "00".repeat(15) + "01", "::1"],
    ["fd00::2", "fd00" + "00".repeat(13) + "02", "fd00::2"],
    ["2001:DB8:0:0:1:0:0:1", "20010db8000000000001000000000001", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1"],
    ["fe80::1:2", "fe80" + "00".repeat(10) + "00010002", "fe80::1:2"],
    ["::ffff:10.0.0.1", "00".repeat(10) + "ffff0a000001", "::ffff:10.0.0.1"],
  ];
  for (const [text, bytes, canonical] of cases) {
    const ip = parseIp(text);
    assertEquals(hex(ip.bytes), bytes, text);
    assertEquals(formatIp(ip.bytes), canonical, text);
  }
  for (
    const bad of ["10.1.2", "10.1.2.256", "01.2.3.4", "1:2:3:4:5:6:7:8:9", "1::2::3", "g::1", ""]
  ) {
    assertThrows(() => parseIp(bad, "addr add"), NetlinkInputError, "invalid IP address");
  }
  assertThrows(() => formatIp(new Uint8Array(5)), NetlinkDecodeError);
});

Deno.test("parsePrefix() reads prefixes and rejects bad lengths", () => {
  assertEquals(parsePrefix("10.1.2.3/24").prefixLen, 24);
  assertEquals(parsePrefix("::/0").prefixLen, 0);
  assertEquals(parsePrefix("10.1.2.3").prefixLen, 32);
  assertEquals(parsePrefix("fd00::1").prefixLen, 128);
  const e = assertThrows(() => parsePrefix("10.0.0.0/33", "route add"), NetlinkInputError);
  assertEquals(e.message, 'route add "10.0.0.0/33": invalid prefix length: need 0..32 (EINVAL)');
  assertThrows(() => parsePrefix("fd00::/129"), NetlinkInputError, "0..128");
  assertThrows(() => parsePrefix("10.0.0.0/x"), NetlinkInputError);
});

Deno.test("broadcastOf() sets the host bits", () => {
  assertEquals(formatIp(broadcastOf(parseIp("10.1.2.3").bytes, 24)), "10.1.2.255");
  assertEquals(formatIp(broadcastOf(parseIp("10.1.2.3").bytes, 20)), "10.1.15.255");
});

Deno.test("parseIp() keeps the written family of IPv4-mapped text, as ip(8) sends it", () => {
  // Go's net would call this IPv4; the kernel and `ip addr add` take it as AF_INET6, and a route
  // to ::ffff:0:0/96 must stay an IPv6 route.
  assertEquals(parseIp("::ffff:10.0.0.1").family, 6);
  const p = parsePrefix("::ffff:0:0/96");
  assertEquals([p.family, p.prefixLen, formatIp(p.bytes)], [6, 96, "::ffff:0.0.0.0"]);
});

Deno.test("parsePrefix() reads the length as Go's ParseCIDR does (leading zeros, no sign)", () => {
  assertEquals(parsePrefix("10.0.0.0/0024").prefixLen, 24);
  assertThrows(() => parsePrefix("10.0.0.0/+24"), NetlinkInputError, "0..32");
  assertThrows(() => parsePrefix("10.0.0.0/24 "), NetlinkInputError, "0..32");
  assertThrows(() => parsePrefix("10.0.0.0/"), NetlinkInputError, "0..32");
});

Deno.test("scopeNumber() maps ip(8) scope names", () => {
  assertEquals(scopeNumber("global", "x"), 0);
  assertEquals(scopeNumber("link", "x"), 253);
  assertEquals(scopeNumber("host", "x"), 254);
  assertEquals(scopeNumber(200, "x"), 200);
  assertThrows(() => scopeNumber(256, "addr add"), NetlinkInputError, "invalid scope");
});

Deno.test("encodeIfaddrmsg() golden bytes and decodeIfaddrmsg() round trip", () => {
  const b = encodeIfaddrmsg({ family: 10, prefixLen: 64, flags: IFA_F_NODAD, scope: 0, index: 3 });
  assertEquals(hex(b), "0a400200" + "03000000");
  assertEquals(decodeIfaddrmsg(b, 0), [
    { family: 10, prefixLen: 64, flags: 2, scope: 0, index: 3 },
    8,
  ]);
  assertThrows(() => decodeIfaddrmsg(b, 1), NetlinkDecodeError, "offset 1");
});

Deno.test("parseAddrMessage() reads a captured address dump", () => {
  const addrs = captured("dumpAddrs").replies.flatMap((d) => decodeMessages(d))
    .filter((m) => m.header.type === RTM_NEWADDR)
    .map((m) => parseAddrMessage(m.payload)!);
  const v4 = addrs.find((a) => a.address === "10.77.0.2/24");
  assertEquals(v4 && { ...v4, index: 0 }, {
    index: 0,
    family: 4,
    address: "10.77.0.2/24",
    ip: "10.77.0.2",
    prefixLen: 24,
    scope: 0,
    flags: IFA_F_PERMANENT,
    label: "fxv1",
  });
  const v6 = addrs.find((a) => a.address === "fd77::2/64")!;
  assertEquals(v6.family, 6);
  assertEquals(v6.flags, IFA_F_PERMANENT | IFA_F_NODAD);
  assertEquals(v6.index, v4!.index);
  assertEquals(addrs.some((a) => a.ip.startsWith("fe80::") && a.scope === 253), true);
});
