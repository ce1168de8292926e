import { assertEquals } from "../tests/helpers/assert.ts";
import { parseIp, parseIpLiteral, parseIPv4Bytes, parseIPv6Bytes } from "./mod.ts";

Deno.test("parseIPv4Bytes() follows net.ParseIP: four parts, no leading zeros, each <= 255", () => {
  assertEquals(parseIPv4Bytes("10.22.0.1"), new Uint8Array([10, 22, 0, 1]));
  assertEquals(parseIPv4Bytes("0.0.0.0"), new Uint8Array(4));
  for (
    const bad of [
      "010.0.0.1",
      "1.2.3.00",
      "256.0.0.1",
      "1.2.3",
      "1.2.3.4.5",
      "a.b.c.d",
      "",
      "1..2.3",
      "+1.2.3.4",
      "1.2.3.4\n",
      "1.2.3.99999999999999999999",
    ]
  ) {
    assertEquals([bad, parseIPv4Bytes(bad)], [bad, undefined]);
  }
});

Deno.test("parseIPv6Bytes() takes Go 1.19's long groups, one ::, a dotted tail only at the end", () => {
  const words = (t: string) => {
    const b = parseIPv6Bytes(t);
    return b && Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  };
  assertEquals(words("fd00::0000000002"), [0xfd00, 0, 0, 0, 0, 0, 0, 2]); // go1.19 xtoi
  assertEquals(words("1:2:3:4:5:6:7::"), [1, 2, 3, 4, 5, 6, 7, 0]);
  assertEquals(words("::"), [0, 0, 0, 0, 0, 0, 0, 0]);
  assertEquals(words("1:2:3:4:5:6:10.0.0.1"), [1, 2, 3, 4, 5, 6, 0x0a00, 1]);
  for (
    const bad of [
      "fe80::1%eth0",
      "1::2::3",
      "fd00::10000",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4::5:6:7:8", // :: must stand for at least one group
      "1:2:3:4:5:6::1.2.3.4",
      "0:0:0:0:0:0:ffff:1.2.3.4", // dotted tail not in the last 32 bits
      "::ffff:1.2.3.4:5",
      "1.2.3.4::",
      ":1::",
      "1:",
      ":::",
      "::g",
      "10.0.0.1",
    ]
  ) {
    assertEquals([bad, parseIPv6Bytes(bad)], [bad, undefined]);
  }
});

Deno.test("parseIpLiteral() keeps the written family; parseIp() gives Go's IPv4 view of mapped text", () => {
  assertEquals(parseIpLiteral("::ffff:10.0.0.1")!.family, 6);
  assertEquals(parseIp("::ffff:10.0.0.1"), { family: 4, bytes: new Uint8Array([10, 0, 0, 1]) });
  assertEquals(parseIp("0:0:0:0:0:ffff:a00:1")!.family, 4);
  assertEquals(parseIp("::10.0.0.1")!.family, 6);
  // The first "." or ":" decides, as in net.ParseIP.
  assertEquals(parseIp("1.2::3"), undefined);
  assertEquals(parseIp("1"), undefined);
  assertEquals(parseIp(""), undefined);
});
