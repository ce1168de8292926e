/**
 * The one impure netlink file: an `AF_NETLINK` / `NETLINK_ROUTE` socket over `ffi/`, with
 * strict reply handling (sequence and port-id checks, ACKs, multipart dumps to
 * `NLMSG_DONE`, bounded retries on `NLM_F_DUMP_INTR` and `EINTR`).
 *
 * All calls are synchronous, so they may also run inside `withNetns`, except
 * {@linkcode NetlinkSocket.requestUntilGone}: its send runs on a worker thread and it resolves
 * as soon as the object is gone, while the kernel finishes in the background
 * ({@linkcode pendingKernelWork} waits for that). {@linkcode netlinkStats} counts sockets,
 * round trips and datagrams.
 *
 * @module
 */
import {
  AF_NETLINK,
  bind,
  close,
  EAGAIN,
  EINTR,
  EMSGSIZE,
  ENODEV,
  EPROTO,
  ErrnoError,
  errnoName,
  errnoText,
  getsockname,
  MSG_TRUNC,
  parseSockaddrNl,
  recvfrom,
  sendto,
  sendtoOffThread,
  setsockopt,
  SO_RCVTIMEO,
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
  NLM_F_MULTI,
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

/**
 * Size of the buffer one datagram is received into. The kernel sizes dump datagrams at 32 KiB
 * at most and other replies to their content; a larger one is detected (`MSG_TRUNC`) and the
 * buffer grown for the next read.
 */
export const NETLINK_RECV_BUFFER = 64 * 1024;
/** How many times a dump is tried when the kernel marks it `NLM_F_DUMP_INTR`. */
export const DUMP_ATTEMPTS = 5;
/** How many times a send or receive is retried on `EINTR`. */
export const EINTR_ATTEMPTS = 5;
/** Seconds a receive waits for the kernel before giving up (the kernel answers at once). */
export const RECV_TIMEOUT_SECONDS = 30;

/** Counters of netlink work since the process started (see {@linkcode netlinkStats}). */
export interface NetlinkStats {
  /** Sockets opened. */
  sockets: number;
  /** Requests sent and answered (each request, each dump attempt). */
  roundTrips: number;
  /** Datagrams received. */
  datagrams: number;
  /** Existence probes sent while a {@linkcode NetlinkSocket.requestUntilGone} waited. */
  probes: number;
  /** Requests whose send ran off the JavaScript thread. */
  offThread: number;
}

const stats: NetlinkStats = { sockets: 0, roundTrips: 0, datagrams: 0, probes: 0, offThread: 0 };

/**
 * A snapshot of the process's netlink counters, for tests that bound the work of an operation
 * (take one before and one after, and subtract).
 *
 * @example Round trips of one lookup
 * ```ts ignore
 * const before = netlinkStats();
 * linkGet(sock, { name: "lo" });
 * console.log(netlinkStats().roundTrips - before.roundTrips); // 1
 * ```
 *
 * @returns A copy of the counters.
 */
export function netlinkStats(): NetlinkStats {
  return { ...stats };
}

/** Probes of {@linkcode NetlinkSocket.requestUntilGone} sent back to back before pacing them. */
const PROBES_AT_ONCE = 8;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Background completions still running (sends whose kernel work is not finished). */
const pending = new Set<Promise<unknown>>();

/**
 * Waits until every request handed to the kernel in the background has been answered: after
 * an in-process DEL the kernel goes on tearing the veth down (an RCU barrier and a wait for
 * the last references, 15-30 ms) after the link is gone from every listing. Await this before
 * the process exits on its own terms, or in a test before it ends. It never rejects: each
 * request's outcome went to its caller.
 *
 * @example Delete, then wait for the kernel to finish
 * ```ts ignore
 * await delNetworkList(list, rt, { invoker });   // returns once the veth is gone
 * await pendingKernelWork();                      // the kernel's teardown is complete
 * ```
 *
 * @returns When nothing is pending.
 */
export async function pendingKernelWork(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending]);
}

