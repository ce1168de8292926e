/**
 * Typed wrappers over libc: one function per call, `bigint` converted at the edge, and on
 * failure errno read at once and thrown as {@linkcode ErrnoError}.
 *
 * @module
 */
import { libc } from "./libc.ts";
import { EINTR, ErrnoError } from "./errno.ts";
import { cint, cstring } from "./structs.ts";

/** Constants from the libc headers for the calls below. */
export const SOCK_RAW = 3;
/** `SOCK_DGRAM` from `<sys/socket.h>`. */
export const SOCK_DGRAM = 2;
/** `SOCK_CLOEXEC` from `<sys/socket.h>`. */
export const SOCK_CLOEXEC = 0x80000;
/** `SOL_SOCKET` from `<sys/socket.h>`. */
export const SOL_SOCKET = 1;
/** `SO_SNDBUF` from `<asm/socket.h>`. */
export const SO_SNDBUF = 7;
/** `SO_RCVBUF` from `<asm/socket.h>`. */
export const SO_RCVBUF = 8;
/** `SO_RCVBUFFORCE` from `<asm/socket.h>`. */
export const SO_RCVBUFFORCE = 33;
/** `SO_RCVTIMEO` (old 64-bit timeval layout) from `<asm/socket.h>`. */
export const SO_RCVTIMEO = 20;
/** `SO_SNDTIMEO` (old 64-bit timeval layout) from `<asm/socket.h>`. */
export const SO_SNDTIMEO = 21;
/** `SO_PEERCRED` from `<asm/socket.h>`. */
export const SO_PEERCRED = 17;
/** `SOCK_STREAM` from `<sys/socket.h>`. */
export const SOCK_STREAM = 1;
/** `MSG_PEEK` from `<sys/socket.h>`. */
export const MSG_PEEK = 2;
/** `MSG_TRUNC` from `<sys/socket.h>`. */
export const MSG_TRUNC = 0x20;
/** `MSG_NOSIGNAL` from `<sys/socket.h>`. */
export const MSG_NOSIGNAL = 0x4000;
/** `MSG_DONTWAIT` from `<sys/socket.h>`. */
export const MSG_DONTWAIT = 0x40;
/** `CLONE_NEWNS` from `<sched.h>`. */
export const CLONE_NEWNS = 0x00020000;
/** `CLONE_NEWNET` from `<sched.h>`. */
export const CLONE_NEWNET = 0x40000000;
/** `CLONE_NEWTIME` from `<sched.h>`. */
export const CLONE_NEWTIME = 0x00000080;
/** `CLONE_NEWCGROUP` from `<sched.h>`. */
export const CLONE_NEWCGROUP = 0x02000000;
/** `CLONE_NEWUTS` from `<sched.h>`. */
export const CLONE_NEWUTS = 0x04000000;
/** `CLONE_NEWIPC` from `<sched.h>`. */
export const CLONE_NEWIPC = 0x08000000;
/** `CLONE_NEWUSER` from `<sched.h>`. */
export const CLONE_NEWUSER = 0x10000000;
/** `CLONE_NEWPID` from `<sched.h>`. */
export const CLONE_NEWPID = 0x20000000;
/** `O_RDONLY` from `<fcntl.h>`. */
export const O_RDONLY = 0;
/** `O_RDWR` from `<fcntl.h>`. */
export const O_RDWR = 2;
/** `O_CREAT` from `<fcntl.h>`. */
export const O_CREAT = 0o100;
/** `O_EXCL` from `<fcntl.h>`. */
export const O_EXCL = 0o200;
/** `O_CLOEXEC` from `<fcntl.h>`. */
export const O_CLOEXEC = 0o2000000;
/** Whether this is arm64, whose `<asm/fcntl.h>` numbers a few `O_*` flags differently. */
const ARM64 = Deno.build.arch === "aarch64";
/** `O_DIRECTORY` from `<fcntl.h>` (x86_64 and the generic table; arm64: 0o40000). */
export const O_DIRECTORY = ARM64 ? 0o40000 : 0o200000;
/** `O_NOFOLLOW` from `<fcntl.h>`: fail with `ELOOP` when the last component is a symlink (arm64: 0o100000). */
export const O_NOFOLLOW = ARM64 ? 0o100000 : 0o400000;
/** `O_NONBLOCK` from `<fcntl.h>`: opening a FIFO returns at once. */
export const O_NONBLOCK = 0o4000;
/** `O_NOCTTY` from `<fcntl.h>`. */
export const O_NOCTTY = 0o400;
/** `AT_FDCWD` from `<fcntl.h>`: `*at` calls resolve relative paths against the working directory. */
export const AT_FDCWD = -100;
/** `AT_REMOVEDIR` from `<fcntl.h>`: `unlinkat` removes an (empty) directory, as `rmdir`. */
export const AT_REMOVEDIR = 0x200;
/** `MS_RDONLY` from `<sys/mount.h>`. */
export const MS_RDONLY = 1;
/** `MS_NOSUID` from `<sys/mount.h>`. */
export const MS_NOSUID = 2;
/** `MS_NODEV` from `<sys/mount.h>`. */
export const MS_NODEV = 4;
/** `MS_NOEXEC` from `<sys/mount.h>`. */
export const MS_NOEXEC = 8;
/** `MS_REMOUNT` from `<sys/mount.h>`. */
export const MS_REMOUNT = 32;
/** `MS_BIND` from `<sys/mount.h>`. */
export const MS_BIND = 4096;
/** `MS_REC` from `<sys/mount.h>`. */
export const MS_REC = 16384;
/** `MS_PRIVATE` from `<sys/mount.h>`. */
export const MS_PRIVATE = 1 << 18;
/** `MS_SLAVE` from `<sys/mount.h>`. */
export const MS_SLAVE = 1 << 19;
/** `MS_SHARED` from `<sys/mount.h>`. */
export const MS_SHARED = 1 << 20;
/** `MNT_DETACH` from `<sys/mount.h>`. */
export const MNT_DETACH = 2;
/** `LOCK_SH` from `<sys/file.h>`. */
export const LOCK_SH = 1;
/** `LOCK_EX` from `<sys/file.h>`. */
export const LOCK_EX = 2;
/** `LOCK_NB` from `<sys/file.h>`. */
export const LOCK_NB = 4;
/** `LOCK_UN` from `<sys/file.h>`. */
export const LOCK_UN = 8;
/** `NS_GET_NSTYPE` ioctl from `<linux/nsfs.h>`: `_IO(0xb7, 0x3)`. */
export const NS_GET_NSTYPE = 0xb703;

