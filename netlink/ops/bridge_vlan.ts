/**
 * Bridge VLAN operations shaped like `bridge vlan` and `ip link set ... type bridge
 * vlan_filtering`.
 *
 * @module
 */
import {
  AF_BRIDGE,
  AF_UNSPEC,
  BRIDGE_FLAGS_SELF,
  BRIDGE_VLAN_INFO_PVID,
  BRIDGE_VLAN_INFO_RANGE_BEGIN,
  BRIDGE_VLAN_INFO_RANGE_END,
  BRIDGE_VLAN_INFO_UNTAGGED,
  IFLA_AF_SPEC,
  IFLA_BR_VLAN_FILTERING,
  IFLA_BRIDGE_FLAGS,
  IFLA_BRIDGE_VLAN_INFO,
  IFLA_EXT_MASK,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  RTEXT_FILTER_BRVLAN,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
  RTM_SETLINK,
} from "../constants.ts";
import {
  type Attr,
  bytesAttr,
  cstringAttr,
  nestedAttr,
  u16Attr,
  u32Attr,
  u8Attr,
} from "../codec.ts";
import {
  type BridgeVlan,
  encodeBridgeVlanInfo,
  encodeIfinfomsg,
  type LinkRef,
  linkRefText,
  parseBridgeVlans,
} from "../link.ts";
import { NetlinkInputError } from "../errors.ts";
import type { NetlinkSocket } from "../socket.ts";
import { checkUint, linkSelector, resolveIndex } from "./_common.ts";

/**
 * Turns VLAN filtering of an existing bridge on or off.
 *
 * Equivalent to: `ip link set <dev> type bridge vlan_filtering 0|1`
 *
 * @param sock An open socket.
 * @param ref The bridge.
 * @param on Whether to filter.
 * @throws {LinkNotFoundError} When there is no such link.
 */
export function bridgeSetVlanFiltering(sock: NetlinkSocket, ref: LinkRef, on: boolean): void {
  const op = "link set vlan_filtering";
  const sel = linkSelector(ref, op);
  sock.request({
    type: RTM_NEWLINK,
    body: encodeIfinfomsg({ family: AF_UNSPEC, index: sel.index }),
    attrs: [
      ...sel.attrs,
      nestedAttr(IFLA_LINKINFO, [
        cstringAttr(IFLA_INFO_KIND, "bridge"),
        nestedAttr(IFLA_INFO_DATA, [u8Attr(IFLA_BR_VLAN_FILTERING, on ? 1 : 0)]),
      ]),
    ],
  }, { op, target: linkRefText(ref) });
}

/** A bridge VLAN (or range) to add to a port. */
export interface BridgeVlanOptions {
  /** VLAN id, 1..4094 (the first of a range). */
  vid: number;
  /** Last VLAN id of a range. */
  vidEnd?: number;
  /** Make it the port's PVID. */
  pvid?: boolean;
  /** Send frames untagged. */
  untagged?: boolean;
  /** Apply to the bridge device itself (`self`) instead of a port. */
  self?: boolean;
}

function vlanSpec(op: string, target: string, o: BridgeVlanOptions): Attr {
  checkUint(op, target, "VLAN id", o.vid, 4094);
  if (o.vid < 1) throw new NetlinkInputError(op, target, "invalid VLAN id 0: need 1..4094");
  let flags = 0;
  if (o.pvid) flags |= BRIDGE_VLAN_INFO_PVID;
  if (o.untagged) flags |= BRIDGE_VLAN_INFO_UNTAGGED;
  const children: Attr[] = [];
  if (o.self) children.push(u16Attr(IFLA_BRIDGE_FLAGS, BRIDGE_FLAGS_SELF));
  if (o.vidEnd !== undefined && o.vidEnd !== o.vid) {
    checkUint(op, target, "VLAN id", o.vidEnd, 4094);
    if (o.vidEnd < o.vid) {
      throw new NetlinkInputError(op, target, `invalid VLAN range ${o.vid}-${o.vidEnd}`);
    }
    if (o.pvid) throw new NetlinkInputError(op, target, "a VLAN range cannot be the PVID");
    children.push(
      bytesAttr(
        IFLA_BRIDGE_VLAN_INFO,
        encodeBridgeVlanInfo(flags | BRIDGE_VLAN_INFO_RANGE_BEGIN, o.vid),
      ),
    );
    children.push(
      bytesAttr(
        IFLA_BRIDGE_VLAN_INFO,
        encodeBridgeVlanInfo(flags | BRIDGE_VLAN_INFO_RANGE_END, o.vidEnd),
      ),
    );
  } else {
    children.push(bytesAttr(IFLA_BRIDGE_VLAN_INFO, encodeBridgeVlanInfo(flags, o.vid)));
  }
  return nestedAttr(IFLA_AF_SPEC, children);
}

/**
 * Adds a VLAN (or a range) to a bridge port.
 *
 * Equivalent to: `bridge vlan add dev <dev> vid <vid>[-<vidEnd>] [pvid] [untagged] [self]`
 *
 * @param sock An open socket.
 * @param ref The port.
 * @param vlan The VLAN and its flags.
 * @throws {NetlinkInputError} When the VLAN id or range is invalid.
 */
export function bridgeVlanAdd(sock: NetlinkSocket, ref: LinkRef, vlan: BridgeVlanOptions): void {
  vlanChange(sock, ref, "bridge vlan add", RTM_SETLINK, vlan);
}

/**
 * Deletes a VLAN (or a range) from a bridge port.
 *
 * Equivalent to: `bridge vlan del dev <dev> vid <vid>[-<vidEnd>]`
 *
 * @param sock An open socket.
 * @param ref The port.
 * @param vlan The VLAN id or range.
 * @throws {NetlinkInputError} When the VLAN id or range is invalid.
 */
export function bridgeVlanDel(
  sock: NetlinkSocket,
  ref: LinkRef,
  vlan: { vid: number; vidEnd?: number; self?: boolean },
): void {
  vlanChange(sock, ref, "bridge vlan del", RTM_DELLINK, vlan);
}

/** Adds (RTM_SETLINK) or deletes (RTM_DELLINK) a VLAN or range on a bridge port. */
function vlanChange(
  sock: NetlinkSocket,
  ref: LinkRef,
  op: string,
  type: number,
  vlan: BridgeVlanOptions,
): void {
  const index = resolveIndex(sock, ref, op);
  const spec = vlanSpec(op, linkRefText(ref), vlan);
  sock.request({
    type,
    body: encodeIfinfomsg({ family: AF_BRIDGE, index }),
    attrs: [spec],
  }, { op, target: linkRefText(ref) });
}

/**
 * Lists the VLANs of a bridge port (ranges expanded).
 *
 * Equivalent to: `bridge vlan show dev <dev>`
 *
 * @param sock An open socket.
 * @param ref The port.
 * @returns Its VLANs, empty when it has none.
 * @throws {LinkNotFoundError} When there is no such link.
 */
export function bridgeVlanList(sock: NetlinkSocket, ref: LinkRef): BridgeVlan[] {
  const op = "bridge vlan show";
  const index = resolveIndex(sock, ref, op);
  const msgs = sock.dump({
    type: RTM_GETLINK,
    body: encodeIfinfomsg({ family: AF_BRIDGE }),
    attrs: [u32Attr(IFLA_EXT_MASK, RTEXT_FILTER_BRVLAN)],
  }, { op, target: linkRefText(ref) });
  for (const m of msgs) {
    if (m.header.type !== RTM_NEWLINK) continue;
    const { index: i, vlans } = parseBridgeVlans(m.payload);
    if (i === index) return vlans;
  }
  return [];
}
