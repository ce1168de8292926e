import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { join } from "node:path";
import { openDiskStore } from "./disk_store.ts";
import { openDiskStoreWith } from "./_disk_store.ts";
import { ENTRIES_PER_BUCKET } from "./index_format.ts";

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "denocni-hl-index-" });
}

function indexFiles(data: string, network: string): string[] {
  return [...Deno.readDirSync(join(data, ".denocni-index", network))].map((e) => e.name).sort();
}

Deno.test("openDiskStore() grows the index's bucket count with the leases and shrinks it again", async () => {
  const data = tempDir();
  try {
    const n = 3 * ENTRIES_PER_BUCKET;
    const ips = Array.from({ length: n }, (_, i) => `10.3.${i >> 8}.${(i & 255) + 1}`);
    for (const [i, ip] of ips.entries()) {
      const store = openDiskStore(data, "g");
      try {
        assert(await store.withLock(() => store.reserve(`c${i}`, "eth0", ip, "0")));
      } finally {
        store.close();
      }
      if (i + 1 === ENTRIES_PER_BUCKET) assertEquals(indexFiles(data, "g"), ["0"]);
      if (i + 1 === ENTRIES_PER_BUCKET + 1) assertEquals(indexFiles(data, "g"), ["0", "1", "2"]);
    }
    assertEquals(indexFiles(data, "g"), ["0", "1", "2", "3", "4"]);
    // Every owner is found through its bucket.
    const store = openDiskStoreWith(data, "g", {}, () => {
      throw new Error("the index should answer without a scan");
    });
    try {
      for (let i = 0; i < n; i += 37) {
        assertEquals(await store.withLock(() => store.getById(`c${i}`, "eth0")), [ips[i]]);
      }
      // Releasing down to a quarter of one bucket's share shrinks the index back to one file.
      await store.withLock(() => {
        for (let i = 0; i < n - 10; i++) assertEquals(store.releaseById(`c${i}`, "eth0"), [ips[i]]);
      });
      assertEquals(indexFiles(data, "g"), ["0"]);
      for (let i = n - 10; i < n; i++) {
        assert(await store.withLock(() => store.findById(`c${i}`, "eth0")));
      }
    } finally {
      store.close();
    }
  } finally {
    Deno.removeSync(data, { recursive: true });
  }
});

Deno.test("openDiskStore() replaces an index of an older format and files it does not know", async () => {
  const data = tempDir();
  try {
    const idx = join(data, ".denocni-index", "o");
    Deno.mkdirSync(idx, { recursive: true });
    Deno.writeTextFileSync(join(idx, "marker"), '{"v":2,"dir":"1:2:3:4","last":{},"legacy":0}');
    Deno.writeTextFileSync(join(idx, "b1f"), "10.0.0.2\tc1\teth0\n");
    Deno.writeTextFileSync(join(idx, "7"), "junk");
    Deno.mkdirSync(join(data, "o"));
    Deno.writeTextFileSync(join(data, "o", "10.0.0.2"), "c1\r\neth0");
    const store = openDiskStore(data, "o");
    try {
      assertEquals(await store.withLock(() => store.getById("c1", "eth0")), ["10.0.0.2"]);
    } finally {
      store.close();
    }
    assertEquals(indexFiles(data, "o"), ["0"]);
  } finally {
    Deno.removeSync(data, { recursive: true });
  }
});
