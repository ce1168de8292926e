/**
 * Operations shaped like `ip(8)`: one plain function per command, each taking an open
 * {@linkcode NetlinkSocket} first and addressing links as `{ index }` or `{ name }`.
 * Input is checked before anything is sent; kernel refusals come back as typed
 * {@linkcode NetlinkError}s (`LinkNotFoundError` for a missing link).
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
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_F_NODAD,
  IFA_FLAGS,
  IFA_LOCAL,
  IFF_ALLMULTI,
  IFF_PROMISC,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_AF_SPEC,
  IFLA_BR_VLAN_DEFAULT_PVID,
  IFLA_BR_VLAN_FILTERING,
  IFLA_BRIDGE_FLAGS,
  IFLA_BRIDGE_VLAN_INFO,
  IFLA_BRPORT_ISOLATED,
  IFLA_BRPORT_LEARNING,
  IFLA_BRPORT_MODE,
  IFLA_EXT_MASK,
  IFLA_IFALIAS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  IFLA_PROTINFO,
  IFLA_TXQLEN,
  NLA_F_NESTED,
  NLM_F_CREATE,
  NLM_F_ECHO,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
  RTA_DST,
  RTA_GATEWAY,
  RTA_METRICS,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTAX_ADVMSS,
  RTAX_MTU,
  RTEXT_FILTER_BRVLAN,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_DELROUTE,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_GETROUTE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  RTM_SETLINK,
  RTN_UNICAST,
  RTPROT_BOOT,
  VETH_INFO_PEER,
} from "../constants.ts";
import {
  bytesAttr,
  cstringAttr,
  encodeAttrs,
  nestedAttr,
  stringAttr,
  u16Attr,
  u32Attr,
  u8Attr,
} from "../codec.ts";
import type { Attr } from "../codec.ts";
import {
  checkLinkName,
  encodeBridgeVlanInfo,
  encodeIfinfomsg,
  linkRefText,
  parseBridgeVlans,
  parseLinkMessage,
  parseMac,
} from "../link.ts";
import type { BridgeVlan, BrportFlags, Link, LinkRef } from "../link.ts";
import { encodeLinkInfo } from "../link_kinds.ts";
import type { IpvlanMode, LinkKindSpec, MacvlanMode } from "../link_kinds.ts";
import {
  afOf,
  broadcastOf,
  encodeIfaddrmsg,
  parseAddrMessage,
  parseIp,
  parsePrefix,
  scopeNumber,
} from "../addr.ts";
import type { Addr, IpFamily, Scope } from "../addr.ts";
import { encodeRtmsg, parseRouteMessage } from "../route.ts";
import type { RouteInfo } from "../route.ts";
import { LinkNotFoundError, NetlinkInputError } from "../errors.ts";
import type { NetlinkSocket, RequestContext } from "../socket.ts";

// ---- helpers --------------------------------------------------------------------------

function checkUint(op: string, target: string, what: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new NetlinkInputError(op, target, `invalid ${what} ${value}: need an integer 0..${max}`);
  }
  return value;
}

function checkRef(ref: LinkRef, op: string): void {
  if ("name" in ref) checkLinkName(ref.name, op);
  else if (!Number.isInteger(ref.index) || ref.index <= 0 || ref.index > 0x7fffffff) {
    throw new NetlinkInputError(
      op,
      `index ${ref.index}`,
      "invalid link index: need a positive integer",
    );
  }
}

/** The ifinfomsg index and identifying attributes for a link reference. */
function linkSelector(ref: LinkRef, op: string): { index: number; attrs: Attr[] } {
  checkRef(ref, op);
  if ("name" in ref) return { index: 0, attrs: [cstringAttr(IFLA_IFNAME, ref.name)] };
  return { index: ref.index, attrs: [] };
}

/**
 * The index of a link reference (a name is looked up), for operations in sibling files.
 *
 * @param sock An open socket.
 * @param ref `{ index }` or `{ name }`.
 * @param op The operation, for errors.
 * @returns The index.
 * @throws {LinkNotFoundError} When a named link does not exist.
 */
export function resolveIndex(sock: NetlinkSocket, ref: LinkRef, op: string): number {
  checkRef(ref, op);
  if ("index" in ref) return ref.index;
  try {
    return linkGet(sock, ref).index;
  } catch (err) {
    if (err instanceof LinkNotFoundError) throw new LinkNotFoundError(op, ref.name, err.extack);
    throw err;
  }
}

/** RTM_SETLINK on one link with extra attributes and flag changes. */
function setLink(
  sock: NetlinkSocket,
  ref: LinkRef,
  op: string,
  attrs: readonly Attr[],
  flags = 0,
  change = 0,
): void {
  const sel = linkSelector(ref, op);
  sock.request({
    type: RTM_SETLINK,
    body: encodeIfinfomsg({ family: AF_UNSPEC, index: sel.index, flags, change }),
    attrs: [...sel.attrs, ...attrs],
  }, { op, target: linkRefText(ref) });
}

function commonLinkAttrs(op: string, name: string, o: { mtu?: number; mac?: string }): Attr[] {
  const attrs: Attr[] = [cstringAttr(IFLA_IFNAME, checkLinkName(name, op))];
  if (o.mtu !== undefined) {
    attrs.push(u32Attr(IFLA_MTU, checkUint(op, name, "MTU", o.mtu, 0xffffffff)));
  }
  if (o.mac !== undefined) attrs.push(bytesAttr(IFLA_ADDRESS, parseMac(o.mac, op)));
  return attrs;
}

