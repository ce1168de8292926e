/**
 * Connection tracking over ctnetlink (`NETLINK_NETFILTER`): the `nfgenmsg` header and the
 * flow tuple attributes (pure codec), and the two operations the portmap plugin needs, a
 * dump of one family's flows and the deletion of one flow, over a socket opened with
 * `openNetlink({ protocol: NETLINK_NETFILTER })`.
 *
 * @example Forget UDP flows to port 8053
 * ```ts ignore
 * using sock = openNetlink({ protocol: NETLINK_NETFILTER });
 * for (const f of conntrackList(sock, 4)) {
 *   if (f.proto === IPPROTO_UDP && f.orig.dstPort === 8053) conntrackDelete(sock, f);
 * }
 * ```
 *
 * @module
 */
import { ENOENT } from "../ffi/errno.ts";
import { AF_INET, AF_INET6, NLA_F_NESTED, NLM_F_ACK } from "./constants.ts";
import {
  CTA_ID,
  CTA_IP_V4_DST,
  CTA_IP_V4_SRC,
  CTA_IP_V6_DST,
  CTA_IP_V6_SRC,
  CTA_PROTO_DST_PORT,
  CTA_PROTO_NUM,
  CTA_PROTO_SRC_PORT,
  CTA_TUPLE_IP,
  CTA_TUPLE_ORIG,
  CTA_TUPLE_PROTO,
  CTA_TUPLE_REPLY,
  CTA_ZONE,
  IPCTNL_MSG_CT_DELETE,
  IPCTNL_MSG_CT_GET,
  IPCTNL_MSG_CT_NEW,
  NFGENMSG_SIZE,
  NFNETLINK_V0,
  NFNL_SUBSYS_CTNETLINK,
} from "./conntrack_constants.ts";
import {
  type Attr,
  bytesAttr,
  decodeAttrs,
  decodeNested,
  findAttr,
  readBe16,
  readU8,
} from "./codec.ts";
import type { RawAttr } from "./codec.ts";
import { formatIp, type IpFamily } from "./addr.ts";
import { NetlinkDecodeError, NetlinkError } from "./errors.ts";
import type { NetlinkSocket } from "./socket.ts";

/** One direction of a flow. */
export interface ConntrackTuple {
  /** Source address. */
  src: string;
  /** Destination address. */
  dst: string;
  /** Source port (TCP, UDP, SCTP, ...). */
  srcPort?: number;
  /** Destination port. */
  dstPort?: number;
}

/** A tracked flow as the kernel dumps it. */
export interface ConntrackFlow {
  /** 4 or 6. */
  family: IpFamily;
  /** IP protocol number (`IPPROTO_UDP`, ...). */
  proto: number;
  /** The original direction. */
  orig: ConntrackTuple;
  /** The reply direction (after NAT: its source is the DNAT target). */
  reply: ConntrackTuple;
  /** Conntrack zone, when not the default. */
  zone?: number;
  /** Kernel flow id. */
  id?: number;
  /** The raw attributes that identify the flow for a delete (tuple, zone, id). */
  key: RawAttr[];
}

/**
 * Encodes a `struct nfgenmsg`.
 *
 * @param family `AF_INET` or `AF_INET6`.
 * @returns 4 bytes.
 */
export function encodeNfgenmsg(family: number): Uint8Array {
  const b = new Uint8Array(NFGENMSG_SIZE);
  b[0] = family;
  b[1] = NFNETLINK_V0;
  return b;
}

/**
 * A ctnetlink message type: subsystem in the high byte.
 *
 * @param msg `IPCTNL_MSG_CT_*`.
 * @returns The netlink message type.
 */
export function ctnetlinkType(msg: number): number {
  return (NFNL_SUBSYS_CTNETLINK << 8) | msg;
}

function decodeTuple(
  value: Uint8Array,
  family: IpFamily,
): { tuple: ConntrackTuple; proto: number } {
  const attrs = decodeNested(value);
  const ip = findAttr(attrs, CTA_TUPLE_IP);
  const l4 = findAttr(attrs, CTA_TUPLE_PROTO);
  if (!ip || !l4) throw new NetlinkDecodeError("conntrack tuple", 0, "no address or protocol");
  const ips = decodeNested(ip);
  const src = findAttr(ips, family === 4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC);
  const dst = findAttr(ips, family === 4 ? CTA_IP_V4_DST : CTA_IP_V6_DST);
  if (!src || !dst) throw new NetlinkDecodeError("conntrack tuple", 0, "no addresses");
  const ports = decodeNested(l4);
  const num = findAttr(ports, CTA_PROTO_NUM);
  const tuple: ConntrackTuple = { src: formatIp(src), dst: formatIp(dst) };
  const sp = findAttr(ports, CTA_PROTO_SRC_PORT);
  const dp = findAttr(ports, CTA_PROTO_DST_PORT);
  if (sp) tuple.srcPort = readBe16(sp);
  if (dp) tuple.dstPort = readBe16(dp);
  return { tuple, proto: num ? readU8(num) : 0 };
}

