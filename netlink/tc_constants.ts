/**
 * Traffic-control numbers under their kernel names: the `RTM_*` qdisc, class and filter
 * messages, the `TCA_*` attributes, `tbf`, `u32` and `mirred`. Each group names the uapi
 * header it comes from; no other netlink file writes these numbers inline.
 *
 * @module
 */

// ---- <linux/rtnetlink.h> --------------------------------------------------------------

/** `RTM_NEWQDISC` (`<linux/rtnetlink.h>`). */
export const RTM_NEWQDISC = 36;
/** `RTM_DELQDISC` (`<linux/rtnetlink.h>`). */
export const RTM_DELQDISC = 37;
/** `RTM_GETQDISC` (`<linux/rtnetlink.h>`). */
export const RTM_GETQDISC = 38;
/** `RTM_NEWTCLASS` (`<linux/rtnetlink.h>`). */
export const RTM_NEWTCLASS = 40;
/** `RTM_DELTCLASS` (`<linux/rtnetlink.h>`). */
export const RTM_DELTCLASS = 41;
/** `RTM_GETTCLASS` (`<linux/rtnetlink.h>`). */
export const RTM_GETTCLASS = 42;
/** `RTM_NEWTFILTER` (`<linux/rtnetlink.h>`). */
export const RTM_NEWTFILTER = 44;
/** `RTM_DELTFILTER` (`<linux/rtnetlink.h>`). */
export const RTM_DELTFILTER = 45;
/** `RTM_GETTFILTER` (`<linux/rtnetlink.h>`). */
export const RTM_GETTFILTER = 46;

/** `sizeof(struct tcmsg)` (`<linux/rtnetlink.h>`). */
export const TCMSG_SIZE = 20;

/** `TCA_KIND`: the qdisc, class or filter kind, a NUL-terminated string (`<linux/rtnetlink.h>`). */
export const TCA_KIND = 1;
/** `TCA_OPTIONS`: kind-specific attributes (`<linux/rtnetlink.h>`). */
export const TCA_OPTIONS = 2;
/** `TCA_STATS`: legacy `struct tc_stats` (`<linux/rtnetlink.h>`). */
export const TCA_STATS = 3;
/** `TCA_XSTATS`: kind-specific statistics (`<linux/rtnetlink.h>`). */
export const TCA_XSTATS = 4;
/** `TCA_STATS2`: nested `TCA_STATS_*` (`<linux/rtnetlink.h>`). */
export const TCA_STATS2 = 7;
/** `TCA_DUMP_INVISIBLE`: flag asking dumps for hidden default qdiscs (`<linux/rtnetlink.h>`). */
export const TCA_DUMP_INVISIBLE = 10;
/** `TCA_CHAIN`: u32 filter chain index (`<linux/rtnetlink.h>`). */
export const TCA_CHAIN = 11;
/** `TCA_HW_OFFLOAD`: u8, the object is offloaded (`<linux/rtnetlink.h>`). */
export const TCA_HW_OFFLOAD = 12;

// ---- <linux/pkt_sched.h> --------------------------------------------------------------

/** `TC_H_MAJ_MASK` (`<linux/pkt_sched.h>`). */
export const TC_H_MAJ_MASK = 0xffff0000;
/** `TC_H_MIN_MASK` (`<linux/pkt_sched.h>`). */
export const TC_H_MIN_MASK = 0x0000ffff;
/** `TC_H_UNSPEC` (`<linux/pkt_sched.h>`). */
export const TC_H_UNSPEC = 0;
/** `TC_H_ROOT`: the parent of a device's root qdisc (`<linux/pkt_sched.h>`). */
export const TC_H_ROOT = 0xffffffff;
/** `TC_H_INGRESS`: the parent of the ingress (and clsact) qdisc (`<linux/pkt_sched.h>`). */
export const TC_H_INGRESS = 0xfffffff1;

/** `TC_LINKLAYER_UNAWARE` (`<linux/pkt_sched.h>`). */
export const TC_LINKLAYER_UNAWARE = 0;
/** `TC_LINKLAYER_ETHERNET` (`<linux/pkt_sched.h>`). */
export const TC_LINKLAYER_ETHERNET = 1;
/** `TC_LINKLAYER_ATM` (`<linux/pkt_sched.h>`). */
export const TC_LINKLAYER_ATM = 2;
/** `TC_LINKLAYER_MASK` (`<linux/pkt_sched.h>`). */
export const TC_LINKLAYER_MASK = 0x0f;

/** `sizeof(struct tc_ratespec)` (`<linux/pkt_sched.h>`). */
export const TC_RATESPEC_SIZE = 12;
/** `sizeof(struct tc_tbf_qopt)`: two ratespecs, limit, buffer, mtu (`<linux/pkt_sched.h>`). */
export const TC_TBF_QOPT_SIZE = 36;
/** `TC_RTAB_SIZE`: a rate table holds 256 u32 transmit times (`<linux/pkt_sched.h>`). */
export const TC_RTAB_SIZE = 1024;