function addLink(
  sock: NetlinkSocket,
  name: string,
  attrs: readonly Attr[],
  o: { up?: boolean; echo?: boolean } = {},
): Link | undefined {
  const msgs = sock.request({
    type: RTM_NEWLINK,
    flags: NLM_F_CREATE | NLM_F_EXCL | (o.echo ? NLM_F_ECHO : 0),
    body: encodeIfinfomsg(o.up ? { family: AF_UNSPEC, flags: IFF_UP, change: IFF_UP } : {}),
    attrs,
  }, { op: "link add", target: name });
  const m = msgs.find((x) => x.header.type === RTM_NEWLINK);
  return m ? parseLinkMessage(m.payload) : undefined;
}

// ---- links ----------------------------------------------------------------------------

/**
 * Lists the links of the socket's namespace.
 *
 * Equivalent to: `ip -d link show`
 *
 * @param sock An open socket.
 * @returns Every link, in kernel order.
 * @throws {NetlinkError} When the dump fails.
 */
export function linkList(sock: NetlinkSocket): Link[] {
  const msgs = sock.dump(
    { type: RTM_GETLINK, body: encodeIfinfomsg({ family: AF_UNSPEC }) },
    { op: "link show", target: "all" },
  );
  return msgs.filter((m) => m.header.type === RTM_NEWLINK).map((m) => parseLinkMessage(m.payload));
}

/**
 * Gets one link by index or name.
 *
 * Equivalent to: `ip -d link show dev <dev>`
 *
 * @param sock An open socket.
 * @param ref `{ index }` or `{ name }`.
 * @returns The link.
 * @throws {LinkNotFoundError} When there is no such link.
 * @throws {NetlinkInputError} When the name or index is invalid.
 */
export function linkGet(sock: NetlinkSocket, ref: LinkRef): Link {
  const op = "link show";
  const sel = linkSelector(ref, op);
  const msgs = sock.request({
    type: RTM_GETLINK,
    body: encodeIfinfomsg({ family: AF_UNSPEC, index: sel.index }),
    attrs: sel.attrs,
  }, { op, target: linkRefText(ref) });
  const m = msgs.find((x) => x.header.type === RTM_NEWLINK);
  if (!m) throw new LinkNotFoundError(op, linkRefText(ref));
  return parseLinkMessage(m.payload);
}

/**
 * Gets one link, or `undefined` when it does not exist.
 *
 * Equivalent to: `ip link show dev <dev> 2>/dev/null`
 *
 * @param sock An open socket.
 * @param ref `{ index }` or `{ name }`.
 * @returns The link or `undefined`.
 * @throws {NetlinkInputError} When the name or index is invalid.
 */
export function linkFind(sock: NetlinkSocket, ref: LinkRef): Link | undefined {
  try {
    return linkGet(sock, ref);
  } catch (err) {
    if (err instanceof LinkNotFoundError) return undefined;
    throw err;
  }
}

/** Options for {@linkcode linkAddVeth}. */
export interface VethOptions {
  /** Name of this end. */
  name: string;
  /** Name of the peer. */
  peerName: string;
  /** Namespace fd to create the peer in (default: the socket's namespace). */
  peerNetnsFd?: number;
  /** MAC of this end. */
  mac?: string;
  /** MAC of the peer. */
  peerMac?: string;
  /** MTU of both ends. */
  mtu?: number;
  /** Set this end up once created (the kernel does it before attaching it to `master`). */
  up?: boolean;
  /** Make this end a port of this bridge (or other master) as part of the creation. */
  master?: LinkRef;
}

/**
 * Creates a veth pair in one request, the peer optionally straight in another namespace, this
 * end optionally up and attached to a master, and returns this end as the kernel reports it
 * (`NLM_F_ECHO`; before the master is set, its `parentIndex` is the peer's index).
 *
 * Equivalent to: `ip link add <name> [mtu M] [address A] [up] [master <dev>] type veth peer
 * name <peer> [address B] [netns <fd>]`
 *
 * @param sock An open socket.
 * @param options Names, peer namespace, MACs, MTU, up and master.
 * @returns This end, or `undefined` on a kernel that does not echo a new link (older ones).
 * @throws {NetlinkError} `EEXIST` when a name is taken; the link is not made when any part
 *   fails (e.g. the master is gone).
 * @throws {NetlinkInputError} When a name, MAC or MTU is invalid.
 */
export function linkAddVeth(sock: NetlinkSocket, options: VethOptions): Link | undefined {
  const op = "link add";
  const attrs = commonLinkAttrs(op, options.name, options);
  if (options.master !== undefined) {
    attrs.push(u32Attr(IFLA_MASTER, resolveIndex(sock, options.master, op)));
  }
  const peerAttrs = commonLinkAttrs(op, options.peerName, {
    ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
    ...(options.peerMac !== undefined ? { mac: options.peerMac } : {}),
  });
  if (options.peerNetnsFd !== undefined) {
    peerAttrs.push(
      u32Attr(
        IFLA_NET_NS_FD,
        checkUint(op, options.peerName, "netns fd", options.peerNetnsFd, 0x7fffffff),
      ),
    );
  }
  const ifi = encodeIfinfomsg({ family: AF_UNSPEC });
  const peerEncoded = encodeAttrs(peerAttrs);
  const peer = new Uint8Array(ifi.byteLength + peerEncoded.byteLength);
  peer.set(ifi);
  peer.set(peerEncoded, ifi.byteLength);
  attrs.push(nestedAttr(IFLA_LINKINFO, [
    cstringAttr(IFLA_INFO_KIND, "veth"),
    nestedAttr(IFLA_INFO_DATA, [bytesAttr(VETH_INFO_PEER, peer)]),
  ]));
  return addLink(sock, options.name, attrs, { up: options.up === true, echo: true });
}

/** Options for {@linkcode linkAddBridge}. */
export interface BridgeOptions {
  /** Bridge name. */
  name: string;
  /** MTU. */
  mtu?: number;
  /** MAC. */
  mac?: string;
  /** `vlan_filtering`. */
  vlanFiltering?: boolean;
  /** `vlan_default_pvid` (0 disables the default PVID). */
  defaultPvid?: number;
}

