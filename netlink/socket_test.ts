// Reply handling of NetlinkSocket against a scripted kernel (no real socket, no root).
import { assertEquals, assertRejects, assertThrows } from "../tests/helpers/assert.ts";
import { NetlinkSocket, pendingKernelWork } from "./socket.ts";
import { openNetlink } from "./socket_open.ts";
import { type NetlinkTransport, scriptKernel } from "./_socket_io.ts";
import { netlinkStats } from "./_socket_stats.ts";
import { cstringAttr, encodeAttrs } from "./codec.ts";
import { decodeHeader, encodeMessage } from "./message.ts";
import {
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
} from "./constants.ts";
import { DumpInterruptedError, LinkNotFoundError, NetlinkError } from "./errors.ts";

Deno.test({
  name: "openNetlink() without --allow-ffi throws NotCapable untouched",
  permissions: { ffi: false },
  fn() {
    assertThrows(() => openNetlink(), Deno.errors.NotCapable);
  },
});

const PORT = 4242;
const CTX = { op: "link show", target: "all" };

/** Builds the reply datagrams for one request (its seq, flags and 1-based number). */
type Script = (seq: number, flags: number, n: number) => Uint8Array[];

function scripted(script: Script): { sock: NetlinkSocket; requests: number[] } {
  const queue: Uint8Array[] = [];
  const requests: number[] = [];
  const transport: NetlinkTransport = {
    send(bytes) {
      const [h] = decodeHeader(bytes, 0);
      requests.push(h.flags);
      queue.push(...script(h.seq, h.flags, requests.length));
    },
    recv() {
      const d = queue.shift();
      if (!d) throw new Error("scripted kernel has nothing more to say");
      return d;
    },
  };
  return { sock: new NetlinkSocket(scriptKernel(transport), PORT), requests };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) (out.set(p, off), off += p.byteLength);
  return out;
}

function newlink(seq: number, flags: number, pid = PORT): Uint8Array {
  return encodeMessage({ type: RTM_NEWLINK, flags, seq, pid, body: new Uint8Array(16) });
}

function done(seq: number, flags = NLM_F_MULTI): Uint8Array {
  return encodeMessage({ type: NLMSG_DONE, flags, seq, pid: PORT, body: new Uint8Array(4) });
}

function nlerr(seq: number, errno: number, extack?: string): Uint8Array {
  const body = new Uint8Array(20);
  const v = new DataView(body.buffer);
  v.setInt32(0, -errno, true);
  v.setUint32(4, 16, true);
  v.setUint32(12, seq, true);
  const tlvs = extack ? encodeAttrs([cstringAttr(1, extack)]) : new Uint8Array(0);
  return encodeMessage({
    type: NLMSG_ERROR,
    flags: NLM_F_CAPPED | (extack ? NLM_F_ACK_TLVS : 0),
    seq,
    pid: PORT,
    body: concat(body, tlvs),
  });
}

Deno.test("NetlinkSocket.dump() follows NLM_F_MULTI across datagrams to NLMSG_DONE", () => {
  const { sock, requests } = scripted((seq) => [
    concat(newlink(seq, NLM_F_MULTI), newlink(seq, NLM_F_MULTI)),
    concat(newlink(seq, NLM_F_MULTI), done(seq)),
  ]);
  assertEquals(sock.dump({ type: RTM_GETLINK }, CTX).length, 3);
  assertEquals(requests, [NLM_F_REQUEST | NLM_F_DUMP]);
});

Deno.test("NetlinkSocket.dump() retries an NLM_F_DUMP_INTR dump and returns the clean one", () => {
  const { sock, requests } = scripted((seq, _f, n) =>
    n === 1
      ? [
        concat(
          newlink(seq, NLM_F_MULTI | NLM_F_DUMP_INTR),
          done(seq, NLM_F_MULTI | NLM_F_DUMP_INTR),
        ),
      ]
      : [concat(newlink(seq, NLM_F_MULTI), newlink(seq, NLM_F_MULTI), done(seq))]
  );
  assertEquals(sock.dump({ type: RTM_GETLINK }, CTX).length, 2);
  assertEquals(requests.length, 2);
});

