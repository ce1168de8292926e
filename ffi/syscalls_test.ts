import { assert, assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import {
  CLONE_NEWNET,
  close,
  getpid,
  getsockname,
  ioctl,
  NS_GET_NSTYPE,
  O_RDONLY,
  open,
  SOCK_CLOEXEC,
  SOCK_RAW,
  socket,
} from "./syscalls.ts";
import { ErrnoError } from "./errno.ts";
import { AF_NETLINK, parseSockaddrNl, sockaddrNl } from "./structs.ts";
import { bind } from "./syscalls.ts";

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
    const url = new URL("./syscalls.ts", import.meta.url).href;
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