function bridgeData(
  op: string,
  name: string,
  o: { vlanFiltering?: boolean; defaultPvid?: number },
): Attr[] {
  const data: Attr[] = [];
  if (o.vlanFiltering !== undefined) {
    data.push(u8Attr(IFLA_BR_VLAN_FILTERING, o.vlanFiltering ? 1 : 0));
  }
  if (o.defaultPvid !== undefined) {
    data.push(
      u16Attr(IFLA_BR_VLAN_DEFAULT_PVID, checkUint(op, name, "default PVID", o.defaultPvid, 4094)),
    );
  }
  return data;
}

/**
 * Creates a bridge.
 *
 * Equivalent to: `ip link add <name> [mtu M] [address A] type bridge [vlan_filtering 0|1]
 * [vlan_default_pvid N]`
 *
 * @param sock An open socket.
 * @param options Name, MTU, MAC and VLAN settings.
 * @throws {NetlinkError} `EEXIST` when the name is taken.
 * @throws {NetlinkInputError} When an option is invalid.
 */
export function linkAddBridge(sock: NetlinkSocket, options: BridgeOptions): void {
  const op = "link add";
  const attrs = commonLinkAttrs(op, options.name, options);
  const info: Attr[] = [cstringAttr(IFLA_INFO_KIND, "bridge")];
  const data = bridgeData(op, options.name, options);
  if (data.length > 0) info.push(nestedAttr(IFLA_INFO_DATA, data));
  attrs.push(nestedAttr(IFLA_LINKINFO, info));
  addLink(sock, options.name, attrs);
}

/** Options shared by {@linkcode linkAddMacvlan}, {@linkcode linkAddIpvlan}, {@linkcode linkAddVlan}. */
export interface LowerLinkOptions {
  /** Name of the new link. */
  name: string;
  /** The lower device (`link <dev>`), in the socket's namespace; a name is looked up first. */
  parent: LinkRef;
  /** MTU. */
  mtu?: number;
  /** MAC (not for ipvlan, which shares the lower device's). */
  mac?: string;
  /** Create the link straight in the namespace of this open fd (`netns <fd>`). */
  netnsFd?: number;
}

/**
 * RTM_NEWLINK for a kind from `link_kinds.ts`, attributes in the order `ip link add` sends
 * them: `IFLA_MTU`, `IFLA_ADDRESS`, `IFLA_LINK`, `IFLA_IFNAME`, `IFLA_LINKINFO`, then
 * `IFLA_NET_NS_FD`.
 */
function addKindLink(
  sock: NetlinkSocket,
  o: { name: string; parent?: LinkRef; mtu?: number; mac?: string; netnsFd?: number },
  info: LinkKindSpec,
): void {
  const op = "link add";
  checkLinkName(o.name, op);
  const attrs: Attr[] = [];
  if (o.mtu !== undefined) {
    attrs.push(u32Attr(IFLA_MTU, checkUint(op, o.name, "MTU", o.mtu, 0xffffffff)));
  }
  if (o.mac !== undefined) attrs.push(bytesAttr(IFLA_ADDRESS, parseMac(o.mac, op)));
  if (o.parent !== undefined) attrs.push(u32Attr(IFLA_LINK, resolveIndex(sock, o.parent, op)));
  attrs.push(cstringAttr(IFLA_IFNAME, o.name), encodeLinkInfo(info, op));
  if (o.netnsFd !== undefined) {
    attrs.push(u32Attr(IFLA_NET_NS_FD, checkUint(op, o.name, "netns fd", o.netnsFd, 0x7fffffff)));
  }
  addLink(sock, o.name, attrs);
}

/**
 * Creates a dummy link, optionally straight in another namespace.
 *
 * Equivalent to: `ip link add [mtu M] [address A] name <name> type dummy [netns <fd>]`
 *
 * @param sock An open socket.
 * @param options Name, MTU, MAC and target namespace.
 * @throws {NetlinkError} `EEXIST` when the name is taken, `EOPNOTSUPP` ("Unknown device
 *   type") when the kernel has no dummy driver.
 * @throws {NetlinkInputError} When an option is invalid.
 */
export function linkAddDummy(
  sock: NetlinkSocket,
  options: { name: string; mtu?: number; mac?: string; netnsFd?: number },
): void {
  addKindLink(sock, options, { kind: "dummy" });
}

/**
 * Creates a macvlan on a lower device, optionally straight in another namespace.
 *
 * Equivalent to: `ip link add [mtu M] [address A] link <parent> name <name> type macvlan
 * mode <mode> [bcqueuelen N] [netns <fd>]`
 *
 * @param sock An open socket (in the lower device's namespace).
 * @param options Name, lower device, mode (default `bridge`), broadcast queue length, MTU,
 *   MAC and target namespace.
 * @throws {NetlinkError} `EEXIST` when the name is taken, `EOPNOTSUPP` when the kernel has no
 *   macvlan driver, `EINVAL` for an MTU above the lower device's.
 * @throws {LinkNotFoundError} When the lower device does not exist.
 * @throws {NetlinkInputError} When an option is invalid.
 */
export function linkAddMacvlan(
  sock: NetlinkSocket,
  options: LowerLinkOptions & { mode?: MacvlanMode; bcQueueLen?: number },
): void {
  addKindLink(sock, options, {
    kind: "macvlan",
    mode: options.mode ?? "bridge",
    ...(options.bcQueueLen !== undefined && { bcQueueLen: options.bcQueueLen }),
  });
}

