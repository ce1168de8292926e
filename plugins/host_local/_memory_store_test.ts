import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { memoryStore } from "./_memory_store.ts";

Deno.test("memoryStore() runs withLock work at once and rejects with its errors", async () => {
  const s = memoryStore({ files: { "10.0.0.2": "" } });
  assert(await s.withLock(() => s.reserve("c1", "eth0", "10.0.0.2", "0")));
  assertEquals(s.files.get("10.0.0.2"), "c1\r\neth0");
  let caught: unknown;
  await s.withLock(() => {
    throw new Error("boom");
  }).catch((err) => (caught = err));
  assertEquals((caught as Error).message, "boom");
});
