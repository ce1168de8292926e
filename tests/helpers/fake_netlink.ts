/**
 * A recording stand-in for {@linkcode NetlinkSocket} in codec and ops tests: each request or
 * dump is encoded as the real socket would send it (`NLM_F_REQUEST`, plus `NLM_F_ACK` for a
 * change or `NLM_F_DUMP` for a dump), with sequence number and port id 0, and answered by a
 * callback. No kernel, no root.
 *
 * @module
 */
import { encodeMessage, type NlMessage } from "../../netlink/message.ts";
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from "../../netlink/constants.ts";
import type { NetlinkSocket, RequestContext, RequestInit } from "../../netlink/socket.ts";

/** One recorded call. */
export interface SentRequest {
  /** `request` or `dump`. */
  kind: "request" | "dump";
  /** The whole message as sent (seq and pid 0). */
  bytes: Uint8Array;
  /** What the op said it was doing. */
  ctx: RequestContext;
  /** The request as given. */
  init: RequestInit;
}

/**
 * Makes a recording fake socket.
 *
 * @param answer Replies to a call (default: none, as for an ACKed change).
 * @returns The socket and the list it records into.
 */
export function recordingSocket(
  answer: (init: RequestInit, kind: "request" | "dump") => NlMessage[] = () => [],
): { sock: NetlinkSocket; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const record = (kind: "request" | "dump") => (init: RequestInit, ctx: RequestContext) => {
    const base = kind === "dump" ? NLM_F_REQUEST | NLM_F_DUMP : NLM_F_REQUEST | NLM_F_ACK;
    const bytes = encodeMessage({
      type: init.type,
      flags: base | (init.flags ?? 0),
      seq: 0,
      ...(init.body ? { body: init.body } : {}),
      ...(init.attrs ? { attrs: init.attrs } : {}),
    });
    sent.push({ kind, bytes, ctx, init });
    return answer(init, kind);
  };
  const sock = { request: record("request"), dump: record("dump") };
  return { sock: sock as unknown as NetlinkSocket, sent };
}
