/**
 * rtnetlink numbers under their kernel names. Each group names the uapi header it comes
 * from; no other netlink file writes these numbers inline.
 *
 * @module
 */

// ---- <linux/netlink.h> ----------------------------------------------------------------

/** `NETLINK_ROUTE`: the rtnetlink protocol number (`<linux/netlink.h>`). */
export const NETLINK_ROUTE = 0;
/** `SOL_NETLINK`: socket option level for netlink options (`<linux/socket.h>`). */
export const SOL_NETLINK = 270;
/** `NETLINK_CAP_ACK`: do not echo the request in error replies (`<linux/netlink.h>`). */
export const NETLINK_CAP_ACK = 10;
/** `NETLINK_EXT_ACK`: ask for extended-ack TLVs on errors (`<linux/netlink.h>`). */
export const NETLINK_EXT_ACK = 11;
/** `NETLINK_GET_STRICT_CHK`: strict checking of dump requests (`<linux/netlink.h>`). */
export const NETLINK_GET_STRICT_CHK = 12;

/** `NLMSG_ALIGNTO`: netlink messages and attributes are aligned to 4 bytes. */
export const NLMSG_ALIGNTO = 4;
/** `NLMSG_HDRLEN`: size of `struct nlmsghdr`. */
export const NLMSG_HDRLEN = 16;
/** `NLA_HDRLEN`: size of `struct nlattr`. */
export const NLA_HDRLEN = 4;

/** `NLMSG_NOOP` (`<linux/netlink.h>`). */
export const NLMSG_NOOP = 1;
/** `NLMSG_ERROR`: an error or, with error 0, an ACK (`<linux/netlink.h>`). */
export const NLMSG_ERROR = 2;
/** `NLMSG_DONE`: end of a multipart dump (`<linux/netlink.h>`). */
export const NLMSG_DONE = 3;
/** `NLMSG_OVERRUN` (`<linux/netlink.h>`). */
export const NLMSG_OVERRUN = 4;

/** `NLM_F_REQUEST`: this is a request (`<linux/netlink.h>`). */
export const NLM_F_REQUEST = 0x01;
/** `NLM_F_MULTI`: part of a multipart reply (`<linux/netlink.h>`). */
export const NLM_F_MULTI = 0x02;
/** `NLM_F_ACK`: reply with an ACK (`<linux/netlink.h>`). */
export const NLM_F_ACK = 0x04;
/** `NLM_F_ECHO`: echo this request (`<linux/netlink.h>`). */
export const NLM_F_ECHO = 0x08;
/** `NLM_F_DUMP_INTR`: the dump was inconsistent because the data changed (`<linux/netlink.h>`). */
export const NLM_F_DUMP_INTR = 0x10;
/** `NLM_F_DUMP_FILTERED`: the dump was filtered as requested (`<linux/netlink.h>`). */
export const NLM_F_DUMP_FILTERED = 0x20;
/** `NLM_F_ROOT`: GET modifier, the whole table (`<linux/netlink.h>`). */
export const NLM_F_ROOT = 0x100;
/** `NLM_F_MATCH`: GET modifier, all matching entries (`<linux/netlink.h>`). */
export const NLM_F_MATCH = 0x200;
/** `NLM_F_DUMP`: `NLM_F_ROOT | NLM_F_MATCH` (`<linux/netlink.h>`). */
export const NLM_F_DUMP = 0x300;
/** `NLM_F_REPLACE`: NEW modifier, replace an existing object (`<linux/netlink.h>`). */
export const NLM_F_REPLACE = 0x100;
/** `NLM_F_EXCL`: NEW modifier, fail if it exists (`<linux/netlink.h>`). */
export const NLM_F_EXCL = 0x200;
/** `NLM_F_CREATE`: NEW modifier, create if missing (`<linux/netlink.h>`). */
export const NLM_F_CREATE = 0x400;
/** `NLM_F_APPEND`: NEW modifier, add to the end of the list (`<linux/netlink.h>`). */
export const NLM_F_APPEND = 0x800;
/** `NLM_F_CAPPED`: ACK flag, the request payload was cut from the error (`<linux/netlink.h>`). */
export const NLM_F_CAPPED = 0x100;
/** `NLM_F_ACK_TLVS`: ACK flag, extended-ack TLVs follow (`<linux/netlink.h>`). */
export const NLM_F_ACK_TLVS = 0x200;

