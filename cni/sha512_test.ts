import { createHash } from "node:crypto";
import { assertEquals, assertRejects } from "../tests/helpers/assert.ts";
import { hashWithPrefix, sha512Hex } from "./sha512.ts";

Deno.test("sha512Hex() matches the FIPS 180-4 'abc' vector", async () => {
  assertEquals(
    await sha512Hex("abc"),
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
  );
});

Deno.test("sha512Hex() matches node:crypto around the block edges and for UTF-8", async () => {
  for (let n = 0; n < 260; n++) {
    const text = "é-".repeat(n).slice(0, n);
    assertEquals(await sha512Hex(text), createHash("sha512").update(text).digest("hex"), `n=${n}`);
  }
});

Deno.test("hashWithPrefix() is MustFormatHashWithPrefix: prefix, hash, cut", async () => {
  assertEquals(await hashWithPrefix(28, "CNI-", "mynetabc123"), "CNI-70a29d9dc18bc4d652ea5d59");
  assertEquals(await hashWithPrefix(15, "bwp", "rnnetrnc1"), "bwpcb4af05a74fc");
  assertEquals((await hashWithPrefix(128, "", "x")).length, 128);
  await assertRejects(() => hashWithPrefix(4, "CNI-", "x"), RangeError);
  await assertRejects(() => hashWithPrefix(129, "", "x"), RangeError);
});
