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
export { addrAdd, addrDel, addrList } from "./ops/addr.ts";
export type { AddrAddOptions } from "./ops/addr.ts";
export {
  bridgeSetVlanFiltering,
  bridgeVlanAdd,
  bridgeVlanDel,
  bridgeVlanList,
} from "./ops/bridge_vlan.ts";
export type { BridgeVlanOptions } from "./ops/bridge_vlan.ts";
export {
  linkAddBridge,
  linkAddDummy,
  linkAddIfb,
  linkAddIpvlan,
  linkAddMacvlan,
  linkAddVeth,
  linkAddVethInBackground,
  linkAddVlan,
} from "./ops/link_add.ts";
export type { BridgeOptions, LowerLinkOptions, VethOptions } from "./ops/link_add.ts";
export {
  linkDel,
  linkDelBackground,
  linkFind,
  linkGet,
  linkList,
  linkSetAlias,
  linkSetAllmulti,
  linkSetBrportFlags,
  linkSetDown,
  linkSetMac,
  linkSetMaster,
  linkSetMtu,
  linkSetName,
  linkSetNoMaster,
  linkSetNsFd,
  linkSetPromisc,
  linkSetTxQLen,
  linkSetUp,
} from "./ops/link.ts";
export {
  routeAdd,
  routeDel,
  routeGet,
  routeList,
  routePrepend,
  routeReplace,
} from "./ops/route.ts";
export type { RouteSpec } from "./ops/route.ts";
export { INGRESS_HANDLE, qdiscAdd, qdiscDel, qdiscList } from "./ops/qdisc.ts";
export type { QdiscAddOptions, QdiscSpec } from "./ops/qdisc.ts";
export { filterAdd, filterDel, filterList, redirectAllFilter } from "./ops/filter.ts";
export { ruleAdd, ruleDel, ruleList } from "./ops/rule.ts";
export type { RuleInfo, RuleSpec } from "./rule.ts";
export { linkAddVrf } from "./ops/vrf.ts";
export type { FilterSpec } from "./ops/filter.ts";
export { filterInfo, formatTcHandle, tcHandle } from "./tc.ts";
export type { Filter, Qdisc } from "./tc.ts";
export { calcXmittime, parsePsched, timeToTicks, truncU32 } from "./tc_tbf.ts";
export type { Psched, RateTableOptions, Tbf, TbfQopt, TbfSpec, TcRatespec } from "./tc_tbf.ts";
export { u32MatchAll } from "./tc_u32.ts";
export type { U32Key, U32Options, U32Sel, U32Spec } from "./tc_u32.ts";
export type { MirredActionSpec, TcAction, TcMirred } from "./tc_action.ts";
export {
  ETH_P_ALL,
  TC_ACT_OK,
  TC_ACT_STOLEN,
  TC_H_INGRESS,
  TC_H_ROOT,
  TCA_EGRESS_REDIR,
  TIME_UNITS_PER_SEC,
} from "./tc_constants.ts";
export {
  IFA_F_DADFAILED,
  IFA_F_DEPRECATED,
  IFA_F_NODAD,
  IFA_F_NOPREFIXROUTE,
  IFA_F_OPTIMISTIC,
  IFA_F_PERMANENT,
  IFA_F_SECONDARY,
  IFA_F_TENTATIVE,
  RTPROT_BOOT,
  RTPROT_KERNEL,
  RTPROT_RA,
  RTPROT_STATIC,
} from "./constants.ts";
export { NetlinkSocket, pendingKernelWork } from "./socket.ts";
export type { RequestContext, RequestInit } from "./socket.ts";
export { openNetlink } from "./socket_open.ts";
export type { OpenNetlinkOptions } from "./socket_open.ts";
export {
  DumpInterruptedError,
  LinkNotFoundError,
  NetlinkDecodeError,
  NetlinkError,
  NetlinkInputError,
} from "./errors.ts";
export type { BridgeInfo, BridgeVlan, BrportFlags, Link, LinkRef } from "./link.ts";
export { checkLinkName, formatMac, parseMac } from "./link.ts";
export { encodeLinkInfo, IPVLAN_MODES, MACVLAN_MODES } from "./link_kinds.ts";
export type {
  IpvlanInfo,
  IpvlanMode,
  LinkKindInfo,
  LinkKindSpec,
  MacvlanInfo,
  MacvlanMode,
  VlanInfo,
} from "./link_kinds.ts";
export type { Addr, IpAddress, IpFamily, IpPrefix, Scope } from "./addr.ts";
export { formatIp, parseIp, parsePrefix } from "./addr.ts";
export type { RouteInfo } from "./route.ts";
export type { Attr, RawAttr } from "./codec.ts";
export type { NlMessage, NlMsgHeader } from "./message.ts";
export type { NetnsHandle } from "../netns/netns.ts";
export { conntrackDelete, conntrackList } from "./conntrack.ts";
export type { ConntrackFlow, ConntrackTuple } from "./conntrack.ts";
export { IPPROTO_UDP, NETLINK_NETFILTER } from "./conntrack_constants.ts";
