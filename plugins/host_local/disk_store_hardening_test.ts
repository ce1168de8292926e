// Hostile on-disk states for the disk store: links planted inside dataDir, oversized and
// non-regular lease files, and an owner index that disagrees with the lease files.
import { assert, assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { join } from "node:path";
import { CniError } from "../../cni/errors.ts";
import { openDiskStore } from "./disk_store.ts";
import { fileOf, fnv1a } from "./index_format.ts";

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "denocni-hl-hard-" });
}

async function withDirs(fn: (data: string, outside: string) => Promise<void>): Promise<void> {
  const data = tempDir();
  const outside = tempDir();
  try {
    await fn(data, outside);
  } finally {
    Deno.removeSync(data, { recursive: true });
    Deno.removeSync(outside, { recursive: true });
  }
}

/** Runs one command's worth of store calls under the lock, then closes the store. */
async function run<T>(
  data: string,
  network: string,
  fn: (s: ReturnType<typeof openDiskStore>) => T,
): Promise<T> {
  const store = openDiskStore(data, network);
  try {
    return await store.withLock(() => fn(store));
  } finally {
    store.close();
  }
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("openDiskStore() treats a symlinked lease as taken and never writes through it", async () => {
  await withDirs(async (data, outside) => {
    const dir = join(data, "n");
    Deno.mkdirSync(dir);
    const target = join(outside, "target");
    Deno.writeTextFileSync(target, ""); // an empty file looks reclaimable when followed
    Deno.symlinkSync(target, join(dir, "10.0.0.2"));
    Deno.symlinkSync(join(outside, "dangling"), join(dir, "10.0.0.3"));
    assertEquals(await run(data, "n", (s) => s.isFree("10.0.0.2")), false);
    assertEquals(await run(data, "n", (s) => s.reserve("c1", "eth0", "10.0.0.2", "0")), false);
    assertEquals(await run(data, "n", (s) => s.reserve("c1", "eth0", "10.0.0.3", "0")), false);
    assertEquals(await run(data, "n", (s) => s.reserve("c1", "eth0", "10.0.0.4", "0")), true);
    assertEquals(Deno.readTextFileSync(target), "");
    assertEquals(names(outside), ["target"]);
    assert(Deno.lstatSync(join(dir, "10.0.0.2")).isSymlink);
    // GC and DEL leave links they did not make alone.
    assertEquals(await run(data, "n", (s) => s.leases().map((l) => l.ip)), ["10.0.0.4"]);
    assertEquals(await run(data, "n", (s) => s.releaseById("c1", "eth0")), ["10.0.0.4"]);
    assert(Deno.lstatSync(join(dir, "10.0.0.3")).isSymlink);
  });
});

Deno.test("openDiskStore() never follows a link for the lock, last_reserved_ip or the network dir", async () => {
  await withDirs(async (data, outside) => {
    // lock -> outside (dangling: O_CREAT through it would create the target).
    Deno.mkdirSync(join(data, "a"));
    Deno.symlinkSync(join(outside, "lock"), join(data, "a", "lock"));
    const e1 = assertThrows(() => openDiskStore(data, "a"), CniError);
    assert(e1.message.includes(join(data, "a", "lock")), e1.message);
    // The network directory itself -> outside.
    Deno.mkdirSync(join(outside, "netb"));
    Deno.symlinkSync(join(outside, "netb"), join(data, "b"));
    const e2 = assertThrows(() => openDiskStore(data, "b"), CniError);
    assert(e2.message.includes(join(data, "b")), e2.message);
    assertEquals(names(join(outside, "netb")), []);
    // last_reserved_ip.0 -> a file outside: replaced by a regular file, target untouched.
    Deno.mkdirSync(join(data, "c"));
    Deno.writeTextFileSync(join(outside, "last"), "keep");
    Deno.symlinkSync(join(outside, "last"), join(data, "c", "last_reserved_ip.0"));
    assertEquals(await run(data, "c", (s) => s.lastReservedIp("0")), undefined);
    assert(await run(data, "c", (s) => s.reserve("c1", "eth0", "10.0.0.2", "0")));
    assertEquals(Deno.readTextFileSync(join(outside, "last")), "keep");
    assertEquals(Deno.readTextFileSync(join(data, "c", "last_reserved_ip.0")), "10.0.0.2");
    assert(Deno.lstatSync(join(data, "c", "last_reserved_ip.0")).isFile);
    assertEquals(names(outside).sort(), ["last", "netb"]);
  });
});

Deno.test("openDiskStore() never creates files through a symlinked index directory", async () => {
  await withDirs(async (data, outside) => {
    Deno.symlinkSync(outside, join(data, ".denocni-index"));
    assert(await run(data, "n", (s) => s.reserve("c1", "eth0", "10.0.0.2", "0")));
    assertEquals(await run(data, "n", (s) => s.getById("c1", "eth0")), ["10.0.0.2"]);
    assertEquals(await run(data, "n", (s) => s.releaseById("c1", "eth0")), ["10.0.0.2"]);
    assertEquals(names(outside), []);
    // The same for the network's own index directory and a file in it.
    Deno.removeSync(join(data, ".denocni-index"));
    Deno.mkdirSync(join(data, ".denocni-index"));
    Deno.symlinkSync(outside, join(data, ".denocni-index", "m"));
    assert(await run(data, "m", (s) => s.reserve("c1", "eth0", "10.0.0.2", "0")));
    assertEquals(await run(data, "m", (s) => s.releaseById("c1", "eth0")), ["10.0.0.2"]);
    assertEquals(names(outside), []);
  });
});

Deno.test("openDiskStore() never reads an oversized lease or a FIFO, and counts both as taken", async () => {
  await withDirs(async (data) => {
    const dir = join(data, "n");
    Deno.mkdirSync(dir);
    // An owner's text followed by 4 MiB of blanks: read whole and trimmed, it would match c1.
    const blanks = new Uint8Array(4 * 1024 * 1024).fill(0x20);
    Deno.writeTextFileSync(join(dir, "10.0.0.2"), "c1\r\neth0");
    Deno.writeFileSync(join(dir, "10.0.0.2"), blanks, { append: true });
    assertEquals(await run(data, "n", (s) => s.getById("c1", "eth0")), []);
    assertEquals(await run(data, "n", (s) => s.releaseById("c1", "eth0")), []);
    assertEquals(await run(data, "n", (s) => s.isFree("10.0.0.2")), false);
    assertEquals(await run(data, "n", (s) => s.reserve("c2", "eth0", "10.0.0.2", "0")), false);
    // An index entry whose lease was replaced by a FIFO: looking it up must not block.
    assert(await run(data, "n", (s) => s.reserve("c3", "eth0", "10.0.0.3", "0")));
    Deno.removeSync(join(dir, "10.0.0.3"));
    const mk = new Deno.Command("mkfifo", { args: [join(dir, "10.0.0.3")] }).outputSync();
    assertEquals(mk.code, 0);
    assertEquals(await run(data, "n", (s) => s.getById("c3", "eth0")), []);
    assertEquals(await run(data, "n", (s) => s.isFree("10.0.0.3")), false);
    assertEquals(await run(data, "n", (s) => s.reserve("c4", "eth0", "10.0.0.3", "0")), false);
    await run(data, "n", (s) => s.release("10.0.0.3")); // not ours to remove, and never read
    assert(Deno.lstatSync(join(dir, "10.0.0.3")).isFifo);
  });
});

/** Rewrites every file under the network's index directory with `edit`. */
function editIndex(data: string, network: string, edit: (text: string) => string): number {
  const dir = join(data, ".denocni-index", network);
  let n = 0;
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    const before = Deno.readTextFileSync(p);
    const after = edit(before);
    if (after === before) continue;
    Deno.writeTextFileSync(p, after);
    n++;
  }
  return n;
}

