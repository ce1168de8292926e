/**
 * `struct rtmsg` and the `RTA_*` attributes. Pure.
 *
 * @module
 */
import {
  AF_INET,
  AF_INET6,
  RTA_DST,
  RTA_GATEWAY,
  RTA_METRICS,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTAX_ADVMSS,
  RTAX_MTU,
} from "./constants.ts";
import { decodeAttrs, decodeNested, findAttr, readU32 } from "./codec.ts";
import { formatIp } from "./addr.ts";
import type { IpFamily } from "./addr.ts";
import { NetlinkDecodeError } from "./errors.ts";
import { decodeRtHeader, encodeRtHeader } from "./rt_header.ts";

/** `struct rtmsg`. */
export interface Rtmsg {
  /** `AF_INET` / `AF_INET6`. */
  family: number;
  /** Destination prefix length. */
  dstLen: number;
  /** Source prefix length. */
  srcLen: number;
  /** TOS. */
  tos: number;
  /** Table id (low 8 bits; `RTA_TABLE` carries the full id). */
  table: number;
  /** `RTPROT_*`. */
  protocol: number;
  /** `RT_SCOPE_*`. */
  scope: number;
  /** `RTN_*`. */
  type: number;
  /** `RTM_F_*`. */
  flags: number;
}

/** A route as `ip -j route show` describes it. */
export interface RouteInfo {
  /** 4 or 6. */
  family: IpFamily;
  /** Destination prefix, `"0.0.0.0/0"` / `"::/0"` for the default route. */
  dst: string;
  /** Gateway address. */
  gw?: string;
  /** `RTA_OIF`: the output link index. */
  linkIndex?: number;
  /** `RT_SCOPE_*`. */
  scope: number;
  /** Table id. */
  table: number;
  /** `RTA_PRIORITY`. */
  metric?: number;
  /** `RTA_PREFSRC`. */
  src?: string;
  /** `RTPROT_*`. */
  protocol: number;
  /** `RTN_*`. */
  type: number;
  /** `RTAX_MTU`. */
  mtu?: number;
  /** `RTAX_ADVMSS`. */
  advmss?: number;
}

/** The one-byte fields of `struct rtmsg`, in order. */
const RTMSG_FIELDS = [
  "family",
  "dstLen",
  "srcLen",
  "tos",
  "table",
  "protocol",
  "scope",
  "type",
] as const;

/**
 * Encodes a `struct rtmsg`.
 *
 * @param msg Fields; missing ones are 0.
 * @returns 12 bytes.
 */
export function encodeRtmsg(msg: Partial<Rtmsg> = {}): Uint8Array {
  return encodeRtHeader(RTMSG_FIELDS, msg);
}

/**
 * Decodes a `struct rtmsg`.
 *
 * @param buf The bytes.
 * @param offset Where it starts.
 * @returns The struct and the offset after it.
 * @throws {NetlinkDecodeError} When fewer than 12 bytes remain.
 */
export function decodeRtmsg(buf: Uint8Array, offset: number): [Rtmsg, number] {
  return decodeRtHeader(RTMSG_FIELDS, "rtmsg", buf, offset);
}

/**
 * Decodes an `RTM_NEWROUTE` payload into a {@linkcode RouteInfo}.
 *
 * @param payload The message payload.
 * @returns The route, or `undefined` for families other than IPv4/IPv6.
 * @throws {NetlinkDecodeError} When the payload is malformed.
 */
export function parseRouteMessage(payload: Uint8Array): RouteInfo | undefined {
  const [rtm, off] = decodeRtmsg(payload, 0);
  if (rtm.family !== AF_INET && rtm.family !== AF_INET6) return undefined;
  const family: IpFamily = rtm.family === AF_INET ? 4 : 6;
  const [attrs] = decodeAttrs(payload, off);
  const dst = findAttr(attrs, RTA_DST);
  const dstIp = dst ? formatIp(dst) : family === 4 ? "0.0.0.0" : "::";
  const table = findAttr(attrs, RTA_TABLE);
  const route: RouteInfo = {
    family,
    dst: `${dstIp}/${rtm.dstLen}`,
    scope: rtm.scope,
    table: table ? readU32(table) : rtm.table,
    protocol: rtm.protocol,
    type: rtm.type,
  };
  const gw = findAttr(attrs, RTA_GATEWAY);
  if (gw) route.gw = formatIp(gw);
  const oif = findAttr(attrs, RTA_OIF);
  if (oif) route.linkIndex = readU32(oif);
  const prio = findAttr(attrs, RTA_PRIORITY);
  if (prio) route.metric = readU32(prio);
  const src = findAttr(attrs, RTA_PREFSRC);
  if (src) route.src = formatIp(src);
  const metrics = findAttr(attrs, RTA_METRICS);
  if (metrics) {
    const m = decodeNested(metrics);
    const mtu = findAttr(m, RTAX_MTU);
    if (mtu) route.mtu = readU32(mtu);
    const advmss = findAttr(m, RTAX_ADVMSS);
    if (advmss) route.advmss = readU32(advmss);
  }
  if (dst && dst.byteLength !== (family === 4 ? 4 : 16)) {
    throw new NetlinkDecodeError("rtmsg", 0, "RTA_DST length does not match the family");
  }
  return route;
}
