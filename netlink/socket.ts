/**
 * The one impure netlink file: an `AF_NETLINK` / `NETLINK_ROUTE` socket over `ffi/`, with
 * strict reply handling (sequence and port-id checks, ACKs, multipart dumps to
 * `NLMSG_DONE`, bounded retries on `NLM_F_DUMP_INTR` and `EINTR`).
 *
 * All calls are synchronous, so they may also run inside `withNetns`.
 *
 * @module
 */
import {
  AF_NETLINK,
  bind,
  close,
  EAGAIN,
  EINTR,
  ErrnoError,
  errnoName,
  errnoText,
  getsockname,
  MSG_PEEK,
  MSG_TRUNC,
  parseSockaddrNl,
  recvfrom,
  sendto,
  setsockopt,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SO_RCVTIMEO,
  SO_SNDBUF,
  SOCK_CLOEXEC,
  SOCK_RAW,
  sockaddrNl,
  socket,
  SOL_SOCKET,
} from "../ffi/mod.ts";
import { withNetns } from "../netns/netns.ts";
import type { NetnsHandle } from "../netns/netns.ts";
import {
  NETLINK_EXT_ACK,
  NETLINK_GET_STRICT_CHK,
  NETLINK_ROUTE,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  SOL_NETLINK,
} from "./constants.ts";
import { decodeMessages, decodeNlmsgerr, encodeMessage } from "./codec.ts";
import type { Attr, NlMessage } from "./codec.ts";
import { DumpInterruptedError, LinkNotFoundError, NetlinkError } from "./errors.ts";

/** Receive buffer asked of the kernel (`SO_RCVBUFFORCE`, falling back to `SO_RCVBUF`). */
export const NETLINK_RCVBUF = 4 * 1024 * 1024;
/** How many times a dump is tried when the kernel marks it `NLM_F_DUMP_INTR`. */
export const DUMP_ATTEMPTS = 5;
/** How many times a send or receive is retried on `EINTR`. */
export const EINTR_ATTEMPTS = 5;
/** Seconds a receive waits for the kernel before giving up (the kernel answers at once). */
export const RECV_TIMEOUT_SECONDS = 30;

const ENODEV = 19;
const EPROTO = 71;

/** What a request is about, for error messages: `{ op: "link add", target: "veth1" }`. */
export interface RequestContext {
  /** The operation, worded like `ip(8)`. */
  op: string;
  /** The object it acts on. */
  target: string;
}

/** A request: message type, extra flags, family header and attributes. */
export interface RequestInit {
  /** `RTM_*`. */
  type: number;
  /** Flags besides `NLM_F_REQUEST` / `NLM_F_ACK` / `NLM_F_DUMP` (`NLM_F_CREATE`, ...). */
  flags?: number;
  /** The family header (`ifinfomsg`, `ifaddrmsg`, `rtmsg`). */
  body?: Uint8Array;
  /** Attributes. */
  attrs?: readonly Attr[];
}

/**
 * A datagram transport replacing the socket's own `sendto` / `recvfrom`, for tests that script
 * the kernel's side.
 */
export interface NetlinkTransport {
  /** Sends one request datagram. */
  send(bytes: Uint8Array): void;
  /** Returns the next reply datagram. */
  recv(): Uint8Array;
}

/** Options for {@linkcode openNetlink}. */
export interface OpenNetlinkOptions {
  /** Namespace to open the socket in (a handle or a path); default: the caller's. */
  netns?: NetnsHandle | string;
}

/**
 * Builds the typed error for a kernel errno.
 *
 * @param ctx What was being done.
 * @param errno Positive errno.
 * @param extack The kernel's extended-ack text.
 * @returns A {@linkcode LinkNotFoundError} for `ENODEV`, otherwise a {@linkcode NetlinkError}.
 */
export function kernelError(ctx: RequestContext, errno: number, extack?: string): NetlinkError {
  if (errno === ENODEV) return new LinkNotFoundError(ctx.op, ctx.target, extack);
  return new NetlinkError({
    op: ctx.op,
    target: ctx.target,
    errno,
    code: errnoName(errno),
    description: errnoText(errno),
    extack,
  });
}

