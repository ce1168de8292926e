/**
 * Link operations shaped like `ip link`: get, list, find, delete and the `set` family, plus
 * bridge-port flags (`bridge link set`). Creating links is in `link_add.ts`.
 *
 * @module
 */
import {
  AF_BRIDGE,
  AF_UNSPEC,
  IFF_ALLMULTI,
  IFF_PROMISC,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_BRPORT_ISOLATED,
  IFLA_BRPORT_LEARNING,
  IFLA_BRPORT_MODE,
  IFLA_IFALIAS,
  IFLA_IFNAME,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  IFLA_PROTINFO,
  IFLA_TXQLEN,
  NLA_F_NESTED,
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
  stringAttr,
  u32Attr,
  u8Attr,
} from "../codec.ts";
import {
  type BrportFlags,
  checkLinkName,
  encodeIfinfomsg,
  type Link,
  type LinkRef,
  linkRefText,
  parseLinkMessage,
  parseMac,
} from "../link.ts";
import { LinkNotFoundError, NetlinkInputError } from "../errors.ts";
import type { NetlinkSocket } from "../socket.ts";
import { checkUint, getLink, linkSelector, resolveIndex, setLink } from "./_common.ts";

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
  return getLink(sock, ref);
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
