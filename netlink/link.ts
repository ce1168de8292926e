/**
 * `struct ifinfomsg` and the `IFLA_*` attributes: link requests and replies. Pure.
 *
 * @module
 */
import {
  AF_BRIDGE,
  BRIDGE_VLAN_INFO_PVID,
  BRIDGE_VLAN_INFO_RANGE_BEGIN,
  BRIDGE_VLAN_INFO_RANGE_END,
  BRIDGE_VLAN_INFO_SIZE,
  BRIDGE_VLAN_INFO_UNTAGGED,
  ETH_ALEN,
  IF_OPER_NAMES,
  IFF_ALLMULTI,
  IFF_PROMISC,
  IFF_UP,
  IFINFOMSG_SIZE,
  IFLA_ADDRESS,
  IFLA_AF_SPEC,
  IFLA_BR_VLAN_DEFAULT_PVID,
  IFLA_BR_VLAN_FILTERING,
  IFLA_BRIDGE_VLAN_INFO,
  IFLA_BRPORT_ISOLATED,
  IFLA_BRPORT_LEARNING,
  IFLA_BRPORT_MODE,
  IFLA_IFALIAS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_INFO_SLAVE_DATA,
  IFLA_INFO_SLAVE_KIND,
  IFLA_LINK,
  IFLA_LINK_NETNSID,
  IFLA_LINKINFO,
  IFLA_MASTER,
  IFLA_MAX_MTU,
  IFLA_MIN_MTU,
  IFLA_MTU,
  IFLA_OPERSTATE,
  IFLA_PROTINFO,
  IFLA_TXQLEN,
  IFNAMSIZ,
} from "./constants.ts";
import {
  decodeAttrs,
  decodeNested,
  findAttr,
  readS32,
  readString,
  readU16,
  readU32,
  readU8,
} from "./codec.ts";
import type { RawAttr } from "./codec.ts";
import { NetlinkDecodeError, NetlinkInputError } from "./errors.ts";
import {
  type IpvlanInfo,
  type MacvlanInfo,
  parseLinkKindData,
  type VlanInfo,
} from "./link_kinds.ts";
import { parseVrfTable } from "./vrf.ts";

/** A link, addressed by index or by name. */
export type LinkRef = { readonly index: number } | { readonly name: string };

/** `struct ifinfomsg`. */
export interface Ifinfomsg {
  /** `ifi_family`: `AF_UNSPEC`, or `AF_BRIDGE` for bridge requests. */
  family: number;
  /** `ifi_type`: `ARPHRD_*`. */
  type: number;
  /** `ifi_index`. */
  index: number;
  /** `ifi_flags`: `IFF_*`. */
  flags: number;
  /** `ifi_change`: which flags to change. */
  change: number;
}

/** Bridge settings read from `IFLA_INFO_DATA` of a bridge. */
export interface BridgeInfo {
  /** `IFLA_BR_VLAN_FILTERING`. */
  vlanFiltering?: boolean;
  /** `IFLA_BR_VLAN_DEFAULT_PVID`. */
  defaultPvid?: number;
}

/** Bridge-port flags (`IFLA_BRPORT_*`). */
export interface BrportFlags {
  /** `IFLA_BRPORT_MODE`: hairpin. */
  hairpin?: boolean;
  /** `IFLA_BRPORT_ISOLATED`. */
  isolated?: boolean;
  /** `IFLA_BRPORT_LEARNING`. */
  learning?: boolean;
}

