/**
 * Typed netlink errors, and the mapping of a kernel errno to them. Pure: errno names, texts
 * and numbers come from the one errno table (`ffi/errno.ts` is plain data, no FFI).
 *
 * @module
 */
import { EINTR, EINVAL, EMSGSIZE, ENODEV, EPROTO, errnoName, errnoText } from "../ffi/errno.ts";

/** What a {@linkcode NetlinkError} is built from. */
export interface NetlinkErrorInit {
  /** The operation, worded like `ip(8)`: `"link add"`, `"addr del"`, `"route add"`. */
  op: string;
  /** What it acted on: a link name, an address, a route destination. */
  target: string;
  /** The positive errno number, e.g. 17. */
  errno: number;
  /** The symbolic errno name, e.g. `"EEXIST"`. */
  code: string;
  /** Lower-case errno text, e.g. `"file exists"`, or another short reason. */
  description: string;
  /** The kernel's extended-ack message, when it sent one. */
  extack?: string | undefined;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A netlink request the kernel refused, or input refused before it was sent.
 *
 * The message reads `link add "veth1": file exists (EEXIST)`, with the kernel's
 * extended-ack text appended after a colon when there is one.
 */
export class NetlinkError extends Error {
  /** The positive errno number. */
  readonly errno: number;
  /** The symbolic errno name (`"EEXIST"`, `"ENODEV"`, ...). */
  readonly code: string;
  /** The operation (`"link add"`). */
  readonly op: string;
  /** The target (a link name, an address, a route). */
  readonly target: string;
  /** The kernel's extended-ack text, if any. */
  readonly extack: string | undefined;
  /** Lower-case errno text (`"file exists"`), as Go's `syscall.Errno` prints it. */
  readonly description: string;

  /**
   * Creates the error from what failed and why.
   *
   * @param init What failed and why.
   */
  constructor(init: NetlinkErrorInit) {
    const ext = init.extack ? `: ${init.extack}` : "";
    super(`${init.op} "${init.target}": ${init.description} (${init.code})${ext}`, {
      cause: init.cause,
    });
    this.name = "NetlinkError";
    this.errno = init.errno;
    this.code = init.code;
    this.op = init.op;
    this.target = init.target;
    this.extack = init.extack;
    this.description = init.description;
  }
}

/** A link that does not exist (`ENODEV`). */
export class LinkNotFoundError extends NetlinkError {
  /**
   * Creates the error for a missing link.
   *
   * @param op The operation that needed the link.
   * @param target The link name or `index N`.
   * @param extack The kernel's extended-ack text, if any.
   */
  constructor(op: string, target: string, extack?: string) {
    super({ op, target, errno: ENODEV, code: "ENODEV", description: "no such device", extack });
    this.name = "LinkNotFoundError";
  }
}

/** Input refused before anything was sent (`EINVAL`): a bad name, address or option. */
export class NetlinkInputError extends NetlinkError {
  /**
   * Creates the error for input refused before sending.
   *
   * @param op The operation.
   * @param target The offending value.
   * @param reason What is wrong with it.
   */
  constructor(op: string, target: string, reason: string) {
    super({ op, target, errno: EINVAL, code: "EINVAL", description: reason });
    this.name = "NetlinkInputError";
  }
}

/** A dump the kernel kept marking `NLM_F_DUMP_INTR` (data changed under it) after all retries. */
export class DumpInterruptedError extends NetlinkError {
  /** How many times the dump was tried. */
  readonly attempts: number;
  /**
   * Creates the error for a dump that never came out consistent.
   *
   * @param op The dump operation (`"link list"`).
   * @param target What was dumped.
   * @param attempts How many times it was tried.
   */
  constructor(op: string, target: string, attempts: number) {
    super({
      op,
      target,
      errno: EINTR,
      code: "EINTR",
      description: `dump interrupted ${attempts} times by concurrent changes`,
    });
    this.name = "DumpInterruptedError";
    this.attempts = attempts;
  }
}

/** Truncated or malformed netlink bytes; the message names the offset. */
export class NetlinkDecodeError extends RangeError {
  /** Byte offset where decoding failed. */
  readonly offset: number;
  /**
   * Creates the error for bytes that cannot be decoded.
   *
   * @param what What was being decoded (`"nlmsghdr"`, `"attribute"`).
   * @param offset Where.
   * @param detail What was wrong.
   */
  constructor(what: string, offset: number, detail: string) {
    super(`Cannot decode ${what} at offset ${offset}: ${detail}`);
    this.name = "NetlinkDecodeError";
    this.offset = offset;
  }
}

/** What a request is about, for error messages: `{ op: "link add", target: "veth1" }`. */
export type ErrorContext = Pick<NetlinkErrorInit, "op" | "target">;

/**
 * Builds the typed error for a kernel errno.
 *
 * @param ctx What was being done.
 * @param errno Positive errno.
 * @param extack The kernel's extended-ack text.
 * @returns A {@linkcode LinkNotFoundError} for `ENODEV`, otherwise a {@linkcode NetlinkError}.
 */
export function kernelError(ctx: ErrorContext, errno: number, extack?: string): NetlinkError {
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

/**
 * A reply that breaks the protocol (wrong port, overrun, no ACK, no answer in time): `EPROTO`.
 *
 * @param ctx What was being done.
 * @param detail What went wrong.
 * @returns The error.
 */
export function protocolError(ctx: ErrorContext, detail: string): NetlinkError {
  return new NetlinkError({
    op: ctx.op,
    target: ctx.target,
    errno: EPROTO,
    code: "EPROTO",
    description: detail,
  });
}

/** A reply datagram larger than the receive buffer: lost, and the buffer grown. */
export class ReplyTooLargeError extends NetlinkError {
  /**
   * Builds the error.
   *
   * @param ctx What was being done.
   * @param detail The receive error's message.
   */
  constructor(ctx: ErrorContext, detail: string) {
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