/** `NLA_F_NESTED`: attribute carries nested attributes (`<linux/netlink.h>`). */
export const NLA_F_NESTED = 0x8000;
/** `NLA_F_NET_BYTEORDER`: attribute payload is big-endian (`<linux/netlink.h>`). */
export const NLA_F_NET_BYTEORDER = 0x4000;
/** `NLA_TYPE_MASK`: attribute type without the two flag bits (`<linux/netlink.h>`). */
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** `NLMSGERR_ATTR_MSG`: extended-ack error text (`<linux/netlink.h>`). */
export const NLMSGERR_ATTR_MSG = 1;
/** `NLMSGERR_ATTR_OFFS`: offset of the bad attribute in the request (`<linux/netlink.h>`). */
export const NLMSGERR_ATTR_OFFS = 2;
/** `NLMSGERR_ATTR_COOKIE` (`<linux/netlink.h>`). */
export const NLMSGERR_ATTR_COOKIE = 3;
/** `NLMSGERR_ATTR_MISS_TYPE`: type of a missing required attribute (`<linux/netlink.h>`). */
export const NLMSGERR_ATTR_MISS_TYPE = 5;

// ---- <linux/rtnetlink.h> --------------------------------------------------------------

/** `RTM_NEWLINK` (`<linux/rtnetlink.h>`). */
export const RTM_NEWLINK = 16;
/** `RTM_DELLINK` (`<linux/rtnetlink.h>`). */
export const RTM_DELLINK = 17;
/** `RTM_GETLINK` (`<linux/rtnetlink.h>`). */
export const RTM_GETLINK = 18;
/** `RTM_SETLINK` (`<linux/rtnetlink.h>`). */
export const RTM_SETLINK = 19;
/** `RTM_NEWADDR` (`<linux/rtnetlink.h>`). */
export const RTM_NEWADDR = 20;
/** `RTM_DELADDR` (`<linux/rtnetlink.h>`). */
export const RTM_DELADDR = 21;
/** `RTM_GETADDR` (`<linux/rtnetlink.h>`). */
export const RTM_GETADDR = 22;
/** `RTM_NEWROUTE` (`<linux/rtnetlink.h>`). */
export const RTM_NEWROUTE = 24;
/** `RTM_DELROUTE` (`<linux/rtnetlink.h>`). */
export const RTM_DELROUTE = 25;
/** `RTM_GETROUTE` (`<linux/rtnetlink.h>`). */
export const RTM_GETROUTE = 26;

/** `RTEXT_FILTER_VF` (`<linux/rtnetlink.h>`). */
export const RTEXT_FILTER_VF = 1;
/** `RTEXT_FILTER_BRVLAN`: include bridge VLAN info in link dumps (`<linux/rtnetlink.h>`). */
export const RTEXT_FILTER_BRVLAN = 2;

/** `RT_TABLE_UNSPEC` (`<linux/rtnetlink.h>`). */
export const RT_TABLE_UNSPEC = 0;
/** `RT_TABLE_DEFAULT` (`<linux/rtnetlink.h>`). */
export const RT_TABLE_DEFAULT = 253;
/** `RT_TABLE_MAIN` (`<linux/rtnetlink.h>`). */
export const RT_TABLE_MAIN = 254;
/** `RT_TABLE_LOCAL` (`<linux/rtnetlink.h>`). */
export const RT_TABLE_LOCAL = 255;

/** `RT_SCOPE_UNIVERSE`: global (`<linux/rtnetlink.h>`). */
export const RT_SCOPE_UNIVERSE = 0;
/** `RT_SCOPE_SITE` (`<linux/rtnetlink.h>`). */
export const RT_SCOPE_SITE = 200;
/** `RT_SCOPE_LINK` (`<linux/rtnetlink.h>`). */
export const RT_SCOPE_LINK = 253;
/** `RT_SCOPE_HOST` (`<linux/rtnetlink.h>`). */
export const RT_SCOPE_HOST = 254;
/** `RT_SCOPE_NOWHERE` (`<linux/rtnetlink.h>`). */
export const RT_SCOPE_NOWHERE = 255;