/** A link as `ip -d link show` describes it. */
export interface Link {
  /** Interface index. */
  index: number;
  /** Interface name. */
  name: string;
  /** `IFLA_INFO_KIND`: `"veth"`, `"bridge"`, `"dummy"`, ...; absent for physical and `lo`. */
  kind?: string;
  /** MTU. */
  mtu: number;
  /** Hardware address, lower-case `aa:bb:cc:dd:ee:ff` (empty when the link has none). */
  mac: string;
  /** `IFF_*` flags. */
  flags: number;
  /** `IFF_UP` is set. */
  up: boolean;
  /** `IFF_PROMISC` is set. */
  promisc: boolean;
  /** `IFF_ALLMULTI` is set. */
  allmulti: boolean;
  /** `IFLA_TXQLEN`: the transmit queue length, when the kernel reports it. */
  txQLen?: number;
  /** `IFLA_MIN_MTU`: the smallest MTU the device accepts, when reported. */
  minMtu?: number;
  /** `IFLA_MAX_MTU`: the largest MTU the device accepts (0: no limit), when reported. */
  maxMtu?: number;
  /** `IFLA_MASTER`: the bridge this link is a port of. */
  masterIndex?: number;
  /** `IFLA_LINK`: the lower device, or the veth peer's index. */
  parentIndex?: number;
  /** `IFLA_LINK_NETNSID`: the peer's namespace id as seen from this namespace. */
  netnsId?: number;
  /** `IFLA_OPERSTATE` as `ip` prints it (`"UP"`, `"DOWN"`, `"LOWERLAYERDOWN"`, ...). */
  operState?: string;
  /** Bridge settings, for links of kind `bridge`. */
  bridge?: BridgeInfo;
  /** Bridge-port flags, for links that are bridge ports. */
  brport?: BrportFlags;
  /** macvlan settings, for links of kind `macvlan` or `macvtap`. */
  macvlan?: MacvlanInfo;
  /** ipvlan settings, for links of kind `ipvlan` or `ipvtap`. */
  ipvlan?: IpvlanInfo;
  /** vlan settings, for links of kind `vlan`. */
  vlan?: VlanInfo;
  /** `IFLA_IFALIAS`: the alias (`ip link set <dev> alias <text>`), when set. */
  alias?: string;
  /** `IFLA_VRF_TABLE`: the routing table, for links of kind `vrf`. */
  vrfTable?: number;
}

/** One bridge VLAN entry of a port. */
export interface BridgeVlan {
  /** VLAN id. */
  vid: number;
  /** This VLAN is the port's PVID. */
  pvid: boolean;
  /** Frames leave untagged. */
  untagged: boolean;
}

/**
 * Encodes a `struct ifinfomsg`.
 *
 * @param msg Fields; missing ones are 0.
 * @returns 16 bytes.
 */
export function encodeIfinfomsg(msg: Partial<Ifinfomsg> = {}): Uint8Array {
  const buf = new Uint8Array(IFINFOMSG_SIZE);
  const v = new DataView(buf.buffer);
  v.setUint8(0, msg.family ?? 0);
  v.setUint16(2, msg.type ?? 0, true);
  v.setInt32(4, msg.index ?? 0, true);
  v.setUint32(8, (msg.flags ?? 0) >>> 0, true);
  v.setUint32(12, (msg.change ?? 0) >>> 0, true);
  return buf;
}

/**
 * Decodes a `struct ifinfomsg`.
 *
 * @param buf The bytes.
 * @param offset Where it starts.
 * @returns The struct and the offset after it.
 * @throws {NetlinkDecodeError} When fewer than 16 bytes remain.
 */
export function decodeIfinfomsg(buf: Uint8Array, offset: number): [Ifinfomsg, number] {
  if (offset + IFINFOMSG_SIZE > buf.byteLength) {
    throw new NetlinkDecodeError("ifinfomsg", offset, "truncated");
  }
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return [{
    family: v.getUint8(offset),
    type: v.getUint16(offset + 2, true),
    index: v.getInt32(offset + 4, true),
    flags: v.getUint32(offset + 8, true),
    change: v.getUint32(offset + 12, true),
  }, offset + IFINFOMSG_SIZE];
}

/**
 * Formats a hardware address as lower-case colon-separated hex.
 *
 * @param bytes The address bytes.
 * @returns E.g. `"02:42:ac:11:00:02"`.
 */
export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(":");
}

const MAC_REGEXP = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/;

/**
 * Parses a 6-byte MAC address.
 *
 * @param mac E.g. `"02:42:ac:11:00:02"`.
 * @param op The operation, for the error message.
 * @returns 6 bytes.
 * @throws {NetlinkInputError} When it is not six colon-separated hex bytes.
 */
export function parseMac(mac: string, op = "parse mac"): Uint8Array {
  if (!MAC_REGEXP.test(mac)) {
    throw new NetlinkInputError(
      op,
      mac,
      "invalid MAC address: need six hex bytes like 02:42:ac:11:00:02",
    );
  }
  const out = new Uint8Array(ETH_ALEN);
  mac.split(":").forEach((h, i) => (out[i] = parseInt(h, 16)));
  return out;
}

