import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { SysctlError, sysctlGet, sysctlPath } from "./sysctl.ts";

Deno.test("sysctlPath() maps dotted keys to /proc/sys paths", () => {
  assertEquals(sysctlPath("net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward");
  assertEquals(sysctlPath("kernel.ostype"), "/proc/sys/kernel/ostype");
});

Deno.test("sysctlPath() takes a key whose first separator is '/' verbatim", () => {
  assertEquals(
    sysctlPath("net/ipv6/conf/eth0.1/accept_dad"),
    "/proc/sys/net/ipv6/conf/eth0.1/accept_dad",
  );
  assertEquals(sysctlPath("net/ipv4/ip_forward"), "/proc/sys/net/ipv4/ip_forward");
});

Deno.test("sysctlPath() swaps '.' and '/' in a dotted key, as sysctl(8) does", () => {
  assertEquals(
    sysctlPath("net.ipv6.conf.eth0/1.accept_dad"),
    "/proc/sys/net/ipv6/conf/eth0.1/accept_dad",
  );
});

Deno.test("sysctlPath() refuses empty, '.', '..' and empty components", () => {
  for (const key of ["", "net..ipv4", "net/../../etc/passwd", "net/./x", ".net", "net.", "a\0b"]) {
    const err = assertThrows(() => sysctlPath(key), SysctlError);
    assertEquals(err.message, `invalid sysctl key "${key}"`);
    assertEquals(err.key, key);
  }
});

Deno.test("sysctlGet() reads without the trailing newline", () => {
  assertEquals(sysctlGet("kernel.ostype"), "Linux");
  assertEquals(sysctlGet("kernel/ostype"), "Linux");
});

Deno.test("sysctlGet() of a missing key throws SysctlError 'no such key'", () => {
  const err = assertThrows(() => sysctlGet("net.ipv4.denocni_nope"), SysctlError);
  assertEquals(err.message, 'read sysctl "net.ipv4.denocni_nope": no such key');
});
