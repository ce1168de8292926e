/**
 * The `IFLA_LINKINFO` of the link kinds that sit on a lower device or stand alone — `macvlan`,
 * `ipvlan`, `vlan` and `dummy` — encoded for `RTM_NEWLINK` and read back from link replies.
 * The attribute order inside `IFLA_INFO_DATA` is the one `ip link add ... type <kind>`
 * (iproute2) sends, so a request compares byte for byte with iproute2's. Pure.
 *
 * @module
 */
import {
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_IPVLAN_FLAGS,
  IFLA_IPVLAN_MODE,
  IFLA_LINKINFO,
  IFLA_MACVLAN_BC_QUEUE_LEN,
  IFLA_MACVLAN_BC_QUEUE_LEN_USED,
  IFLA_MACVLAN_MODE,
  IFLA_VLAN_ID,
  IFLA_VLAN_PROTOCOL,
  IPVLAN_MODE_L2,
  IPVLAN_MODE_L3,
  IPVLAN_MODE_L3S,
  MACVLAN_MODE_BRIDGE,
  MACVLAN_MODE_PASSTHRU,
  MACVLAN_MODE_PRIVATE,
  MACVLAN_MODE_SOURCE,
  MACVLAN_MODE_VEPA,
} from "./constants.ts";
import {
  type Attr,
  findAttr,
  nestedAttr,
  type RawAttr,
  readBe16,
  readU16,
  readU32,
  stringAttr,
  u16Attr,
  u32Attr,
} from "./codec.ts";
import { NetlinkInputError } from "./errors.ts";

/** A macvlan mode by its `ip link` name. */
export type MacvlanMode = "private" | "vepa" | "bridge" | "passthru" | "source";
/** An ipvlan mode by its `ip link` name. */
export type IpvlanMode = "l2" | "l3" | "l3s";

/** `MACVLAN_MODE_*` by name. */
export const MACVLAN_MODES: Readonly<Record<MacvlanMode, number>> = {
  private: MACVLAN_MODE_PRIVATE,
  vepa: MACVLAN_MODE_VEPA,
  bridge: MACVLAN_MODE_BRIDGE,
  passthru: MACVLAN_MODE_PASSTHRU,
  source: MACVLAN_MODE_SOURCE,
};

/** `IPVLAN_MODE_*` by name. */
export const IPVLAN_MODES: Readonly<Record<IpvlanMode, number>> = {
  l2: IPVLAN_MODE_L2,
  l3: IPVLAN_MODE_L3,
  l3s: IPVLAN_MODE_L3S,
};

/** What to put in `IFLA_LINKINFO` for a new link of one of these kinds. */
export type LinkKindSpec =
  | { kind: "macvlan"; mode: MacvlanMode; bcQueueLen?: number }
  | { kind: "ipvlan"; mode: IpvlanMode; flags?: number }
  | { kind: "vlan"; id: number }
  | { kind: "dummy" };

/** macvlan settings read from a link reply. */
export interface MacvlanInfo {
  /** The mode name (`"bridge"`, ...), or `"unknown(N)"`. */
  mode: string;
  /** `IFLA_MACVLAN_BC_QUEUE_LEN`, when reported. */
  bcQueueLen?: number;
  /** `IFLA_MACVLAN_BC_QUEUE_LEN_USED`, when reported. */
  bcQueueLenUsed?: number;
}

/** ipvlan settings read from a link reply. */
export interface IpvlanInfo {
  /** The mode name (`"l2"`, ...), or `"unknown(N)"`. */
  mode: string;
  /** `IFLA_IPVLAN_FLAGS`, when reported. */
  flags?: number;
}

/** vlan settings read from a link reply. */
export interface VlanInfo {
  /** The VLAN id. */
  id: number;
  /** `IFLA_VLAN_PROTOCOL` (`0x8100` for 802.1Q), when reported. */
  protocol?: number;
}

function nameOf(table: Readonly<Record<string, number>>, value: number): string {
  for (const [name, v] of Object.entries(table)) if (v === value) return name;
  return `unknown(${value})`;
}

function checkRange(op: string, what: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new NetlinkInputError(op, String(value), `invalid ${what}: need an integer 0..${max}`);
  }
  return value;
}

/**
 * Encodes the `IFLA_LINKINFO` nest of a new link: `IFLA_INFO_KIND` and, except for `dummy`,
 * `IFLA_INFO_DATA` with the kind's settings in iproute2's order (macvlan: the broadcast queue
 * length before the mode; ipvlan: the mode, then the flags, always both; vlan: the id).
 *
 * @example A vlan with id 100
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeLinkInfo } from "./link_kinds.ts";
 * import { encodeAttrs } from "./codec.ts";
 * const bytes = encodeAttrs([encodeLinkInfo({ kind: "vlan", id: 100 })]);
 * assert.equal(bytes.length, 24);
 * ```
 *
 * @param spec The kind and its settings.
 * @param op The operation, for errors (default `"link add"`).
 * @returns The `IFLA_LINKINFO` attribute.
 * @throws {NetlinkInputError} For an unknown mode or an out-of-range id, length or flags.
 */