Deno.test("NetlinkSocket.dump() gives up after 5 interrupted dumps with DumpInterruptedError", () => {
  const { sock, requests } = scripted((seq) => [
    concat(newlink(seq, NLM_F_MULTI), done(seq, NLM_F_MULTI | NLM_F_DUMP_INTR)),
  ]);
  const e = assertThrows(() => sock.dump({ type: RTM_GETLINK }, CTX), DumpInterruptedError);
  assertEquals(e.attempts, 5);
  assertEquals(requests.length, 5);
});

Deno.test("NetlinkSocket.request() skips stale sequence numbers and returns replies before the ACK", () => {
  const { sock, requests } = scripted((seq) => [
    concat(newlink(seq - 1, 0), nlerr(seq - 1, 17)),
    concat(newlink(seq, 0), nlerr(seq, 0)),
  ]);
  const replies = sock.request({ type: RTM_NEWLINK }, CTX);
  assertEquals(replies.length, 1);
  assertEquals(replies[0]!.header.type, RTM_NEWLINK);
  assertEquals(requests, [NLM_F_REQUEST | NLM_F_ACK]);
});

Deno.test("NetlinkSocket.request() asks no ACK of a GET: its one answer ends the exchange", () => {
  const { sock, requests } = scripted((seq) => [
    concat(newlink(seq - 1, 0), nlerr(seq - 1, 17)),
    newlink(seq, 0),
  ]);
  const replies = sock.request({ type: RTM_GETLINK }, CTX);
  assertEquals(replies.length, 1);
  assertEquals(replies[0]!.header.type, RTM_NEWLINK);
  assertEquals(requests, [NLM_F_REQUEST]);
  const before = netlinkStats();
  sock.request({ type: RTM_GETLINK }, CTX);
  assertEquals(netlinkStats().datagrams - before.datagrams, 2); // the stale one, then the answer
  assertEquals(netlinkStats().roundTrips - before.roundTrips, 1);
});

Deno.test("NetlinkSocket.request() refuses a reply addressed to another port", () => {
  const { sock } = scripted((seq) => [newlink(seq, 0, PORT + 1)]);
  const e = assertThrows(() => sock.request({ type: RTM_GETLINK }, CTX), NetlinkError);
  assertEquals(e.code, "EPROTO");
  assertEquals(
    e.message,
    `link show "all": reply addressed to port ${PORT + 1}, this socket is port ${PORT} (EPROTO)`,
  );
});

Deno.test("NetlinkSocket.request() turns errno + extack into typed errors", () => {
  const { sock } = scripted((seq) => [nlerr(seq, 22, "Unknown device type")]);
  const e = assertThrows(
    () => sock.request({ type: RTM_NEWLINK }, { op: "link add", target: "x0" }),
    NetlinkError,
  );
  assertEquals(e.message, 'link add "x0": invalid argument (EINVAL): Unknown device type');
  const { sock: s2 } = scripted((seq) => [nlerr(seq, 19)]);
  assertThrows(
    () => s2.request({ type: RTM_GETLINK }, { op: "link show", target: "y0" }),
    LinkNotFoundError,
  );
});

Deno.test("NetlinkSocket.dump() surfaces an error in NLMSG_DONE", () => {
  const { sock } = scripted((seq) => {
    const d = done(seq);
    new DataView(d.buffer).setInt32(16, -95, true);
    return [d];
  });
  const e = assertThrows(() => sock.dump({ type: RTM_GETLINK }, CTX), NetlinkError);
  assertEquals(e.code, "EOPNOTSUPP");
});

/**
 * A scripted kernel for background requests: RTM_DELLINK is answered with `delErrno` only when
 * the test calls `finish()` (a kernel still tearing the link down); RTM_GETLINK probes are
 * answered at once, with ENODEV once `gone` is set.
 */