function errno(): number {
  const ptr = libc().__errno_location();
  if (ptr === null) return 0;
  return new Deno.UnsafePointerView(ptr).getInt32();
}

function check(result: number, syscall: string, context?: string): number {
  if (result === -1) throw new ErrnoError(syscall, errno(), context);
  return result;
}

function checkBig(result: number | bigint, syscall: string, context?: string): number {
  const n = Number(result);
  if (n === -1) throw new ErrnoError(syscall, errno(), context);
  return n;
}

/**
 * `socket(2)`.
 *
 * @param domain Address family, e.g. `AF_NETLINK`.
 * @param type Socket type and flags, e.g. `SOCK_RAW | SOCK_CLOEXEC`.
 * @param protocol Protocol, e.g. `NETLINK_ROUTE` (0).
 * @returns The new file descriptor.
 * @throws {ErrnoError} On failure.
 */
export function socket(domain: number, type: number, protocol: number): number {
  return check(libc().socket(domain, type, protocol), "socket");
}

/**
 * `bind(2)`.
 *
 * @param fd Socket.
 * @param addr Packed sockaddr.
 * @throws {ErrnoError} On failure.
 */
export function bind(fd: number, addr: Uint8Array<ArrayBuffer>): void {
  check(libc().bind(fd, addr, addr.byteLength), "bind");
}

/**
 * `connect(2)`, retried on `EINTR` (a Unix stream socket's connect waits at most its
 * `SO_SNDTIMEO` for room in the listener's backlog, then fails with `EAGAIN`).
 *
 * @param fd Socket.
 * @param addr Packed address (e.g. {@linkcode sockaddrUn}).
 * @throws {ErrnoError} On failure (`ENOENT`, `ECONNREFUSED`, `EAGAIN`, ...).
 */
