import { assertEquals } from "../tests/helpers/assert.ts";
import * as ip from "./mod.ts";

Deno.test("parsePrefixLength() reads Go's dtoi: digits only, leading zeros allowed, <= bits", () => {
  assertEquals(ip.parsePrefixLength("0", 32), 0);
  assertEquals(ip.parsePrefixLength("000000000000000000000128", 128), 128);
  for (const bad of ["", "+1", "-1", "1 ", "2a", "33", "0x1", "1e1", "١"]) {
    assertEquals([bad, ip.parsePrefixLength(bad, 32)], [bad, undefined]);
  }
  assertEquals(ip.parsePrefixLength("129", 128), undefined);
});

Deno.test("parseCidrLiteral() bounds the prefix by the written family; parseCidr() gives Go's view", () => {
  const c = ip.parseCidrLiteral("::ffff:10.0.0.9/120")!;
  assertEquals([c.ip.family, c.prefix], [6, 120]);
  assertEquals(ip.formatCidr(c), "10.0.0.9/24");
  const view = { ip: { family: 4, bytes: new Uint8Array([10, 0, 0, 9]) }, prefix: 24 };
  assertEquals(ip.unmapCidr(c), view);
  assertEquals(ip.parseCidr("::ffff:10.0.0.9/120"), view);
  // Shorter than /96: Go prints the IPv4 view with prefix 0, but masks the written IPv6 value.
  const wide = ip.parseCidrLiteral("::ffff:10.0.0.9/64")!;
  assertEquals(ip.formatCidr(wide), "10.0.0.9/0");
  assertEquals(ip.formatCidr(ip.networkOf(wide)), "::/64");
  assertEquals(ip.formatCidr(ip.networkOf(ip.parseCidr("::ffff:10.0.0.9/64")!)), "0.0.0.0/0");
  for (const bad of ["10.0.0.9/120", "10.0.0.9", "10.0.0.9/24/1", "/24", "10.0.0.9/"]) {
    assertEquals([bad, ip.parseCidr(bad), ip.parseCidrLiteral(bad)], [bad, undefined, undefined]);
  }
});

Deno.test("prefixMask(), networkOf() and lastOf() clear and set host bits", () => {
  assertEquals(ip.prefixMask(4, 0), new Uint8Array(4));
  assertEquals(ip.prefixMask(4, 32), new Uint8Array([255, 255, 255, 255]));
  assertEquals(ip.prefixMask(6, 65)[8], 0x80);
  const c = ip.parseCidr("10.1.2.3/20")!;
  assertEquals(ip.formatCidr(ip.networkOf(c)), "10.1.0.0/20");
  assertEquals(ip.formatIp(ip.lastOf(c)), "10.1.15.255");
  assertEquals(ip.formatIp(ip.lastOf(ip.parseCidr("fd00:1::/64")!)), "fd00:1::ffff:ffff:ffff:ffff");
  assertEquals(ip.formatIp(ip.lastOf(ip.parseCidr("10.1.2.3/32")!)), "10.1.2.3");
});
