import { assertEquals } from "../../tests/helpers/assert.ts";
import {
  cidrContains,
  formatCidr,
  formatIp,
  isGlobalUnicast,
  networkOf,
  nextIp,
  parseCidr,
  parseIp,
} from "./ipaddr.ts";

Deno.test("parseIp() and formatIp() round-trip in Go's canonical form", () => {
  for (
    const [input, want] of [
      ["10.0.0.1", "10.0.0.1"],
      ["fd00:0:0:0::1", "fd00::1"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["::", "::"],
      ["::ffff:10.1.2.3", "10.1.2.3"],
      ["fe80::1:2", "fe80::1:2"],
      ["1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"],
    ]
  ) assertEquals(formatIp(parseIp(input!)!), want);
  for (const bad of ["10.0.0.256", "10.0.0", "010.0.0.1", "fd00:::1", "1:2:3:4:5:6:7:8:9", "x"]) {
    assertEquals(parseIp(bad), null);
  }
});

Deno.test("parseCidr() keeps host bits; networkOf() clears them", () => {
  const c = parseCidr("10.22.0.5/16")!;
  assertEquals(formatCidr(c), "10.22.0.5/16");
  assertEquals(formatCidr(networkOf(c)), "10.22.0.0/16");
  assertEquals(formatCidr(networkOf(parseCidr("fd00::abcd:5/112")!)), "fd00::abcd:0/112");
  assertEquals(parseCidr("10.0.0.0/33"), null);
  assertEquals(parseCidr("10.0.0.0"), null);
});

Deno.test("nextIp() carries and wraps", () => {
  assertEquals(formatIp(nextIp(parseIp("10.0.0.255")!)), "10.0.1.0");
  assertEquals(formatIp(nextIp(parseIp("255.255.255.255")!)), "0.0.0.0");
  assertEquals(formatIp(nextIp(parseIp("fd00::ffff")!)), "fd00::1:0");
});

Deno.test("cidrContains() matches families and prefixes", () => {
  assertEquals(cidrContains(parseCidr("10.0.0.0/8")!, parseIp("10.200.0.1")!), true);
  assertEquals(cidrContains(parseCidr("10.0.0.0/8")!, parseIp("11.0.0.1")!), false);
  assertEquals(cidrContains(parseCidr("fd00::/64")!, parseIp("10.0.0.1")!), false);
  assertEquals(cidrContains(parseCidr("fd00::1/64")!, parseIp("fd00::99")!), true);
});

Deno.test("isGlobalUnicast() as Go's net.IP.IsGlobalUnicast", () => {
  const want: Record<string, boolean> = {
    "10.0.0.1": true,
    "127.0.0.1": false,
    "169.254.1.1": false,
    "224.0.0.1": false,
    "255.255.255.255": false,
    "0.0.0.0": false,
    "fd00::1": true,
    "fe80::1": false,
    "ff02::1": false,
    "::1": false,
  };
  for (const [ip, g] of Object.entries(want)) {
    assertEquals([ip, isGlobalUnicast(parseIp(ip)!)], [ip, g]);
  }
});
