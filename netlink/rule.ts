/**
 * Policy-routing rules (`ip rule`): `struct fib_rule_hdr`, the `FRA_*` attributes, the request
 * a rule add or delete sends and the decoding of `RTM_NEWRULE` dump replies. Pure.
 *
 * A request is laid out as `ip rule` lays it out (golden bytes in `rule_test.ts` come from
 * `strace` of iproute2): the table in the header when it fits in 8 bits, else `FRA_TABLE`
 * with the header's table `RT_TABLE_UNSPEC`; action `FR_ACT_TO_TBL` on add and
 * `FR_ACT_UNSPEC` on delete (which then matches any action).
 *
 * @module
 */
import { AF_INET, AF_INET6, AF_UNSPEC, RT_TABLE_MAIN, RT_TABLE_UNSPEC } from "./constants.ts";
import {
  FIB_RULE_INVERT,
  FR_ACT_TO_TBL,
  FR_ACT_UNSPEC,
  FRA_DST,
  FRA_FWMARK,
  FRA_FWMASK,
  FRA_GOTO,
  FRA_IIFNAME,
  FRA_L3MDEV,
  FRA_OIFNAME,
  FRA_PRIORITY,
  FRA_PROTOCOL,
  FRA_SRC,
  FRA_SUPPRESS_PREFIXLEN,
  FRA_TABLE,
} from "./rule_constants.ts";
import {
  type Attr,
  bytesAttr,
  cstringAttr,
  decodeAttrs,
  findAttr,
  readS32,
  readString,
  readU32,
  readU8,
  u32Attr,
} from "./codec.ts";
import { afOf, formatIp, type IpFamily, type IpPrefix, parsePrefix } from "./addr.ts";
import { checkLinkName } from "./link.ts";
import { NetlinkDecodeError, NetlinkInputError } from "./errors.ts";
import { decodeRtHeader, encodeRtHeader } from "./rt_header.ts";

/** `struct fib_rule_hdr`. */
export interface FibRuleHdr {
  /** `AF_INET` / `AF_INET6` (`AF_UNSPEC` in a dump request for every family). */
  family: number;
  /** Destination prefix length. */
  dstLen: number;
  /** Source prefix length. */
  srcLen: number;
  /** TOS to match. */
  tos: number;
  /** Table id when it fits in 8 bits (`FRA_TABLE` carries the full id). */
  table: number;
  /** `res1` (reserved). */
  res1: number;
  /** `res2` (reserved). */
  res2: number;
  /** `FR_ACT_*`. */
  action: number;
  /** `FIB_RULE_*` flags. */
  flags: number;
}

/** A rule as `ip -j rule show` describes it. */
export interface RuleInfo {
  /** 4 or 6. */
  family: IpFamily;
  /** `FRA_PRIORITY` (`pref`); the kernel always reports it (0 for the local rule). */
  priority: number;
  /** `from` as `ip/len` with the host bits the kernel keeps; absent for `from all`. */
  src?: string;
  /** `to` as `ip/len`; absent for `to all`. */
  dst?: string;
  /** The table looked up (`FRA_TABLE`, else the header's), 0 when the action is not a lookup. */
  table: number;
  /** `FR_ACT_*`. */
  action: number;
  /** `FIB_RULE_*` flags. */
  flags: number;
  /** `not` (`FIB_RULE_INVERT`). */
  invert: boolean;
  /** `tos`. */
  tos: number;
  /** `iif`. */
  iifName?: string;
  /** `oif`. */
  oifName?: string;
  /** `fwmark`. */
  fwmark?: number;
  /** `fwmark .../mask`. */
  fwmask?: number;
  /** `goto` target priority. */
  goto?: number;
  /** `suppress_prefixlength`. */
  suppressPrefixlen?: number;
  /** `l3mdev` (the VRF rule). */
  l3mdev?: boolean;
  /** `FRA_PROTOCOL` (`RTPROT_*`). */
  protocol?: number;
}

/** A rule to add or delete. */
export interface RuleSpec {
  /** Family; taken from `src`/`dst` when they are given, required otherwise. */
  family?: IpFamily;
  /** `from ip/len`. */
  src?: string;
  /** `to ip/len`. */
  dst?: string;
  /** `table` id (default on add: main). */
  table?: number;
  /** `pref` (default on add: the kernel picks one below the last rule). */
  priority?: number;
  /** `iif` name. */
  iifName?: string;
  /** `oif` name. */
  oifName?: string;
  /** `fwmark`. */
  fwmark?: number;
  /** `not`. */
  invert?: boolean;
}

