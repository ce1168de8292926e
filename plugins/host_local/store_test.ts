import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { join } from "node:path";
import { LockFile, openDiskStore } from "./store.ts";

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "denocni-hl-store-" });
}

function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of Deno.readDirSync(dir)) out[e.name] = Deno.readTextFileSync(join(dir, e.name));
  return out;
}

Deno.test("openDiskStore() writes the reference's files, bytes and modes", () => {
  const data = tempDir();
  try {
    const store = openDiskStore(data, "net1");
    try {
      assert(store.withLock(() => store.reserve(" c1 ", "eth0", "10.9.0.2", "0")));
      assert(store.withLock(() => store.reserve("c1", "eth0", "fd00::2", "1")));
      assert(!store.withLock(() => store.reserve("c2", "eth0", "10.9.0.2", "0")));
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

Deno.test("openDiskStore() releases by id+ifname, falls back to legacy id-only files, keeps bookkeeping", () => {
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
      assertEquals(store.withLock(() => store.getById("c1", "eth0")).sort(), [
        "10.0.0.2",
        "10.0.0.4",
      ]);
      assertEquals(store.withLock(() => store.releaseById("c1", "eth0")), ["10.0.0.2"]);
      assert(store.withLock(() => store.findById("c1", "eth0"))); // legacy 10.0.0.4 still matches
      assertEquals(store.withLock(() => store.releaseById("c1", "eth0")), ["10.0.0.4"]);
      assertEquals(store.withLock(() => store.releaseById("c2", "eth9")), ["10.0.0.5"]);
      assertEquals(store.withLock(() => store.releaseById("c2", "eth9")), []); // idempotent
      assert(!store.withLock(() => store.findById("c2", "eth9")));
    } finally {
      store.close();
    }
    assertEquals(Object.keys(listing(dir)).sort(), ["10.0.0.3", "last_reserved_ip.0", "lock"]);
  } finally {
    Deno.removeSync(data, { recursive: true });
  }
});

Deno.test("openDiskStore() reclaims empty lease files (plugins#498) but never real ones", () => {
  const data = tempDir();
  try {
    const dir = join(data, "n");
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(join(dir, "10.0.0.2"), "");
    Deno.writeTextFileSync(join(dir, "10.0.0.3"), " \n");
    Deno.writeTextFileSync(join(dir, "10.0.0.4"), "x");
    const store = openDiskStore(data, "n");
    try {
      assert(store.withLock(() => store.isFree("10.0.0.2")));
      assert(!store.withLock(() => store.isFree("10.0.0.4")));
      assert(store.withLock(() => store.reserve("c9", "eth0", "10.0.0.2", "0")));
      assert(store.withLock(() => store.reserve("c9", "eth1", "10.0.0.3", "0")));
      assert(!store.withLock(() => store.reserve("c9", "eth2", "10.0.0.4", "0")));
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

Deno.test("openDiskStore() owner index sees leases written behind its back", () => {
  const data = tempDir();
  try {
    const dir = join(data, "n");
    const store = openDiskStore(data, "n");
    try {
      assert(store.withLock(() => store.reserve("a", "eth0", "10.0.0.2", "0")));
      assertEquals(store.withLock(() => store.getById("a", "eth0")), ["10.0.0.2"]);
      // A foreign writer (the reference binary) adds a lease and moves last_reserved_ip.
      Deno.writeTextFileSync(join(dir, "10.0.0.3"), "b\r\neth0");
      Deno.writeTextFileSync(join(dir, "last_reserved_ip.0"), "10.0.0.3");
      assertEquals(store.withLock(() => store.getById("b", "eth0")), ["10.0.0.3"]);
      // ... and removes one: the stale index entry is not reported.
      Deno.removeSync(join(dir, "10.0.0.2"));
      assertEquals(store.withLock(() => store.getById("a", "eth0")), []);
      // The index lives outside the network directory, invisible to the reference.
      assert(Deno.statSync(join(data, ".denocni-index", "n", "marker")).isFile);
    } finally {
      store.close();
    }
  } finally {
    Deno.removeSync(data, { recursive: true });
  }
});

Deno.test("LockFile excludes another open file description (flock semantics)", () => {
  const data = tempDir();
  try {
    const path = join(data, "lock");
    using a = new LockFile(path);
    a.lock();
    const probe = new Deno.Command("flock", { args: ["-n", "-x", path, "true"] }).outputSync();
    assertEquals(probe.code, 1, "flock(1) -n should fail while we hold the lock");
    a.unlock();
    const again = new Deno.Command("flock", { args: ["-n", "-x", path, "true"] }).outputSync();
    assertEquals(again.code, 0);
  } finally {
    Deno.removeSync(data, { recursive: true });
  }
});
