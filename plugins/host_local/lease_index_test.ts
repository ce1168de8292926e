import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { join } from "node:path";
import { openDiskStore } from "./disk_store.ts";
import {
  bucketCount,
  ENTRIES_PER_BUCKET,
  findInBucket,
  fnv1a,
  formatBucket,
  type Marker,
  parseBucket,
  removeFromBucket,
} from "./lease_index.ts";

const BODY = "10.0.0.2\tc1\teth0\n";
const SUM = fnv1a(BODY).toString(16).padStart(8, "0");
const MARKER: Marker = {
  dir: "1:2:3:4:5",
  last: { "0": "10.0.0.9" },
  n: 2,
  legacy: 0,
  b: 2,
  g: "abcd",
  sums: "00000000" + SUM,
};

Deno.test("fnv1a() is FNV-1a 32 over UTF-16 code units", () => {
  assertEquals(fnv1a(""), 0x811c9dc5);
  assertEquals(fnv1a("a"), 0xe40c292c);
  assertEquals(fnv1a("foobar"), 0xbf9cf968);
});

Deno.test("bucketCount() doubles past ENTRIES_PER_BUCKET entries per bucket", () => {
  assertEquals(bucketCount(0), 1);
  assertEquals(bucketCount(ENTRIES_PER_BUCKET), 1);
  assertEquals(bucketCount(ENTRIES_PER_BUCKET + 1), 2);
  assertEquals(bucketCount(60_000), 512);
});

Deno.test("findInBucket() and removeFromBucket() match whole lines of one owner", () => {
  const body = "10.0.0.2\tc1\teth0\n10.0.0.3\tx\tc1\teth0\n10.0.0.4\tc1\teth0\n10.0.0.5\tc1\n";
  assertEquals(findInBucket(body, "c1\teth0"), ["10.0.0.2", "10.0.0.4"]);
  assertEquals(findInBucket(body, "c1"), ["10.0.0.5"]);
  assertEquals(findInBucket(body, "c2\teth0"), []);
  const r = removeFromBucket(body, "c1\teth0", ["10.0.0.2", "10.0.0.4", "10.0.0.9"]);
  assertEquals(r, { body: "10.0.0.3\tx\tc1\teth0\n10.0.0.5\tc1\n", removed: 2 });
});

Deno.test("parseBucket() reads what formatBucket() writes and refuses any damage", () => {
  const zero = formatBucket(0, BODY, MARKER);
  assertEquals(parseBucket(0, zero), { marker: { ...MARKER, sums: SUM + SUM }, body: BODY });
  const one = formatBucket(1, BODY, MARKER);
  assertEquals(parseBucket(1, one, MARKER), { body: BODY });
  assertEquals(parseBucket(1, one, { ...MARKER, g: "ffff" }), undefined, "another generation");
  assertEquals(parseBucket(1, one, { ...MARKER, sums: "0".repeat(16) }), undefined, "an old copy");
  assertEquals(parseBucket(0, one), undefined, "bucket 1 renamed 0");
  assertEquals(parseBucket(1, one.replace("c1", "c2"), MARKER), undefined, "checksum");
  assertEquals(parseBucket(1, one.slice(0, -1), MARKER), undefined, "cut short");
  assertEquals(parseBucket(1, "", MARKER), undefined);
  assertEquals(parseBucket(0, formatBucket(0, BODY, { ...MARKER, b: 4 })), undefined, "sums");
  assertEquals(
    parseBucket(0, formatBucket(0, BODY, { ...MARKER, b: 3, sums: "0".repeat(24) })),
    undefined,
    "b not a power of two",
  );
});

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
      if (i + 1 === ENTRIES_PER_BUCKET + 1) assertEquals(indexFiles(data, "g"), ["0", "1"]);
    }
    assertEquals(indexFiles(data, "g"), ["0", "1", "2", "3"]);
    // Every owner is found through its bucket.
    const store = openDiskStore(data, "g", {
      readDir: () => {
        throw new Error("the index should answer without a scan");
      },
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
