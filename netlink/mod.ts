/**
 * rtnetlink in TypeScript: a pure codec, one socket file, and `ip(8)`-shaped operations.
 *
 * @example Create a veth pair inside a namespace and bring it up
 * ```ts ignore
 * import { linkAddVeth, linkSetUp, openNetlink } from "./mod.ts";
 *
 * using sock = openNetlink({ netns: "/run/netns/blue" });
 * linkAddVeth(sock, { name: "veth0", peerName: "veth1" });
 * linkSetUp(sock, { name: "veth0" });
 * ```
 *
 * @module
 */
export {
  addrAdd,
  addrDel,
  addrList,
  bridgeSetVlanFiltering,
  bridgeVlanAdd,
  bridgeVlanDel,
  bridgeVlanList,
  linkAddBridge,
  linkAddDummy,
  linkAddVeth,
  linkDel,
  linkDelBackground,
  linkFind,
  linkGet,
  linkList,
  linkSetBrportFlags,
  linkSetDown,
  linkSetMac,
  linkSetMaster,
  linkSetMtu,
  linkSetName,
  linkSetNoMaster,
  linkSetNsFd,
  linkSetPromisc,
  linkSetUp,
  routeAdd,
  routeDel,
  routeGet,
  routeList,
  routeReplace,
} from "./ops.ts";
export type {
  AddrAddOptions,
  BridgeOptions,
  BridgeVlanOptions,
  RouteSpec,
  VethOptions,
} from "./ops.ts";
export { NetlinkSocket, netlinkStats, openNetlink, pendingKernelWork } from "./socket.ts";
export type { NetlinkStats, OpenNetlinkOptions, RequestContext, RequestInit } from "./socket.ts";
export {
  DumpInterruptedError,
  LinkNotFoundError,
  NetlinkDecodeError,
  NetlinkError,
  NetlinkInputError,
} from "./errors.ts";
export type { BridgeInfo, BridgeVlan, BrportFlags, Link, LinkRef } from "./link.ts";
export { checkLinkName, formatMac, parseMac } from "./link.ts";
export type { Addr, IpAddress, IpFamily, IpPrefix, Scope } from "./addr.ts";
export { formatIp, parseIp, parsePrefix } from "./addr.ts";
export type { RouteInfo } from "./route.ts";
export type { Attr, NlMessage, NlMsgHeader, RawAttr } from "./codec.ts";
export type { NetlinkTransport } from "./socket.ts";
export type { NetnsHandle } from "../netns/netns.ts";
export { conntrackDelete, conntrackList } from "./conntrack.ts";
export type { ConntrackFlow, ConntrackTuple } from "./conntrack.ts";
export { IPPROTO_UDP, NETLINK_NETFILTER } from "./conntrack_constants.ts";
