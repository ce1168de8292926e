import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import {
  bitsOf,
  compareIp,
  ipEquals,
  ipFromBytes,
  isIPv4Mapped,
  parseIp,
  parseIpLiteral,
  to16,
  unmap,
} from "./mod.ts";

Deno.test("ipFromBytes() takes the family from the length and copies", () => {
  const raw = new Uint8Array([10, 0, 0, 1]);
  const ip = ipFromBytes(raw);
  raw[0] = 99;
  assertEquals(ip, { family: 4, bytes: new Uint8Array([10, 0, 0, 1]) });
  assertEquals(ipFromBytes(new Uint8Array(16)).family, 6);
  assertThrows(() => ipFromBytes(new Uint8Array(5)), RangeError, "5 bytes");
});

Deno.test("unmap() and to16() convert between IPv4 and IPv4-mapped IPv6 as Go's To4 and To16", () => {
  const mapped = parseIpLiteral("::ffff:10.0.0.1")!;
  assertEquals(mapped.family, 6);
  assertEquals(isIPv4Mapped(mapped.bytes), true);
  assertEquals(unmap(mapped), { family: 4, bytes: new Uint8Array([10, 0, 0, 1]) });
  assertEquals(to16(unmap(mapped)), mapped.bytes);
  // ::a.b.c.d (IPv4-compatible) is not mapped; neither is an IPv4 address's 4 bytes.
  const compat = parseIpLiteral("::10.0.0.1")!;
  assertEquals(unmap(compat), compat);
  assertEquals(isIPv4Mapped(new Uint8Array([0, 0, 0xff, 0xff])), false);
  assertEquals(bitsOf(unmap(mapped).family), 32);
});

Deno.test("ipEquals() equates IPv4 and its mapped form; compareIp() orders by family then value", () => {
  assertEquals(ipEquals(parseIp("10.0.0.1"), parseIpLiteral("::ffff:10.0.0.1")), true);
  assertEquals(ipEquals(parseIp("10.0.0.1"), parseIp("10.0.0.2")), false);
  assertEquals(ipEquals(parseIp("10.0.0.1"), undefined), false);
  assertEquals(ipEquals(undefined, undefined), false);
  const sorted = ["fd00::1", "10.0.0.10", "::1", "10.0.0.2", "9.255.255.255"]
    .map((t) => parseIp(t)!)
    .sort(compareIp)
    .map((ip) => Array.from(ip.bytes).join(","));
  assertEquals(sorted, [
    "9,255,255,255",
    "10,0,0,2",
    "10,0,0,10",
    "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1",
    "253,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1",
  ]);
});
