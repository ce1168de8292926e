import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import {
  cidrContains,
  formatCidr,
  formatIP,
  lastOf,
  networkOf,
  parseCidr,
  parseIP,
  parseIPMaybeCidr,
} from "./ip.ts";

Deno.test("parseIP() and formatIP() round-trip like Go's net.IP", () => {
  const cases: [string, string][] = [
    ["10.9.0.2", "10.9.0.2"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["fd00::2", "fd00::2"],
    ["FD00:0:0:0:0:0:0:2", "fd00::2"],
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // first of two equal runs
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // a single zero group is not compressed
    ["::ffff:10.1.2.3", "10.1.2.3"], // IPv4-mapped becomes IPv4
    ["64:ff9b::10.1.2.3", "64:ff9b::a01:203"],
    ["::1.2.3.4", "::102:304"],
  ];
  for (const [input, want] of cases) {
    const ip = parseIP(input);
    assertEquals(ip === undefined ? undefined : formatIP(ip), want, input);
  }
});

Deno.test("parseIP() refuses what Go refuses", () => {
  for (
    const bad of [
      "",
      "10.0.0",
      "10.0.0.256",
      "010.0.0.1",
      "1.2.3.4.5",
      ":::",
      "1::2::3",
      "12345::",
      "1:2:3:4:5:6:7:8:9",
      "fe80::1%eth0",
      "10.0.0.1/24",
      " 10.0.0.1",
    ]
  ) {
    assertEquals(parseIP(bad), undefined, bad);
  }
});

Deno.test("parseCidr() keeps host bits; networkOf()/lastOf()/cidrContains() do the math", () => {
  const c = parseCidr("10.1.2.3/24")!;
  assertEquals(formatCidr(c.ip, c.prefix), "10.1.2.3/24");
  assertEquals(formatIP(networkOf(c)), "10.1.2.0");
  assertEquals(formatIP(lastOf(c)), "10.1.2.255");
  assert(cidrContains(c, parseIP("10.1.2.200")!));
  assert(!cidrContains(c, parseIP("10.1.3.0")!));
  assert(!cidrContains(c, parseIP("::1")!));
  const v6 = parseCidr("fd00:1::/64")!;
  assertEquals(formatIP(lastOf(v6)), "fd00:1::ffff:ffff:ffff:ffff");
  assertEquals(parseCidr("10.0.0.0/33"), undefined);
  assertEquals(parseCidr("10.0.0.0"), undefined);
  assertEquals(parseCidr("::ffff:10.0.0.0/120"), undefined);
  assertEquals(formatIP(parseIPMaybeCidr("10.0.0.5/24")!), "10.0.0.5");
});