export function connect(fd: number, addr: Uint8Array<ArrayBuffer>): void {
  for (;;) {
    if (libc().connect(fd, addr, addr.byteLength) === 0) return;
    const e = errno();
    if (e !== EINTR) throw new ErrnoError("connect", e);
  }
}

/**
 * `getsockopt(SO_PEERCRED)`: who is at the other end of a Unix socket (as of its `connect`),
 * with the pid translated into this process's PID namespace (0 when it is not visible here).
 *
 * @param fd Connected Unix socket.
 * @returns The peer's pid, uid and gid.
 * @throws {ErrnoError} On failure.
 */
export function peerCredentials(fd: number): { pid: number; uid: number; gid: number } {
  const cred = new Uint8Array(12); // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, cred.byteLength, true);
  check(libc().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len), "getsockopt");
  const view = new DataView(cred.buffer);
  return {
    pid: view.getInt32(0, true),
    uid: view.getUint32(4, true),
    gid: view.getUint32(8, true),
  };
}

/**
 * `listen(2)`.
 *
 * @param fd Bound socket.
 * @param backlog Pending connections the kernel queues.
 * @throws {ErrnoError} On failure.
 */
export function listen(fd: number, backlog: number): void {
  check(libc().listen(fd, backlog), "listen");
}

/** `SHUT_RDWR` from `<sys/socket.h>`. */
export const SHUT_RDWR = 2;

/**
 * `shutdown(2)`: also wakes a thread blocked in `accept` on a listening socket.
 *
 * @param fd Socket.
 * @param how `SHUT_RD`, `SHUT_WR` or {@linkcode SHUT_RDWR}.
 * @throws {ErrnoError} On failure.
 */
export function shutdown(fd: number, how: number): void {
  check(libc().shutdown(fd, how), "shutdown");
}

/**
 * `accept4(2)` with `SOCK_CLOEXEC`, waited for on a Deno worker thread.
 *
 * @param fd Listening socket.
 * @returns The connection's descriptor, or `-1` (errno is the worker thread's and lost).
 */
export async function acceptOffThread(fd: number): Promise<number> {
  return await libc().accept4_nonblocking(fd, null, null, SOCK_CLOEXEC);
}

/**
 * `read(2)` on a Deno worker thread (bounded by the socket's `SO_RCVTIMEO`, if set). The
 * buffer is kept alive until the call returns.
 *
 * @param fd Descriptor.
 * @param buf Buffer to fill.
 * @returns Bytes read, 0 at the end, `-1` on failure (errno lost).
 */
export async function readOffThread(fd: number, buf: Uint8Array<ArrayBuffer>): Promise<number> {
  const n = Number(await libc().read_nonblocking(fd, buf, BigInt(buf.byteLength)));
  return buf.byteLength >= 0 ? n : -1; // `buf` referenced after the await
}

/**
 * `write(2)` on a Deno worker thread (bounded by the socket's `SO_SNDTIMEO`, if set). The
 * buffer is kept alive until the call returns.
 *
 * @param fd Descriptor.
 * @param data Bytes to write.
 * @returns Bytes written, `-1` on failure (errno lost).
 */
export async function writeOffThread(fd: number, data: Uint8Array<ArrayBuffer>): Promise<number> {
  const n = Number(await libc().write_nonblocking(fd, data, BigInt(data.byteLength)));
  return data.byteLength >= 0 ? n : -1; // `data` referenced after the await
}

/**
 * `getsockname(2)`.
 *
 * @param fd Socket.
 * @param size Room for the address.
 * @returns The packed local address, trimmed to its length.
 * @throws {ErrnoError} On failure.
 */
export function getsockname(fd: number, size = 128): Uint8Array<ArrayBuffer> {
  const addr = new Uint8Array(size);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, size, true);
  check(libc().getsockname(fd, addr, len), "getsockname");
  return addr.slice(0, new DataView(len.buffer).getUint32(0, true));
}

