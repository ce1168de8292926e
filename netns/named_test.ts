import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { NETNS_RUN_DIR, NetnsError, netnsPath, validateNetnsName } from "./named.ts";

Deno.test("netnsPath() puts the name under /run/netns", () => {
  assertEquals(NETNS_RUN_DIR, "/run/netns");
  assertEquals(netnsPath("blue"), "/run/netns/blue");
  assertEquals(netnsPath("cni-1234.x_y"), "/run/netns/cni-1234.x_y");
});

Deno.test("validateNetnsName() refuses what iproute2 refuses, naming the problem", () => {
  const cases: [string, string][] = [
    ["", 'invalid network namespace name "": it is empty'],
    [".", 'invalid network namespace name ".": "." is reserved'],
    ["..", 'invalid network namespace name "..": ".." is reserved'],
    ["a/b", `invalid network namespace name "a/b": it contains '/'`],
    ["a\0b", 'invalid network namespace name "a\0b": it contains a NUL byte'],
  ];
  for (const [name, message] of cases) {
    const err = assertThrows(() => validateNetnsName(name), NetnsError);
    assertEquals(err.message, message);
  }
});

Deno.test("validateNetnsName() allows 255 bytes and refuses 256 (counting UTF-8 bytes)", () => {
  validateNetnsName("x".repeat(255));
  assertThrows(
    () => validateNetnsName("x".repeat(256)),
    NetnsError,
    "it is longer than 255 bytes",
  );
  // 128 two-byte characters are 256 bytes though only 128 UTF-16 units.
  assertThrows(() => netnsPath("é".repeat(128)), NetnsError, "longer than 255 bytes");
  validateNetnsName("..a");
  validateNetnsName("a.");
});
