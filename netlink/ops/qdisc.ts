/**
 * Qdisc operations shaped like `tc qdisc`: add (or replace), delete and list, on a device
 * addressed as `{ index }` or `{ name }`. Kinds: `tbf` (token bucket) and `ingress`.
 *
 * @module
 */
import { AF_UNSPEC, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from "../constants.ts";
import {
  RTM_DELQDISC,
  RTM_GETQDISC,
  RTM_NEWQDISC,
  TC_H_INGRESS,
  TC_H_ROOT,
  TCA_KIND,
  TCA_OPTIONS,
} from "../tc_constants.ts";
import { type Attr, cstringAttr, nestedAttr } from "../codec.ts";
import {
  decodeTcmsg,
  encodeTcmsg,
  formatTcHandle,
  parseQdiscMessage,
  type Qdisc,
  tcHandle,
} from "../tc.ts";
import { encodeTbfOptions, type TbfSpec } from "../tc_tbf.ts";
import { type LinkRef, linkRefText } from "../link.ts";
import { NetlinkInputError } from "../errors.ts";
import { resolveIndex } from "./_common.ts";
import type { NetlinkSocket } from "../socket.ts";

/** The handle of the ingress qdisc, `ffff:`. */
export const INGRESS_HANDLE: number = tcHandle(0xffff, 0);

/** A qdisc to add: its kind and kind-specific options, and where it goes. */
export type QdiscSpec =
  | {
    /** Token bucket filter. */
    kind: "tbf";
    /** The tbf parameters. */
    tbf: TbfSpec;
    /** Handle (default 0: the kernel picks one). */
    handle?: number;
    /** Parent (default `TC_H_ROOT`). */
    parent?: number;
  }
  | {
    /** The ingress qdisc (handle `ffff:`, parent `TC_H_INGRESS`). */
    kind: "ingress";
    /**
     * Send an empty `TCA_OPTIONS` (as vishvananda/netlink does); `tc` sends none. The
     * kernel treats both alike.
     */
    emptyOptions?: boolean;
  };

/** Options of {@linkcode qdiscAdd}. */
export interface QdiscAddOptions {
  /** Replace an existing qdisc at the same parent instead of failing with `EEXIST`. */
  replace?: boolean;
}

function checkU32(op: string, target: string, what: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new NetlinkInputError(op, target, `invalid ${what} ${value}: need a 32-bit unsigned`);
  }
  return value;
}

function checkTbf(op: string, target: string, t: TbfSpec): void {
  if (!Number.isSafeInteger(t.rate) || t.rate < 0) {
    throw new NetlinkInputError(op, target, `invalid rate ${t.rate}: need bytes per second`);
  }
  checkU32(op, target, "limit", t.limit);
  checkU32(op, target, "buffer", t.buffer);
  if (t.burst !== undefined) checkU32(op, target, "burst", t.burst);
  if (t.mtu !== undefined) checkU32(op, target, "mtu", t.mtu);
}

function qdiscText(ref: LinkRef, spec: QdiscSpec): string {
  return `${spec.kind} dev ${linkRefText(ref)}`;
}

/**
 * Adds a qdisc to a device (fails with `EEXIST` when its parent already has one, unless
 * `replace`).
 *
 * Equivalent to: `tc qdisc add dev <dev> root [handle H] tbf rate R burst B limit L`, or
 * `tc qdisc add dev <dev> handle ffff: ingress` (`tc qdisc replace ...` with `replace`)
 *
 * @example A 1 Mbit/s tbf with a 25 000 byte bucket
 * ```ts ignore
 * qdiscAdd(sock, { name: "veth1" }, {
 *   kind: "tbf",
 *   handle: tcHandle(1, 0),
 *   tbf: { rate: 125_000, limit: 28_125, buffer: 3_125_000 }, // buffer in psched ticks
 * });
 * ```
 *
 * @param sock An open socket.
 * @param ref The device.
 * @param qdisc Kind, options, handle and parent; `replace`.
 * @throws {NetlinkError} `EEXIST` when the parent has a qdisc, `EINVAL` for bad parameters.
 * @throws {LinkNotFoundError} When the device does not exist.
 * @throws {NetlinkInputError} When a parameter is out of range.
 */
