/**
 * Opening a netlink socket: `socket(2)` inside the wanted network namespace (entered and left
 * once), receive timeout, extended ACKs and strict checking turned on, bound, its port id read.
 *
 * @module
 */
import {
  AF_NETLINK,
  bind,
  close,
  ErrnoError,
  getsockname,
  parseSockaddrNl,
  setsockopt,
  SO_RCVTIMEO,
  SOCK_CLOEXEC,
  SOCK_RAW,
  sockaddrNl,
  socket,
  SOL_SOCKET,
  timeval,
} from "../ffi/mod.ts";
import { withNetns } from "../netns/netns.ts";
import type { NetnsHandle } from "../netns/netns.ts";
import {
  NETLINK_EXT_ACK,
  NETLINK_GET_STRICT_CHK,
  NETLINK_ROUTE,
  SOL_NETLINK,
} from "./constants.ts";
import { NetlinkSocket } from "./socket.ts";
import { RECV_TIMEOUT_SECONDS } from "./_socket_io.ts";
import { stats } from "./_socket_stats.ts";

/** Options for {@linkcode openNetlink}. */
export interface OpenNetlinkOptions {
  /** Namespace to open the socket in (a handle or a path); default: the caller's. */
  netns?: NetnsHandle | string;
  /** An open handle of the caller's current namespace (saves reopening it to come back). */
  returnTo?: NetnsHandle;
  /** The netlink family (`NETLINK_ROUTE` by default; `NETLINK_NETFILTER` for conntrack). */
  protocol?: number;
}

function trySetsockopt(fd: number, level: number, name: number, value: number): boolean {
  try {
    setsockopt(fd, level, name, value);
    return true;
  } catch (err) {
    if (err instanceof ErrnoError) return false;
    throw err;
  }
}

function createSocket(netnsPath?: string, protocol: number = NETLINK_ROUTE): NetlinkSocket {
  const fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  stats.sockets++;
  try {
    // The default receive buffer is enough: requests are answered one at a time and the
    // kernel fills a dump's next datagram only once the previous one is read.
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval(RECV_TIMEOUT_SECONDS * 1000));
    trySetsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
    trySetsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
    bind(fd, sockaddrNl(0, 0));
    const { pid } = parseSockaddrNl(getsockname(fd));
    return new NetlinkSocket(fd, pid, netnsPath);
  } catch (err) {
    close(fd);
    throw err;
  }
}

/**
 * Opens a netlink socket (rtnetlink unless `protocol` says otherwise), inside a network
 * namespace when one is given. The socket stays bound to that namespace, so later calls need
 * no switching.
 *
 * @example Open, list links, close
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { linkList, openNetlink } from "./mod.ts";
 * using sock = openNetlink({ netns: "/run/netns/blue" });
 * assert.ok(linkList(sock).some((l) => l.name === "lo"));
 * ```
 *
 * @param options `netns`: a handle or path, default the calling thread's namespace;
 *   `returnTo`: a handle of the calling thread's namespace, if the caller holds one;
 *   `protocol`: the netlink family, default `NETLINK_ROUTE`.
 * @returns The socket handle.
 * @throws {NotNetnsError} When `netns` is a path that is not a network namespace.
 * @throws {ErrnoError} When the socket cannot be created or bound.
 */
export function openNetlink(options: OpenNetlinkOptions = {}): NetlinkSocket {
  const ns = options.netns;
  if (ns === undefined) return createSocket(undefined, options.protocol);
  const path = typeof ns === "string" ? ns : ns.path;
  return withNetns(
    ns,
    () => createSocket(path, options.protocol),
    options.returnTo ? { returnTo: options.returnTo } : {},
  );
}
