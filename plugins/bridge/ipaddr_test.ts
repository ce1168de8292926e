// The shim's own contract: the old names and shapes over ip/ (whose behaviour ip/*_test.ts pins).
import { assertEquals } from "../../tests/helpers/assert.ts";
import { cidrContains, formatCidr, formatIp, networkOf, parseCidr, parseIp } from "./ipaddr.ts";

Deno.test("parseIp() and parseCidr() keep the old shapes: null when invalid, a flat CIDR", () => {
  assertEquals(parseIp("x"), null);
  assertEquals(parseCidr("10.0.0.0/33"), null);
  assertEquals(parseIp("::ffff:10.1.2.3"), { family: 4, bytes: new Uint8Array([10, 1, 2, 3]) });
  assertEquals(parseCidr("10.22.0.5/16"), {
    family: 4,
    bytes: new Uint8Array([10, 22, 0, 5]),
    prefixLen: 16,
  });
  // Go's view of IPv4-mapped text: /120 of the mapped form is /24 of IPv4.
  assertEquals(parseCidr("::ffff:10.0.0.9/120")?.prefixLen, 24);
});

Deno.test("formatCidr(), networkOf() and cidrContains() answer as ip/ does", () => {
  const c = parseCidr("10.22.0.5/16")!;
  assertEquals(formatCidr(c), "10.22.0.5/16");
  assertEquals(formatCidr(networkOf(c)), "10.22.0.0/16");
  assertEquals(formatIp(networkOf(parseCidr("fd00::abcd:5/112")!)), "fd00::abcd:0");
  assertEquals(cidrContains(c, parseIp("10.22.9.9")!), true);
  assertEquals(cidrContains(c, parseIp("fd00::1")!), false);
});
