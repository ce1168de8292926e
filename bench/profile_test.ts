// countTrace: per-operation counts from `strace -f` output with markers (pure parsing).
import { assertEquals } from "../tests/helpers/assert.ts";
import { countTrace } from "./profile.ts";

const TRACE = [
  '10 execve("/usr/bin/deno", ["deno"], 0x0 /* 3 vars */) = 0',
  '10 openat(AT_FDCWD, "/x", O_RDONLY) = 3',
  '10 write(2, "@@denocni-profile ADD\\n", 22) = 22',
  "10 sendto(5, [{nlmsg_len=48, nlmsg_type=RTM_GETLINK}], 48, 0, NULL, 0) = 48",
  "11 setns(7, CLONE_NEWNET) = 0",
  '11 openat(AT_FDCWD, "/run/netns/a", O_RDONLY) = 7',
  '10 sendto(9, "plain", 5, 0, NULL, 0) = 5',
  '12 execve("/usr/sbin/iptables", ["iptables"], 0x0 /* 3 vars */) = 0',
  '12 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY) = 3',
  '10 write(4, "x", 1 <unfinished ...>',
  "10 <... write resumed>) = 1",
  '10 write(2, "@@denocni-profile DEL\\n", 22) = 22',
  "10 sendmsg(5, {msg_iov=[{iov_base=[{nlmsg_len=32}]}]}, 0) = 32",
  '10 write(2, "@@denocni-profile END\\n", 22) = 22',
  '10 openat(AT_FDCWD, "/after", O_RDONLY) = 3',
].join("\n");

Deno.test("countTrace counts the Deno process's syscalls per marked operation", () => {
  const counts = countTrace(TRACE);
  assertEquals(counts.ADD, [{ syscalls: 5, netlink: 1, setns: 1, opens: 1, writes: 1, spawns: 1 }]);
  assertEquals(counts.DEL, [{ syscalls: 1, netlink: 1, setns: 0, opens: 0, writes: 0, spawns: 0 }]);
});
