import { assertEquals } from "../../tests/helpers/assert.ts";
import {
  bucketCount,
  checksum,
  ENTRIES_PER_BUCKET,
  fileOf,
  findInBucket,
  fnv1a,
  formatBucket,
  formatMarker,
  parseBucket,
  parseMarker,
  removeFromBucket,
} from "./index_format.ts";
import type { Marker } from "./index_format.ts";

const TEXT = new TextEncoder();
const BODY = "10.0.0.2\tc1\teth0\n";
const BYTES = TEXT.encode(BODY);
const SUM = checksum(BYTES);
const MARKER: Marker = {
  dir: "1:2:3:4:5",
  last: { "0": "10.0.0.9" },
  n: 2,
  legacy: 0,
  b: 2,
  g: "abcd",
  sums: "00000000" + SUM,
};

/** A file's bytes with `from` replaced by `to` in its text. */
function edited(bytes: Uint8Array, from: string, to: string): Uint8Array {
  return TEXT.encode(new TextDecoder().decode(bytes).replace(from, to));
}

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

Deno.test("checksum() tells any change of a byte, a length or an order apart", () => {
  assertEquals(checksum(BYTES), checksum(TEXT.encode(BODY)));
  const seen = new Set([checksum(BYTES)]);
  for (
    const variant of ["10.0.0.3\tc1\teth0\n", "10.0.0.2\tc1\teth0", "c1\teth0\t10.0.0.2\n", ""]
  ) {
    seen.add(checksum(TEXT.encode(variant)));
  }
  assertEquals(seen.size, 5);
  assertEquals(checksum(new Uint8Array()).length, 8);
});

Deno.test("parseMarker() and parseBucket() read what formatMarker() and formatBucket() write, and refuse damage", () => {
  const one = { ...MARKER, b: 1, sums: SUM };
  assertEquals(parseMarker(formatMarker(one, BYTES)), { marker: one, body: BODY });
  assertEquals(parseMarker(formatMarker(MARKER, new Uint8Array())), { marker: MARKER, body: "" });
  assertEquals(parseMarker(formatMarker(MARKER, BYTES)), undefined, "entries beside 2 buckets");
  assertEquals(parseMarker(formatMarker({ ...one, sums: "0".repeat(8) }, BYTES)), undefined);
  assertEquals(parseMarker(formatMarker({ ...MARKER, b: 4 }, new Uint8Array())), undefined);
  assertEquals(
    parseMarker(formatMarker({ ...MARKER, b: 3, sums: "0".repeat(24) }, new Uint8Array())),
    undefined,
    "b not a power of two",
  );
  const bucket = formatBucket(1, BYTES, MARKER);
  assertEquals(parseBucket(1, bucket, MARKER), BODY);
  assertEquals(parseBucket(1, bucket, { ...MARKER, g: "ffff" }), undefined, "another generation");
  assertEquals(parseBucket(1, bucket, { ...MARKER, sums: "0".repeat(16) }), undefined, "old copy");
  assertEquals(parseBucket(0, bucket, MARKER), undefined, "bucket 1 renamed");
  assertEquals(parseMarker(bucket), undefined, "a bucket is no marker");
  assertEquals(parseBucket(1, edited(bucket, "c1", "c2"), MARKER), undefined, "checksum");
  assertEquals(parseBucket(1, bucket.subarray(0, bucket.length - 1), MARKER), undefined, "cut");
  assertEquals(parseBucket(1, new Uint8Array(), MARKER), undefined);
  assertEquals(fileOf(0, 1), 0);
  assertEquals(fileOf(0, 2), 1);
  assertEquals(fileOf(1, 2), 2);
});