const encoder = new TextEncoder();
const NAME_BAD_REGEXP = /[\s/:]/;

/**
 * Checks an interface name the way the kernel's `dev_valid_name` does.
 *
 * @param name The proposed name.
 * @param op The operation, for the error message.
 * @returns The name.
 * @throws {NetlinkInputError} When it is empty, `.`/`..`, longer than 15 bytes, or holds
 *   `/`, `:` or whitespace.
 */
export function checkLinkName(name: string, op: string): string {
  if (name.length === 0) throw new NetlinkInputError(op, name, "invalid interface name: empty");
  const bytes = encoder.encode(name).length;
  if (bytes >= IFNAMSIZ) {
    throw new NetlinkInputError(
      op,
      name,
      `invalid interface name: ${bytes} bytes, at most ${IFNAMSIZ - 1} allowed`,
    );
  }
  if (name === "." || name === ".." || NAME_BAD_REGEXP.test(name) || name.includes("\0")) {
    throw new NetlinkInputError(
      op,
      name,
      "invalid interface name: '/', ':', whitespace, '.' and '..' are not allowed",
    );
  }
  return name;
}

/**
 * Describes a link reference for messages: the name, or `index N`.
 *
 * @param ref The reference.
 * @returns Text for error messages.
 */
export function linkRefText(ref: LinkRef): string {
  return "name" in ref ? ref.name : `index ${ref.index}`;
}

function parseBridgeData(data: readonly RawAttr[]): BridgeInfo {
  const out: BridgeInfo = {};
  const vf = findAttr(data, IFLA_BR_VLAN_FILTERING);
  if (vf) out.vlanFiltering = readU8(vf) !== 0;
  const pvid = findAttr(data, IFLA_BR_VLAN_DEFAULT_PVID);
  if (pvid) out.defaultPvid = readU16(pvid);
  return out;
}

/**
 * Reads bridge-port flags from `IFLA_BRPORT_*` attributes.
 *
 * @param attrs The children of `IFLA_INFO_SLAVE_DATA` or `IFLA_PROTINFO`.
 * @returns The flags present.
 */
export function parseBrportFlags(attrs: readonly RawAttr[]): BrportFlags {
  const out: BrportFlags = {};
  const mode = findAttr(attrs, IFLA_BRPORT_MODE);
  if (mode) out.hairpin = readU8(mode) !== 0;
  const iso = findAttr(attrs, IFLA_BRPORT_ISOLATED);
  if (iso) out.isolated = readU8(iso) !== 0;
  const learn = findAttr(attrs, IFLA_BRPORT_LEARNING);
  if (learn) out.learning = readU8(learn) !== 0;
  return out;
}

/**
 * Decodes an `RTM_NEWLINK` message payload into a {@linkcode Link}.
 *
 * @param payload The message payload (ifinfomsg + attributes).
 * @returns The link.
 * @throws {NetlinkDecodeError} When the payload is malformed.
 */