/**
 * Creates an ipvlan on a lower device, optionally straight in another namespace.
 *
 * Equivalent to: `ip link add [mtu M] link <parent> name <name> type ipvlan mode <mode>
 * [netns <fd>]`
 *
 * @param sock An open socket (in the lower device's namespace).
 * @param options Name, lower device, mode (default `l2`), MTU and target namespace.
 * @throws {NetlinkError} `EEXIST`, `EOPNOTSUPP` when the kernel has no ipvlan driver.
 * @throws {LinkNotFoundError} When the lower device does not exist.
 * @throws {NetlinkInputError} When an option is invalid.
 */
export function linkAddIpvlan(
  sock: NetlinkSocket,
  options: Omit<LowerLinkOptions, "mac"> & { mode?: IpvlanMode },
): void {
  addKindLink(sock, options, { kind: "ipvlan", mode: options.mode ?? "l2" });
}

/**
 * Creates an 802.1Q VLAN link on a lower device, optionally straight in another namespace.
 *
 * Equivalent to: `ip link add [mtu M] [address A] link <parent> name <name> type vlan id <id>
 * [netns <fd>]`
 *
 * @param sock An open socket (in the lower device's namespace).
 * @param options Name, lower device, VLAN id (0-4094), MTU, MAC and target namespace.
 * @throws {NetlinkError} `EEXIST` (also for a second link with the same id on the device),
 *   `EOPNOTSUPP` when the kernel has no 8021q module.
 * @throws {LinkNotFoundError} When the lower device does not exist.
 * @throws {NetlinkInputError} When an option is invalid.
 */
export function linkAddVlan(sock: NetlinkSocket, options: LowerLinkOptions & { id: number }): void {
  addKindLink(sock, options, { kind: "vlan", id: options.id });
}

/**
 * Creates an ifb (intermediate functional block) link, optionally up, and returns it as the
 * kernel reports it (`NLM_F_ECHO`).
 *
 * Equivalent to: `ip link add <name> [mtu M] [txqueuelen N] [up] type ifb`
 *
 * @param sock An open socket.
 * @param options Name, MTU, transmit queue length and up.
 * @returns The link, or `undefined` on a kernel that does not echo a new link.
 * @throws {NetlinkError} `EEXIST` when the name is taken.
 * @throws {NetlinkInputError} When an option is invalid.
 */
export function linkAddIfb(
  sock: NetlinkSocket,
  options: { name: string; mtu?: number; txqlen?: number; up?: boolean },
): Link | undefined {
  const op = "link add";
  const attrs = commonLinkAttrs(op, options.name, options);
  if (options.txqlen !== undefined) {
    attrs.push(
      u32Attr(IFLA_TXQLEN, checkUint(op, options.name, "txqueuelen", options.txqlen, 0xffffffff)),
    );
  }
  attrs.push(nestedAttr(IFLA_LINKINFO, [cstringAttr(IFLA_INFO_KIND, "ifb")]));
  return addLink(sock, options.name, attrs, { up: options.up === true, echo: true });
}

/**
 * Deletes a link (a veth's peer goes with it).
 *
 * Equivalent to: `ip link del <dev>`
 *
 * @param sock An open socket.
 * @param ref `{ index }` or `{ name }`.
 * @throws {LinkNotFoundError} When there is no such link.
 */
export function linkDel(sock: NetlinkSocket, ref: LinkRef): void {
  const op = "link del";
  const sel = linkSelector(ref, op);
  sock.request({
    type: RTM_DELLINK,
    body: encodeIfinfomsg({ family: AF_UNSPEC, index: sel.index }),
    attrs: sel.attrs,
  }, { op, target: linkRefText(ref) });
}

/**
 * Deletes a link and returns as soon as the kernel has unlisted it (its name, addresses and
 * routes are gone, a veth's peer with it), without waiting for the rest of the kernel's
 * teardown (an RCU barrier and a wait for the last references, 15-30 ms for a veth), which
 * finishes on a worker thread: {@linkcode pendingKernelWork} waits for it, and the socket
 * stays open until then. Unlike {@linkcode linkDel}, a link that is already gone is not an
 * error. Several calls overlap.
 *
 * Equivalent to: `ip link del <dev>` (returning before the kernel's final cleanup)
 *
 * @example Delete a container's veth
 * ```ts ignore
 * using sock = openNetlink({ netns: "/run/netns/blue" });
 * await linkDelBackground(sock, { name: "eth0" });
 * ```
 *
 * @param sock An open socket.
 * @param ref `{ index }` or `{ name }` (a name is looked up first).
 * @returns When the link is gone.
 * @throws {NetlinkError} When the kernel refuses the deletion (e.g. `EOPNOTSUPP` for `lo`).
 */
export async function linkDelBackground(sock: NetlinkSocket, ref: LinkRef): Promise<void> {
  const op = "link del";
  let index: number;
  try {
    index = resolveIndex(sock, ref, op);
  } catch (err) {
    if (err instanceof LinkNotFoundError) return;
    throw err;
  }
  const body = encodeIfinfomsg({ family: AF_UNSPEC, index });
  await sock.requestUntilGone(
    { type: RTM_DELLINK, body },
    { type: RTM_GETLINK, body },
    { op, target: linkRefText(ref) },
  );
}

/**
 * Sets a link up.
 *
 * Equivalent to: `ip link set <dev> up`
 *
 * @param sock An open socket.
 * @param ref `{ index }` or `{ name }`.
 * @throws {LinkNotFoundError} When there is no such link.
 */
export function linkSetUp(sock: NetlinkSocket, ref: LinkRef): void {
  setLink(sock, ref, "link set up", [], IFF_UP, IFF_UP);
}

/**
 * Sets a link down.
 *
 * Equivalent to: `ip link set <dev> down`
 *
 * @param sock An open socket.
 * @param ref `{ index }` or `{ name }`.
 * @throws {LinkNotFoundError} When there is no such link.
 */
