import { createHash } from "node:crypto";
import { sha512, sha512Hex } from "./_sha512.ts";
import { assertEquals } from "../tests/helpers/assert.ts";

Deno.test("sha512Hex() matches the FIPS 180-4 'abc' vector", () => {
  assertEquals(
    sha512Hex("abc"),
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
  );
});

Deno.test("sha512() matches node:crypto at every length around the block edges", () => {
  for (let n = 0; n < 300; n++) {
    const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 255);
    assertEquals(
      Array.from(sha512(data)),
      Array.from(createHash("sha512").update(data).digest()),
      `length ${n}`,
    );
  }
  assertEquals(
    sha512Hex("mynetabc123").slice(0, 24),
    createHash("sha512").update("mynetabc123").digest("hex").slice(0, 24),
  );
});
