import { assert, assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { join } from "node:path";
import { ErrnoError } from "../../ffi/mod.ts";
import { DirHandle, rmdirPath } from "./_dir.ts";

const TEXT = new TextEncoder();

function withDirs(fn: (dir: string, outside: string) => void): void {
  const dir = Deno.makeTempDirSync({ prefix: "denocni-hl-dir-" });
  const outside = Deno.makeTempDirSync({ prefix: "denocni-hl-dir-out-" });
  try {
    fn(dir, outside);
  } finally {
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(outside, { recursive: true });
  }
}

Deno.test("DirHandle.read() reads small regular files and reports links, FIFOs and big files unread", () => {
  withDirs((dir, outside) => {
    Deno.writeTextFileSync(join(dir, "small"), "c1\r\neth0");
    Deno.writeTextFileSync(join(outside, "t"), "secret");
    Deno.symlinkSync(join(outside, "t"), join(dir, "link"));
    Deno.writeFileSync(join(dir, "big"), new Uint8Array(5000));
    assertEquals(new Deno.Command("mkfifo", { args: [join(dir, "fifo")] }).outputSync().code, 0);
    Deno.mkdirSync(join(dir, "sub"));
    using d = DirHandle.open(dir);
    const small = d.read("small", 4096);
    assertEquals(small.kind, "file");
    assertEquals(small.kind === "file" && new TextDecoder().decode(small.bytes), "c1\r\neth0");
    assertEquals(d.read("small", 7), { kind: "large", size: 8 });
    assertEquals(d.read("link", 4096), { kind: "special", why: "a symbolic link" });
    assertEquals(d.read("fifo", 4096), { kind: "special", why: "a FIFO" });
    assertEquals(d.read("sub", 4096), { kind: "special", why: "a directory" });
    assertEquals(d.read("big", 4096), { kind: "large", size: 5000 });
    assertEquals(d.read("none", 4096), { kind: "missing" });
  });
});

Deno.test("DirHandle.create() is exclusive (a dangling link counts) and overwrite() never writes through a link", () => {
  withDirs((dir, outside) => {
    Deno.symlinkSync(join(outside, "dangling"), join(dir, "lease"));
    Deno.writeTextFileSync(join(outside, "last"), "keep");
    Deno.symlinkSync(join(outside, "last"), join(dir, "last"));
    using d = DirHandle.open(dir);
    assertEquals(d.create("lease", TEXT.encode("x"), 0o600), false);
    assertEquals(d.create("new", TEXT.encode("hello"), 0o600), true);
    assertEquals(d.create("new", TEXT.encode("again"), 0o600), false);
    assertEquals(Deno.readTextFileSync(join(dir, "new")), "hello");
    assertEquals(Deno.statSync(join(dir, "new")).mode! & 0o777, 0o600);
    d.overwrite("last", TEXT.encode("10.0.0.2"), 0o600);
    assertEquals(Deno.readTextFileSync(join(outside, "last")), "keep");
    assert(Deno.lstatSync(join(dir, "last")).isFile);
    assertEquals(Deno.readTextFileSync(join(dir, "last")), "10.0.0.2");
    // In place: longer, then shorter with the old length known (the tail is cut).
    d.overwrite("last", TEXT.encode("10.0.0.100"), 0o600, 8);
    d.overwrite("last", TEXT.encode("10.0.0.3"), 0o600, 10);
    assertEquals(Deno.readTextFileSync(join(dir, "last")), "10.0.0.3");
    assertEquals([...Deno.readDirSync(outside)].map((e) => e.name).sort(), ["last"]);
  });
});

Deno.test("DirHandle.open() and sub() refuse a symlinked directory; unlink() and rmdir() leave targets alone", () => {
  withDirs((dir, outside) => {
    Deno.writeTextFileSync(join(outside, "t"), "x");
    Deno.symlinkSync(outside, join(dir, "dirlink"));
    Deno.symlinkSync(join(outside, "t"), join(dir, "filelink"));
    assertEquals(
      assertThrows(() => DirHandle.open(join(dir, "dirlink")), ErrnoError).code,
      "ENOTDIR",
    );
    using d = DirHandle.open(dir);
    assertEquals(assertThrows(() => d.sub("dirlink", 0o700), ErrnoError).code, "ENOTDIR");
    assertEquals(assertThrows(() => d.sub("missing"), ErrnoError).code, "ENOENT");
    using made = d.sub("made", 0o700);
    assert(made.create("f", TEXT.encode("1"), 0o600));
    assertEquals(d.rmdir("made"), false); // not empty
    assert(made.unlink("f"));
    assertEquals(made.unlink("f"), false);
    assert(d.rmdir("made"));
    assertEquals(d.rmdir("dirlink"), false);
    assertEquals(rmdirPath(join(dir, "dirlink")), false);
    assert(d.unlink("filelink"));
    assertEquals(Deno.readTextFileSync(join(outside, "t")), "x");
    assert(Deno.lstatSync(join(dir, "dirlink")).isSymlink);
  });
});
