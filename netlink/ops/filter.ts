/**
 * Filter operations shaped like `tc filter`: add, delete and list on a device's qdisc.
 * Kind: `u32` (with actions such as `mirred`).
 *
 * @module
 */
import { AF_UNSPEC, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from "../constants.ts";
import {
  ETH_P_ALL,
  RTM_DELTFILTER,
  RTM_GETTFILTER,
  RTM_NEWTFILTER,
  TC_ACT_STOLEN,
  TCA_EGRESS_REDIR,
  TCA_KIND,
  TCA_OPTIONS,
} from "../tc_constants.ts";
import { cstringAttr, nestedAttr } from "../codec.ts";
import { encodeTcmsg, type Filter, filterInfo, formatTcHandle, parseFilterMessage } from "../tc.ts";
import { encodeU32Options, u32MatchAll, type U32Spec } from "../tc_u32.ts";
import { type LinkRef, linkRefText } from "../link.ts";
import { NetlinkInputError } from "../errors.ts";
import { resolveIndex } from "./_common.ts";
import { INGRESS_HANDLE } from "./qdisc.ts";
import type { NetlinkSocket } from "../socket.ts";

/** A filter to add. */
export interface FilterSpec {
  /** The classifier. */
  kind: "u32";
  /** The u32 selector, class id and actions. */
  u32: U32Spec;
  /** The qdisc or class to attach to (`ffff:` for the ingress qdisc). */
  parent: number;
  /** Priority (`prio`/`pref`), 1..65535 (0 lets the kernel pick). */
  priority: number;
  /** Ethernet protocol in host order (`ETH_P_ALL`, `ETH_P_IP`, ...). */
  protocol: number;
  /** Handle (default 0: the kernel picks, `800::800` for the first u32 filter). */
  handle?: number;
  /** Replace the filter with the same handle instead of failing when it exists. */
  replace?: boolean;
}

function checkU16(op: string, target: string, what: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new NetlinkInputError(op, target, `invalid ${what} ${value}: need 0..65535`);
  }
  return value;
}

function checkU32(op: string, target: string, what: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new NetlinkInputError(op, target, `invalid ${what} ${value}: need a 32-bit unsigned`);
  }
  return value;
}

/**
 * The filter that sends everything a device receives out of another device (the bandwidth
 * plugin's ingress-to-ifb redirect): on the ingress qdisc, protocol all, priority 1, a u32
 * selector matching every packet and one `mirred` egress redirect.
 *
 * Equivalent to the filter of: `tc filter add dev <dev> parent ffff: protocol all prio 1 u32
 * match u32 0 0 flowid <classId> action mirred egress redirect dev <target>`
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redirectAllFilter } from "./filter.ts";
 * import { tcHandle } from "../tc.ts";
 * const filter = redirectAllFilter(7, tcHandle(1, 1));
 * assert.equal(filter.priority, 1);
 * assert.deepEqual(filter.u32.actions?.map((a) => a.ifindex), [7]);
 * ```
 *
 * @param ifindex The device the packets are redirected to (`dev <target>`).
 * @param classId The u32 filter's class (`flowid`).
 * @returns The spec for {@linkcode filterAdd}.
 */
export function redirectAllFilter(ifindex: number, classId: number): FilterSpec {
  return {
    kind: "u32",
    parent: INGRESS_HANDLE,
    priority: 1,
    protocol: ETH_P_ALL,
    u32: {
      sel: u32MatchAll(),
      classId,
      actions: [{
        kind: "mirred",
        action: TC_ACT_STOLEN,
        eaction: TCA_EGRESS_REDIR,
        ifindex,
      }],
    },
  };
}

/**
 * Adds a filter to a device's qdisc.
 *
 * Equivalent to: `tc filter add dev <dev> parent ffff: protocol all prio 1 u32 match u32 0 0
 * flowid 1:1 action mirred egress redirect dev <ifb>` (`tc filter replace ...` with `replace`)
 *
 * @example Redirect everything a device receives to an ifb
 * ```ts ignore
 * filterAdd(sock, { name: "veth1" }, {
 *   kind: "u32",
 *   parent: INGRESS_HANDLE,
 *   priority: 1,
 *   protocol: ETH_P_ALL,
 *   u32: {
 *     sel: u32MatchAll(),
 *     classId: tcHandle(1, 1),
 *     actions: [{ kind: "mirred", action: TC_ACT_STOLEN, eaction: TCA_EGRESS_REDIR, ifindex }],
 *   },
 * });
 * ```
 *
 * @param sock An open socket.
 * @param ref The device.
 * @param filter Kind, options, parent, priority, protocol, handle; `replace`.
 * @throws {NetlinkError} `EINVAL` (with the kernel's text) when the parent has no qdisc.
 * @throws {LinkNotFoundError} When the device does not exist.
 * @throws {NetlinkInputError} When a parameter is out of range.
 */