export function linkSetDown(sock: NetlinkSocket, ref: LinkRef): void {
  setLink(sock, ref, "link set down", [], 0, IFF_UP);
}

/**
 * Makes a link a port of a bridge (or other master).
 *
 * Equivalent to: `ip link set <dev> master <master>`
 *
 * @param sock An open socket.
 * @param ref The port.
 * @param masterRef The bridge.
 * @throws {LinkNotFoundError} When either link is missing.
 */
export function linkSetMaster(sock: NetlinkSocket, ref: LinkRef, masterRef: LinkRef): void {
  const op = "link set master";
  const master = resolveIndex(sock, masterRef, op);
  setLink(sock, ref, op, [u32Attr(IFLA_MASTER, master)]);
}

/**
 * Removes a link from its master.
 *
 * Equivalent to: `ip link set <dev> nomaster`
 *
 * @param sock An open socket.
 * @param ref The port.
 * @throws {LinkNotFoundError} When there is no such link.
 */
export function linkSetNoMaster(sock: NetlinkSocket, ref: LinkRef): void {
  setLink(sock, ref, "link set nomaster", [u32Attr(IFLA_MASTER, 0)]);
}

/**
 * Sets a link's MTU.
 *
 * Equivalent to: `ip link set <dev> mtu <mtu>`
 *
 * @param sock An open socket.
 * @param ref The link.
 * @param mtu The MTU.
 * @throws {NetlinkError} `EINVAL` when the kernel refuses the value.
 */
export function linkSetMtu(sock: NetlinkSocket, ref: LinkRef, mtu: number): void {
  const op = "link set mtu";
  setLink(sock, ref, op, [
    u32Attr(IFLA_MTU, checkUint(op, linkRefText(ref), "MTU", mtu, 0xffffffff)),
  ]);
}

/**
 * Sets a link's MAC address.
 *
 * Equivalent to: `ip link set <dev> address <mac>`
 *
 * @param sock An open socket.
 * @param ref The link.
 * @param mac `"aa:bb:cc:dd:ee:ff"`.
 * @throws {NetlinkInputError} When the MAC is malformed.
 */
export function linkSetMac(sock: NetlinkSocket, ref: LinkRef, mac: string): void {
  const op = "link set address";
  setLink(sock, ref, op, [bytesAttr(IFLA_ADDRESS, parseMac(mac, op))]);
}

/**
 * Moves a link into the namespace of an open namespace fd.
 *
 * Equivalent to: `ip link set <dev> netns <fd>`
 *
 * @param sock An open socket.
 * @param ref The link.
 * @param fd An open network-namespace file descriptor.
 * @throws {LinkNotFoundError} When there is no such link.
 */
export function linkSetNsFd(sock: NetlinkSocket, ref: LinkRef, fd: number): void {
  const op = "link set netns";
  setLink(sock, ref, op, [
    u32Attr(IFLA_NET_NS_FD, checkUint(op, linkRefText(ref), "netns fd", fd, 0x7fffffff)),
  ]);
}

/**
 * Renames a link (the kernel refuses while it is up: `EBUSY`).
 *
 * Equivalent to: `ip link set <dev> name <newName>`
 *
 * @param sock An open socket.
 * @param ref The link.
 * @param newName The new name.
 * @throws {NetlinkInputError} When the new name is invalid.
 */
export function linkSetName(sock: NetlinkSocket, ref: LinkRef, newName: string): void {
  const op = "link set name";
  checkLinkName(newName, op);
  const index = resolveIndex(sock, ref, op);
  setLink(sock, { index }, op, [cstringAttr(IFLA_IFNAME, newName)]);
}

/**
 * Sets a link's alias, or clears it with an empty string.
 *
 * Equivalent to: `ip link set <dev> alias <text>`
 *
 * @param sock An open socket.
 * @param ref The link.
 * @param alias The alias (at most 255 bytes; empty clears it).
 * @throws {NetlinkInputError} When the alias is too long.
 * @throws {LinkNotFoundError} When there is no such link.
 */
export function linkSetAlias(sock: NetlinkSocket, ref: LinkRef, alias: string): void {
  const op = "link set alias";
  if (new TextEncoder().encode(alias).byteLength > 255) {
    throw new NetlinkInputError(op, alias, "alias too long: at most 255 bytes");
  }
  // Not NUL-terminated: the kernel stores the attribute's bytes as given (an empty one clears).
  setLink(sock, ref, op, [stringAttr(IFLA_IFALIAS, alias)]);
}

/**
 * Turns promiscuous mode on or off.
 *
 * Equivalent to: `ip link set <dev> promisc on|off`
 *
 * @param sock An open socket.
 * @param ref The link.
 * @param on Whether to turn it on.
 * @throws {LinkNotFoundError} When there is no such link.
 */
export function linkSetPromisc(sock: NetlinkSocket, ref: LinkRef, on: boolean): void {
  setLink(sock, ref, "link set promisc", [], on ? IFF_PROMISC : 0, IFF_PROMISC);
}

/**
 * Turns all-multicast mode on or off.
 *
 * Equivalent to: `ip link set <dev> allmulticast on|off`
 *
 * @param sock An open socket.
 * @param ref The link.
 * @param on Whether to turn it on.
 * @throws {LinkNotFoundError} When there is no such link.
 */
export function linkSetAllmulti(sock: NetlinkSocket, ref: LinkRef, on: boolean): void {
  setLink(sock, ref, "link set allmulticast", [], on ? IFF_ALLMULTI : 0, IFF_ALLMULTI);
}

/**
 * Sets a link's transmit queue length.
 *
 * Equivalent to: `ip link set <dev> txqueuelen <qlen>`
 *
 * @param sock An open socket.
 * @param ref The link.
 * @param qlen The queue length (0 to 2^32-1).
 * @throws {NetlinkInputError} When `qlen` is not an integer in that range.
 * @throws {LinkNotFoundError} When there is no such link.
 */
