/**
 * Link creation shaped like `ip link add`: veth pairs, bridges, ifb, and the kinds of
 * `link_kinds.ts` (dummy, macvlan, ipvlan, vlan).
 *
 * @module
 */
import {
  AF_UNSPEC,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_BR_VLAN_DEFAULT_PVID,
  IFLA_BR_VLAN_FILTERING,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  IFLA_TXQLEN,
  NLM_F_CREATE,
  NLM_F_ECHO,
  NLM_F_EXCL,
  RTM_NEWLINK,
  VETH_INFO_PEER,
} from "../constants.ts";
import {
  type Attr,
  bytesAttr,
  cstringAttr,
  encodeAttrs,
  nestedAttr,
  u16Attr,
  u32Attr,
  u8Attr,
} from "../codec.ts";
import type { NlMessage } from "../message.ts";
import {
  checkLinkName,
  encodeIfinfomsg,
  type Link,
  type LinkRef,
  parseLinkMessage,
  parseMac,
} from "../link.ts";
import {
  encodeLinkInfo,
  type IpvlanMode,
  type LinkKindSpec,
  type MacvlanMode,
} from "../link_kinds.ts";
import type { NetlinkSocket, RequestInit } from "../socket.ts";
import { checkUint, resolveIndex } from "./_common.ts";

function commonLinkAttrs(op: string, name: string, o: { mtu?: number; mac?: string }): Attr[] {
  const attrs: Attr[] = [cstringAttr(IFLA_IFNAME, checkLinkName(name, op))];
  if (o.mtu !== undefined) {
    attrs.push(u32Attr(IFLA_MTU, checkUint(op, name, "MTU", o.mtu, 0xffffffff)));
  }
  if (o.mac !== undefined) attrs.push(bytesAttr(IFLA_ADDRESS, parseMac(o.mac, op)));
  return attrs;
}

function addLinkRequest(
  attrs: readonly Attr[],
  o: { up?: boolean; echo?: boolean },
): RequestInit {
  return {
    type: RTM_NEWLINK,
    flags: NLM_F_CREATE | NLM_F_EXCL | (o.echo ? NLM_F_ECHO : 0),
    body: encodeIfinfomsg(o.up ? { family: AF_UNSPEC, flags: IFF_UP, change: IFF_UP } : {}),
    attrs,
  };
}

function echoedLink(msgs: NlMessage[]): Link | undefined {
  const m = msgs.find((x) => x.header.type === RTM_NEWLINK);
  return m ? parseLinkMessage(m.payload) : undefined;
}

function addLink(
  sock: NetlinkSocket,
  name: string,
  attrs: readonly Attr[],
  o: { up?: boolean; echo?: boolean } = {},
): Link | undefined {
  return echoedLink(sock.request(addLinkRequest(attrs, o), { op: "link add", target: name }));
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
  return addLink(sock, options.name, vethAttrs(sock, options), {
    up: options.up === true,
    echo: true,
  });
}

/**
 * {@linkcode linkAddVeth} with the request sent from a worker thread
 * ({@linkcode NetlinkSocket.requestInBackground}): the kernel's work (most of a millisecond)
 * leaves the JavaScript thread free for other calls of the same process.
 *
 * @param sock An open socket.
 * @param options Names, peer namespace, MACs, MTU, up and master.
 * @returns This end, or `undefined` on a kernel that does not echo a new link.
 * @throws {NetlinkError} As {@linkcode linkAddVeth} (the promise rejects).
 * @throws {NetlinkInputError} As {@linkcode linkAddVeth}, before anything is sent.
 */
export async function linkAddVethInBackground(
  sock: NetlinkSocket,
  options: VethOptions,
): Promise<Link | undefined> {
  const init = addLinkRequest(vethAttrs(sock, options), { up: options.up === true, echo: true });
  return echoedLink(await sock.requestInBackground(init, { op: "link add", target: options.name }));
}

function vethAttrs(sock: NetlinkSocket, options: VethOptions): Attr[] {
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
  return attrs;
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
