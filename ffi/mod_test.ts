// The syscall wrappers of ffi/ (constants.ts, socket.ts, fd.ts, files.ts, namespace.ts,
// process.ts), through the layer's entry.
import { assert, assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import {
  AT_REMOVEDIR,
  CLONE_NEWNET,
  close,
  ftruncate,
  getpid,
  getsockname,
  ioctl,
  mkdirat,
  NS_GET_NSTYPE,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_RDONLY,
  O_WRONLY,
  open,
  openat,
  readDirNames,
  readFileText,
  readLink,
  SOCK_CLOEXEC,
  SOCK_RAW,
  socket,
  unlinkat,
  write,
} from "./mod.ts";
import { ErrnoError } from "./errno.ts";
import { AF_NETLINK, parseSockaddrNl, sockaddrNl } from "./structs.ts";
import { bind } from "./socket.ts";

Deno.test("sockaddrNl() packs family, pid and groups little-endian", () => {
  assertEquals(
    Array.from(sockaddrNl(0x01020304, 5)),
    [16, 0, 0, 0, 4, 3, 2, 1, 5, 0, 0, 0],
  );
  assertEquals(parseSockaddrNl(sockaddrNl(7, 1)), { family: AF_NETLINK, pid: 7, groups: 1 });
});

Deno.test("open() of a missing path throws ErrnoError ENOENT naming the path", () => {
  const err = assertThrows(() => open("/nonexistent/denocni", O_RDONLY), ErrnoError);
  assertEquals(err.code, "ENOENT");
  assertEquals(err.syscall, "open");
  assert(err.message.includes('"/nonexistent/denocni"'));
});

Deno.test("socket() + bind() of a netlink socket gets a kernel-assigned port id", () => {
  const fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
  try {
    bind(fd, sockaddrNl());
    const addr = parseSockaddrNl(getsockname(fd));
    assertEquals(addr.family, AF_NETLINK);
    assert(addr.pid > 0);
  } finally {
    close(fd);
  }
  assert(getpid() > 0);
});

Deno.test("ioctl(NS_GET_NSTYPE) tells a network namespace file apart", () => {
  const fd = open("/proc/self/ns/net", O_RDONLY);
  try {
    assertEquals(ioctl(fd, NS_GET_NSTYPE), CLONE_NEWNET);
  } finally {
    close(fd);
  }
  const other = open("/proc/self/ns/mnt", O_RDONLY);
  try {
    assert(ioctl(other, NS_GET_NSTYPE) !== CLONE_NEWNET);
  } finally {
    close(other);
  }
});

Deno.test("libc() without --allow-ffi throws NotCapable untouched", async () => {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    const url = new URL("./process.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { getpid } from "${url}";\ntry { getpid(); console.log("no error"); }\n` +
        `catch (e) { console.log(e instanceof Deno.errors.NotCapable ? "NotCapable" : String(e)); }\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--no-check", `--allow-read=${script}`, script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(out.stdout).trim(), "NotCapable");
  } finally {
    await Deno.remove(script);
  }
});

Deno.test("openat(), mkdirat(), unlinkat() never follow a symlink as the last component", () => {
  const dir = Deno.makeTempDirSync({ prefix: "denocni-at-" });
  const outside = Deno.makeTempDirSync({ prefix: "denocni-at-out-" });
  try {
    Deno.symlinkSync(`${outside}/target`, `${dir}/link`);
    Deno.symlinkSync(outside, `${dir}/dirlink`);
    const dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    try {
      const e1 = assertThrows(
        () => openat(dfd, "link", O_RDONLY | O_CREAT | O_NOFOLLOW),
        ErrnoError,
      );
      assertEquals(e1.code, "ELOOP");
      assert(e1.message.includes('"link"'));
      assertEquals(
        assertThrows(() => openat(dfd, "link", O_WRONLY | O_CREAT | O_EXCL), ErrnoError).code,
        "EEXIST",
      );
      // With O_DIRECTORY, Linux reports a symlink as "not a directory".
      assertEquals(
        assertThrows(() => openat(dfd, "dirlink", O_RDONLY | O_DIRECTORY | O_NOFOLLOW), ErrnoError)
          .code,
        "ENOTDIR",
      );
      assertEquals(assertThrows(() => mkdirat(dfd, "dirlink", 0o700), ErrnoError).code, "EEXIST");
      assertEquals(
        assertThrows(() => unlinkat(dfd, "dirlink", AT_REMOVEDIR), ErrnoError).code,
        "ENOTDIR",
      );
      const fd = openat(dfd, "file", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      try {
        write(fd, new TextEncoder().encode("0123456789"));
        ftruncate(fd, 4);
      } finally {
        close(fd);
      }
      assertEquals(Deno.readTextFileSync(`${dir}/file`), "0123");
      mkdirat(dfd, "sub", 0o700);
      unlinkat(dfd, "sub", AT_REMOVEDIR);
      unlinkat(dfd, "link");
      unlinkat(dfd, "file");
      assertEquals(assertThrows(() => unlinkat(dfd, "file"), ErrnoError).code, "ENOENT");
    } finally {
      close(dfd);
    }
    assertEquals([...Deno.readDirSync(outside)], []);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["dirlink"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(outside, { recursive: true });
  }
});

Deno.test("readDirNames() lists a directory (many entries, no . or ..) and readLink() a link", () => {
  const dir = Deno.makeTempDirSync({ prefix: "denocni-readdir-" });
  try {
    const names = Array.from({ length: 700 }, (_, i) => `entry-${i}-${"x".repeat(i % 40)}`);
    for (const n of names) Deno.writeTextFileSync(`${dir}/${n}`, "");
    Deno.symlinkSync("../../bus/pci/drivers/vfio-pci", `${dir}/driver`);
    assertEquals(readDirNames(dir).sort(), [...names, "driver"].sort());
    assertEquals(readLink(`${dir}/driver`), "../../bus/pci/drivers/vfio-pci");
    assertEquals(assertThrows(() => readDirNames(`${dir}/nosuch`), ErrnoError).code, "ENOENT");
    assertEquals(assertThrows(() => readDirNames(`${dir}/driver`), ErrnoError).code, "ENOENT");
    assertEquals(assertThrows(() => readLink(`${dir}/${names[0]}`), ErrnoError).code, "EINVAL");
    assertEquals(readDirNames("/sys/class/net").includes("lo"), true);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("readFileText() reads a /proc file and stops at its cap instead of reading on", () => {
  assertEquals(readFileText("/proc/sys/net/ipv4/ip_forward").trim().length, 1);
  const err = assertThrows(() => readFileText("/dev/zero", 8192), ErrnoError);
  assertEquals(err.code, "EOVERFLOW");
  assertEquals(
    err.message,
    'read "/dev/zero" (over 8192 bytes): value too large for defined data type (EOVERFLOW)',
  );
});
