import { assert, assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { dirStatTimes, fstatFile, fstatKind, S_IFDIR, S_IFMT, S_IFREG } from "./stat.ts";
import { O_DIRECTORY, O_RDONLY } from "./constants.ts";
import { close, open } from "./fd.ts";
import { ErrnoError } from "./errno.ts";

Deno.test("dirStatTimes() agrees with Deno.statSync and never goes backwards", () => {
  const dir = Deno.makeTempDirSync({ prefix: "denocni-stat-" });
  try {
    const st = Deno.statSync(dir);
    const a = dirStatTimes(dir);
    assertEquals(a.ino, BigInt(st.ino!));
    assertEquals(a.dev, BigInt(st.dev));
    assertEquals(a.mtimeNs / 1_000_000n, BigInt(st.mtime!.getTime()));
    // Timestamps may be coarse (a clock tick) on kernels without multigrain timestamps, but
    // never go backwards, and a change moves ctime with mtime.
    let prev = a;
    for (let i = 0; i < 3; i++) {
      Deno.writeTextFileSync(`${dir}/f${i}`, "");
      const b = dirStatTimes(dir);
      assert(b.mtimeNs >= prev.mtimeNs);
      assert(b.ctimeNs >= b.mtimeNs);
      prev = b;
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("dirStatTimes() of a missing path or a file throws ErrnoError", () => {
  assertEquals(assertThrows(() => dirStatTimes("/nonexistent/denocni"), ErrnoError).code, "ENOENT");
  const file = Deno.makeTempFileSync();
  try {
    assertEquals(assertThrows(() => dirStatTimes(file), ErrnoError).code, "ENOTDIR");
  } finally {
    Deno.removeSync(file);
  }
});

Deno.test("fstatFile() gives the type, permissions and size Deno.statSync sees", () => {
  const dir = Deno.makeTempDirSync({ prefix: "denocni-stat-" });
  try {
    const path = `${dir}/f`;
    Deno.writeTextFileSync(path, "hello", { mode: 0o640 });
    Deno.chmodSync(path, 0o640);
    const fd = open(path, O_RDONLY);
    try {
      const st = fstatFile(fd);
      assertEquals(st.mode & S_IFMT, S_IFREG);
      assertEquals(st.mode & 0o7777, 0o640);
      assertEquals(st.size, 5);
      assertEquals(st.ino, BigInt(Deno.statSync(path).ino!));
      assertEquals(fstatKind(fd), { mode: st.mode, size: 5 });
    } finally {
      close(fd);
    }
    const dfd = open(dir, O_RDONLY | O_DIRECTORY);
    try {
      assertEquals(fstatFile(dfd).mode & S_IFMT, S_IFDIR);
    } finally {
      close(dfd);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