function slowDelete(delErrno: number, gone: boolean) {
  const queue: Uint8Array[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => finish = resolve);
  const sent: number[] = [];
  const transport: NetlinkTransport = {
    send(bytes) {
      const [h] = decodeHeader(bytes, 0);
      sent.push(h.type);
      if (h.type === RTM_GETLINK) {
        queue.push(gone ? nlerr(h.seq, 19) : newlink(h.seq, 0));
        return;
      }
      return finished.then(() => {
        queue.push(nlerr(h.seq, delErrno));
      });
    },
    recv() {
      const d = queue.shift();
      if (!d) throw new Error("scripted kernel has nothing more to say");
      return d;
    },
  };
  return { sock: new NetlinkSocket(scriptKernel(transport), PORT), finish, sent };
}

const DEL_CTX = { op: "link del", target: "index 7" };
const DELLINK = { type: RTM_DELLINK, body: new Uint8Array(16) };
const PROBE = { type: RTM_GETLINK, body: new Uint8Array(16) };

Deno.test("NetlinkSocket.requestUntilGone() resolves once the probe sees ENODEV, before the ACK", async () => {
  const { sock, finish, sent } = slowDelete(0, true);
  let acked = false;
  await sock.requestUntilGone(DELLINK, PROBE, DEL_CTX);
  sock.close(); // the descriptor stays open for the ACK still to come
  assertEquals(sock.closed, true);
  assertThrows(() => sock.request(PROBE, CTX), Error, "netlink socket is closed");
  assertEquals(sent, [RTM_DELLINK, RTM_GETLINK]);
  const drained = pendingKernelWork().then(() => acked = true);
  await Promise.resolve();
  assertEquals(acked, false); // the ACK is still to come
  finish();
  await drained;
  assertEquals(acked, true);
});

Deno.test("NetlinkSocket.requestUntilGone() rejects with the kernel's error from the ACK", async () => {
  const { sock, finish } = slowDelete(1, false); // EPERM; the link stays
  const p = sock.requestUntilGone(DELLINK, PROBE, DEL_CTX);
  await Promise.resolve();
  finish();
  const e = await assertRejects(() => p, NetlinkError);
  assertEquals(e.message, 'link del "index 7": operation not permitted (EPERM)');
  sock.close();
  await pendingKernelWork();
});

Deno.test("NetlinkSocket.requestUntilGone() takes an ENODEV ACK as gone", async () => {
  const { sock, finish } = slowDelete(19, false);
  const p = sock.requestUntilGone(DELLINK, PROBE, DEL_CTX);
  finish();
  await p;
  sock.close();
  await pendingKernelWork();
});

Deno.test("NetlinkSocket.requestInBackground() resolves with the replies before the ACK, off the caller's turn", async () => {
  const { sock, requests } = scripted((seq) => [concat(newlink(seq, 0), nlerr(seq, 0))]);
  const before = netlinkStats();
  let settled = false;
  const pending = sock.requestInBackground({ type: RTM_NEWLINK }, CTX).finally(() => {
    settled = true;
  });
  assertEquals(settled, false); // the caller goes on before the kernel's answer is read
  const replies = await pending;
  assertEquals(replies.map((m) => m.header.type), [RTM_NEWLINK]);
  assertEquals(requests, [NLM_F_REQUEST | NLM_F_ACK]);
  assertEquals(netlinkStats().offThread - before.offThread, 1);
});

Deno.test("NetlinkSocket.requestInBackground() rejects with the kernel's error, and once closed", async () => {
  const { sock } = scripted((seq) => [nlerr(seq, 17, "File exists")]);
  const e = await assertRejects(
    () => sock.requestInBackground({ type: RTM_NEWLINK }, CTX),
    NetlinkError,
  );
  assertEquals(e.code, "EEXIST");
  sock.close();
  await assertRejects(() => sock.requestInBackground({ type: RTM_NEWLINK }, CTX), Error, "closed");
});