/** Shared receive buffer: JavaScript is single-threaded and every read copies out. */
let recvBuffer: Uint8Array<ArrayBuffer> = new Uint8Array(NETLINK_RECV_BUFFER);

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
  /**
   * Sends one request datagram. A promise is awaited when the send is a background one
   * ({@linkcode NetlinkSocket.requestUntilGone}), as a kernel that takes long to return.
   */
  send(bytes: Uint8Array): void | Promise<void>;
  /** Returns the next reply datagram. */
  recv(): Uint8Array;
}

/** Options for {@linkcode openNetlink}. */
export interface OpenNetlinkOptions {
  /** Namespace to open the socket in (a handle or a path); default: the caller's. */
  netns?: NetnsHandle | string;
  /** An open handle of the caller's current namespace (saves reopening it to come back). */
  returnTo?: NetnsHandle;
  /** The netlink family (`NETLINK_ROUTE` by default; `NETLINK_NETFILTER` for conntrack). */
  protocol?: number;
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

/** A reply datagram larger than the receive buffer: lost, and the buffer grown. */
class ReplyTooLargeError extends NetlinkError {
  constructor(ctx: RequestContext, detail: string) {
    super({
      op: ctx.op,
      target: ctx.target,
      errno: EMSGSIZE,
      code: "EMSGSIZE",
      description: `${detail} did not fit the receive buffer`,
    });
    this.name = "ReplyTooLargeError";
  }
}

/** Whether a request type only reads (`RTM_GET*`), so it may be sent again. */
function isGet(type: number): boolean {
  return type >= 16 && type % 4 === 2;
}

/** Flags of a request: a read-only one is answered by its reply, others by an ACK. */
function requestFlags(get: boolean): number {
  return get ? NLM_F_REQUEST : NLM_F_REQUEST | NLM_F_ACK;
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
  #closed = false;
  #released = false;
  #portId: number;
  #seq: number;
  #transport: NetlinkTransport | undefined;
  /** Background requests by sequence number, with replies other readers came across. */
  #inflight = new Map<number, NlMessage[]>();
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
    if (this.#closed) throw new Error("netlink socket is closed");
    return this.#fd;
  }

  /** The port id the kernel assigned at bind. */
  get portId(): number {
    return this.#portId;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one encoded message, retrying `EINTR`.
   *
   * @param bytes An encoded netlink message.
   * @throws {ErrnoError} When `sendto` fails.
   */
  send(bytes: Uint8Array): void {
    this.#open();
    this.#send(bytes);
  }

  #send(bytes: Uint8Array): void {
    this.#usable();
    if (this.#transport) {
      void this.#transport.send(bytes);
      return;
    }
    const data = new Uint8Array(bytes);
    const kernel = sockaddrNl(0, 0);
    for (let i = 1;; i++) {
      try {
        sendto(this.#fd, data, kernel);
        return;
      } catch (err) {
        if (err instanceof ErrnoError && err.errno === EINTR && i < EINTR_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /**
   * Receives one datagram in one call, into a 64 KiB buffer, retrying `EINTR`. A datagram
   * larger than the buffer (`MSG_TRUNC` tells) is lost: the buffer grows for the next read and
   * an `EMSGSIZE` {@linkcode ErrnoError} is thrown, which the callers turn into a retry of a
   * dump or read-only request.
   *
   * @returns A copy of the datagram.
   * @throws {ErrnoError} When `recvfrom` fails (`EAGAIN` after the receive timeout), or
   *   `EMSGSIZE` when the datagram did not fit.
   */
  recvDatagram(): Uint8Array {
    this.#open();
    return this.#recv();
  }

  #recv(): Uint8Array {
    this.#usable();
    if (this.#transport) {
      stats.datagrams++;
      return this.#transport.recv();
    }
    for (let i = 1;; i++) {
      try {
        const { length, from } = recvfrom(this.#fd, recvBuffer, MSG_TRUNC);
        stats.datagrams++;
        const sender = parseSockaddrNl(from);
        if (sender.family === AF_NETLINK && sender.pid !== 0) {
          // Not from the kernel (another process addressed us): drop it and read on.
          continue;
        }
        if (length > recvBuffer.byteLength) {
          recvBuffer = new Uint8Array(length);
          throw new ErrnoError("recvfrom", EMSGSIZE, `netlink reply of ${length} bytes`);
        }
        return recvBuffer.slice(0, length);
      } catch (err) {
        if (err instanceof ErrnoError && err.errno === EINTR && i < EINTR_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /** For callers: refuses once `close()` was called. */
  #open(): void {
    if (this.#closed) throw new Error("netlink socket is closed");
  }

  /** For the socket's own reads and writes: refuses once the descriptor is released. */
  #usable(): void {
    if (this.#released) throw new Error("netlink socket is closed");
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) >>> 0;
    if (this.#seq === 0) this.#seq = 1;
    return this.#seq;
  }

  #encode(init: RequestInit, flags: number, seq: number): Uint8Array {
    return encodeMessage({
      type: init.type,
      flags: flags | (init.flags ?? 0),
      seq,
      pid: this.#portId,
      ...(init.body ? { body: init.body } : {}),
      ...(init.attrs ? { attrs: init.attrs } : {}),
    });
  }

  #sendEncoded(msg: Uint8Array, ctx: RequestContext): void {
    try {
      this.#send(msg);
    } catch (err) {
      if (err instanceof ErrnoError) throw kernelError(ctx, err.errno);
      throw err;
    }
  }

  #sendRequest(init: RequestInit, flags: number, ctx: RequestContext): number {
    const seq = this.#nextSeq();
    this.#sendEncoded(this.#encode(init, flags, seq), ctx);
    stats.roundTrips++;
    return seq;
  }

  /** Yields the messages of our sequence number, checking the port id. */
  *#replies(seq: number, ctx: RequestContext): Generator<NlMessage> {
    const stashed = this.#inflight.get(seq);
    while (stashed && stashed.length > 0) yield stashed.shift()!;
    for (;;) {
      let datagram: Uint8Array;
      try {
        datagram = this.#recv();
      } catch (err) {
        if (err instanceof ErrnoError && err.errno === EAGAIN) {
          throw protocolError(ctx, `no reply from the kernel in ${RECV_TIMEOUT_SECONDS} s`);
        }
        if (err instanceof ErrnoError && err.errno === EMSGSIZE) {
          throw new ReplyTooLargeError(ctx, err.message);
        }
        if (err instanceof ErrnoError) throw kernelError(ctx, err.errno);
        throw err;
      }
      for (const m of decodeMessages(datagram)) {
        if (m.header.seq !== seq) {
          // A reply to a background request is kept for it; others are stale (abandoned).
          this.#inflight.get(m.header.seq)?.push(m);
          continue;
        }
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
   * Sends a request and waits for its answer: the ACK (`NLM_F_ACK` is set), or for a read-only
   * `RTM_GET*` request the one answer message, which ends the exchange (no ACK is asked for:
   * one datagram less to read).
   *
   * @param init The request.
   * @param ctx What it is about, for errors.
   * @returns The reply messages that came before the ACK (e.g. the answer to a GET).
   * @throws {NetlinkError} When the kernel answers with an errno ({@linkcode LinkNotFoundError}
   *   for `ENODEV`), with the extended-ack text when there is one.
   */
  request(init: RequestInit, ctx: RequestContext): NlMessage[] {
    this.#open();
    const get = isGet(init.type);
    for (let attempt = 1;; attempt++) {
      try {
        return this.#collectAck(this.#sendRequest(init, requestFlags(get), ctx), ctx, get);
      } catch (err) {
        // A reply too large for the buffer is lost; a read-only request is simply asked again.
        if (err instanceof ReplyTooLargeError && get && attempt < 2) continue;
        throw err;
      }
    }
  }

  /** Reads the answer to `seq`: up to the ACK, or with `answerEnds` up to the answer. */
  #collectAck(seq: number, ctx: RequestContext, answerEnds: boolean): NlMessage[] {
    const out: NlMessage[] = [];
    for (const m of this.#replies(seq, ctx)) {
      if (m.header.type === NLMSG_ERROR) {
        const [e] = decodeNlmsgerr(m.payload, 0, m.header.flags);
        if (e.error === 0) return out;
        throw kernelError(ctx, -e.error, e.extack?.msg);
      }
      if (m.header.type === NLMSG_NOOP) continue;
      if (m.header.type === NLMSG_DONE) {
        if (answerEnds) return out;
        continue;
      }
      out.push(m);
      if (answerEnds && !(m.header.flags & NLM_F_MULTI)) return out;
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
    this.#open();
    for (let attempt = 1; attempt <= DUMP_ATTEMPTS; attempt++) {
      const seq = this.#sendRequest(init, NLM_F_REQUEST | NLM_F_DUMP, ctx);
      const out: NlMessage[] = [];
      let interrupted = false;
      let truncated = false;
      try {
        this.#collectDump(seq, ctx, out, () => interrupted = true);
      } catch (err) {
        // A datagram too large for the buffer is lost: start the dump again (buffer now grown).
        if (!(err instanceof ReplyTooLargeError) || attempt === DUMP_ATTEMPTS) throw err;
        // Its remaining parts carry the old sequence number and are skipped as stale.
        truncated = true;
      }
      if (!interrupted && !truncated) return out;
    }
    throw new DumpInterruptedError(ctx.op, ctx.target, DUMP_ATTEMPTS);
  }

  /** Reads one dump's parts into `out`. */
  #collectDump(
    seq: number,
    ctx: RequestContext,
    out: NlMessage[],
    onInterrupted: () => void,
  ): void {
    for (const m of this.#replies(seq, ctx)) {
      if (m.header.flags & NLM_F_DUMP_INTR) onInterrupted();
      if (m.header.type === NLMSG_DONE) {
        if (m.payload.byteLength >= 4) {
          const rc = new DataView(m.payload.buffer, m.payload.byteOffset, 4).getInt32(0, true);
          if (rc < 0) throw kernelError(ctx, -rc);
        }
        return;
      }
      if (m.header.type === NLMSG_ERROR) {
        const [e] = decodeNlmsgerr(m.payload, 0, m.header.flags);
        if (e.error === 0) return;
        throw kernelError(ctx, -e.error, e.extack?.msg);
      }
      if (m.header.type === NLMSG_NOOP) continue;
      out.push(m);
    }
  }

  /**
   * Sends a request whose kernel work goes on long after its effect is visible, and resolves
   * as soon as the effect is: when `probe` (a read-only request, e.g. `RTM_GETLINK` of the
   * link being deleted) fails with `ENODEV`, or when the request's ACK comes, whichever is
   * first. An `ENODEV` answer to the request itself also counts as gone.
   *
   * The request and the probes are sent from worker threads, so the JavaScript thread is free
   * meanwhile and several such requests overlap. A probe sent while the kernel holds the
   * rtnl lock for the request waits for it, so probes are few (one or two). The ACK is still
   * read when it comes ({@linkcode pendingKernelWork} waits for it), and the descriptor is
   * closed only after that, even when `close()` is called earlier.
   *
   * @param init The request (`NLM_F_ACK` is added).
   * @param probe A read-only request that fails with `ENODEV` once the effect is visible.
   * @param ctx What it is about, for errors.
   * @returns When the object is gone or the kernel acknowledged.
   * @throws {NetlinkError} When the kernel answers the request with another errno before the
   *   probe sees the object gone, or the probe fails otherwise.
   */
  async requestUntilGone(
    init: RequestInit,
    probe: RequestInit,
    ctx: RequestContext,
  ): Promise<void> {
    this.#open();
    const acked = this.#sendInBackground(init, ctx).then(() => true, (err) => {
      if (err instanceof LinkNotFoundError) return true; // already gone: what was asked for
      throw err;
    });
    for (let probes = 1;; probes++) {
      // A probe waits on the rtnl lock while the kernel unlists; one that does not (the request
      // not started yet) is repeated at once, and after a few, at a timer's pace.
      if (probes > PROBES_AT_ONCE) await delay(1);
      if (this.#released) { // closed meanwhile and every reply read: the ACK has come
        await acked;
        return;
      }
      stats.probes++;
      const probed = this.#sendInBackground(probe, ctx).then(() => false, (err) => {
        if (err instanceof LinkNotFoundError) return true;
        throw err;
      });
      probed.catch(() => {}); // a failed probe after the ACK is of no interest
      if (await Promise.race([acked, probed])) return;
    }
  }

  /**
   * {@linkcode NetlinkSocket.request}, sent from a worker thread: the JavaScript thread is
   * free while the kernel works (creating a veth pair holds it for most of a millisecond), so
   * other calls in the same process go on meanwhile. Other requests may use the socket
   * meanwhile; each reply goes to its own request.
   *
   * @param init The request.
   * @param ctx What it is about, for errors.
   * @returns The reply messages that came before the ACK.
   * @throws {NetlinkError} As {@linkcode NetlinkSocket.request}.
   */
  requestInBackground(init: RequestInit, ctx: RequestContext): Promise<NlMessage[]> {
    try {
      this.#open();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#sendInBackground(init, ctx);
  }

  /** Sends `init` from a worker thread; the promise settles with its reply. */
  #sendInBackground(init: RequestInit, ctx: RequestContext): Promise<NlMessage[]> {
    this.#usable();
    const seq = this.#nextSeq();
    const get = isGet(init.type);
    const msg = this.#encode(init, requestFlags(get), seq);
    this.#inflight.set(seq, []);
    stats.roundTrips++;
    stats.offThread++;
    const sent = this.#transport
      ? Promise.resolve().then(async () => (await this.#transport!.send(msg), msg.byteLength))
      : sendtoOffThread(this.#fd, new Uint8Array(msg), sockaddrNl(0, 0));
    const done = sent.then((n) => {
      // errno of the worker thread is lost: send again here to learn it (nothing was sent).
      if (n < 0) this.#sendEncoded(msg, ctx);
      return this.#collectAck(seq, ctx, get);
    }).finally(() => {
      this.#inflight.delete(seq);
      pending.delete(done);
      if (this.#closed && this.#inflight.size === 0) this.#release();
    });
    pending.add(done);
    done.catch(() => {}); // delivered to the caller; pendingKernelWork only waits
    return done;
  }

  /** Closes the socket (idempotent); with a background request in flight, once it is answered. */
  close(): void {
    this.#closed = true;
    if (this.#inflight.size === 0) this.#release();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    if (!this.#transport) close(this.#fd);
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

function createSocket(netnsPath?: string, protocol: number = NETLINK_ROUTE): NetlinkSocket {
  const fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  stats.sockets++;
  try {
    // The default receive buffer is enough: requests are answered one at a time and the
    // kernel fills a dump's next datagram only once the previous one is read.
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
 * Opens a netlink socket (rtnetlink unless `protocol` says otherwise), inside a network namespace when one is given. The socket stays
 * bound to that namespace, so later calls need no switching.
 *
 * @example Open, list links, close
 * ```ts ignore
 * using sock = openNetlink({ netns: "/run/netns/blue" });
 * console.log(linkList(sock).map((l) => l.name));
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