/** `RTPROT_UNSPEC` (`<linux/rtnetlink.h>`). */
export const RTPROT_UNSPEC = 0;
/** `RTPROT_REDIRECT` (`<linux/rtnetlink.h>`). */
export const RTPROT_REDIRECT = 1;
/** `RTPROT_KERNEL`: route installed by the kernel (`<linux/rtnetlink.h>`). */
export const RTPROT_KERNEL = 2;
/** `RTPROT_BOOT`: route installed during boot, `ip route`'s default (`<linux/rtnetlink.h>`). */
export const RTPROT_BOOT = 3;
/** `RTPROT_STATIC` (`<linux/rtnetlink.h>`). */
export const RTPROT_STATIC = 4;
/** `RTPROT_RA` (`<linux/rtnetlink.h>`). */
export const RTPROT_RA = 9;
/** `RTPROT_DHCP` (`<linux/rtnetlink.h>`). */
export const RTPROT_DHCP = 16;

/** `RTN_UNSPEC` (`<linux/rtnetlink.h>`). */
export const RTN_UNSPEC = 0;
/** `RTN_UNICAST` (`<linux/rtnetlink.h>`). */
export const RTN_UNICAST = 1;
/** `RTN_LOCAL` (`<linux/rtnetlink.h>`). */
export const RTN_LOCAL = 2;
/** `RTN_BROADCAST` (`<linux/rtnetlink.h>`). */
export const RTN_BROADCAST = 3;
/** `RTN_ANYCAST` (`<linux/rtnetlink.h>`). */
export const RTN_ANYCAST = 4;
/** `RTN_MULTICAST` (`<linux/rtnetlink.h>`). */
export const RTN_MULTICAST = 5;

/** `RTA_DST` (`<linux/rtnetlink.h>`). */
export const RTA_DST = 1;
/** `RTA_SRC` (`<linux/rtnetlink.h>`). */
export const RTA_SRC = 2;
/** `RTA_IIF` (`<linux/rtnetlink.h>`). */
export const RTA_IIF = 3;
/** `RTA_OIF` (`<linux/rtnetlink.h>`). */
export const RTA_OIF = 4;
/** `RTA_GATEWAY` (`<linux/rtnetlink.h>`). */
export const RTA_GATEWAY = 5;
/** `RTA_PRIORITY`: the route metric (`<linux/rtnetlink.h>`). */
export const RTA_PRIORITY = 6;
/** `RTA_PREFSRC` (`<linux/rtnetlink.h>`). */
export const RTA_PREFSRC = 7;
/** `RTA_METRICS`: nested `RTAX_*` (`<linux/rtnetlink.h>`). */
export const RTA_METRICS = 8;
/** `RTA_MULTIPATH` (`<linux/rtnetlink.h>`). */
export const RTA_MULTIPATH = 9;
/** `RTA_TABLE`: u32 table id (`<linux/rtnetlink.h>`). */
export const RTA_TABLE = 15;
/** `RTA_PREF`: IPv6 router preference (`<linux/rtnetlink.h>`). */
export const RTA_PREF = 20;

/** `RTAX_MTU` (`<linux/rtnetlink.h>`). */
export const RTAX_MTU = 2;
/** `RTAX_ADVMSS` (`<linux/rtnetlink.h>`). */
export const RTAX_ADVMSS = 8;

// ---- <linux/socket.h> -----------------------------------------------------------------

/** `AF_UNSPEC` (`<linux/socket.h>`). */
export const AF_UNSPEC = 0;
/** `AF_INET` (`<linux/socket.h>`). */
export const AF_INET = 2;
/** `AF_BRIDGE` (`<linux/socket.h>`). */
export const AF_BRIDGE = 7;
/** `AF_INET6` (`<linux/socket.h>`). */
export const AF_INET6 = 10;

// ---- <linux/if.h> ---------------------------------------------------------------------

/** `IFNAMSIZ`: interface names are at most 15 bytes plus NUL (`<linux/if.h>`). */
export const IFNAMSIZ = 16;
/** `IFF_UP` (`<linux/if.h>`). */
export const IFF_UP = 0x1;
/** `IFF_BROADCAST` (`<linux/if.h>`). */
export const IFF_BROADCAST = 0x2;
/** `IFF_LOOPBACK` (`<linux/if.h>`). */
export const IFF_LOOPBACK = 0x8;
/** `IFF_POINTOPOINT` (`<linux/if.h>`). */
export const IFF_POINTOPOINT = 0x10;
/** `IFF_RUNNING` (`<linux/if.h>`). */
export const IFF_RUNNING = 0x40;
/** `IFF_NOARP` (`<linux/if.h>`). */
export const IFF_NOARP = 0x80;
/** `IFF_PROMISC` (`<linux/if.h>`). */
export const IFF_PROMISC = 0x100;
/** `IFF_ALLMULTI`: receive all multicast (`<linux/if.h>`). */
export const IFF_ALLMULTI = 0x200;
/** `IFF_MULTICAST` (`<linux/if.h>`). */
export const IFF_MULTICAST = 0x1000;
/** `IFF_LOWER_UP` (`<linux/if.h>`). */
export const IFF_LOWER_UP = 0x10000;

