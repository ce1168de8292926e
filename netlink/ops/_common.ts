/**
 * Helpers shared by the operation files of `ops/`: input checks, link selection by index or
 * name, index resolution and RTM_SETLINK. Private to `netlink/ops/`.
 *
 * @module
 */
import { AF_UNSPEC, IFLA_IFNAME, RTM_GETLINK, RTM_NEWLINK, RTM_SETLINK } from "../constants.ts";
import { type Attr, cstringAttr } from "../codec.ts";
import {
  checkLinkName,
  encodeIfinfomsg,
  type Link,
  type LinkRef,
  linkRefText,
  parseLinkMessage,
} from "../link.ts";
import { LinkNotFoundError, NetlinkInputError } from "../errors.ts";
import type { NetlinkSocket } from "../socket.ts";

/** An integer in 0..max, or a NetlinkInputError naming what it is. */
export function checkUint(
  op: string,
  target: string,
  what: string,
  value: number,
  max: number,
): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new NetlinkInputError(op, target, `invalid ${what} ${value}: need an integer 0..${max}`);
  }
  return value;
}

/** Checks a link reference: a valid name or a positive index. */
export function checkRef(ref: LinkRef, op: string): void {
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
export function linkSelector(ref: LinkRef, op: string): { index: number; attrs: Attr[] } {
  checkRef(ref, op);
  if ("name" in ref) return { index: 0, attrs: [cstringAttr(IFLA_IFNAME, ref.name)] };
  return { index: ref.index, attrs: [] };
}

/** RTM_GETLINK for one link: the body of `linkGet`, here so that `resolveIndex` needs no cycle. */
export function getLink(sock: NetlinkSocket, ref: LinkRef): Link {
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
    return getLink(sock, ref).index;
  } catch (err) {
    if (err instanceof LinkNotFoundError) throw new LinkNotFoundError(op, ref.name, err.extack);
    throw err;
  }
}

/** RTM_SETLINK on one link with extra attributes and flag changes. */
export function setLink(
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