Deno.test("openDiskStore() lets the lease files win over an index that points elsewhere", async () => {
  await withDirs(async (data) => {
    for (const [id, ip] of [["a", "10.0.0.5"], ["b", "10.0.0.6"], ["z", "10.0.0.7"]]) {
      assert(await run(data, "n", (s) => s.reserve(id!, "eth0", ip!, "0")));
    }
    // Same length, same marker (10.0.0.7 is the last reserved): a's entry now names 10.0.0.9.
    assert(editIndex(data, "n", (t) => t.replaceAll("10.0.0.5\t", "10.0.0.9\t")) > 0);
    assertEquals(await run(data, "n", (s) => s.getById("a", "eth0")), ["10.0.0.5"]);
    assertEquals(await run(data, "n", (s) => s.releaseById("a", "eth0")), ["10.0.0.5"]);
    // An entry of b moved to another owner's address (z's): b is still found by its file.
    assert(editIndex(data, "n", (t) => t.replaceAll("10.0.0.6\tb", "10.0.0.7\tb")) > 0);
    assertEquals(await run(data, "n", (s) => s.releaseById("b", "eth0")), ["10.0.0.6"]);
    assertEquals(Deno.readTextFileSync(join(data, "n", "10.0.0.7")), "z\r\neth0");
  });
});

