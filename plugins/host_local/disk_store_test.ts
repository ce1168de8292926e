import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { gated } from "../../tests/helpers/gate.ts";
import { refMissing } from "../../tests/helpers/reference.ts";
import { join } from "node:path";
import { execReference } from "../../tests/helpers/exec_plugin.ts";
import { openDiskStore } from "./disk_store.ts";
import { openDiskStoreWith } from "./_disk_store.ts";

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "denocni-hl-store-" });
}

function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of Deno.readDirSync(dir)) out[e.name] = Deno.readTextFileSync(join(dir, e.name));
  return out;
}

Deno.test("openDiskStore() writes the reference's files, bytes and modes", async () => {
  const data = tempDir();
  try {
    const store = openDiskStore(data, "net1");
    try {
      assert(await store.withLock(() => store.reserve(" c1 ", "eth0", "10.9.0.2", "0")));
      assert(await store.withLock(() => store.reserve("c1", "eth0", "fd00::2", "1")));
      assert(!await store.withLock(() => store.reserve("c2", "eth0", "10.9.0.2", "0")));
    } finally {
      store.close();
    }
    const dir = join(data, "net1");
    assertEquals(listing(dir), {
      "10.9.0.2": "c1\r\neth0",
      "fd00::2": "c1\r\neth0",
      "last_reserved_ip.0": "10.9.0.2",
      "last_reserved_ip.1": "fd00::2",
      lock: "",
    });
    const bytes = Deno.readFileSync(join(dir, "10.9.0.2"));
    assertEquals([...bytes], [0x63, 0x31, 0x0d, 0x0a, 0x65, 0x74, 0x68, 0x30]);
    assertEquals(Deno.statSync(dir).mode! & 0o777, 0o755);
    assertEquals(Deno.statSync(join(dir, "10.9.0.2")).mode! & 0o777, 0o600);
    assertEquals(Deno.statSync(join(dir, "last_reserved_ip.0")).mode! & 0o777, 0o600);
    assertEquals(Deno.statSync(join(dir, "lock")).mode! & 0o777, 0o750);
  } finally {
    Deno.removeSync(data, { recursive: true });
  }
});

Deno.test("openDiskStore() releases by id+ifname, falls back to legacy id-only files, keeps bookkeeping", async () => {
  const data = tempDir();
  try {
    const dir = join(data, "n");
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(join(dir, "10.0.0.2"), "c1\r\neth0");
    Deno.writeTextFileSync(join(dir, "10.0.0.3"), "c1\r\neth1");
    Deno.writeTextFileSync(join(dir, "10.0.0.4"), "c1\n"); // legacy, trimmed
    Deno.writeTextFileSync(join(dir, "10.0.0.5"), "c2");
    Deno.writeTextFileSync(join(dir, "last_reserved_ip.0"), "10.0.0.5");
    const store = openDiskStore(data, "n");
    try {
      assertEquals((await store.withLock(() => store.getById("c1", "eth0"))).sort(), [
        "10.0.0.2",
        "10.0.0.4",
      ]);
      assertEquals(await store.withLock(() => store.releaseById("c1", "eth0")), ["10.0.0.2"]);
      assert(await store.withLock(() => store.findById("c1", "eth0"))); // legacy 10.0.0.4 still matches
      assertEquals(await store.withLock(() => store.releaseById("c1", "eth0")), ["10.0.0.4"]);
      assertEquals(await store.withLock(() => store.releaseById("c2", "eth9")), ["10.0.0.5"]);
      assertEquals(await store.withLock(() => store.releaseById("c2", "eth9")), []); // idempotent
      assert(!await store.withLock(() => store.findById("c2", "eth9")));
    } finally {
      store.close();
    }
    assertEquals(Object.keys(listing(dir)).sort(), ["10.0.0.3", "last_reserved_ip.0", "lock"]);
  } finally {
    Deno.removeSync(data, { recursive: true });
  }
});

