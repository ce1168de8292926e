import { deepStrictEqual as assertEquals, rejects, throws } from "node:assert/strict";
import { CniError } from "./errors.ts";
import {
  MAX_SMALL_FILE_BYTES,
  readRegularFile,
  readRegularFileSync,
  readStreamBounded,
} from "./read_bounded.ts";

const OPTS = { maxBytes: MAX_SMALL_FILE_BYTES, what: "resolvConf" };

function isCode(code: number, text: RegExp) {
  return (err: unknown) => err instanceof CniError && err.code === code && text.test(err.message);
}

Deno.test("readRegularFileSync() reads a regular file and follows a symlink to one", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/f`, "abc");
    Deno.symlinkSync(`${dir}/f`, `${dir}/l`);
    assertEquals(new TextDecoder().decode(readRegularFileSync(`${dir}/l`, OPTS)), "abc");
    assertEquals(readRegularFileSync(`${dir}/f`, OPTS).length, 3);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("readRegularFileSync() refuses /dev/zero, a directory, a FIFO and a missing file", async () => {
  throws(
    () => readRegularFileSync("/dev/zero", OPTS),
    isCode(5, /"\/dev\/zero": a character device/),
  );
  const dir = Deno.makeTempDirSync();
  try {
    throws(() => readRegularFileSync(dir, OPTS), isCode(5, /a directory, not a regular file/));
    const fifo = `${dir}/fifo`;
    const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assertEquals(mk.code, 0);
    throws(() => readRegularFileSync(fifo, OPTS), isCode(5, /a FIFO/)); // and does not hang
    await rejects(readRegularFile(fifo, OPTS), isCode(5, /a FIFO/));
    throws(() => readRegularFileSync(`${dir}/none`, OPTS), isCode(5, /failed to read resolvConf/));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("readRegularFileSync() refuses a file over the cap, with the cap in the message", async () => {
  const path = Deno.makeTempFileSync();
  try {
    Deno.writeFileSync(path, new Uint8Array(MAX_SMALL_FILE_BYTES + 1));
    throws(() => readRegularFileSync(path, OPTS), isCode(5, /larger than 64 KiB/));
    await rejects(readRegularFile(path, { ...OPTS, code: 7 }), isCode(7, /larger than 64 KiB/));
    Deno.writeFileSync(path, new Uint8Array(MAX_SMALL_FILE_BYTES));
    assertEquals((await readRegularFile(path, OPTS)).length, MAX_SMALL_FILE_BYTES);
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("readRegularFileSync() bounds a /proc file that reports size 0", () => {
  // /proc/self/maps is regular with st_size 0; a 16-byte cap must stop the read.
  throws(
    () => readRegularFileSync("/proc/self/maps", { maxBytes: 16, what: "file" }),
    isCode(5, /larger than 16 bytes/),
  );
});

Deno.test("readStreamBounded() stops an endless stream at the cap", async () => {
  let reads = 0;
  const endless = (buf: Uint8Array) => {
    reads++;
    buf.fill(1);
    return Promise.resolve(buf.length);
  };
  await rejects(
    readStreamBounded(endless, { maxBytes: 1024 * 1024, what: "stdin" }),
    isCode(5, /failed to read stdin: larger than 1024 KiB/),
  );
  assertEquals(reads <= 17, true);
});

Deno.test("readRegularFileSync() and readRegularFile() with noFollow refuse a symlink, even to a regular file", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/f`, "abc");
    Deno.symlinkSync(`${dir}/f`, `${dir}/l`);
    const o = { ...OPTS, noFollow: true };
    assertEquals(readRegularFileSync(`${dir}/f`, o).length, 3);
    throws(() => readRegularFileSync(`${dir}/l`, o), isCode(5, /resolvConf ".*\/l"/));
    await rejects(readRegularFile(`${dir}/l`, o), isCode(5, /resolvConf ".*\/l"/));
    assertEquals((await readRegularFile(`${dir}/f`, o)).length, 3);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