export function filterAdd(sock: NetlinkSocket, ref: LinkRef, filter: FilterSpec): void {
  const op = filter.replace ? "filter replace" : "filter add";
  const target = `${filter.kind} parent ${formatTcHandle(filter.parent)} dev ${linkRefText(ref)}`;
  if (filter.kind !== "u32") throw new NetlinkInputError(op, target, "unsupported filter kind");
  checkU16(op, target, "priority", filter.priority);
  checkU16(op, target, "protocol", filter.protocol);
  const parent = checkU32(op, target, "parent", filter.parent);
  const handle = checkU32(op, target, "handle", filter.handle ?? 0);
  if (filter.u32.sel.keys.length > 128) {
    throw new NetlinkInputError(op, target, "a u32 selector holds at most 128 keys");
  }
  const ifindex = resolveIndex(sock, ref, op);
  sock.request({
    type: RTM_NEWTFILTER,
    flags: NLM_F_CREATE | (filter.replace ? NLM_F_REPLACE : NLM_F_EXCL),
    body: encodeTcmsg({
      family: AF_UNSPEC,
      ifindex,
      handle,
      parent,
      info: filterInfo(filter.priority, filter.protocol),
    }),
    attrs: [
      cstringAttr(TCA_KIND, filter.kind),
      nestedAttr(TCA_OPTIONS, encodeU32Options(filter.u32)),
    ],
  }, { op, target });
}

/**
 * Deletes the filters of a device's qdisc: all of them, or those of one priority (and
 * protocol).
 *
 * Equivalent to: `tc filter del dev <dev> parent <parent> [protocol P prio N]`
 *
 * @param sock An open socket.
 * @param ref The device.
 * @param options `parent`; `priority` and `protocol` narrow it (0: any).
 * @throws {NetlinkError} `ENOENT` when nothing matches.
 * @throws {LinkNotFoundError} When the device does not exist.
 */
export function filterDel(
  sock: NetlinkSocket,
  ref: LinkRef,
  options: { parent: number; priority?: number; protocol?: number },
): void {
  const op = "filter del";
  const target = `parent ${formatTcHandle(options.parent)} dev ${linkRefText(ref)}`;
  const parent = checkU32(op, target, "parent", options.parent);
  const priority = checkU16(op, target, "priority", options.priority ?? 0);
  const protocol = checkU16(op, target, "protocol", options.protocol ?? 0);
  const ifindex = resolveIndex(sock, ref, op);
  sock.request({
    type: RTM_DELTFILTER,
    body: encodeTcmsg({ family: AF_UNSPEC, ifindex, parent, info: filterInfo(priority, protocol) }),
  }, { op, target });
}

/**
 * Lists the filters attached to one qdisc of a device (the root qdisc by default), each u32
 * hash table and per-priority head included as the kernel dumps them.
 *
 * Equivalent to: `tc filter show dev <dev> [parent <parent>]`
 *
 * @param sock An open socket.
 * @param ref The device.
 * @param options `parent`: the qdisc (e.g. `ffff:` for ingress); default the root qdisc.
 * @returns The filters, `u32` options and actions decoded.
 * @throws {NetlinkError} `EINVAL` when there is no such qdisc.
 * @throws {LinkNotFoundError} When the device does not exist.
 */
export function filterList(
  sock: NetlinkSocket,
  ref: LinkRef,
  options: { parent?: number } = {},
): Filter[] {
  const op = "filter show";
  const target = linkRefText(ref);
  const parent = checkU32(op, target, "parent", options.parent ?? 0);
  const ifindex = resolveIndex(sock, ref, op);
  const msgs = sock.dump(
    { type: RTM_GETTFILTER, body: encodeTcmsg({ family: AF_UNSPEC, ifindex, parent }) },
    { op, target },
  );
  const out: Filter[] = [];
  for (const m of msgs) {
    if (m.header.type !== RTM_NEWTFILTER) continue;
    const f = parseFilterMessage(m.payload);
    if (f.index === ifindex) out.push(f);
  }
  return out;
}