export function qdiscAdd(
  sock: NetlinkSocket,
  ref: LinkRef,
  qdisc: QdiscSpec & QdiscAddOptions,
): void {
  const op = qdisc.replace ? "qdisc replace" : "qdisc add";
  const target = qdiscText(ref, qdisc);
  let handle: number;
  let parent: number;
  const attrs: Attr[] = [cstringAttr(TCA_KIND, qdisc.kind)];
  if (qdisc.kind === "tbf") {
    checkTbf(op, target, qdisc.tbf);
    handle = checkU32(op, target, "handle", qdisc.handle ?? 0);
    parent = checkU32(op, target, "parent", qdisc.parent ?? TC_H_ROOT);
    attrs.push(nestedAttr(TCA_OPTIONS, encodeTbfOptions(qdisc.tbf)));
  } else if (qdisc.kind === "ingress") {
    handle = INGRESS_HANDLE;
    parent = TC_H_INGRESS;
    if (qdisc.emptyOptions) attrs.push(nestedAttr(TCA_OPTIONS, []));
  } else {
    throw new NetlinkInputError(op, target, "unsupported qdisc kind");
  }
  const ifindex = resolveIndex(sock, ref, op);
  sock.request({
    type: RTM_NEWQDISC,
    flags: NLM_F_CREATE | (qdisc.replace ? NLM_F_REPLACE : NLM_F_EXCL),
    body: encodeTcmsg({ family: AF_UNSPEC, ifindex, handle, parent }),
    attrs,
  }, { op, target });
}

/**
 * Deletes the qdisc at a parent of a device: the root qdisc (default) or the ingress one
 * (`parent: TC_H_INGRESS`).
 *
 * Equivalent to: `tc qdisc del dev <dev> root` or `tc qdisc del dev <dev> ingress`
 *
 * @param sock An open socket.
 * @param ref The device.
 * @param options `parent` (default `TC_H_ROOT`), the `handle` (default any; `ffff:` for the
 *   ingress parent) and `kind` (default none; `ingress` for the ingress parent) to match.
 * @throws {NetlinkError} `ENOENT` (or `EINVAL` for the root of a device with no qdisc of its
 *   own) when there is nothing to delete.
 * @throws {LinkNotFoundError} When the device does not exist.
 */
export function qdiscDel(
  sock: NetlinkSocket,
  ref: LinkRef,
  options: { parent?: number; handle?: number; kind?: string } = {},
): void {
  const parent = options.parent ?? TC_H_ROOT;
  const op = "qdisc del";
  const target = `${formatTcHandle(parent)} dev ${linkRefText(ref)}`;
  const ingress = parent === TC_H_INGRESS;
  const handle = options.handle ?? (ingress ? INGRESS_HANDLE : 0);
  checkU32(op, target, "parent", parent);
  checkU32(op, target, "handle", handle);
  // As tc: `del ... ingress` names the kind; the kernel then also checks it.
  const kind = options.kind ?? (ingress ? "ingress" : undefined);
  const ifindex = resolveIndex(sock, ref, op);
  sock.request({
    type: RTM_DELQDISC,
    body: encodeTcmsg({ family: AF_UNSPEC, ifindex, handle, parent }),
    ...(kind !== undefined && { attrs: [cstringAttr(TCA_KIND, kind)] }),
  }, { op, target });
}

/**
 * Lists qdiscs, of every device or of one, in kernel order (a device's root qdisc first).
 * Hidden default qdiscs (such as a multiqueue device's per-queue ones) are not listed.
 *
 * Equivalent to: `tc qdisc show [dev <dev>]`
 *
 * @param sock An open socket.
 * @param filter `link`: only this device.
 * @returns The qdiscs, with `tbf` options decoded.
 * @throws {LinkNotFoundError} When the filter device does not exist.
 */
export function qdiscList(sock: NetlinkSocket, filter: { link?: LinkRef } = {}): Qdisc[] {
  const op = "qdisc show";
  const ifindex = filter.link ? resolveIndex(sock, filter.link, op) : 0;
  const msgs = sock.dump(
    { type: RTM_GETQDISC, body: encodeTcmsg({ family: AF_UNSPEC, ifindex }) },
    { op, target: filter.link ? linkRefText(filter.link) : "all" },
  );
  const out: Qdisc[] = [];
  for (const m of msgs) {
    if (m.header.type !== RTM_NEWQDISC) continue;
    // The kernel dumps every device's qdiscs: skip other devices before decoding attributes.
    if (ifindex && decodeTcmsg(m.payload, 0)[0].ifindex !== ifindex) continue;
    out.push(parseQdiscMessage(m.payload));
  }
  return out;
}