Deno.test("openDiskStore() rebuilds an index whose entries were cut or garbled", async () => {
  await withDirs(async (data) => {
    const ids = Array.from({ length: 200 }, (_, i) => `owner-${i}`);
    await run(data, "n", (s) => {
      for (const [i, id] of ids.entries()) {
        assert(s.reserve(id, "eth0", `10.1.${i >> 8}.${(i & 255) + 1}`, "0"));
      }
    });
    // Drop every entry line but keep anything that looks like a header (JSON).
    editIndex(data, "n", (t) => t.split("\n").filter((l) => l.startsWith("{")).join("\n") + "\n");
    assertEquals(await run(data, "n", (s) => s.releaseById("owner-7", "eth0")), ["10.1.0.8"]);
    // Garble every byte after the first line of each file.
    editIndex(data, "n", (t) => {
      const at = t.indexOf("\n");
      return t.slice(0, at + 1) + t.slice(at + 1).replace(/[^\n]/g, "#");
    });
    assertEquals(await run(data, "n", (s) => s.releaseById("owner-150", "eth0")), ["10.1.0.151"]);
    // Empty every index file.
    editIndex(data, "n", () => "");
    assertEquals(await run(data, "n", (s) => s.releaseById("owner-199", "eth0")), ["10.1.0.200"]);
    assertEquals(await run(data, "n", (s) => s.getById("owner-3", "eth0")), ["10.1.0.4"]);
    // Swap a bucket for its older self (valid on its own) after a new owner landed in it.
    const bucket = join(data, ".denocni-index", "n", String(fileOf(1, 2)));
    const before = Deno.readTextFileSync(bucket);
    let late = 0;
    while ((fnv1a(`late-${late}\teth0`) & 1) !== 1) late++;
    assert(await run(data, "n", (s) => s.reserve(`late-${late}`, "eth0", "10.1.1.1", "0")));
    assert(Deno.readTextFileSync(bucket) !== before);
    Deno.writeTextFileSync(bucket, before);
    assertEquals(await run(data, "n", (s) => s.releaseById(`late-${late}`, "eth0")), ["10.1.1.1"]);
  });
});

Deno.test("openDiskStore() removes the network's index with its last lease, and the index root when empty", async () => {
  await withDirs(async (data) => {
    assert(await run(data, "n", (s) => s.reserve("c1", "eth0", "10.0.0.2", "0")));
    assert(await run(data, "m", (s) => s.reserve("c1", "eth0", "10.0.0.2", "0")));
    assertEquals(names(join(data, ".denocni-index")), ["m", "n"]);
    assertEquals(await run(data, "n", (s) => s.releaseById("c1", "eth0")), ["10.0.0.2"]);
    assertEquals(names(join(data, ".denocni-index")), ["m"]);
    assertEquals(await run(data, "m", (s) => s.leases().map((l) => l.ip)), ["10.0.0.2"]);
    await run(data, "m", (s) => s.release("10.0.0.2"));
    assertEquals(names(data), ["m", "n"]);
    assertEquals(names(join(data, "n")), ["last_reserved_ip.0", "lock"]);
  });
});

Deno.test("openDiskStore() removes the index of a network whose lease directory was removed", async () => {
  await withDirs(async (data) => {
    assert(await run(data, "gone", (s) => s.reserve("c1", "eth0", "10.0.0.2", "0")));
    assert(await run(data, "kept", (s) => s.reserve("c1", "eth0", "10.0.0.2", "0")));
    Deno.removeSync(join(data, "gone"), { recursive: true }); // a runtime dropped the network
    // The next rebuild of any network's index (here a fresh one) tidies it.
    assert(await run(data, "n", (s) => s.reserve("c1", "eth0", "10.0.0.2", "0")));
    assertEquals(names(join(data, ".denocni-index")), ["kept", "n"]);
    // So does the removal of a network's last lease.
    assert(await run(data, "gone", (s) => s.reserve("c1", "eth0", "10.0.0.2", "0")));
    Deno.removeSync(join(data, "gone"), { recursive: true });
    assertEquals(await run(data, "n", (s) => s.releaseById("c1", "eth0")), ["10.0.0.2"]);
    assertEquals(names(join(data, ".denocni-index")), ["kept"]);
  });
});

Deno.test("openDiskStore() refuses a lease it could not read back (over 4 KiB) before writing it", async () => {
  await withDirs(async (data) => {
    const id = "c".repeat(5000);
    const err = await run(data, "n", (s) => s.reserve(id, "eth0", "10.0.0.2", "0")).catch((e) => e);
    assert(err instanceof CniError, String(err));
    assertEquals(err.code, 4);
    assertEquals(names(join(data, "n")), ["lock"]);
  });
});