export function linkSetTxQLen(sock: NetlinkSocket, ref: LinkRef, qlen: number): void {
  const op = "link set txqueuelen";
  setLink(sock, ref, op, [
    u32Attr(IFLA_TXQLEN, checkUint(op, linkRefText(ref), "txqueuelen", qlen, 0xffffffff)),
  ]);
}

/**
 * Sets bridge-port flags through `IFLA_PROTINFO` (`AF_BRIDGE`, nested).
 *
 * Equivalent to: `bridge link set dev <dev> [hairpin on|off] [isolated on|off]
 * [learning on|off]`
 *
 * @param sock An open socket.
 * @param ref The bridge port.
 * @param flags The flags to set; absent ones are left alone.
 * @throws {NetlinkError} `EOPNOTSUPP` / `EINVAL` when the link is not a bridge port.
 */
export function linkSetBrportFlags(sock: NetlinkSocket, ref: LinkRef, flags: BrportFlags): void {
  const op = "link set brport";
  const index = resolveIndex(sock, ref, op);
  const children: Attr[] = [];
  if (flags.hairpin !== undefined) children.push(u8Attr(IFLA_BRPORT_MODE, flags.hairpin ? 1 : 0));
  if (flags.learning !== undefined) {
    children.push(u8Attr(IFLA_BRPORT_LEARNING, flags.learning ? 1 : 0));
  }
  if (flags.isolated !== undefined) {
    children.push(u8Attr(IFLA_BRPORT_ISOLATED, flags.isolated ? 1 : 0));
  }
  if (children.length === 0) return;
  sock.request({
    type: RTM_SETLINK,
    body: encodeIfinfomsg({ family: AF_BRIDGE, index }),
    attrs: [nestedAttr(IFLA_PROTINFO | NLA_F_NESTED, children)],
  }, { op, target: linkRefText(ref) });
}

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
  const op = "bridge vlan add";
  const index = resolveIndex(sock, ref, op);
  const spec = vlanSpec(op, linkRefText(ref), vlan);
  sock.request({
    type: RTM_SETLINK,
    body: encodeIfinfomsg({ family: AF_BRIDGE, index }),
    attrs: [spec],
  }, { op, target: linkRefText(ref) });
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
  const op = "bridge vlan del";
  const index = resolveIndex(sock, ref, op);
  const spec = vlanSpec(op, linkRefText(ref), vlan);
  sock.request({
    type: RTM_DELLINK,
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

// ---- addresses ------------------------------------------------------------------------

/** Options for {@linkcode addrAdd}. */
export interface AddrAddOptions {
  /** `"10.1.2.3/24"` or `"fd00::2/64"`. */
  address: string;
  /** IPv4 broadcast address, or `true` to derive it from the prefix (`brd +`). */
  broadcast?: string | true;
  /** Scope: `"global"` (default), `"link"`, `"host"` or a number. */
  scope?: Scope;
  /** Skip duplicate address detection (IPv6 `nodad`). */
  noDad?: boolean;
  /** Extra `IFA_F_*` flags. */
  flags?: number;
}

/**
 * Adds an address to a link.
 *
 * Equivalent to: `ip addr add <address> [broadcast <brd>|+] [scope <scope>] [nodad] dev <dev>`
 *
 * @param sock An open socket.
 * @param ref The link.
 * @param options The address and its options.
 * @throws {NetlinkError} `EEXIST` when the address is already there.
 * @throws {NetlinkInputError} When the address is malformed.
 */
export function addrAdd(sock: NetlinkSocket, ref: LinkRef, options: AddrAddOptions): void {
  const op = "addr add";
  const p = parsePrefix(options.address, op);
  const index = resolveIndex(sock, ref, op);
  let flags = options.flags ?? 0;
  checkUint(op, options.address, "flags", flags, 0xffffffff);
  if (options.noDad) flags |= IFA_F_NODAD;
  const attrs: Attr[] = [bytesAttr(IFA_LOCAL, p.bytes), bytesAttr(IFA_ADDRESS, p.bytes)];
  if (options.broadcast !== undefined) {
    if (p.family !== 4) throw new NetlinkInputError(op, options.address, "broadcast is IPv4 only");
    const brd = options.broadcast === true
      ? broadcastOf(p.bytes, p.prefixLen)
      : parseIp(options.broadcast, op).bytes;
    if (brd.byteLength !== 4) {
      throw new NetlinkInputError(op, String(options.broadcast), "broadcast must be IPv4");
    }
    if (options.broadcast !== true || p.prefixLen < 31) attrs.push(bytesAttr(IFA_BROADCAST, brd));
  }
  if (flags > 0xff) attrs.push(u32Attr(IFA_FLAGS, flags));
  sock.request({
    type: RTM_NEWADDR,
    flags: NLM_F_CREATE | NLM_F_EXCL,
    body: encodeIfaddrmsg({
      family: afOf(p.family),
      prefixLen: p.prefixLen,
      flags: flags & 0xff,
      scope: options.scope === undefined ? RT_SCOPE_UNIVERSE : scopeNumber(options.scope, op),
      index,
    }),
    attrs,
  }, { op, target: `${options.address} dev ${linkRefText(ref)}` });
}

/**
 * Removes an address from a link.
 *
 * Equivalent to: `ip addr del <address> dev <dev>`
 *
 * @param sock An open socket.
 * @param ref The link.
 * @param options `address`: `"10.1.2.3/24"`.
 * @throws {NetlinkError} `EADDRNOTAVAIL` when the address is not there.
 */
export function addrDel(sock: NetlinkSocket, ref: LinkRef, options: { address: string }): void {
  const op = "addr del";
  const p = parsePrefix(options.address, op);
  const index = resolveIndex(sock, ref, op);
  sock.request({
    type: RTM_DELADDR,
    body: encodeIfaddrmsg({ family: afOf(p.family), prefixLen: p.prefixLen, index }),
    attrs: [bytesAttr(IFA_LOCAL, p.bytes), bytesAttr(IFA_ADDRESS, p.bytes)],
  }, { op, target: `${options.address} dev ${linkRefText(ref)}` });
}

/**
 * Lists addresses, optionally of one link and one family.
 *
 * Equivalent to: `ip [-4|-6] addr show [dev <dev>]`
 *
 * @param sock An open socket.
 * @param filter `link` and `family` filters.
 * @returns The addresses.
 * @throws {LinkNotFoundError} When the filter link does not exist.
 */
export function addrList(
  sock: NetlinkSocket,
  filter: { link?: LinkRef; family?: IpFamily } = {},
): Addr[] {
  const op = "addr show";
  const index = filter.link ? resolveIndex(sock, filter.link, op) : 0;
  const family = filter.family ? afOf(filter.family) : AF_UNSPEC;
  const msgs = sock.dump({
    type: RTM_GETADDR,
    body: encodeIfaddrmsg({ family, index }),
  }, { op, target: filter.link ? linkRefText(filter.link) : "all" });
  const out: Addr[] = [];
  for (const m of msgs) {
    if (m.header.type !== RTM_NEWADDR) continue;
    const a = parseAddrMessage(m.payload);
    if (!a) continue;
    if (index && a.index !== index) continue;
    if (filter.family && a.family !== filter.family) continue;
    out.push(a);
  }
  return out;
}

// ---- routes ---------------------------------------------------------------------------

/** A route to add, replace or delete. */
export interface RouteSpec {
  /** Destination prefix: `"0.0.0.0/0"`, `"10.0.0.0/8"`, `"::/0"`. */
  dst: string;
  /** Gateway address. */
  gw?: string;
  /** Output link. */
  link?: LinkRef;
  /** Scope; default `link` without a gateway, `global` with one (as `ip route` does). */
  scope?: Scope;
  /** Table id (default main, 254). */
  table?: number;
  /** Metric (`RTA_PRIORITY`). */
  metric?: number;
  /** Preferred source address. */
  src?: string;
  /** Path MTU (`RTAX_MTU`). */
  mtu?: number;
  /** Advertised MSS (`RTAX_ADVMSS`). */
  advmss?: number;
  /** `RTPROT_*` (default `boot`, as `ip route` uses). */
  protocol?: number;
}

function routeText(r: RouteSpec): string {
  let t = r.dst;
  if (r.gw) t += ` via ${r.gw}`;
  if (r.link) t += ` dev ${linkRefText(r.link)}`;
  return t;
}

function routeRequest(sock: NetlinkSocket, r: RouteSpec, op: string, del: boolean) {
  const target = routeText(r);
  const dst = parsePrefix(r.dst, op);
  const attrs: Attr[] = [];
  if (dst.prefixLen > 0) attrs.push(bytesAttr(RTA_DST, dst.bytes));
  if (r.gw !== undefined) {
    const gw = parseIp(r.gw, op);
    if (gw.family !== dst.family) {
      throw new NetlinkInputError(op, target, "gateway family differs from destination");
    }
    attrs.push(bytesAttr(RTA_GATEWAY, gw.bytes));
  }
  if (r.link) attrs.push(u32Attr(RTA_OIF, resolveIndex(sock, r.link, op)));
  if (r.metric !== undefined) {
    attrs.push(u32Attr(RTA_PRIORITY, checkUint(op, target, "metric", r.metric, 0xffffffff)));
  }
  if (r.src !== undefined) {
    const src = parseIp(r.src, op);
    if (src.family !== dst.family) {
      throw new NetlinkInputError(op, target, "source family differs from destination");
    }
    attrs.push(bytesAttr(RTA_PREFSRC, src.bytes));
  }
  const table = r.table === undefined
    ? RT_TABLE_MAIN
    : checkUint(op, target, "table", r.table, 0xffffffff);
  if (table > 255) attrs.push(u32Attr(RTA_TABLE, table));
  const metrics: Attr[] = [];
  if (r.mtu !== undefined) {
    metrics.push(u32Attr(RTAX_MTU, checkUint(op, target, "mtu", r.mtu, 0xffffffff)));
  }
  if (r.advmss !== undefined) {
    metrics.push(u32Attr(RTAX_ADVMSS, checkUint(op, target, "advmss", r.advmss, 0xffffffff)));
  }
  if (metrics.length > 0) attrs.push(nestedAttr(RTA_METRICS, metrics));
  let scope: number;
  if (r.scope !== undefined) scope = scopeNumber(r.scope, op);
  else if (del) scope = RT_SCOPE_NOWHERE;
  else scope = r.gw === undefined ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  const body = encodeRtmsg({
    family: afOf(dst.family),
    dstLen: dst.prefixLen,
    table: table > 255 ? RT_TABLE_UNSPEC : table,
    protocol: r.protocol ?? (del ? 0 : RTPROT_BOOT),
    scope,
    type: del ? 0 : RTN_UNICAST,
  });
  return { body, attrs, ctx: { op, target } satisfies RequestContext };
}

/**
 * Adds a route, exclusively (`NLM_F_CREATE | NLM_F_EXCL`): it fails when the table has any
 * route to the same destination with the same metric, whatever its gateway or device. Plugins
 * adding a result's routes use {@linkcode routePrepend}, as the reference does.
 *
 * Equivalent to: `ip route add <dst> [via <gw>] [dev <dev>] [scope S] [table T] [metric M]
 * [src A] [mtu N] [advmss N]`
 *
 * @param sock An open socket.
 * @param route The route.
 * @throws {NetlinkError} `EEXIST` when such a route exists, `ENETUNREACH` when the gateway is
 *   unreachable.
 * @throws {NetlinkInputError} When an address is malformed.
 */
export function routeAdd(sock: NetlinkSocket, route: RouteSpec): void {
  const { body, attrs, ctx } = routeRequest(sock, route, "route add", false);
  sock.request({ type: RTM_NEWROUTE, flags: NLM_F_CREATE | NLM_F_EXCL, body, attrs }, ctx);
}

/**
 * Adds a route unless an identical one exists, with `NLM_F_CREATE` but not `NLM_F_EXCL`: the
 * way the reference plugins add the routes of a result (`ipam.ConfigureIface` calls
 * vishvananda's `RouteAddEcmp`, which sends these flags; seen on the wire from Debian's bridge
 * 1.1.1).
 *
 * Without `NLM_F_EXCL` the kernel (checked on 6.x) refuses only a route whose destination,
 * metric, type and whole next hop (gateway and device) are those of an existing one. So a
 * container on two networks gets a default route per device: IPv4 keeps both (the newest
 * first), IPv6 joins same-metric gateway routes into one multipath route. With `NLM_F_EXCL`
 * ({@linkcode routeAdd}, `ip route add`) both families refuse any second route to the same
 * destination and metric, whatever its device.
 *
 * Equivalent to: `ip route prepend <dst> [via <gw>] [dev <dev>] ...`
 *
 * @param sock An open socket.
 * @param route The route.
 * @throws {NetlinkError} `EEXIST` when an identical route exists, `ENETUNREACH` when the
 *   gateway is unreachable.
 * @throws {NetlinkInputError} When an address is malformed.
 */
export function routePrepend(sock: NetlinkSocket, route: RouteSpec): void {
  const { body, attrs, ctx } = routeRequest(sock, route, "route prepend", false);
  sock.request({ type: RTM_NEWROUTE, flags: NLM_F_CREATE, body, attrs }, ctx);
}

/**
 * Adds a route or replaces the existing one for the same destination.
 *
 * Equivalent to: `ip route replace <dst> [via <gw>] [dev <dev>] ...`
 *
 * @param sock An open socket.
 * @param route The route.
 * @throws {NetlinkError} When the kernel refuses it.
 */
export function routeReplace(sock: NetlinkSocket, route: RouteSpec): void {
  const { body, attrs, ctx } = routeRequest(sock, route, "route replace", false);
  sock.request({ type: RTM_NEWROUTE, flags: NLM_F_CREATE | NLM_F_REPLACE, body, attrs }, ctx);
}

/**
 * Deletes a route.
 *
 * Equivalent to: `ip route del <dst> [via <gw>] [dev <dev>] [table T] [metric M]`
 *
 * @param sock An open socket.
 * @param route The route (unset fields match anything).
 * @throws {NetlinkError} `ESRCH` when there is no such route.
 */
export function routeDel(sock: NetlinkSocket, route: RouteSpec): void {
  const { body, attrs, ctx } = routeRequest(sock, route, "route del", true);
  sock.request({ type: RTM_DELROUTE, body, attrs }, ctx);
}

/**
 * Lists routes of one table (main by default; `table: 0` for all tables).
 *
 * Equivalent to: `ip [-4|-6] route show [table T] [dev <dev>]`
 *
 * @param sock An open socket.
 * @param filter `family`, `table`, `link` filters.
 * @returns The routes.
 * @throws {LinkNotFoundError} When the filter link does not exist.
 */
export function routeList(
  sock: NetlinkSocket,
  filter: { family?: IpFamily; table?: number; link?: LinkRef } = {},
): RouteInfo[] {
  const op = "route show";
  const table = filter.table ?? RT_TABLE_MAIN;
  const index = filter.link ? resolveIndex(sock, filter.link, op) : 0;
  const attrs: Attr[] = [];
  if (table !== RT_TABLE_UNSPEC) attrs.push(u32Attr(RTA_TABLE, table));
  if (index) attrs.push(u32Attr(RTA_OIF, index));
  const msgs = sock.dump({
    type: RTM_GETROUTE,
    body: encodeRtmsg({ family: filter.family ? afOf(filter.family) : AF_UNSPEC }),
    attrs,
  }, { op, target: filter.link ? linkRefText(filter.link) : "all" });
  const out: RouteInfo[] = [];
  for (const m of msgs) {
    if (m.header.type !== RTM_NEWROUTE) continue;
    const r = parseRouteMessage(m.payload);
    if (!r) continue;
    if (filter.family && r.family !== filter.family) continue;
    if (table !== RT_TABLE_UNSPEC && r.table !== table) continue;
    if (index && r.linkIndex !== index) continue;
    out.push(r);
  }
  return out;
}

/**
 * Asks the kernel which route it would use to reach an address (a FIB lookup, not a listing).
 *
 * Equivalent to: `ip route get <address>`
 *
 * @param sock An open socket.
 * @param address The destination address (no prefix).
 * @returns The route the kernel picks (`linkIndex` is its output link).
 * @throws {NetlinkError} `ENETUNREACH` when nothing routes there.
 * @throws {NetlinkInputError} When the address is malformed.
 */
export function routeGet(sock: NetlinkSocket, address: string): RouteInfo {
  const op = "route get";
  const ip = parseIp(address, op);
  const msgs = sock.request({
    type: RTM_GETROUTE,
    body: encodeRtmsg({ family: afOf(ip.family), dstLen: ip.bytes.length * 8 }),
    attrs: [bytesAttr(RTA_DST, ip.bytes)],
  }, { op, target: address });
  for (const m of msgs) {
    if (m.header.type !== RTM_NEWROUTE) continue;
    const r = parseRouteMessage(m.payload);
    if (r) return r;
  }
  throw new NetlinkInputError(op, address, "the kernel answered without a route");
}