/**
 * `setsockopt(2)`.
 *
 * @param fd Socket.
 * @param level Option level, e.g. `SOL_SOCKET`.
 * @param name Option name, e.g. `SO_RCVBUF`.
 * @param value An `int` value, or the packed option bytes.
 * @throws {ErrnoError} On failure.
 */
export function setsockopt(
  fd: number,
  level: number,
  name: number,
  value: number | Uint8Array<ArrayBuffer>,
): void {
  const bytes = typeof value === "number" ? cint(value) : value;
  check(libc().setsockopt(fd, level, name, bytes, bytes.byteLength), "setsockopt");
}

/**
 * `sendto(2)`.
 *
 * @param fd Socket.
 * @param data Bytes to send.
 * @param addr Packed destination address, or `null` for a connected socket.
 * @param flags `MSG_*` flags.
 * @returns Bytes sent.
 * @throws {ErrnoError} On failure.
 */
export function sendto(
  fd: number,
  data: Uint8Array<ArrayBuffer>,
  addr: Uint8Array<ArrayBuffer> | null,
  flags = 0,
): number {
  return checkBig(
    libc().sendto(fd, data, BigInt(data.byteLength), flags, addr, addr?.byteLength ?? 0),
    "sendto",
  );
}

/**
 * `sendto(2)` run on a Deno worker thread instead of the JavaScript thread, for a send the
 * kernel may take long to return from while the JavaScript thread has other work. The
 * buffers are kept alive until the call returns. errno belongs to the worker thread and is
 * lost: on `-1`, redo the call with {@linkcode sendto} to learn why (nothing was sent).
 *
 * @param fd Socket.
 * @param data Bytes to send.
 * @param addr Packed destination address, or `null` for a connected socket.
 * @param flags `MSG_*` flags.
 * @returns Bytes sent, or `-1` on failure.
 */
export async function sendtoOffThread(
  fd: number,
  data: Uint8Array<ArrayBuffer>,
  addr: Uint8Array<ArrayBuffer> | null,
  flags = 0,
): Promise<number> {
  const n = await libc().sendto_nonblocking(
    fd,
    data,
    BigInt(data.byteLength),
    flags,
    addr,
    addr?.byteLength ?? 0,
  );
  // Referenced after the await, so neither buffer is collected while the kernel reads it.
  return data.byteLength >= 0 && (addr === null || addr.byteLength >= 0) ? Number(n) : -1;
}

/**
 * `recvfrom(2)`.
 *
 * @param fd Socket.
 * @param buf Buffer to fill.
 * @param flags `MSG_*` flags (`MSG_PEEK | MSG_TRUNC` returns the real datagram size).
 * @returns The byte count (with `MSG_TRUNC`, the datagram's full size) and the sender address.
 * @throws {ErrnoError} On failure.
 */
export function recvfrom(
  fd: number,
  buf: Uint8Array<ArrayBuffer>,
  flags = 0,
): { length: number; from: Uint8Array<ArrayBuffer> } {
  const from = new Uint8Array(128);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, from.byteLength, true);
  const n = checkBig(
    libc().recvfrom(fd, buf, BigInt(buf.byteLength), flags, from, len),
    "recvfrom",
  );
  return { length: n, from: from.slice(0, new DataView(len.buffer).getUint32(0, true)) };
}

/**
 * `sendmsg(2)` with a caller-packed `struct msghdr`.
 *
 * @param fd Socket.
 * @param msghdr Packed `struct msghdr` (pointers inside must stay alive for the call).
 * @param flags `MSG_*` flags.
 * @returns Bytes sent.
 * @throws {ErrnoError} On failure.
 */
export function sendmsg(fd: number, msghdr: Uint8Array<ArrayBuffer>, flags = 0): number {
  return checkBig(libc().sendmsg(fd, msghdr, flags), "sendmsg");
}

/**
 * `recvmsg(2)` with a caller-packed `struct msghdr`.
 *
 * @param fd Socket.
 * @param msghdr Packed `struct msghdr`.
 * @param flags `MSG_*` flags.
 * @returns Bytes received.
 * @throws {ErrnoError} On failure.
 */