function protocolError(ctx: RequestContext, detail: string): NetlinkError {
  return new NetlinkError({
    op: ctx.op,
    target: ctx.target,
    errno: EPROTO,
    code: "EPROTO",
    description: detail,
  });
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

/** An open rtnetlink socket. Close it with `close()` or `using`. */
export class NetlinkSocket {
  #fd: number;
  #portId: number;
  #seq: number;
  #buf: Uint8Array<ArrayBuffer> = new Uint8Array(64 * 1024);
  #transport: NetlinkTransport | undefined;
  /** The namespace path it was opened in, if one was given. */
  readonly netnsPath: string | undefined;

  /**
   * Takes ownership of an open, bound netlink socket. Use {@linkcode openNetlink}.
   *
   * @param fd The socket.
   * @param portId Its port id (from `getsockname`).
   * @param netnsPath The namespace path, for messages.
   * @param transport Replaces the real send/receive (tests only); `fd` is then not used.
   */
  constructor(fd: number, portId: number, netnsPath?: string, transport?: NetlinkTransport) {
    this.#fd = fd;
    this.#transport = transport;
    this.#portId = portId;
    this.#seq = Math.floor(Date.now() / 1000) >>> 0;
    this.netnsPath = netnsPath;
  }

  /** The file descriptor; throws once closed. */
  get fd(): number {
    if (this.#fd < 0) throw new Error("netlink socket is closed");
    return this.#fd;
  }

  /** The port id the kernel assigned at bind. */
  get portId(): number {
    return this.#portId;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /**
   * Sends one encoded message, retrying `EINTR`.
   *
   * @param bytes An encoded netlink message.
   * @throws {ErrnoError} When `sendto` fails.
   */
  send(bytes: Uint8Array): void {
    if (this.#transport) return this.#transport.send(bytes);
    const data = new Uint8Array(bytes);
    const kernel = sockaddrNl(0, 0);
    for (let i = 1;; i++) {
      try {
        sendto(this.fd, data, kernel);
        return;
      } catch (err) {
        if (err instanceof ErrnoError && err.errno === EINTR && i < EINTR_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /**
   * Receives one datagram, sized first with `MSG_PEEK | MSG_TRUNC`, retrying `EINTR`.
   *
   * @returns A copy of the datagram.
   * @throws {ErrnoError} When `recvfrom` fails (`EAGAIN` after the receive timeout).
   */
  recvDatagram(): Uint8Array {
    if (this.#transport) return this.#transport.recv();
    for (let i = 1;; i++) {
      try {
        const peek = recvfrom(this.fd, this.#buf, MSG_PEEK | MSG_TRUNC);
        if (peek.length > this.#buf.byteLength) this.#buf = new Uint8Array(peek.length);
        const { length, from } = recvfrom(this.fd, this.#buf, 0);
        const sender = parseSockaddrNl(from);
        if (sender.family === AF_NETLINK && sender.pid !== 0) {
          // Not from the kernel (another process addressed us): drop it and read on.
          continue;
        }
        return this.#buf.slice(0, length);
      } catch (err) {
        if (err instanceof ErrnoError && err.errno === EINTR && i < EINTR_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) >>> 0;
    if (this.#seq === 0) this.#seq = 1;
    return this.#seq;
  }

  #sendRequest(init: RequestInit, flags: number, ctx: RequestContext): number {
    const seq = this.#nextSeq();
    const msg = encodeMessage({
      type: init.type,
      flags: flags | (init.flags ?? 0),
      seq,
      pid: this.#portId,
      ...(init.body ? { body: init.body } : {}),
      ...(init.attrs ? { attrs: init.attrs } : {}),
    });
    try {
      this.send(msg);
    } catch (err) {
      if (err instanceof ErrnoError) throw kernelError(ctx, err.errno);
      throw err;
    }
    return seq;
  }

  /** Yields the messages of our sequence number, checking the port id. */
  *#replies(seq: number, ctx: RequestContext): Generator<NlMessage> {
    for (;;) {
      let datagram: Uint8Array;
      try {
        datagram = this.recvDatagram();
      } catch (err) {
        if (err instanceof ErrnoError && err.errno === EAGAIN) {
          throw protocolError(ctx, `no reply from the kernel in ${RECV_TIMEOUT_SECONDS} s`);
        }
        if (err instanceof ErrnoError) throw kernelError(ctx, err.errno);
        throw err;
      }
      for (const m of decodeMessages(datagram)) {
        if (m.header.seq !== seq) continue; // a stale reply to an abandoned request
        if (m.header.pid !== this.#portId) {
          throw protocolError(
            ctx,
            `reply addressed to port ${m.header.pid}, this socket is port ${this.#portId}`,
          );
        }
        if (m.header.type === NLMSG_OVERRUN) throw protocolError(ctx, "netlink overrun");
        yield m;
      }
    }
  }

  /**
   * Sends a request with `NLM_F_ACK` and waits for the ACK.
   *
   * @param init The request.
   * @param ctx What it is about, for errors.
   * @returns The reply messages that came before the ACK (e.g. the answer to a GET).
   * @throws {NetlinkError} When the kernel answers with an errno ({@linkcode LinkNotFoundError}
   *   for `ENODEV`), with the extended-ack text when there is one.
   */
  request(init: RequestInit, ctx: RequestContext): NlMessage[] {
    const seq = this.#sendRequest(init, NLM_F_REQUEST | NLM_F_ACK, ctx);
    const out: NlMessage[] = [];
    for (const m of this.#replies(seq, ctx)) {
      if (m.header.type === NLMSG_ERROR) {
        const [e] = decodeNlmsgerr(m.payload, 0, m.header.flags);
        if (e.error === 0) return out;
        throw kernelError(ctx, -e.error, e.extack?.msg);
      }
      if (m.header.type === NLMSG_NOOP || m.header.type === NLMSG_DONE) continue;
      out.push(m);
    }
    throw protocolError(ctx, "reply stream ended without an ACK");
  }

  /**
   * Sends a dump request and collects every `NLM_F_MULTI` part up to `NLMSG_DONE`. A dump the
   * kernel marks `NLM_F_DUMP_INTR` is started again, {@linkcode DUMP_ATTEMPTS} times at most.
   *
   * @param init The request (`NLM_F_DUMP` is added).
   * @param ctx What it is about, for errors.
   * @returns The data messages.
   * @throws {NetlinkError} When the kernel answers with an errno.
   * @throws {DumpInterruptedError} When every attempt was interrupted.
   */
  dump(init: RequestInit, ctx: RequestContext): NlMessage[] {
    for (let attempt = 1; attempt <= DUMP_ATTEMPTS; attempt++) {
      const seq = this.#sendRequest(init, NLM_F_REQUEST | NLM_F_DUMP, ctx);
      const out: NlMessage[] = [];
      let interrupted = false;
      for (const m of this.#replies(seq, ctx)) {
        if (m.header.flags & NLM_F_DUMP_INTR) interrupted = true;
        if (m.header.type === NLMSG_DONE) {
          if (m.payload.byteLength >= 4) {
            const rc = new DataView(m.payload.buffer, m.payload.byteOffset, 4).getInt32(0, true);
            if (rc < 0) throw kernelError(ctx, -rc);
          }
          break;
        }
        if (m.header.type === NLMSG_ERROR) {
          const [e] = decodeNlmsgerr(m.payload, 0, m.header.flags);
          if (e.error === 0) break;
          throw kernelError(ctx, -e.error, e.extack?.msg);
        }
        if (m.header.type === NLMSG_NOOP) continue;
        out.push(m);
      }
      if (!interrupted) return out;
    }
    throw new DumpInterruptedError(ctx.op, ctx.target, DUMP_ATTEMPTS);
  }

  /** Closes the socket (idempotent). */
  close(): void {
    if (this.#fd >= 0) {
      const fd = this.#fd;
      this.#fd = -1;
      if (!this.#transport) close(fd);
    }
  }

  /** Closes the socket. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function timeval(seconds: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setBigInt64(0, BigInt(seconds), true);
  return b;
}

function createSocket(netnsPath?: string): NetlinkSocket {
  const fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  try {
    if (!trySetsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, NETLINK_RCVBUF)) {
      trySetsockopt(fd, SOL_SOCKET, SO_RCVBUF, NETLINK_RCVBUF);
    }
    trySetsockopt(fd, SOL_SOCKET, SO_SNDBUF, 1024 * 1024);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval(RECV_TIMEOUT_SECONDS));
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
 * Opens an rtnetlink socket, inside a network namespace when one is given. The socket stays
 * bound to that namespace, so later calls need no switching.
 *
 * @example Open, list links, close
 * ```ts ignore
 * using sock = openNetlink({ netns: "/run/netns/blue" });
 * console.log(linkList(sock).map((l) => l.name));
 * ```
 *
 * @param options `netns`: a handle or path; default the calling thread's namespace.
 * @returns The socket handle.
 * @throws {NotNetnsError} When `netns` is a path that is not a network namespace.
 * @throws {ErrnoError} When the socket cannot be created or bound.
 */
export function openNetlink(options: OpenNetlinkOptions = {}): NetlinkSocket {
  const ns = options.netns;
  if (ns === undefined) return createSocket();
  const path = typeof ns === "string" ? ns : ns.path;
  return withNetns(ns, () => createSocket(path));
}