/** The one-byte fields of `struct fib_rule_hdr`, in order. */
const FIB_RULE_HDR_FIELDS = [
  "family",
  "dstLen",
  "srcLen",
  "tos",
  "table",
  "res1",
  "res2",
  "action",
] as const;

/**
 * Encodes a `struct fib_rule_hdr`.
 *
 * @example The header of `ip rule add from 10.1.2.3/32 table 100`
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFibRuleHdr } from "./rule.ts";
 * assert.deepEqual(
 *   [...encodeFibRuleHdr({ family: 2, srcLen: 32, table: 100, action: 1 })],
 *   [2, 0, 32, 0, 100, 0, 0, 1, 0, 0, 0, 0],
 * );
 * ```
 *
 * @param hdr Fields; missing ones are 0.
 * @returns 12 bytes.
 */
export function encodeFibRuleHdr(hdr: Partial<FibRuleHdr> = {}): Uint8Array {
  return encodeRtHeader(FIB_RULE_HDR_FIELDS, hdr);
}

/**
 * Decodes a `struct fib_rule_hdr`.
 *
 * @param buf The bytes.
 * @param offset Where it starts.
 * @returns The header and the offset after it.
 * @throws {NetlinkDecodeError} When fewer than 12 bytes remain.
 */
export function decodeFibRuleHdr(buf: Uint8Array, offset: number): [FibRuleHdr, number] {
  return decodeRtHeader(FIB_RULE_HDR_FIELDS, "fib_rule_hdr", buf, offset);
}

function familyOf(af: number): IpFamily | undefined {
  if (af === AF_INET) return 4;
  if (af === AF_INET6) return 6;
  return undefined;
}

function prefixText(bytes: Uint8Array, len: number, family: IpFamily, what: string): string {
  if (bytes.byteLength !== (family === 4 ? 4 : 16)) {
    throw new NetlinkDecodeError("fib_rule_hdr", 0, `${what} length does not match the family`);
  }
  return `${formatIp(bytes)}/${len}`;
}

/**
 * Decodes an `RTM_NEWRULE` payload (a dump reply) into a {@linkcode RuleInfo}.
 *
 * @param payload The message payload (header + attributes).
 * @returns The rule, or `undefined` for families other than IPv4/IPv6.
 * @throws {NetlinkDecodeError} When the payload is malformed.
 */
export function parseRuleMessage(payload: Uint8Array): RuleInfo | undefined {
  const [hdr, off] = decodeFibRuleHdr(payload, 0);
  const family = familyOf(hdr.family);
  if (family === undefined) return undefined;
  const [attrs] = decodeAttrs(payload, off);
  const prio = findAttr(attrs, FRA_PRIORITY);
  const table = findAttr(attrs, FRA_TABLE);
  const rule: RuleInfo = {
    family,
    priority: prio ? readU32(prio) : 0,
    table: table ? readU32(table) : hdr.table,
    action: hdr.action,
    flags: hdr.flags,
    invert: (hdr.flags & FIB_RULE_INVERT) !== 0,
    tos: hdr.tos,
  };
  const src = findAttr(attrs, FRA_SRC);
  if (src) rule.src = prefixText(src, hdr.srcLen, family, "FRA_SRC");
  const dst = findAttr(attrs, FRA_DST);
  if (dst) rule.dst = prefixText(dst, hdr.dstLen, family, "FRA_DST");
  const iif = findAttr(attrs, FRA_IIFNAME);
  if (iif) rule.iifName = readString(iif);
  const oif = findAttr(attrs, FRA_OIFNAME);
  if (oif) rule.oifName = readString(oif);
  const mark = findAttr(attrs, FRA_FWMARK);
  if (mark) rule.fwmark = readU32(mark);
  const mask = findAttr(attrs, FRA_FWMASK);
  if (mask) rule.fwmask = readU32(mask);
  const gotoTarget = findAttr(attrs, FRA_GOTO);
  if (gotoTarget) rule.goto = readU32(gotoTarget);
  const suppress = findAttr(attrs, FRA_SUPPRESS_PREFIXLEN);
  if (suppress && readS32(suppress) !== -1) rule.suppressPrefixlen = readS32(suppress);
  const l3mdev = findAttr(attrs, FRA_L3MDEV);
  if (l3mdev && readU8(l3mdev) !== 0) rule.l3mdev = true;
  const proto = findAttr(attrs, FRA_PROTOCOL);
  if (proto) rule.protocol = readU8(proto);
  return rule;
}

function checkU32(op: string, target: string, what: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new NetlinkInputError(op, target, `invalid ${what} ${value}: need an integer 0..2^32-1`);
  }
  return value;
}

