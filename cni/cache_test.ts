import { join } from "node:path";
import {
  cacheFilePath,
  deleteCacheEntry,
  formatCacheEntry,
  listCachedAttachments,
  readCachedResult,
  readCacheEntry,
  writeCacheEntry,
} from "./cache.ts";
import { CniError } from "./errors.ts";
import { assertEquals, assertRejects, assertThrows } from "../tests/helpers/assert.ts";

const enc = new TextEncoder();

Deno.test("formatCacheEntry() writes libcni's cniCacheV1 JSON byte for byte", () => {
  const config = enc.encode('{"cniVersion":"1.1.0","name":"dbnet"}');
  const text = formatCacheEntry({
    networkName: "dbnet",
    containerId: "c1",
    ifName: "eth0",
    config,
    netns: "/var/run/netns/blue",
    cniArgs: [["K8S_POD_NAME", "web"]],
    capabilityArgs: { portMappings: [{ hostPort: 8080 }], mac: "00:11:22:33:44:66" },
    result: { cniVersion: "1.1.0", ips: [{ address: "10.1.0.5/16" }], dns: { domain: "a<b" } },
  });
  assertEquals(
    text,
    '{"kind":"cniCacheV1","containerId":"c1","config":"eyJjbmlWZXJzaW9uIjoiMS4xLjAiLCJuYW1lIjoiZGJuZXQifQ==",' +
      '"ifName":"eth0","networkName":"dbnet","netns":"/var/run/netns/blue",' +
      '"cniArgs":[["K8S_POD_NAME","web"]],' +
      '"capabilityArgs":{"mac":"00:11:22:33:44:66","portMappings":[{"hostPort":8080}]},' +
      '"result":{"cniVersion":"1.1.0","dns":{"domain":"a\\u003cb"},"ips":[{"address":"10.1.0.5/16"}]}}',
  );
});

Deno.test("formatCacheEntry() omits empty netns, cniArgs, capabilityArgs and result", () => {
  const text = formatCacheEntry({
    networkName: "n",
    containerId: "c",
    ifName: "eth0",
    config: enc.encode("{}"),
    netns: "",
    cniArgs: [],
    capabilityArgs: {},
  });
  assertEquals(
    text,
    '{"kind":"cniCacheV1","containerId":"c","config":"e30=","ifName":"eth0","networkName":"n"}',
  );
});

Deno.test("cacheFilePath() requires all three parts", () => {
  assertEquals(
    cacheFilePath("/var/lib/cni", { networkName: "n", containerId: "c", ifName: "eth0" }),
    "/var/lib/cni/results/n-c-eth0",
  );
  const err = assertThrows(
    () => cacheFilePath("/x", { networkName: "n", containerId: "", ifName: "eth0" }),
    CniError,
  );
  assertEquals(
    err.message,
    'cache file path requires network name ("n"), container ID (""), and interface name ("eth0")',
  );
});

