import { assertEquals } from "../tests/helpers/assert.ts";
import { addIp, formatIp, ipFromBigint, ipToBigint, nextIp, parseIp, prevIp } from "./mod.ts";

Deno.test("ipToBigint() and ipFromBigint() round trip both families and wrap modulo the width", () => {
  for (const t of ["0.0.0.0", "10.1.2.3", "255.255.255.255", "::", "fd00::1", "ffff::ffff"]) {
    const ip = parseIp(t)!;
    assertEquals(formatIp(ipFromBigint(ip.family, ipToBigint(ip))), t);
  }
  assertEquals(ipToBigint(parseIp("::1:0")!), 0x10000n);
  assertEquals(formatIp(ipFromBigint(4, 1n << 32n)), "0.0.0.0");
  assertEquals(formatIp(ipFromBigint(4, -1n)), "255.255.255.255");
});

Deno.test("addIp(), nextIp() and prevIp() carry, borrow and wrap", () => {
  assertEquals(formatIp(addIp(parseIp("10.0.0.254")!, 3n)), "10.0.1.1");
  assertEquals(formatIp(addIp(parseIp("10.0.1.1")!, -3n)), "10.0.0.254");
  assertEquals(formatIp(nextIp(parseIp("fd00::ffff")!)), "fd00::1:0");
  assertEquals(formatIp(nextIp(parseIp("255.255.255.255")!)), "0.0.0.0");
  assertEquals(formatIp(prevIp(parseIp("0.0.0.0")!)), "255.255.255.255");
  assertEquals(formatIp(prevIp(parseIp("fd00::1:0")!)), "fd00::ffff");
  const ip = parseIp("10.0.0.1")!;
  nextIp(ip);
  assertEquals(formatIp(ip), "10.0.0.1", "nextIp() does not modify its argument");
});