export function recvmsg(fd: number, msghdr: Uint8Array<ArrayBuffer>, flags = 0): number {
  return checkBig(libc().recvmsg(fd, msghdr, flags), "recvmsg");
}

/**
 * `close(2)`.
 *
 * @param fd File descriptor.
 * @throws {ErrnoError} On failure.
 */
export function close(fd: number): void {
  check(libc().close(fd), "close");
}

/**
 * `open(2)`.
 *
 * @param path File path.
 * @param flags `O_*` flags (`O_CLOEXEC` is always added).
 * @param mode Mode for `O_CREAT`.
 * @returns The file descriptor.
 * @throws {ErrnoError} On failure; the message names the path.
 */
export function open(path: string, flags: number, mode = 0o644): number {
  return check(libc().open(cstring(path), flags | O_CLOEXEC, mode), "open", `open "${path}"`);
}

/**
 * `openat(2)`: opens `path` relative to the directory `dirFd`.
 *
 * @param dirFd Directory file descriptor (or `AT_FDCWD`).
 * @param path Path relative to it (a plain name for a file in that directory).
 * @param flags `O_*` flags (`O_CLOEXEC` is always added).
 * @param mode Mode for `O_CREAT`.
 * @param context Words naming the file for the error message (default: the path).
 * @returns The file descriptor.
 * @throws {ErrnoError} On failure; the message names the file.
 */
export function openat(
  dirFd: number,
  path: string,
  flags: number,
  mode = 0o644,
  context = `open "${path}"`,
): number {
  return check(libc().openat(dirFd, cstring(path), flags | O_CLOEXEC, mode), "openat", context);
}

/**
 * `unlinkat(2)`: removes `path` relative to `dirFd` (a symlink itself, never its target).
 *
 * @param dirFd Directory file descriptor (or `AT_FDCWD`).
 * @param path Path relative to it.
 * @param flags 0, or `AT_REMOVEDIR` to remove an empty directory.
 * @param context Words naming the file for the error message (default: the path).
 * @throws {ErrnoError} On failure; the message names the file.
 */
export function unlinkat(
  dirFd: number,
  path: string,
  flags = 0,
  context = `remove "${path}"`,
): void {
  check(libc().unlinkat(dirFd, cstring(path), flags), "unlinkat", context);
}

/**
 * `mkdirat(2)`: creates the directory `path` relative to `dirFd` (never through a symlink).
 *
 * @param dirFd Directory file descriptor (or `AT_FDCWD`).
 * @param path Path relative to it.
 * @param mode Mode bits (masked by the umask).
 * @param context Words naming the directory for the error message (default: the path).
 * @throws {ErrnoError} On failure (`EEXIST` when anything has that name).
 */
export function mkdirat(
  dirFd: number,
  path: string,
  mode: number,
  context = `mkdir "${path}"`,
): void {
  check(libc().mkdirat(dirFd, cstring(path), mode), "mkdirat", context);
}

/**
 * `ftruncate(2)`.
 *
 * @param fd File descriptor open for writing.
 * @param length New length in bytes.
 * @throws {ErrnoError} On failure.
 */
export function ftruncate(fd: number, length: number): void {
  check(libc().ftruncate(fd, BigInt(length)), "ftruncate");
}

/**
 * `setns(2)`: moves the calling thread into the namespace of `fd`.
 *
 * @param fd Namespace file descriptor.
 * @param nstype `CLONE_NEW*` type to insist on, or 0.
 * @throws {ErrnoError} On failure.
 */
export function setns(fd: number, nstype: number): void {
  check(libc().setns(fd, nstype), "setns");
}

/**
 * `unshare(2)`.
 *
 * @param flags `CLONE_NEW*` flags.
 * @throws {ErrnoError} On failure.
 */
export function unshare(flags: number): void {
  check(libc().unshare(flags), "unshare");
}

/**
 * `mount(2)`.
 *
 * @param source Source path or device, or `null`.
 * @param target Mount point.
 * @param fstype File system type, or `null`.
 * @param flags `MS_*` flags.
 * @param data File-system-specific data, or `null`.
 * @throws {ErrnoError} On failure; the message names the target.
 */
