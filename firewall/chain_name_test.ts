import { assertEquals } from "../tests/helpers/assert.ts";
import { hasControlCharacter, isChainName, ownerChainName } from "./chain_name.ts";

Deno.test("isChainName() takes what iptables-restore can write as one chain token", () => {
  for (const ok of ["CNI-ADMIN", "A", "HC-" + "A".repeat(25), "x.y_z:1"]) {
    assertEquals(isChainName(ok), true, ok);
  }
  for (
    const bad of [
      "",
      "A B",
      "A\tB",
      "X\n-A INPUT -j DROP",
      "X\r",
      "X\u0000",
      "X\u007f",
      '"X',
      "X'",
      "-X",
      "!X",
      "HC-" + "A".repeat(26),
    ]
  ) assertEquals(isChainName(bad), false, JSON.stringify(bad));
});

Deno.test("hasControlCharacter() finds line breaks, NUL and DEL", () => {
  assertEquals(["ip saddr 10.0.0.0/8", "-d", "ä"].map(hasControlCharacter), [false, false, false]);
  assertEquals(["a\nb", "a\rb", "\u0000", "\u001b[0m", "\u007f"].map(hasControlCharacter), [
    true,
    true,
    true,
    true,
    true,
  ]);
});

Deno.test("ownerChainName() matches the reference's vectors (bridge masquerade, portmap)", async () => {
  const mynet = { network: "mynet", containerId: "abc123" };
  assertEquals(await ownerChainName("", mynet), "CNI-70a29d9dc18bc4d652ea5d59");
  const rnnet = { network: "rnnet", containerId: "rnc1" };
  assertEquals(await ownerChainName("DN-", rnnet), "CNI-DN-cb4af05a74fc644b48978");
  assertEquals((await ownerChainName("SN-", rnnet)).length, 28);
  assertEquals(isChainName(await ownerChainName("SN-", rnnet)), true);
});