export function encodeLinkInfo(spec: LinkKindSpec, op = "link add"): Attr {
  // Without a terminator, as iproute2 and the Go netlink library send it.
  const kind = stringAttr(IFLA_INFO_KIND, spec.kind);
  switch (spec.kind) {
    case "macvlan": {
      const mode = MACVLAN_MODES[spec.mode];
      if (mode === undefined) {
        throw new NetlinkInputError(op, String(spec.mode), "unknown macvlan mode");
      }
      const data: Attr[] = [];
      if (spec.bcQueueLen !== undefined) {
        data.push(
          u32Attr(
            IFLA_MACVLAN_BC_QUEUE_LEN,
            checkRange(op, "bcqueuelen", spec.bcQueueLen, 0xffffffff),
          ),
        );
      }
      data.push(u32Attr(IFLA_MACVLAN_MODE, mode));
      return nestedAttr(IFLA_LINKINFO, [kind, nestedAttr(IFLA_INFO_DATA, data)]);
    }
    case "ipvlan": {
      const mode = IPVLAN_MODES[spec.mode];
      if (mode === undefined) {
        throw new NetlinkInputError(op, String(spec.mode), "unknown ipvlan mode");
      }
      return nestedAttr(IFLA_LINKINFO, [
        kind,
        nestedAttr(IFLA_INFO_DATA, [
          u16Attr(IFLA_IPVLAN_MODE, mode),
          u16Attr(IFLA_IPVLAN_FLAGS, checkRange(op, "ipvlan flags", spec.flags ?? 0, 0xffff)),
        ]),
      ]);
    }
    case "vlan":
      return nestedAttr(IFLA_LINKINFO, [
        kind,
        nestedAttr(IFLA_INFO_DATA, [
          u16Attr(IFLA_VLAN_ID, checkRange(op, "VLAN id", spec.id, 4094)),
        ]),
      ]);
    case "dummy":
      return nestedAttr(IFLA_LINKINFO, [kind]);
  }
}

/** Kind-specific settings of a link, from its `IFLA_INFO_DATA`. */
export interface LinkKindInfo {
  /** For `macvlan` (and `macvtap`, which shares the attributes). */
  macvlan?: MacvlanInfo;
  /** For `ipvlan` (and `ipvtap`). */
  ipvlan?: IpvlanInfo;
  /** For `vlan`. */
  vlan?: VlanInfo;
}

/**
 * Reads the settings of a macvlan, ipvlan or vlan link from the children of its
 * `IFLA_INFO_DATA`; other kinds give an empty object.
 *
 * @example A macvlan in bridge mode
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLinkKindData } from "./link_kinds.ts";
 * const mode = new Uint8Array([4, 0, 0, 0]);
 * assert.deepEqual(parseLinkKindData("macvlan", [{ type: 1, nested: false, value: mode }]), {
 *   macvlan: { mode: "bridge" },
 * });
 * ```
 *
 * @param kind `IFLA_INFO_KIND`.
 * @param data The decoded `IFLA_INFO_DATA` children.
 * @returns The settings found.
 * @throws {NetlinkDecodeError} When an attribute is shorter than its type.
 */
export function parseLinkKindData(kind: string, data: readonly RawAttr[]): LinkKindInfo {
  switch (kind) {
    case "macvlan":
    case "macvtap": {
      const mode = findAttr(data, IFLA_MACVLAN_MODE);
      const info: MacvlanInfo = { mode: mode ? nameOf(MACVLAN_MODES, readU32(mode)) : "vepa" };
      const bc = findAttr(data, IFLA_MACVLAN_BC_QUEUE_LEN);
      if (bc) info.bcQueueLen = readU32(bc);
      const used = findAttr(data, IFLA_MACVLAN_BC_QUEUE_LEN_USED);
      if (used) info.bcQueueLenUsed = readU32(used);
      return { macvlan: info };
    }
    case "ipvlan":
    case "ipvtap": {
      const mode = findAttr(data, IFLA_IPVLAN_MODE);
      const info: IpvlanInfo = { mode: mode ? nameOf(IPVLAN_MODES, readU16(mode)) : "l3" };
      const flags = findAttr(data, IFLA_IPVLAN_FLAGS);
      if (flags) info.flags = readU16(flags);
      return { ipvlan: info };
    }
    case "vlan": {
      const id = findAttr(data, IFLA_VLAN_ID);
      const info: VlanInfo = { id: id ? readU16(id) : 0 };
      const proto = findAttr(data, IFLA_VLAN_PROTOCOL);
      if (proto) info.protocol = readBe16(proto);
      return { vlan: info };
    }
    default:
      return {};
  }
}