Deno.test("openDiskStore() reclaims empty lease files (plugins#498) but never real ones", async () => {
  const data = tempDir();
  try {
    const dir = join(data, "n");
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(join(dir, "10.0.0.2"), "");
    Deno.writeTextFileSync(join(dir, "10.0.0.3"), " \n");
    Deno.writeTextFileSync(join(dir, "10.0.0.4"), "x");
    const store = openDiskStore(data, "n");
    try {
      assert(await store.withLock(() => store.isFree("10.0.0.2")));
      assert(!await store.withLock(() => store.isFree("10.0.0.4")));
      assert(await store.withLock(() => store.reserve("c9", "eth0", "10.0.0.2", "0")));
      assert(await store.withLock(() => store.reserve("c9", "eth1", "10.0.0.3", "0")));
      assert(!await store.withLock(() => store.reserve("c9", "eth2", "10.0.0.4", "0")));
    } finally {
      store.close();
    }
    assertEquals(Deno.readTextFileSync(join(dir, "10.0.0.2")), "c9\r\neth0");
    assertEquals(Deno.readTextFileSync(join(dir, "10.0.0.3")), "c9\r\neth1");
    assertEquals(Deno.readTextFileSync(join(dir, "10.0.0.4")), "x");
  } finally {
    Deno.removeSync(data, { recursive: true });
  }
});

Deno.test("openDiskStore() removes an unfinished (empty) lease when it scans, so a DEL after an ADD killed mid-write leaves nothing", async () => {
  const data = tempDir();
  try {
    const dir = join(data, "n");
    const store = openDiskStore(data, "n");
    try {
      assert(await store.withLock(() => store.reserve("c1", "eth0", "10.0.0.2", "0")));
      // An ADD killed between creating its lease and writing it (the crash test found one).
      Deno.writeTextFileSync(join(dir, "10.0.0.3"), "");
      Deno.writeTextFileSync(join(dir, "10.0.0.4"), " \n");
      // The DEL of the killed ADD's container: its lease cannot be told by its owner, but the
      // changed directory makes the store rescan, and the scan removes what nobody is writing.
      assertEquals(await store.withLock(() => store.releaseById("c2", "eth0")), []);
      assertEquals(Object.keys(listing(dir)).sort(), ["10.0.0.2", "last_reserved_ip.0", "lock"]);
      assertEquals(
        (await store.withLock(() => store.leases())).map((l) => l.ip),
        ["10.0.0.2"],
      );
    } finally {
      store.close();
    }
  } finally {
    Deno.removeSync(data, { recursive: true });
  }
});

Deno.test("openDiskStore() owner index sees leases written behind its back", async () => {
  const data = tempDir();
  try {
    const dir = join(data, "n");
    const store = openDiskStore(data, "n");
    try {
      assert(await store.withLock(() => store.reserve("a", "eth0", "10.0.0.2", "0")));
      assertEquals(await store.withLock(() => store.getById("a", "eth0")), ["10.0.0.2"]);
      // A foreign writer (the reference binary) adds a lease and moves last_reserved_ip.
      Deno.writeTextFileSync(join(dir, "10.0.0.3"), "b\r\neth0");
      Deno.writeTextFileSync(join(dir, "last_reserved_ip.0"), "10.0.0.3");
      assertEquals(await store.withLock(() => store.getById("b", "eth0")), ["10.0.0.3"]);
      // ... and removes one: the stale index entry is not reported.
      Deno.removeSync(join(dir, "10.0.0.2"));
      assertEquals(await store.withLock(() => store.getById("a", "eth0")), []);
      // The index lives outside the network directory, invisible to the reference.
      assert(Deno.statSync(join(data, ".denocni-index", "n", "0")).isFile);
    } finally {
      store.close();
    }
  } finally {
    Deno.removeSync(data, { recursive: true });
  }
});

