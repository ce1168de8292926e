/**
 * Address operations shaped like `ip addr`: add, delete and list.
 *
 * @module
 */
import {
  AF_UNSPEC,
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_F_NODAD,
  IFA_FLAGS,
  IFA_LOCAL,
  NLM_F_CREATE,
  NLM_F_EXCL,
  RT_SCOPE_UNIVERSE,
  RTM_DELADDR,
  RTM_GETADDR,
  RTM_NEWADDR,
} from "../constants.ts";
import { type Attr, bytesAttr, u32Attr } from "../codec.ts";
import { type LinkRef, linkRefText } from "../link.ts";
import {
  type Addr,
  afOf,
  broadcastOf,
  encodeIfaddrmsg,
  type IpFamily,
  parseAddrMessage,
  parseIp,
  parsePrefix,
  type Scope,
  scopeNumber,
} from "../addr.ts";
import { NetlinkInputError } from "../errors.ts";
import type { NetlinkSocket } from "../socket.ts";
import { checkUint, resolveIndex } from "./_common.ts";

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
