import { assertEquals } from "../tests/helpers/assert.ts";
import { formatIPv6, isIPv4Mapped, parseIPv4Bytes, parseIPv6Bytes } from "./ip_text.ts";

Deno.test("parseIPv4Bytes() follows net.ParseIP: no leading zeros, parts <= 255", () => {
  assertEquals(Array.from(parseIPv4Bytes("10.22.0.1")!), [10, 22, 0, 1]);
  assertEquals(Array.from(parseIPv4Bytes("0.0.0.0")!), [0, 0, 0, 0]);
  for (const bad of ["010.0.0.1", "256.0.0.1", "1.2.3", "1.2.3.4.5", "a.b.c.d", "", "1..2.3"]) {
    assertEquals(parseIPv4Bytes(bad), undefined, bad);
  }
});

Deno.test("parseIPv6Bytes() handles ::, a dotted tail, and refuses zones and bad groups", () => {
  assertEquals(formatIPv6(parseIPv6Bytes("fd00:0:0::2")!), "fd00::2");
  assertEquals(formatIPv6(parseIPv6Bytes("::")!), "::");
  assertEquals(Array.from(parseIPv6Bytes("::ffff:10.0.0.1")!.subarray(10)), [
    255,
    255,
    10,
    0,
    0,
    1,
  ]);
  assertEquals(isIPv4Mapped(parseIPv6Bytes("::ffff:10.0.0.1")!), true);
  assertEquals(isIPv4Mapped(parseIPv6Bytes("fd00::1")!), false);
  for (
    const bad of [
      "fe80::1%eth0",
      "1::2::3",
      "12345::",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7::8",
      "10.0.0.1",
      "::g",
    ]
  ) {
    assertEquals(parseIPv6Bytes(bad), undefined, bad);
  }
});

Deno.test("formatIPv6() compresses the longest zero run, the first on a tie, never a single group", () => {
  assertEquals(formatIPv6(parseIPv6Bytes("1:0:0:2:0:0:0:3")!), "1:0:0:2::3");
  assertEquals(formatIPv6(parseIPv6Bytes("1:0:0:2:0:0:3:4")!), "1::2:0:0:3:4");
  assertEquals(formatIPv6(parseIPv6Bytes("1:0:2:3:4:5:6:7")!), "1:0:2:3:4:5:6:7");
  assertEquals(formatIPv6(parseIPv6Bytes("FD00::ABCD")!), "fd00::abcd");
});