/** `IF_OPER_*` names by value, as `ip` prints them (`<linux/if.h>`, RFC 2863). */
export const IF_OPER_NAMES: readonly string[] = [
  "UNKNOWN",
  "NOTPRESENT",
  "DOWN",
  "LOWERLAYERDOWN",
  "TESTING",
  "DORMANT",
  "UP",
];

// ---- <linux/if_link.h> ----------------------------------------------------------------

/** `IFLA_ADDRESS` (`<linux/if_link.h>`). */
export const IFLA_ADDRESS = 1;
/** `IFLA_BROADCAST` (`<linux/if_link.h>`). */
export const IFLA_BROADCAST = 2;
/** `IFLA_IFNAME` (`<linux/if_link.h>`). */
export const IFLA_IFNAME = 3;
/** `IFLA_MTU` (`<linux/if_link.h>`). */
export const IFLA_MTU = 4;
/** `IFLA_LINK`: the lower or peer device index (`<linux/if_link.h>`). */
export const IFLA_LINK = 5;
/** `IFLA_MASTER` (`<linux/if_link.h>`). */
export const IFLA_MASTER = 10;
/** `IFLA_PROTINFO`: protocol-specific data, bridge-port flags for `AF_BRIDGE` (`<linux/if_link.h>`). */
export const IFLA_PROTINFO = 12;
/** `IFLA_TXQLEN` (`<linux/if_link.h>`). */
export const IFLA_TXQLEN = 13;
/** `IFLA_OPERSTATE` (`<linux/if_link.h>`). */
export const IFLA_OPERSTATE = 16;
/** `IFLA_LINKINFO` (`<linux/if_link.h>`). */
export const IFLA_LINKINFO = 18;
/** `IFLA_NET_NS_PID` (`<linux/if_link.h>`). */
export const IFLA_NET_NS_PID = 19;
/** `IFLA_IFALIAS`: the interface alias, `ip link set <dev> alias <text>` (`<linux/if_link.h>`). */
export const IFLA_IFALIAS = 20;
/** `IFLA_AF_SPEC` (`<linux/if_link.h>`). */
export const IFLA_AF_SPEC = 26;
/** `IFLA_NET_NS_FD` (`<linux/if_link.h>`). */
export const IFLA_NET_NS_FD = 28;
/** `IFLA_EXT_MASK`: `RTEXT_FILTER_*` (`<linux/if_link.h>`). */
export const IFLA_EXT_MASK = 29;
/** `IFLA_PROMISCUITY`: promiscuity counter (`<linux/if_link.h>`). */
export const IFLA_PROMISCUITY = 30;
/** `IFLA_LINK_NETNSID` (`<linux/if_link.h>`). */
export const IFLA_LINK_NETNSID = 37;
/** `IFLA_MIN_MTU`: the smallest MTU the device accepts (`<linux/if_link.h>`). */
export const IFLA_MIN_MTU = 50;
/** `IFLA_MAX_MTU`: the largest MTU the device accepts, 0 for no limit (`<linux/if_link.h>`). */
export const IFLA_MAX_MTU = 51;

/** `IFLA_INFO_KIND` (`<linux/if_link.h>`). */
export const IFLA_INFO_KIND = 1;
/** `IFLA_INFO_DATA` (`<linux/if_link.h>`). */
export const IFLA_INFO_DATA = 2;
/** `IFLA_INFO_SLAVE_KIND` (`<linux/if_link.h>`). */
export const IFLA_INFO_SLAVE_KIND = 4;
/** `IFLA_INFO_SLAVE_DATA` (`<linux/if_link.h>`). */
export const IFLA_INFO_SLAVE_DATA = 5;

/** `IFLA_BR_VLAN_FILTERING` (`<linux/if_link.h>`). */
export const IFLA_BR_VLAN_FILTERING = 7;
/** `IFLA_BR_VLAN_DEFAULT_PVID` (`<linux/if_link.h>`). */
export const IFLA_BR_VLAN_DEFAULT_PVID = 39;