/** A lease directory with `count` leases in the reference format (10.20.x.y, owners `old-k`). */
function seedLeases(data: string, network: string, count: number): string {
  const dir = join(data, network);
  Deno.mkdirSync(dir, { recursive: true });
  let last = "";
  for (let k = 2; k < count + 2; k++) {
    last = `10.20.${k >> 8}.${k & 255}`;
    Deno.writeTextFileSync(join(dir, last), `old-${k}\r\neth0`);
  }
  Deno.writeTextFileSync(join(dir, "last_reserved_ip.0"), last);
  return dir;
}

/** Opens a store per command, counting full directory scans. */
function countingStores(data: string, network: string) {
  const counter = { scans: 0 };
  const readDir = (p: string) => {
    counter.scans++;
    return Deno.readDirSync(p);
  };
  const run = async <T>(fn: (s: ReturnType<typeof openDiskStore>) => T): Promise<T> => {
    const store = openDiskStoreWith(data, network, {}, readDir);
    try {
      return await store.withLock(() => fn(store));
    } finally {
      store.close();
    }
  };
  return { counter, run };
}

Deno.test("openDiskStore() ADD, DEL and CHECK read no lease directory once the index is built (3000 leases)", async () => {
  const data = tempDir();
  try {
    const dir = seedLeases(data, "big", 3000);
    const { counter, run } = countingStores(data, "big");
    // The first command finds no index and builds it with one scan.
    assertEquals(await run((s) => s.getById("old-7", "eth0")), ["10.20.0.7"]);
    assertEquals(counter.scans, 1);
    for (let i = 0; i < 5; i++) {
      const ip = await run((s) => {
        assertEquals(s.getById(`c${i}`, "eth0"), []);
        const want = `10.20.200.${i + 10}`;
        assert(s.reserve(`c${i}`, "eth0", want, "0"));
        return want;
      });
      assert(await run((s) => s.findById(`c${i}`, "eth0")));
      assertEquals(await run((s) => s.releaseById(`c${i}`, "eth0")), [ip]);
      assertEquals(await run((s) => s.releaseById(`c${i}`, "eth0")), []); // idempotent
      assert(!await run((s) => s.findById(`c${i}`, "eth0")));
    }
    // A seeded lease is released through the index too.
    assertEquals(await run((s) => s.releaseById("old-9", "eth0")), ["10.20.0.9"]);
    assertEquals(counter.scans, 1, "ADD, CHECK and DEL must not list the lease directory");
    assertEquals(Deno.readTextFileSync(join(dir, "last_reserved_ip.0")), "10.20.200.14");
    assertEquals([...Deno.readDirSync(dir)].length, 3000 - 1 + 2); // leases, lock, last_reserved
  } finally {
    Deno.removeSync(data, { recursive: true });
  }
});

