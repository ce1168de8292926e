/**
 * Datagram I/O of a netlink socket over `ffi/`: send with `EINTR` retries, receive into a
 * shared buffer that grows when a datagram did not fit (`MSG_TRUNC`), drop datagrams not from
 * the kernel, send from a worker thread, close.
 *
 * Not public API. It also holds the tests' seam: {@linkcode scriptKernel} registers a scripted
 * kernel under a fake descriptor, and a `NetlinkSocket` built on that descriptor talks to it
 * instead of a socket.
 *
 * @module
 */
import {
  AF_NETLINK,
  close,
  EINTR,
  EMSGSIZE,
  ErrnoError,
  MSG_TRUNC,
  parseSockaddrNl,
  recvfrom,
  sendto,
  sendtoOffThread,
  sockaddrNl,
} from "../ffi/mod.ts";
import { stats } from "./_socket_stats.ts";

/**
 * Size of the buffer one datagram is received into. The kernel sizes dump datagrams at 32 KiB
 * at most and other replies to their content; a larger one is detected (`MSG_TRUNC`) and the
 * buffer grown for the next read.
 */
export const NETLINK_RECV_BUFFER = 64 * 1024;
/** How many times a send or receive is retried on `EINTR`. */
export const EINTR_ATTEMPTS = 5;
/** Seconds a receive waits for the kernel before giving up (the kernel answers at once). */
export const RECV_TIMEOUT_SECONDS = 30;

/** The datagram operations a `NetlinkSocket` uses. */
export interface DatagramIo {
  /** Sends one request datagram to the kernel. */
  send(bytes: Uint8Array): void;
  /**
   * Receives the next datagram from the kernel.
   *
   * @throws {ErrnoError} `EAGAIN` after the receive timeout, `EMSGSIZE` when it did not fit.
   */
  recv(): Uint8Array;
  /** Sends from a worker thread; resolves with the byte count, negative on failure. */
  sendOffThread(bytes: Uint8Array): Promise<number>;
  /** Releases the descriptor. */
  close(): void;
}

/**
 * A scripted kernel: the tests' replacement for the socket's own `sendto` / `recvfrom`.
 */
export interface NetlinkTransport {
  /**
   * Takes one request datagram. A promise is awaited when the send is a background one
   * (`NetlinkSocket.requestUntilGone`), as a kernel that takes long to return.
   */
  send(bytes: Uint8Array): void | Promise<void>;
  /** Returns the next reply datagram. */
  recv(): Uint8Array;
}

/** Shared receive buffer: JavaScript is single-threaded and every read copies out. */
let recvBuffer: Uint8Array<ArrayBuffer> = new Uint8Array(NETLINK_RECV_BUFFER);

function retryEintr<T>(call: () => T): T {
  for (let i = 1;; i++) {
    try {
      return call();
    } catch (err) {
      if (err instanceof ErrnoError && err.errno === EINTR && i < EINTR_ATTEMPTS) continue;
      throw err;
    }
  }
}

function kernelRecv(fd: number): Uint8Array {
  for (;;) {
    const { length, from } = retryEintr(() => recvfrom(fd, recvBuffer, MSG_TRUNC));
    stats.datagrams++;
    const sender = parseSockaddrNl(from);
    // Not from the kernel (another process addressed us): drop it and read on.
    if (sender.family === AF_NETLINK && sender.pid !== 0) continue;
    if (length > recvBuffer.byteLength) {
      recvBuffer = new Uint8Array(length);
      throw new ErrnoError("recvfrom", EMSGSIZE, `netlink reply of ${length} bytes`);
    }
    return recvBuffer.slice(0, length);
  }
}

/** Scripted kernels by their fake (negative) descriptor. */
const scripted = new Map<number, NetlinkTransport>();
let nextFakeFd = -1000;

function scriptedIo(fd: number, transport: NetlinkTransport): DatagramIo {
  return {
    send(bytes) {
      void transport.send(bytes);
    },
    recv() {
      stats.datagrams++;
      return transport.recv();
    },
    async sendOffThread(bytes) {
      await Promise.resolve();
      await transport.send(bytes);
      return bytes.byteLength;
    },
    close() {
      scripted.delete(fd);
    },
  };
}

/**
 * The I/O of descriptor `fd`: the kernel's, or the scripted kernel registered for it.
 *
 * @param fd A bound netlink socket, or a descriptor from {@linkcode scriptKernel}.
 * @returns Its datagram operations.
 */
export function datagramIo(fd: number): DatagramIo {
  const transport = scripted.get(fd);
  if (transport) return scriptedIo(fd, transport);
  const kernel = sockaddrNl(0, 0);
  return {
    send(bytes) {
      const data = new Uint8Array(bytes);
      retryEintr(() => sendto(fd, data, kernel));
    },
    recv: () => kernelRecv(fd),
    sendOffThread: (bytes) => sendtoOffThread(fd, new Uint8Array(bytes), kernel),
    close: () => close(fd),
  };
}

/**
 * Test seam: registers a scripted kernel and returns the fake descriptor to build a
 * `NetlinkSocket` on (`new NetlinkSocket(scriptKernel(t), portId)`). Closing the socket
 * unregisters it.
 *
 * @example A kernel that acknowledges everything
 * ```ts
 * import assert from "node:assert/strict";
 * import { datagramIo, scriptKernel } from "./_socket_io.ts";
 * const sent: Uint8Array[] = [];
 * const fd = scriptKernel({ send: (b) => void sent.push(b), recv: () => new Uint8Array(0) });
 * const io = datagramIo(fd);
 * io.send(new Uint8Array([1, 2]));
 * assert.deepEqual(sent, [new Uint8Array([1, 2])]);
 * io.close();
 * ```
 *
 * @param transport The scripted kernel.
 * @returns A fake descriptor (negative, never a real one).
 */
export function scriptKernel(transport: NetlinkTransport): number {
  const fd = nextFakeFd--;
  scripted.set(fd, transport);
  return fd;
}
