import { assert, assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { dirStatTimes } from "./stat.ts";
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