export function mount(
  source: string | null,
  target: string,
  fstype: string | null,
  flags: number,
  data: string | null = null,
): void {
  check(
    libc().mount(
      source === null ? null : cstring(source),
      cstring(target),
      fstype === null ? null : cstring(fstype),
      BigInt(flags),
      data === null ? null : cstring(data),
    ),
    "mount",
    `mount "${target}"`,
  );
}

/**
 * `umount2(2)`.
 *
 * @param target Mount point.
 * @param flags `MNT_*` flags.
 * @throws {ErrnoError} On failure; the message names the target.
 */
export function umount2(target: string, flags = 0): void {
  check(libc().umount2(cstring(target), flags), "umount2", `umount "${target}"`);
}

/**
 * `flock(2)`.
 *
 * @param fd File descriptor.
 * @param operation `LOCK_SH`, `LOCK_EX` or `LOCK_UN`, optionally `| LOCK_NB`.
 * @throws {ErrnoError} On failure (`EWOULDBLOCK`/`EAGAIN` with `LOCK_NB`).
 */
export function flock(fd: number, operation: number): void {
  for (;;) {
    const rc = libc().flock(fd, operation);
    if (rc === 0) return;
    const e = errno();
    if (e !== EINTR) throw new ErrnoError("flock", e);
  }
}

/**
 * `ioctl(2)` with an integer argument.
 *
 * @param fd File descriptor.
 * @param request Request number.
 * @param arg Integer argument.
 * @returns The call's non-negative result.
 * @throws {ErrnoError} On failure.
 */
export function ioctl(fd: number, request: number, arg = 0): number {
  return check(libc().ioctl(fd, BigInt(request), BigInt(arg)), "ioctl");
}

/**
 * `getpid(2)`.
 *
 * @returns The process id.
 */
export function getpid(): number {
  return libc().getpid();
}

/**
 * `gettid(2)`.
 *
 * @returns The calling thread's id.
 */
export function gettid(): number {
  return libc().gettid();
}

/**
 * `geteuid(2)`.
 *
 * @returns The effective user id.
 */
export function geteuid(): number {
  return libc().geteuid();
}

/**
 * `kill(2)`.
 *
 * @param pid Process id.
 * @param signal Signal number.
 * @throws {ErrnoError} On failure.
 */
export function kill(pid: number, signal: number): void {
  check(libc().kill(pid, signal), "kill");
}

/** `_LINUX_CAPABILITY_VERSION_3` from `<linux/capability.h>`. */
export const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

/**
 * `capget(2)` for the calling thread: its effective capability set.
 *
 * @returns The effective capabilities as a 64-bit mask.
 * @throws {ErrnoError} On failure.
 */
export function capgetEffective(): bigint {
  const header = new Uint8Array(8);
  new DataView(header.buffer).setUint32(0, LINUX_CAPABILITY_VERSION_3, true);
  const data = new Uint8Array(24); // two struct __user_cap_data_struct { effective, permitted, inheritable }
  check(libc().capget(header, data), "capget");
  const view = new DataView(data.buffer);
  return (BigInt(view.getUint32(12, true)) << 32n) | BigInt(view.getUint32(0, true));
}

/** `O_WRONLY` from `<fcntl.h>`. */
export const O_WRONLY = 1;

/**
 * `read(2)`, retried on `EINTR`.
 *
 * @param fd File descriptor.
 * @param buf Buffer to fill.
 * @returns Bytes read (0 at end of file).
 * @throws {ErrnoError} On failure.
 */
export function read(fd: number, buf: Uint8Array<ArrayBuffer>): number {
  for (;;) {
    const n = Number(libc().read(fd, buf, BigInt(buf.byteLength)));
    if (n >= 0) return n;
    const e = errno();
    if (e !== EINTR) throw new ErrnoError("read", e);
  }
}

/**
 * `write(2)`, retried on `EINTR`.
 *
 * @param fd File descriptor.
 * @param data Bytes to write.
 * @returns Bytes written.
 * @throws {ErrnoError} On failure.
 */
export function write(fd: number, data: Uint8Array<ArrayBuffer>): number {
  for (;;) {
    const n = Number(libc().write(fd, data, BigInt(data.byteLength)));
    if (n >= 0) return n;
    const e = errno();
    if (e !== EINTR) throw new ErrnoError("write", e);
  }
}