/**
 * Decodes one `IPCTNL_MSG_CT_NEW` dump message payload.
 *
 * @param payload The message payload (`nfgenmsg` and attributes).
 * @returns The flow, or `undefined` for families other than IPv4/IPv6.
 * @throws {NetlinkDecodeError} When the payload is malformed.
 */
export function decodeConntrack(payload: Uint8Array): ConntrackFlow | undefined {
  if (payload.byteLength < NFGENMSG_SIZE) {
    throw new NetlinkDecodeError("nfgenmsg", 0, "payload shorter than 4 bytes");
  }
  const af = payload[0];
  if (af !== AF_INET && af !== AF_INET6) return undefined;
  const family: IpFamily = af === AF_INET ? 4 : 6;
  const [attrs] = decodeAttrs(payload, NFGENMSG_SIZE);
  const o = findAttr(attrs, CTA_TUPLE_ORIG);
  const r = findAttr(attrs, CTA_TUPLE_REPLY);
  if (!o || !r) throw new NetlinkDecodeError("conntrack", 0, "no original or reply tuple");
  const orig = decodeTuple(o, family);
  const reply = decodeTuple(r, family);
  const flow: ConntrackFlow = {
    family,
    proto: orig.proto,
    orig: orig.tuple,
    reply: reply.tuple,
    key: attrs.filter((a) => a.type === CTA_TUPLE_ORIG || a.type === CTA_ZONE || a.type === CTA_ID),
  };
  const zone = findAttr(attrs, CTA_ZONE);
  if (zone) flow.zone = readBe16(zone);
  const id = findAttr(attrs, CTA_ID);
  if (id && id.byteLength >= 4) {
    flow.id = new DataView(id.buffer, id.byteOffset, 4).getUint32(0, false);
  }
  return flow;
}

/**
 * Dumps the tracked flows of one family.
 *
 * Equivalent to: `conntrack -L -f ipv4|ipv6`
 *
 * @param sock A `NETLINK_NETFILTER` socket.
 * @param family 4 or 6.
 * @returns The flows.
 * @throws {NetlinkError} When the kernel refuses the dump.
 */
export function conntrackList(sock: NetlinkSocket, family: IpFamily): ConntrackFlow[] {
  const msgs = sock.dump({
    type: ctnetlinkType(IPCTNL_MSG_CT_GET),
    body: encodeNfgenmsg(family === 4 ? AF_INET : AF_INET6),
  }, { op: "conntrack list", target: `ipv${family}` });
  const out: ConntrackFlow[] = [];
  for (const m of msgs) {
    if (m.header.type !== ctnetlinkType(IPCTNL_MSG_CT_NEW)) continue;
    const f = decodeConntrack(m.payload);
    if (f) out.push(f);
  }
  return out;
}

/**
 * Deletes one flow (by its original tuple, zone and id, as dumped).
 *
 * Equivalent to: `conntrack -D -f <family> -p <proto> --orig-src ... --orig-port-dst ...`
 *
 * @param sock A `NETLINK_NETFILTER` socket.
 * @param flow A flow from {@linkcode conntrackList}.
 * @returns `false` when it was already gone (`ENOENT`), else `true`.
 * @throws {NetlinkError} When the kernel refuses otherwise.
 */
export function conntrackDelete(sock: NetlinkSocket, flow: ConntrackFlow): boolean {
  const attrs: Attr[] = flow.key.map((a) =>
    bytesAttr(a.nested ? a.type | NLA_F_NESTED : a.type, a.value)
  );
  try {
    // A DELETE type reads like a GET to the socket (answered by its reply): ask for the ACK.
    sock.request({
      type: ctnetlinkType(IPCTNL_MSG_CT_DELETE),
      flags: NLM_F_ACK,
      body: encodeNfgenmsg(flow.family === 4 ? AF_INET : AF_INET6),
      attrs,
    }, {
      op: "conntrack delete",
      target: `${flow.orig.src}:${flow.orig.srcPort ?? ""} -> ${flow.orig.dst}:${
        flow.orig.dstPort ?? ""
      }`,
    });
    return true;
  } catch (err) {
    if (err instanceof NetlinkError && err.errno === ENOENT) return false;
    throw err;
  }
}
