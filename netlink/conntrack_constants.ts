/**
 * Kernel constants of ctnetlink (`NETLINK_NETFILTER`, conntrack subsystem), with their kernel
 * names and the header each comes from.
 *
 * @module
 */

/** `NETLINK_NETFILTER` (`<linux/netlink.h>`). */
export const NETLINK_NETFILTER = 12;
/** `NFNETLINK_V0` (`<linux/netfilter/nfnetlink.h>`). */
export const NFNETLINK_V0 = 0;
/** Size of `struct nfgenmsg` (`<linux/netfilter/nfnetlink.h>`). */
export const NFGENMSG_SIZE = 4;
/** `NFNL_SUBSYS_CTNETLINK` (`<linux/netfilter/nfnetlink.h>`). */
export const NFNL_SUBSYS_CTNETLINK = 1;

/** `IPCTNL_MSG_CT_NEW` (`<linux/netfilter/nfnetlink_conntrack.h>`). */
export const IPCTNL_MSG_CT_NEW = 0;
/** `IPCTNL_MSG_CT_GET` (`<linux/netfilter/nfnetlink_conntrack.h>`). */
export const IPCTNL_MSG_CT_GET = 1;
/** `IPCTNL_MSG_CT_DELETE` (`<linux/netfilter/nfnetlink_conntrack.h>`). */
export const IPCTNL_MSG_CT_DELETE = 2;

/** `CTA_TUPLE_ORIG` (`enum ctattr_type`). */
export const CTA_TUPLE_ORIG = 1;
/** `CTA_TUPLE_REPLY` (`enum ctattr_type`). */
export const CTA_TUPLE_REPLY = 2;
/** `CTA_ID` (`enum ctattr_type`). */
export const CTA_ID = 12;
/** `CTA_ZONE` (`enum ctattr_type`). */
export const CTA_ZONE = 18;

/** `CTA_TUPLE_IP` (`enum ctattr_tuple`). */
export const CTA_TUPLE_IP = 1;
/** `CTA_TUPLE_PROTO` (`enum ctattr_tuple`). */
export const CTA_TUPLE_PROTO = 2;

/** `CTA_IP_V4_SRC` (`enum ctattr_ip`). */
export const CTA_IP_V4_SRC = 1;
/** `CTA_IP_V4_DST` (`enum ctattr_ip`). */
export const CTA_IP_V4_DST = 2;
/** `CTA_IP_V6_SRC` (`enum ctattr_ip`). */
export const CTA_IP_V6_SRC = 3;
/** `CTA_IP_V6_DST` (`enum ctattr_ip`). */
export const CTA_IP_V6_DST = 4;

/** `CTA_PROTO_NUM` (`enum ctattr_l4proto`). */
export const CTA_PROTO_NUM = 1;
/** `CTA_PROTO_SRC_PORT` (`enum ctattr_l4proto`). */
export const CTA_PROTO_SRC_PORT = 2;
/** `CTA_PROTO_DST_PORT` (`enum ctattr_l4proto`). */
export const CTA_PROTO_DST_PORT = 3;

/** `IPPROTO_TCP` (`<linux/in.h>`). */
export const IPPROTO_TCP = 6;
/** `IPPROTO_UDP` (`<linux/in.h>`). */
export const IPPROTO_UDP = 17;
/** `IPPROTO_SCTP` (`<linux/in.h>`). */
export const IPPROTO_SCTP = 132;
