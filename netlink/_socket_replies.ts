/**
 * How a request's reply stream is read, by the socket (`socket.ts`): which requests are
 * answered by an ACK and which by their answer, the answer up to the ACK (or, for a read-only
 * `RTM_GET*`, the answer itself), and a dump's parts up to `NLMSG_DONE`. The messages come
 * from the socket, already checked for sequence and port id.
 *
 * @module
 */
import {
  NLM_F_ACK,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
} from "./constants.ts";
import { decodeNlmsgerr, type NlMessage } from "./message.ts";
import { kernelError, protocolError } from "./errors.ts";
import type { RequestContext } from "./socket.ts";

/** Whether a request type only reads (`RTM_GET*`), so it may be sent again. */
export function isGet(type: number): boolean {
  return type >= 16 && type % 4 === 2;
}

/** Flags of a request: a read-only one is answered by its reply, others by an ACK. */
export function requestFlags(get: boolean): number {
  return get ? NLM_F_REQUEST : NLM_F_REQUEST | NLM_F_ACK;
}

/**
 * Reads an answer: up to the ACK, or with `answerEnds` up to the answer.
 *
 * @param replies The messages of the request's sequence number.
 * @param ctx What it is about, for errors.
 * @param answerEnds Whether the answer (its last part) ends the exchange.
 * @returns The reply messages that came before the ACK.
 * @throws {NetlinkError} When the kernel answers with an errno, or the stream ends first.
 */
export function collectAck(
  replies: Iterable<NlMessage>,
  ctx: RequestContext,
  answerEnds: boolean,
): NlMessage[] {
  const out: NlMessage[] = [];
  for (const m of replies) {
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
 * Reads one dump's parts into `out`, up to `NLMSG_DONE` (or an ACK).
 *
 * @param replies The messages of the dump's sequence number.
 * @param ctx What it is about, for errors.
 * @param out Where the data messages go.
 * @param onInterrupted Called for each part the kernel marks `NLM_F_DUMP_INTR`.
 * @throws {NetlinkError} When the kernel answers with an errno.
 */
export function collectDump(
  replies: Iterable<NlMessage>,
  ctx: RequestContext,
  out: NlMessage[],
  onInterrupted: () => void,
): void {
  for (const m of replies) {
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
