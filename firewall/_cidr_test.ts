import { assertEquals } from "../tests/helpers/assert.ts";
import { iptablesCidr } from "./_cidr.ts";

Deno.test("iptablesCidr() prints what iptables -S shows after -s/-d", () => {
  assertEquals(iptablesCidr("10.1.0.2"), "10.1.0.2/32");
  assertEquals(iptablesCidr("10.1.0.2/16"), "10.1.0.0/16");
  assertEquals(iptablesCidr("10.1.255.255/17"), "10.1.128.0/17");
  assertEquals(iptablesCidr("0.0.0.0/0"), "0.0.0.0/0");
  assertEquals(iptablesCidr("fd00:0::5/64"), "fd00::/64");
  assertEquals(iptablesCidr("fd00::5"), "fd00::5/128");
  assertEquals(iptablesCidr("::/0"), "::/0");
  assertEquals(iptablesCidr("10.1.0.2/33"), undefined);
  assertEquals(iptablesCidr("eth0"), undefined);
  assertEquals(iptablesCidr("10.1.0.2/x"), undefined);
});
