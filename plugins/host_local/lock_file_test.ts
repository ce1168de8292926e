import { assert, assertEquals, assertRejects, assertThrows } from "../../tests/helpers/assert.ts";
import { join } from "node:path";
import { CniError } from "../../cni/errors.ts";
import { DEFAULT_LOCK_TIMEOUT_MS, LockFile } from "./lock_file.ts";

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "denocni-hl-lockfile-" });
}

Deno.test("LockFile.tryLock() fails while another open file description holds the lock", () => {
  const dir = tempDir();
  try {
    const path = join(dir, "lock");
    using a = new LockFile(path);
    using b = new LockFile(path);
    assert(a.tryLock());
    assertEquals(b.tryLock(), false);
    a.unlock();
    assert(b.tryLock());
    b.close(); // closing drops the lock
    assert(a.tryLock());
    assertEquals(Deno.statSync(path).mode! & 0o777, 0o750);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("LockFile.run() waits on timers for a holder, runs the work holding the lock, then drops it", async () => {
  const dir = tempDir();
  try {
    const path = join(dir, "lock");
    using holder = new LockFile(path);
    using waiter = new LockFile(path);
    assert(holder.tryLock());
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    setTimeout(() => holder.unlock(), 150);
    const t0 = performance.now();
    const got = await waiter.run(() => {
      assertEquals(holder.tryLock(), false, "the work runs holding the lock");
      return 42;
    }, { timeoutMs: 5000 });
    clearInterval(timer);
    assertEquals(got, 42);
    assert(performance.now() - t0 >= 140);
    assert(ticks >= 10, `${ticks} ticks`);
    assert(holder.tryLock(), "the lock is dropped after the work");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("LockFile.run() gives up with code 11 and never runs the work; errors of the work propagate", async () => {
  const dir = tempDir();
  try {
    const path = join(dir, "lock");
    using holder = new LockFile(path);
    using waiter = new LockFile(path);
    assert(holder.tryLock());
    let ran = false;
    const err = await assertRejects(
      () => waiter.run(() => (ran = true), { timeoutMs: 100, network: "net1" }),
      CniError,
    );
    assertEquals((err as CniError).code, 11);
    assertEquals(
      (err as CniError).msg,
      `timed out after 100 ms waiting for the lock of network "net1" ("${path}")`,
    );
    assertEquals(ran, false);
    holder.unlock();
    await assertRejects(
      () =>
        waiter.run(() => {
          throw new Error("boom");
        }),
      Error,
      "boom",
    );
    assert(holder.tryLock(), "a failing work still drops the lock");
    assertEquals(DEFAULT_LOCK_TIMEOUT_MS, 30_000);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("LockFile refuses a symlink (never creating its target) and a non-regular file", () => {
  const dir = tempDir();
  try {
    Deno.symlinkSync(join(dir, "target"), join(dir, "lock"));
    const e1 = assertThrows(() => new LockFile(join(dir, "lock")), CniError);
    assertEquals(e1.code, 5);
    assert(e1.details.includes("symbolic link"), e1.details);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["lock"]);
    assertEquals(new Deno.Command("mkfifo", { args: [join(dir, "fifo")] }).outputSync().code, 0);
    const e2 = assertThrows(() => new LockFile(join(dir, "fifo")), CniError);
    assertEquals(e2.details, "not a regular file");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("LockFile excludes another open file description (flock semantics)", async () => {
  const data = tempDir();
  try {
    const path = join(data, "lock");
    using a = new LockFile(path);
    await a.lock();
    const probe = new Deno.Command("flock", { args: ["-n", "-x", path, "true"] }).outputSync();
    assertEquals(probe.code, 1, "flock(1) -n should fail while we hold the lock");
    a.unlock();
    const again = new Deno.Command("flock", { args: ["-n", "-x", path, "true"] }).outputSync();
    assertEquals(again.code, 0);
  } finally {
    Deno.removeSync(data, { recursive: true });
  }
});
