/**
 * The netlink request/reply protocol on an open socket: strict reply handling (sequence and
 * port-id checks, ACKs, multipart dumps to `NLMSG_DONE`, bounded retries on
 * `NLM_F_DUMP_INTR`), the datagrams themselves going through `_socket_io.ts`, the reading of a
 * reply stream in `_socket_replies.ts` and the background requests' bookkeeping in
 * `_socket_background.ts`. {@linkcode openNetlink} (`socket_open.ts`) opens one.
 *
 * All calls are synchronous, so they may also run inside `withNetns`, except
 * {@linkcode NetlinkSocket.requestUntilGone}: its send runs on a worker thread and it resolves
 * as soon as the object is gone, while the kernel finishes in the background
 * ({@linkcode pendingKernelWork} waits for that).
 *
 * @module
 */
import { EAGAIN, EMSGSIZE, ErrnoError } from "../ffi/errno.ts";
import { NLM_F_DUMP, NLM_F_REQUEST, NLMSG_OVERRUN } from "./constants.ts";
import { decodeMessages, encodeMessage } from "./message.ts";
import type { Attr } from "./codec.ts";
import type { NlMessage } from "./message.ts";
import { DumpInterruptedError, kernelError, protocolError, ReplyTooLargeError } from "./errors.ts";
import { type DatagramIo, datagramIo, RECV_TIMEOUT_SECONDS } from "./_socket_io.ts";
import { stats } from "./_socket_stats.ts";
import { collectAck, collectDump, isGet, requestFlags } from "./_socket_replies.ts";
import { settled, track, untilGone } from "./_socket_background.ts";

export { pendingKernelWork } from "./_socket_background.ts";

/** How many times a dump is tried when the kernel marks it `NLM_F_DUMP_INTR`. */
export const DUMP_ATTEMPTS = 5;

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

/** An open rtnetlink socket. Close it with `close()` or `using`. */
export class NetlinkSocket {
  #fd: number;
  #io: DatagramIo;
  #closed = false;
  #released = false;
  #portId: number;
  #seq: number;
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
   */
  constructor(fd: number, portId: number, netnsPath?: string) {
    this.#fd = fd;
    this.#io = datagramIo(fd);
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
    this.#io.send(bytes);
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
    return this.#io.recv();
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
    return collectAck(this.#replies(seq, ctx), ctx, answerEnds);
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
        collectDump(this.#replies(seq, ctx), ctx, out, () => interrupted = true);
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
    await untilGone(
      this.#sendInBackground(init, ctx),
      () => this.#sendInBackground(probe, ctx),
      () => this.#released,
    );
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
    const sent = this.#io.sendOffThread(msg);
    const done = sent.then((n) => {
      // errno of the worker thread is lost: send again here to learn it (nothing was sent).
      if (n < 0) this.#sendEncoded(msg, ctx);
      return this.#collectAck(seq, ctx, get);
    }).finally(() => {
      this.#inflight.delete(seq);
      settled(done);
      if (this.#closed && this.#inflight.size === 0) this.#release();
    });
    track(done);
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
    this.#io.close();
  }

  /** Closes the socket. */
  [Symbol.dispose](): void {
    this.close();
  }
}