/** `IFLA_VRF_TABLE`: a VRF device's routing table, u32 (`<linux/if_link.h>`). */
export const IFLA_VRF_TABLE = 1;

/** `IFLA_BRPORT_MODE`: hairpin mode (`<linux/if_link.h>`). */
export const IFLA_BRPORT_MODE = 4;
/** `IFLA_BRPORT_LEARNING` (`<linux/if_link.h>`). */
export const IFLA_BRPORT_LEARNING = 8;
/** `IFLA_BRPORT_ISOLATED` (`<linux/if_link.h>`). */
export const IFLA_BRPORT_ISOLATED = 33;

// ---- <linux/if_link.h>: macvlan, ipvlan and vlan IFLA_INFO_DATA ----------------------

/** `IFLA_MACVLAN_MODE`: u32 `MACVLAN_MODE_*` (`<linux/if_link.h>`). */
export const IFLA_MACVLAN_MODE = 1;
/** `IFLA_MACVLAN_FLAGS`: u16 `MACVLAN_FLAG_*` (`<linux/if_link.h>`). */
export const IFLA_MACVLAN_FLAGS = 2;
/** `IFLA_MACVLAN_BC_QUEUE_LEN`: u32 broadcast queue length requested (`<linux/if_link.h>`). */
export const IFLA_MACVLAN_BC_QUEUE_LEN = 7;
/** `IFLA_MACVLAN_BC_QUEUE_LEN_USED`: u32 broadcast queue length in use (`<linux/if_link.h>`). */
export const IFLA_MACVLAN_BC_QUEUE_LEN_USED = 8;

/** `MACVLAN_MODE_PRIVATE`: no traffic between macvlans of one lower device (`<linux/if_link.h>`). */
export const MACVLAN_MODE_PRIVATE = 1;
/** `MACVLAN_MODE_VEPA`: traffic between macvlans goes out to the switch (`<linux/if_link.h>`). */
export const MACVLAN_MODE_VEPA = 2;
/** `MACVLAN_MODE_BRIDGE`: macvlans of one lower device reach each other (`<linux/if_link.h>`). */
export const MACVLAN_MODE_BRIDGE = 4;
/** `MACVLAN_MODE_PASSTHRU`: one macvlan takes over the lower device (`<linux/if_link.h>`). */
export const MACVLAN_MODE_PASSTHRU = 8;
/** `MACVLAN_MODE_SOURCE`: frames picked by source MAC (`<linux/if_link.h>`). */
export const MACVLAN_MODE_SOURCE = 16;

/** `IFLA_IPVLAN_MODE`: u16 `IPVLAN_MODE_*` (`<linux/if_link.h>`). */
export const IFLA_IPVLAN_MODE = 1;
/** `IFLA_IPVLAN_FLAGS`: u16 `IPVLAN_F_*` (`<linux/if_link.h>`). */
export const IFLA_IPVLAN_FLAGS = 2;

/** `IPVLAN_MODE_L2` (`<linux/if_link.h>`). */
export const IPVLAN_MODE_L2 = 0;
/** `IPVLAN_MODE_L3` (`<linux/if_link.h>`). */
export const IPVLAN_MODE_L3 = 1;
/** `IPVLAN_MODE_L3S`: L3 with netfilter hooks (`<linux/if_link.h>`). */
export const IPVLAN_MODE_L3S = 2;

/** `IFLA_VLAN_ID`: u16 VLAN id (`<linux/if_link.h>`). */
export const IFLA_VLAN_ID = 1;
/** `IFLA_VLAN_PROTOCOL`: be16 `ETH_P_8021Q` / `ETH_P_8021AD` (`<linux/if_link.h>`). */
export const IFLA_VLAN_PROTOCOL = 5;

// ---- <linux/veth.h> -------------------------------------------------------------------

/** `VETH_INFO_PEER`: an ifinfomsg plus IFLA attributes for the peer (`<linux/veth.h>`). */
export const VETH_INFO_PEER = 1;

// ---- <linux/if_bridge.h> --------------------------------------------------------------