Deno.test("writeCacheEntry() round-trips through readCacheEntry(), modes 0700/0600", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denocni-cache-" });
  try {
    const key = { networkName: "mynet", containerId: "c1", ifName: "eth0" };
    const result = { cniVersion: "0.2.0", ip4: { ip: "10.22.0.2/16" } };
    await writeCacheEntry(dir, { ...key, config: enc.encode("{}"), netns: "/n", result });
    const path = join(dir, "results", "mynet-c1-eth0");
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals((await Deno.stat(join(dir, "results"))).mode! & 0o777, 0o700);
    assertEquals(await readCachedResult(dir, key), result);
    const entry = await readCacheEntry(dir, key);
    assertEquals(entry?.netns, "/n");
    assertEquals(new TextDecoder().decode(entry?.config), "{}");
    assertEquals(entry?.cniArgs, []);
    await deleteCacheEntry(dir, key);
    assertEquals(await readCachedResult(dir, key), null);
    await deleteCacheEntry(dir, key); // idempotent
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readCachedResult() understands the legacy bare-result format and rejects garbage", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denocni-cache-" });
  try {
    await Deno.mkdir(join(dir, "results"));
    const key = { networkName: "n", containerId: "c", ifName: "eth0" };
    await Deno.writeTextFile(join(dir, "results", "n-c-eth0"), '{"ip4":{"ip":"10.0.0.2/24"}}');
    assertEquals(await readCachedResult(dir, key), { ip4: { ip: "10.0.0.2/24" } });
    assertEquals(await readCacheEntry(dir, key), null);
    await Deno.writeTextFile(join(dir, "results", "n-c-eth0"), "garbage{");
    const err = await assertRejects(() => readCachedResult(dir, key), CniError);
    assertEquals(err.code, 6);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("listCachedAttachments() filters by container and skips bad entries", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denocni-cache-" });
  try {
    assertEquals(await listCachedAttachments(dir), []);
    const config = enc.encode("{}");
    await writeCacheEntry(dir, { networkName: "b", containerId: "c1", ifName: "eth0", config });
    await writeCacheEntry(dir, { networkName: "a", containerId: "c2", ifName: "eth1", config });
    await Deno.writeTextFile(join(dir, "results", "a-c1-eth9"), "not json");
    await Deno.writeTextFile(
      join(dir, "results", "z-c1-eth0"),
      '{"kind":"cniCacheV1","containerId":"c1","config":"","ifName":"","networkName":"z"}',
    );
    const all = await listCachedAttachments(dir);
    assertEquals(all.map((a) => [a.networkName, a.containerId, a.ifName]), [
      ["a", "c2", "eth1"],
      ["b", "c1", "eth0"],
    ]);
    const c1 = await listCachedAttachments(dir, { containerId: "c1" });
    assertEquals(c1.map((a) => a.networkName), ["b"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readCachedResult() treats a FIFO, a device link or an oversized entry as no result", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denocni-cache-" });
  try {
    await Deno.mkdir(join(dir, "results"));
    const key = (containerId: string) => ({ networkName: "n", containerId, ifName: "eth0" });
    const fifo = cacheFilePath(dir, key("fifo"));
    assertEquals(new Deno.Command("mkfifo", { args: [fifo] }).outputSync().code, 0);
    await Deno.symlink("/dev/zero", cacheFilePath(dir, key("zero")));
    await Deno.writeTextFile(
      cacheFilePath(dir, key("big")),
      JSON.stringify({ cniVersion: "1.1.0", pad: "x".repeat(4 * 1024 * 1024) }),
    );
    for (const id of ["fifo", "zero", "big"]) {
      assertEquals(await readCachedResult(dir, key(id)), null, id);
      assertEquals(await readCacheEntry(dir, key(id)), null, id);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readCacheEntry() decodes config as strictly as Go's base64.StdEncoding in json.Unmarshal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denocni-cache-" });
  const key = { networkName: "n", containerId: "c", ifName: "eth0" };
  const read = async (config: unknown) => {
    await Deno.mkdir(join(dir, "results"), { recursive: true });
    await Deno.writeTextFile(
      join(dir, "results", "n-c-eth0"),
      JSON.stringify({
        kind: "cniCacheV1",
        containerId: "c",
        config,
        ifName: "eth0",
        networkName: "n",
      }),
    );
    const e = await readCacheEntry(dir, key);
    return e === null ? null : Array.from(e.config);
  };
  try {
    // Answers of go1.19 json.Unmarshal into []byte, input by input.
    const cases: [unknown, number[] | null][] = [
      ["", []],
      [null, []],
      ["QQ==", [65]],
      ["QR==", [65]], // non-zero trailing bits are ignored (not Strict())
      ["QUJ=", [65, 66]],
      ["QU\nJD\r\n", [65, 66, 67]], // CR and LF are skipped anywhere
      ["QQ=\n=", [65]],
      ["QQ", null], // padding is required
      ["QQ=", null],
      ["Q===", null],
      ["====", null],
      ["QU JD", null], // other white space is not skipped
      ["QU\tJD", null],
      ["-_8=", null], // not the URL alphabet
      ["QQ==QQ==", null], // nothing after padding
      ["QUJD=", null],
      [5, null],
      [["QQ=="], null],
    ];
    for (const [config, want] of cases) assertEquals([config, await read(config)], [config, want]);
    // Every byte value survives a write and a read.
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    await writeCacheEntry(dir, { ...key, config: all });
    assertEquals((await readCacheEntry(dir, key))?.config, all);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeCacheEntry() never writes through a link planted under the entry's name; a linked entry reads as no result", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denocni-cache-" });
  try {
    await Deno.mkdir(join(dir, "results"));
    const key = { networkName: "n", containerId: "c1", ifName: "eth0" };
    const victim = join(dir, "victim");
    await Deno.writeTextFile(victim, "untouched");
    const path = cacheFilePath(dir, key);
    await Deno.symlink(victim, path);
    assertEquals(await readCacheEntry(dir, key), null);
    const entry = {
      ...key,
      config: new TextEncoder().encode("{}"),
      result: { cniVersion: "1.1.0" },
    };
    await writeCacheEntry(dir, entry);
    assertEquals(await Deno.readTextFile(victim), "untouched");
    assertEquals(Deno.lstatSync(path).isFile, true);
    assertEquals(await readCachedResult(dir, key), { cniVersion: "1.1.0" });
    await writeCacheEntry(dir, entry); // over the regular file now there
    assertEquals(Deno.lstatSync(path).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