Deno.test("openDiskStore() honours leases written and removed behind the index's back", async () => {
  const data = tempDir();
  try {
    const dir = seedLeases(data, "big", 300);
    const { counter, run } = countingStores(data, "big");
    assert(await run((s) => s.reserve("a", "eth0", "10.20.100.1", "0")));
    assertEquals(counter.scans, 1);
    // By hand, straight after our write: a lease for "b" (last_reserved_ip untouched) ...
    Deno.writeTextFileSync(join(dir, "10.20.100.2"), "b\r\neth0");
    assertEquals(await run((s) => s.getById("b", "eth0")), ["10.20.100.2"]);
    assertEquals(counter.scans, 2, "a foreign lease makes the next command rescan once");
    assertEquals(await run((s) => s.releaseById("b", "eth0")), ["10.20.100.2"]);
    // ... and a DEL right after a foreign write releases the foreign lease too.
    Deno.writeTextFileSync(join(dir, "10.20.100.3"), "b\r\neth0");
    assertEquals(await run((s) => s.releaseById("b", "eth0")), ["10.20.100.3"]);
    assertEquals(counter.scans, 3);
    // A foreign removal followed by a foreign reuse of the address for someone else.
    Deno.removeSync(join(dir, "10.20.100.1"));
    Deno.writeTextFileSync(join(dir, "10.20.100.1"), "z\r\neth0");
    assertEquals(await run((s) => s.releaseById("a", "eth0")), []);
    assertEquals(Deno.readTextFileSync(join(dir, "10.20.100.1")), "z\r\neth0");
    // A legacy (container ID only) lease by hand is found by the legacy fallback.
    Deno.writeTextFileSync(join(dir, "10.20.100.4"), "legacy");
    assertEquals(await run((s) => s.releaseById("legacy", "eth3")), ["10.20.100.4"]);
    const settled = counter.scans;
    assertEquals(await run((s) => s.releaseById("old-5", "eth0")), ["10.20.0.5"]);
    assertEquals(counter.scans, settled);
    // An owner whose ID ends in another owner's key (a tab inside, by hand) is told apart.
    Deno.writeTextFileSync(join(dir, "10.20.100.5"), "x\tq\r\neth0");
    assertEquals(await run((s) => s.getById("q", "eth0")), []);
    assertEquals(await run((s) => s.releaseById("q", "eth0")), []);
    assert(Deno.statSync(join(dir, "10.20.100.5")).isFile);
    const before = counter.scans;
    // A wiped index directory is rebuilt.
    Deno.removeSync(join(data, ".denocni-index"), { recursive: true });
    assertEquals(await run((s) => s.getById("old-6", "eth0")), ["10.20.0.6"]);
    assertEquals(counter.scans, before + 1);
  } finally {
    Deno.removeSync(data, { recursive: true });
  }
});

Deno.test({
  ...gated(
    "openDiskStore() releases a lease the reference binary wrote after our last command",
    refMissing("host-local"),
  ),
  async fn() {
    const data = tempDir();
    try {
      seedLeases(data, "big", 300);
      const { counter, run } = countingStores(data, "big");
      assert(await run((s) => s.reserve("ours", "eth0", "10.20.100.1", "0")));
      const conf = {
        cniVersion: "1.0.0",
        name: "big",
        type: "bridge",
        ipam: { type: "host-local", dataDir: data, subnet: "10.20.0.0/16" },
      };
      const res = await execReference("host-local", {
        command: "ADD",
        containerId: "theirs",
        netns: "/var/run/netns/unused",
        ifName: "eth0",
      }, conf);
      assertEquals(res.code, 0, res.stdout);
      const addr = JSON.parse(res.stdout).ips[0].address as string;
      const ip = addr.slice(0, addr.indexOf("/"));
      assertEquals(ip, "10.20.100.2"); // the shared round-robin cursor
      assertEquals(await run((s) => s.releaseById("theirs", "eth0")), [ip]);
      assertEquals(counter.scans, 2);
      assertEquals(await run((s) => s.releaseById("ours", "eth0")), ["10.20.100.1"]);
      assertEquals(counter.scans, 2);
    } finally {
      Deno.removeSync(data, { recursive: true });
    }
  },
});

Deno.test("openDiskStore() rewrites last_reserved_ip and the index marker in place, shorter or longer", async () => {
  const data = tempDir();
  try {
    const dir = join(data, "n");
    const { counter, run } = countingStores(data, "n");
    for (const ip of ["10.9.0.100", "10.9.0.2", "10.9.0.33", "fd00::1:2", "10.9.0.3"]) {
      assert(await run((s) => s.reserve(`c-${ip}`, "eth0", ip, "0")));
      assertEquals(Deno.readTextFileSync(join(dir, "last_reserved_ip.0")), ip);
      assertEquals(await run((s) => s.lastReservedIp("0")), ip);
    }
    const index = Deno.readTextFileSync(join(data, ".denocni-index", "n", "0"));
    const marker = JSON.parse(index.slice(0, index.indexOf("\n")));
    assertEquals(marker.last, { "0": "10.9.0.3" });
    assertEquals(counter.scans, 1); // each command trusted the marker the previous one wrote
  } finally {
    Deno.removeSync(data, { recursive: true });
  }
});