/**
 * `ip rule`-style text of a rule spec, for error messages: `from 10.1.2.3/32 table 100`.
 *
 * @param spec The rule.
 * @returns The text.
 */
export function ruleText(spec: RuleSpec): string {
  const parts: string[] = [];
  if (spec.invert) parts.push("not");
  if (spec.priority !== undefined) parts.push(`pref ${spec.priority}`);
  parts.push(`from ${spec.src ?? "all"}`);
  if (spec.dst !== undefined) parts.push(`to ${spec.dst}`);
  if (spec.iifName !== undefined) parts.push(`iif ${spec.iifName}`);
  if (spec.oifName !== undefined) parts.push(`oif ${spec.oifName}`);
  if (spec.fwmark !== undefined) parts.push(`fwmark ${spec.fwmark}`);
  if (spec.table !== undefined) parts.push(`table ${spec.table}`);
  return parts.join(" ");
}

/**
 * The header and attributes of a rule add (`RTM_NEWRULE`) or delete (`RTM_DELRULE`) request,
 * laid out as `ip rule add|del` sends them: attributes in the order priority, src, dst, iif,
 * oif, fwmark, table. Input is checked first.
 *
 * @example `ip rule add from 10.1.2.3/32 table 100`
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeRuleRequest } from "./rule.ts";
 * const { body, attrs } = encodeRuleRequest({ src: "10.1.2.3/32", table: 100 }, "add");
 * assert.equal(body[4], 100);
 * assert.equal(attrs.length, 1);
 * ```
 *
 * @param spec The rule.
 * @param kind `"add"` or `"del"`.
 * @returns The 12-byte header and the attributes.
 * @throws {NetlinkInputError} When an address, name or number is invalid, families differ, or
 *   no family can be told.
 */
export function encodeRuleRequest(
  spec: RuleSpec,
  kind: "add" | "del",
): { body: Uint8Array; attrs: Attr[] } {
  const op = `rule ${kind}`;
  const target = ruleText(spec);
  let family = spec.family;
  const prefix = (text: string): IpPrefix => {
    const p = parsePrefix(text, op);
    if (family !== undefined && p.family !== family) {
      throw new NetlinkInputError(op, target, "address families differ");
    }
    family = p.family;
    return p;
  };
  const src = spec.src !== undefined ? prefix(spec.src) : undefined;
  const dst = spec.dst !== undefined ? prefix(spec.dst) : undefined;
  if (family === undefined) {
    throw new NetlinkInputError(op, target, "no family: give family, src or dst");
  }
  const attrs: Attr[] = [];
  if (spec.priority !== undefined) {
    attrs.push(u32Attr(FRA_PRIORITY, checkU32(op, target, "priority", spec.priority)));
  }
  if (src) attrs.push(bytesAttr(FRA_SRC, src.bytes));
  if (dst) attrs.push(bytesAttr(FRA_DST, dst.bytes));
  if (spec.iifName !== undefined) {
    attrs.push(cstringAttr(FRA_IIFNAME, checkLinkName(spec.iifName, op)));
  }
  if (spec.oifName !== undefined) {
    attrs.push(cstringAttr(FRA_OIFNAME, checkLinkName(spec.oifName, op)));
  }
  if (spec.fwmark !== undefined) {
    attrs.push(u32Attr(FRA_FWMARK, checkU32(op, target, "fwmark", spec.fwmark)));
  }
  let table = spec.table;
  if (table !== undefined) checkU32(op, target, "table", table);
  else if (kind === "add") table = RT_TABLE_MAIN;
  let hdrTable = table ?? RT_TABLE_UNSPEC;
  if (table !== undefined && table > 255) {
    hdrTable = RT_TABLE_UNSPEC;
    attrs.push(u32Attr(FRA_TABLE, table));
  }
  const body = encodeFibRuleHdr({
    family: afOf(family),
    dstLen: dst?.prefixLen ?? 0,
    srcLen: src?.prefixLen ?? 0,
    table: hdrTable,
    action: kind === "add" ? FR_ACT_TO_TBL : FR_ACT_UNSPEC,
    flags: spec.invert ? FIB_RULE_INVERT : 0,
  });
  return { body, attrs };
}

/**
 * The body of a rule dump request (`ip rule show`): one family, or every family.
 *
 * @param family 4, 6, or undefined for both.
 * @returns The 12-byte header.
 */
export function encodeRuleDumpRequest(family?: IpFamily): Uint8Array {
  return encodeFibRuleHdr({ family: family === undefined ? AF_UNSPEC : afOf(family) });
}