/**
 * `fstat(2)`, reduced to the fields callers use.
 *
 * @param fd File descriptor.
 * @returns Device and inode numbers.
 * @throws {ErrnoError} On failure.
 */
export function fstat(fd: number): { dev: bigint; ino: bigint } {
  const buf = new Uint8Array(256); // struct stat is 144 bytes on x86_64, 128 on aarch64
  check(libc().fstat(fd, buf), "fstat");
  const view = new DataView(buf.buffer);
  return { dev: view.getBigUint64(0, true), ino: view.getBigUint64(8, true) };
}

/**
 * Reads a whole (small, virtual) file through libc: `/proc` files that Deno's permission
 * model reserves for `--allow-all` are readable this way with `--allow-ffi`.
 *
 * @param path File path.
 * @returns Its text.
 * @throws {ErrnoError} On failure; the message names the path.
 */
export function readFileText(path: string): string {
  const fd = open(path, O_RDONLY);
  try {
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = read(fd, buf);
      if (n === 0) break;
      chunks.push(buf.slice(0, n));
    }
    const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return new TextDecoder().decode(out);
  } finally {
    close(fd);
  }
}

/**
 * Lists a directory's entry names (without `.` and `..`) through libc, in no particular
 * order: sysfs directories that Deno's permission model reserves for `--allow-all` are
 * listable this way with `--allow-ffi`.
 *
 * @param path Directory path.
 * @returns The names.
 * @throws {ErrnoError} On failure (`ENOENT`, `ENOTDIR`, ...); the message names the path.
 */
export function readDirNames(path: string): string[] {
  const fd = open(path, O_RDONLY | O_DIRECTORY);
  try {
    const names: string[] = [];
    const buf = new Uint8Array(32 * 1024);
    const view = new DataView(buf.buffer);
    const dec = new TextDecoder();
    for (;;) {
      const n = checkBig(
        libc().getdents64(fd, buf, BigInt(buf.byteLength)),
        "getdents64",
        `read directory "${path}"`,
      );
      if (n === 0) break;
      // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
      for (let off = 0; off < n;) {
        const reclen = view.getUint16(off + 16, true);
        const start = off + 19;
        let end = start;
        while (end < off + reclen && buf[end] !== 0) end++;
        const name = dec.decode(buf.subarray(start, end));
        if (name !== "." && name !== "..") names.push(name);
        off += reclen;
      }
    }
    return names;
  } finally {
    close(fd);
  }
}

/**
 * `readlink(2)`: the target of a symbolic link, as stored (not resolved).
 *
 * @param path The link.
 * @returns Its target text.
 * @throws {ErrnoError} On failure (`ENOENT`, `EINVAL` for a non-link); the message names it.
 */
export function readLink(path: string): string {
  const buf = new Uint8Array(4096);
  const n = checkBig(
    libc().readlink(cstring(path), buf, BigInt(buf.byteLength)),
    "readlink",
    `readlink "${path}"`,
  );
  return new TextDecoder().decode(buf.subarray(0, n));
}

/**
 * Writes text to an existing (virtual) file through libc, as `/proc/sys` writes need.
 *
 * @param path File path.
 * @param text The text.
 * @throws {ErrnoError} On failure; the message names the path.
 */
export function writeFileText(path: string, text: string): void {
  const fd = open(path, O_WRONLY);
  try {
    const bytes = new TextEncoder().encode(text);
    try {
      write(fd, bytes);
    } catch (err) {
      if (err instanceof ErrnoError) throw new ErrnoError("write", err.errno, `write "${path}"`);
      throw err;
    }
  } finally {
    close(fd);
  }
}

/**
 * The inode number of a path (following links), through libc.
 *
 * @param path File path, e.g. `/proc/thread-self/ns/net`.
 * @returns The inode number.
 * @throws {ErrnoError} On failure.
 */
export function inodeOf(path: string): number {
  const fd = open(path, O_RDONLY);
  try {
    return Number(fstat(fd).ino);
  } finally {
    close(fd);
  }
}
