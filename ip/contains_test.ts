import { assertEquals } from "../tests/helpers/assert.ts";
import { cidrContains, parseCidr, parseIp, parseIpLiteral } from "./mod.ts";

Deno.test("cidrContains() ignores host bits and never mixes families", () => {
  const has = (c: string, ip: string) => cidrContains(parseCidr(c)!, parseIpLiteral(ip)!);
  assertEquals(has("10.1.2.3/8", "10.200.0.1"), true);
  assertEquals(has("10.0.0.0/8", "11.0.0.1"), false);
  assertEquals(has("fd00::1/64", "fd00::99"), true);
  assertEquals(has("fd00::/64", "10.0.0.1"), false);
  assertEquals(has("0.0.0.0/0", "fd00::1"), false);
  assertEquals(has("::/0", "10.0.0.1"), false);
  assertEquals(has("::/0", "::ffff:10.0.0.1"), false); // mapped text is IPv4 to Go
  assertEquals(has("10.0.0.0/8", "::ffff:10.0.0.1"), true);
  assertEquals(has("::ffff:10.0.0.0/104", "10.9.9.9"), true);
  assertEquals(cidrContains(parseCidr("1.2.3.4/32")!, parseIp("1.2.3.5")!), false);
});