/** `TCA_TBF_PARMS`: `struct tc_tbf_qopt` (`<linux/pkt_sched.h>`). */
export const TCA_TBF_PARMS = 1;
/** `TCA_TBF_RTAB`: the rate table (`<linux/pkt_sched.h>`). */
export const TCA_TBF_RTAB = 2;
/** `TCA_TBF_PTAB`: the peak-rate table (`<linux/pkt_sched.h>`). */
export const TCA_TBF_PTAB = 3;
/** `TCA_TBF_RATE64`: u64 rate in bytes/s, for rates of 2^32 and more (`<linux/pkt_sched.h>`). */
export const TCA_TBF_RATE64 = 4;
/** `TCA_TBF_PRATE64`: u64 peak rate (`<linux/pkt_sched.h>`). */
export const TCA_TBF_PRATE64 = 5;
/** `TCA_TBF_BURST`: u32 burst in bytes (`<linux/pkt_sched.h>`). */
export const TCA_TBF_BURST = 6;
/** `TCA_TBF_PBURST`: u32 peak burst in bytes (`<linux/pkt_sched.h>`). */
export const TCA_TBF_PBURST = 7;

/** `TCA_U32_CLASSID` (`<linux/pkt_cls.h>`). */
export const TCA_U32_CLASSID = 1;
/** `TCA_U32_HASH` (`<linux/pkt_cls.h>`). */
export const TCA_U32_HASH = 2;
/** `TCA_U32_LINK` (`<linux/pkt_cls.h>`). */
export const TCA_U32_LINK = 3;
/** `TCA_U32_DIVISOR` (`<linux/pkt_cls.h>`). */
export const TCA_U32_DIVISOR = 4;
/** `TCA_U32_SEL`: `struct tc_u32_sel` with its keys (`<linux/pkt_cls.h>`). */
export const TCA_U32_SEL = 5;
/** `TCA_U32_ACT`: nested actions, numbered from 1 (`<linux/pkt_cls.h>`). */
export const TCA_U32_ACT = 7;
/** `TCA_U32_FLAGS` (`<linux/pkt_cls.h>`). */
export const TCA_U32_FLAGS = 11;

/** `TC_U32_TERMINAL`: a match ends the classification (`<linux/pkt_cls.h>`). */
export const TC_U32_TERMINAL = 1;
/** `sizeof(struct tc_u32_sel)` without its keys (`<linux/pkt_cls.h>`). */
export const TC_U32_SEL_SIZE = 16;
/** `sizeof(struct tc_u32_key)` (`<linux/pkt_cls.h>`). */
export const TC_U32_KEY_SIZE = 16;

/** `TCA_ACT_KIND` (`<linux/pkt_cls.h>`). */
export const TCA_ACT_KIND = 1;
/** `TCA_ACT_OPTIONS` (`<linux/pkt_cls.h>`). */
export const TCA_ACT_OPTIONS = 2;
/** `TCA_ACT_INDEX` (`<linux/pkt_cls.h>`). */
export const TCA_ACT_INDEX = 3;
/** `TCA_ACT_STATS` (`<linux/pkt_cls.h>`). */
export const TCA_ACT_STATS = 4;

// ---- <linux/pkt_cls.h> action verdicts ------------------------------------------------

/** `TC_ACT_OK` (`<linux/pkt_cls.h>`). */
export const TC_ACT_OK = 0;
/** `TC_ACT_RECLASSIFY` (`<linux/pkt_cls.h>`). */
export const TC_ACT_RECLASSIFY = 1;
/** `TC_ACT_SHOT` (`<linux/pkt_cls.h>`). */
export const TC_ACT_SHOT = 2;
/** `TC_ACT_PIPE` (`<linux/pkt_cls.h>`). */
export const TC_ACT_PIPE = 3;
/** `TC_ACT_STOLEN` (`<linux/pkt_cls.h>`). */
export const TC_ACT_STOLEN = 4;

// ---- <linux/tc_act/tc_mirred.h> -------------------------------------------------------

/** `TCA_MIRRED_TM`: timestamps, in dumps (`<linux/tc_act/tc_mirred.h>`). */
export const TCA_MIRRED_TM = 1;
/** `TCA_MIRRED_PARMS`: `struct tc_mirred` (`<linux/tc_act/tc_mirred.h>`). */
export const TCA_MIRRED_PARMS = 2;
/** `TCA_EGRESS_REDIR` (`<linux/tc_act/tc_mirred.h>`). */
export const TCA_EGRESS_REDIR = 1;
/** `TCA_EGRESS_MIRROR` (`<linux/tc_act/tc_mirred.h>`). */
export const TCA_EGRESS_MIRROR = 2;
/** `TCA_INGRESS_REDIR` (`<linux/tc_act/tc_mirred.h>`). */
export const TCA_INGRESS_REDIR = 3;
/** `TCA_INGRESS_MIRROR` (`<linux/tc_act/tc_mirred.h>`). */
export const TCA_INGRESS_MIRROR = 4;
/** `sizeof(struct tc_mirred)`: `tc_gen` (five 32-bit fields), eaction, ifindex. */
export const TC_MIRRED_SIZE = 28;

// ---- <linux/if_ether.h> ---------------------------------------------------------------

/** `ETH_P_ALL`: every protocol, as a filter's protocol (`<linux/if_ether.h>`). */
export const ETH_P_ALL = 0x0003;
/** `ETH_P_IP` (`<linux/if_ether.h>`). */
export const ETH_P_IP = 0x0800;
/** `ETH_P_IPV6` (`<linux/if_ether.h>`). */
export const ETH_P_IPV6 = 0x86dd;

// ---- net/sched (psched clock) -----------------------------------------------------------

/** `TIME_UNITS_PER_SEC`: tc's time unit is the microsecond (iproute2 `tc_core.h`). */
export const TIME_UNITS_PER_SEC = 1_000_000;
