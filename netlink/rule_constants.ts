/**
 * Policy-routing rule constants (`ip rule`): the rtnetlink rule message types and the
 * `struct fib_rule_hdr` values and `FRA_*` attributes of `<linux/fib_rules.h>`. Pure.
 *
 * @module
 */

// ---- <linux/rtnetlink.h> --------------------------------------------------------------

/** `RTM_NEWRULE` (`<linux/rtnetlink.h>`). */
export const RTM_NEWRULE = 32;
/** `RTM_DELRULE` (`<linux/rtnetlink.h>`). */
export const RTM_DELRULE = 33;
/** `RTM_GETRULE` (`<linux/rtnetlink.h>`). */
export const RTM_GETRULE = 34;

// ---- <linux/fib_rules.h> --------------------------------------------------------------

/** `sizeof(struct fib_rule_hdr)` (`<linux/fib_rules.h>`). */
export const FIB_RULE_HDR_SIZE = 12;

/** `FIB_RULE_PERMANENT` (`<linux/fib_rules.h>`). */
export const FIB_RULE_PERMANENT = 0x01;
/** `FIB_RULE_INVERT`: `ip rule add not ...` (`<linux/fib_rules.h>`). */
export const FIB_RULE_INVERT = 0x02;
/** `FIB_RULE_UNRESOLVED` (`<linux/fib_rules.h>`). */
export const FIB_RULE_UNRESOLVED = 0x04;
/** `FIB_RULE_IIF_DETACHED` (`<linux/fib_rules.h>`). */
export const FIB_RULE_IIF_DETACHED = 0x08;
/** `FIB_RULE_OIF_DETACHED` (`<linux/fib_rules.h>`). */
export const FIB_RULE_OIF_DETACHED = 0x10;

/** `FR_ACT_UNSPEC` (`<linux/fib_rules.h>`). */
export const FR_ACT_UNSPEC = 0;
/** `FR_ACT_TO_TBL`: look up a table (`<linux/fib_rules.h>`). */
export const FR_ACT_TO_TBL = 1;
/** `FR_ACT_GOTO`: jump to another rule (`<linux/fib_rules.h>`). */
export const FR_ACT_GOTO = 2;
/** `FR_ACT_NOP` (`<linux/fib_rules.h>`). */
export const FR_ACT_NOP = 3;
/** `FR_ACT_BLACKHOLE` (`<linux/fib_rules.h>`). */
export const FR_ACT_BLACKHOLE = 6;
/** `FR_ACT_UNREACHABLE` (`<linux/fib_rules.h>`). */
export const FR_ACT_UNREACHABLE = 7;
/** `FR_ACT_PROHIBIT` (`<linux/fib_rules.h>`). */
export const FR_ACT_PROHIBIT = 8;

/** `FRA_DST`: destination address (`<linux/fib_rules.h>`). */
export const FRA_DST = 1;
/** `FRA_SRC`: source address (`<linux/fib_rules.h>`). */
export const FRA_SRC = 2;
/** `FRA_IIFNAME`: input interface name (`<linux/fib_rules.h>`). */
export const FRA_IIFNAME = 3;
/** `FRA_GOTO`: target of a goto rule (`<linux/fib_rules.h>`). */
export const FRA_GOTO = 4;
/** `FRA_PRIORITY`: the rule's preference (`<linux/fib_rules.h>`). */
export const FRA_PRIORITY = 6;
/** `FRA_FWMARK` (`<linux/fib_rules.h>`). */
export const FRA_FWMARK = 10;
/** `FRA_FLOW` (`<linux/fib_rules.h>`). */
export const FRA_FLOW = 11;
/** `FRA_SUPPRESS_IFGROUP` (`<linux/fib_rules.h>`). */
export const FRA_SUPPRESS_IFGROUP = 13;
/** `FRA_SUPPRESS_PREFIXLEN` (`<linux/fib_rules.h>`). */
export const FRA_SUPPRESS_PREFIXLEN = 14;
/** `FRA_TABLE`: u32 table id, for ids above 255 (`<linux/fib_rules.h>`). */
export const FRA_TABLE = 15;
/** `FRA_FWMASK` (`<linux/fib_rules.h>`). */
export const FRA_FWMASK = 16;
/** `FRA_OIFNAME`: output interface name (`<linux/fib_rules.h>`). */
export const FRA_OIFNAME = 17;
/** `FRA_L3MDEV`: look up the table of the l3mdev (VRF) device (`<linux/fib_rules.h>`). */
export const FRA_L3MDEV = 19;
/** `FRA_PROTOCOL`: who installed the rule, `RTPROT_*` (`<linux/fib_rules.h>`). */
export const FRA_PROTOCOL = 21;
