import { assertEquals } from "../tests/helpers/assert.ts";
import { formatIp, formatIPv4, formatIPv6, parseIpLiteral, parseIPv6Bytes } from "./mod.ts";

Deno.test("formatIPv6() compresses the longest zero run, the first on a tie, never a single group", () => {
  const cases: [string, string][] = [
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["1:0:0:2:0:0:3:4", "1::2:0:0:3:4"],
    ["1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1:0:0:0:0:0:0:0", "1::"],
    ["FD00::ABCD", "fd00::abcd"],
    ["::ffff:10.0.0.1", "::ffff:a00:1"], // no IPv4 special form at this level
    ["64:ff9b::10.1.2.3", "64:ff9b::a01:203"], // nor for NAT64 or IPv4-compatible tails
    ["::1.2.3.4", "::102:304"],
  ];
  for (const [input, want] of cases) {
    assertEquals([input, formatIPv6(parseIPv6Bytes(input)!)], [input, want]);
  }
});

Deno.test("formatIp() prints IPv4-mapped IPv6 as dotted IPv4 (Go), not as ::ffff:a.b.c.d", () => {
  assertEquals(formatIp(parseIpLiteral("::ffff:10.0.0.1")!), "10.0.0.1");
  assertEquals(formatIp(parseIpLiteral("::fffe:10.0.0.1")!), "::fffe:a00:1");
  assertEquals(formatIPv4(new Uint8Array([255, 0, 9, 10])), "255.0.9.10");
});