export function parseLinkMessage(payload: Uint8Array): Link {
  const [ifi, off] = decodeIfinfomsg(payload, 0);
  const [attrs] = decodeAttrs(payload, off);
  const name = findAttr(attrs, IFLA_IFNAME);
  const mtu = findAttr(attrs, IFLA_MTU);
  const mac = findAttr(attrs, IFLA_ADDRESS);
  const link: Link = {
    index: ifi.index,
    name: name ? readString(name) : "",
    mtu: mtu ? readU32(mtu) : 0,
    mac: mac ? formatMac(mac) : "",
    flags: ifi.flags,
    up: (ifi.flags & IFF_UP) !== 0,
    promisc: (ifi.flags & IFF_PROMISC) !== 0,
    allmulti: (ifi.flags & IFF_ALLMULTI) !== 0,
  };
  const txqlen = findAttr(attrs, IFLA_TXQLEN);
  if (txqlen) link.txQLen = readU32(txqlen);
  const minMtu = findAttr(attrs, IFLA_MIN_MTU);
  if (minMtu) link.minMtu = readU32(minMtu);
  const maxMtu = findAttr(attrs, IFLA_MAX_MTU);
  if (maxMtu) link.maxMtu = readU32(maxMtu);
  const master = findAttr(attrs, IFLA_MASTER);
  if (master) link.masterIndex = readU32(master);
  const parent = findAttr(attrs, IFLA_LINK);
  if (parent) link.parentIndex = readU32(parent);
  const nsid = findAttr(attrs, IFLA_LINK_NETNSID);
  if (nsid) link.netnsId = readS32(nsid);
  const alias = findAttr(attrs, IFLA_IFALIAS);
  if (alias && readString(alias) !== "") link.alias = readString(alias);
  const oper = findAttr(attrs, IFLA_OPERSTATE);
  if (oper) {
    const n = readU8(oper);
    link.operState = IF_OPER_NAMES[n] ?? `UNKNOWN(${n})`;
  }
  const info = findAttr(attrs, IFLA_LINKINFO);
  if (info) {
    const infoAttrs = decodeNested(info);
    const kind = findAttr(infoAttrs, IFLA_INFO_KIND);
    if (kind) link.kind = readString(kind);
    const data = findAttr(infoAttrs, IFLA_INFO_DATA);
    if (data && link.kind === "bridge") link.bridge = parseBridgeData(decodeNested(data));
    else if (data && link.kind === "vrf") {
      const table = parseVrfTable(data);
      if (table !== undefined) link.vrfTable = table;
    } else if (data && link.kind) {
      Object.assign(link, parseLinkKindData(link.kind, decodeNested(data)));
    }
    const slaveKind = findAttr(infoAttrs, IFLA_INFO_SLAVE_KIND);
    const slaveData = findAttr(infoAttrs, IFLA_INFO_SLAVE_DATA);
    if (slaveKind && readString(slaveKind) === "bridge" && slaveData) {
      link.brport = parseBrportFlags(decodeNested(slaveData));
    }
  }
  const protinfo = findAttr(attrs, IFLA_PROTINFO);
  if (protinfo && ifi.family === AF_BRIDGE && !link.brport) {
    link.brport = parseBrportFlags(decodeNested(protinfo));
  }
  return link;
}

/**
 * Encodes one `struct bridge_vlan_info { u16 flags; u16 vid; }`.
 *
 * @param flags `BRIDGE_VLAN_INFO_*`.
 * @param vid VLAN id.
 * @returns 4 bytes.
 */
export function encodeBridgeVlanInfo(flags: number, vid: number): Uint8Array {
  const b = new Uint8Array(BRIDGE_VLAN_INFO_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, flags, true);
  v.setUint16(2, vid, true);
  return b;
}

/**
 * Reads the bridge VLAN entries of an `AF_BRIDGE` `RTM_NEWLINK` reply (dumped with
 * `RTEXT_FILTER_BRVLAN`), expanding ranges.
 *
 * @param payload The message payload.
 * @returns The link index and its VLANs.
 * @throws {NetlinkDecodeError} When the payload is malformed.
 */
export function parseBridgeVlans(payload: Uint8Array): { index: number; vlans: BridgeVlan[] } {
  const [ifi, off] = decodeIfinfomsg(payload, 0);
  const [attrs] = decodeAttrs(payload, off);
  const vlans: BridgeVlan[] = [];
  const spec = findAttr(attrs, IFLA_AF_SPEC);
  if (!spec) return { index: ifi.index, vlans };
  let rangeStart: number | undefined;
  for (const a of decodeNested(spec)) {
    if (a.type !== IFLA_BRIDGE_VLAN_INFO) continue;
    if (a.value.byteLength < BRIDGE_VLAN_INFO_SIZE) {
      throw new NetlinkDecodeError("bridge_vlan_info", 0, `${a.value.byteLength} bytes`);
    }
    const v = new DataView(a.value.buffer, a.value.byteOffset, a.value.byteLength);
    const flags = v.getUint16(0, true);
    const vid = v.getUint16(2, true);
    const entry = {
      pvid: (flags & BRIDGE_VLAN_INFO_PVID) !== 0,
      untagged: (flags & BRIDGE_VLAN_INFO_UNTAGGED) !== 0,
    };
    if (flags & BRIDGE_VLAN_INFO_RANGE_BEGIN) {
      rangeStart = vid;
      continue;
    }
    const first = (flags & BRIDGE_VLAN_INFO_RANGE_END) && rangeStart !== undefined
      ? rangeStart
      : vid;
    for (let id = first; id <= vid; id++) vlans.push({ vid: id, ...entry });
    rangeStart = undefined;
  }
  return { index: ifi.index, vlans };
}
