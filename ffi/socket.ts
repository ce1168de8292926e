/**
 * Typed wrappers of the socket calls (`socket`, `bind`, `connect`, `sendto`, `recvfrom`,
 * `sendmsg`, ...), some run on a worker thread (`*OffThread`). On failure errno is read at once
 * and thrown as {@linkcode ErrnoError}.
 *
 * @module
 */
import { check, checkBig, errno } from "./_check.ts";
import { SO_PEERCRED, SOCK_CLOEXEC, SOL_SOCKET } from "./constants.ts";
import { EINTR, ErrnoError } from "./errno.ts";
import { libc } from "./libc.ts";
import { cint } from "./structs.ts";

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