/** `IFLA_BRIDGE_FLAGS` (`<linux/if_bridge.h>`). */
export const IFLA_BRIDGE_FLAGS = 0;
/** `IFLA_BRIDGE_VLAN_INFO`: `struct bridge_vlan_info` (`<linux/if_bridge.h>`). */
export const IFLA_BRIDGE_VLAN_INFO = 2;
/** `BRIDGE_FLAGS_MASTER` (`<linux/if_bridge.h>`). */
export const BRIDGE_FLAGS_MASTER = 1;
/** `BRIDGE_FLAGS_SELF` (`<linux/if_bridge.h>`). */
export const BRIDGE_FLAGS_SELF = 2;
/** `BRIDGE_VLAN_INFO_MASTER` (`<linux/if_bridge.h>`). */
export const BRIDGE_VLAN_INFO_MASTER = 0x1;
/** `BRIDGE_VLAN_INFO_PVID` (`<linux/if_bridge.h>`). */
export const BRIDGE_VLAN_INFO_PVID = 0x2;
/** `BRIDGE_VLAN_INFO_UNTAGGED` (`<linux/if_bridge.h>`). */
export const BRIDGE_VLAN_INFO_UNTAGGED = 0x4;
/** `BRIDGE_VLAN_INFO_RANGE_BEGIN` (`<linux/if_bridge.h>`). */
export const BRIDGE_VLAN_INFO_RANGE_BEGIN = 0x8;
/** `BRIDGE_VLAN_INFO_RANGE_END` (`<linux/if_bridge.h>`). */
export const BRIDGE_VLAN_INFO_RANGE_END = 0x10;
/** `BRIDGE_VLAN_INFO_BRENTRY` (`<linux/if_bridge.h>`). */
export const BRIDGE_VLAN_INFO_BRENTRY = 0x20;

// ---- <linux/if_addr.h> ----------------------------------------------------------------

/** `IFA_ADDRESS` (`<linux/if_addr.h>`). */
export const IFA_ADDRESS = 1;
/** `IFA_LOCAL` (`<linux/if_addr.h>`). */
export const IFA_LOCAL = 2;
/** `IFA_LABEL` (`<linux/if_addr.h>`). */
export const IFA_LABEL = 3;
/** `IFA_BROADCAST` (`<linux/if_addr.h>`). */
export const IFA_BROADCAST = 4;
/** `IFA_CACHEINFO` (`<linux/if_addr.h>`). */
export const IFA_CACHEINFO = 6;
/** `IFA_FLAGS`: u32 flags, supersedes `ifa_flags` (`<linux/if_addr.h>`). */
export const IFA_FLAGS = 8;

/** `IFA_F_SECONDARY` (`<linux/if_addr.h>`). */
export const IFA_F_SECONDARY = 0x01;
/** `IFA_F_NODAD` (`<linux/if_addr.h>`). */
export const IFA_F_NODAD = 0x02;
/** `IFA_F_OPTIMISTIC` (`<linux/if_addr.h>`). */
export const IFA_F_OPTIMISTIC = 0x04;
/** `IFA_F_DADFAILED` (`<linux/if_addr.h>`). */
export const IFA_F_DADFAILED = 0x08;
/** `IFA_F_HOMEADDRESS` (`<linux/if_addr.h>`). */
export const IFA_F_HOMEADDRESS = 0x10;
/** `IFA_F_DEPRECATED` (`<linux/if_addr.h>`). */
export const IFA_F_DEPRECATED = 0x20;
/** `IFA_F_TENTATIVE` (`<linux/if_addr.h>`). */
export const IFA_F_TENTATIVE = 0x40;
/** `IFA_F_PERMANENT` (`<linux/if_addr.h>`). */
export const IFA_F_PERMANENT = 0x80;
/** `IFA_F_NOPREFIXROUTE` (`<linux/if_addr.h>`). */
export const IFA_F_NOPREFIXROUTE = 0x200;

// ---- struct sizes ---------------------------------------------------------------------

/** `sizeof(struct ifinfomsg)` (`<linux/rtnetlink.h>`). */
export const IFINFOMSG_SIZE = 16;
/** `sizeof(struct ifaddrmsg)` (`<linux/if_addr.h>`). */
export const IFADDRMSG_SIZE = 8;
/** `sizeof(struct rtmsg)` (`<linux/rtnetlink.h>`). */
export const RTMSG_SIZE = 12;
/** `sizeof(struct nlmsgerr)` without the echoed request payload: int error + nlmsghdr. */
export const NLMSGERR_SIZE = 20;
/** `sizeof(struct bridge_vlan_info)` (`<linux/if_bridge.h>`). */
export const BRIDGE_VLAN_INFO_SIZE = 4;
/** `ETH_ALEN`: MAC address length (`<linux/if_ether.h>`). */
export const ETH_ALEN = 6;
