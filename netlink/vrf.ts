/**
 * VRF (virtual routing and forwarding) devices: the `IFLA_LINKINFO` of a VRF link request and
 * the table read back from a link dump. Pure.
 *
 * A VRF is a link of kind `vrf` bound to one routing table; links enslaved to it route through
 * that table. The kernel needs the `vrf` module (`CONFIG_NET_VRF`); without it a create is
 * refused with `EOPNOTSUPP` ("Unknown device type").
 *
 * @module
 */
import {
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  IFLA_VRF_TABLE,
} from "./constants.ts";
import {
  type Attr,
  cstringAttr,
  decodeNested,
  findAttr,
  nestedAttr,
  readU32,
  stringAttr,
  u32Attr,
} from "./codec.ts";
import { NetlinkInputError } from "./errors.ts";

/**
 * The attributes of a VRF create request, as `ip link add <name> type vrf table <table>` sends
 * them: the name, then `IFLA_LINKINFO { IFLA_INFO_KIND "vrf", IFLA_INFO_DATA {
 * IFLA_VRF_TABLE } }`.
 *
 * @example A VRF on table 10
 * ```ts
 * import { vrfLinkAttrs } from "./vrf.ts";
 * vrfLinkAttrs("blue", 10).length; // 2
 * ```
 *
 * @param name The VRF device name (checked by the caller: `checkLinkName`).
 * @param table Its routing table (1..2^32-1).
 * @returns The attributes.
 * @throws {NetlinkInputError} When the table is invalid.
 */
export function vrfLinkAttrs(name: string, table: number): Attr[] {
  const op = "link add";
  if (!Number.isInteger(table) || table < 1 || table > 0xffffffff) {
    throw new NetlinkInputError(op, name, `invalid VRF table ${table}: need an integer 1..2^32-1`);
  }
  return [
    cstringAttr(IFLA_IFNAME, name),
    nestedAttr(IFLA_LINKINFO, [
      // Not NUL-terminated, as `ip` and the Go netlink library send a kind.
      stringAttr(IFLA_INFO_KIND, "vrf"),
      nestedAttr(IFLA_INFO_DATA, [u32Attr(IFLA_VRF_TABLE, table)]),
    ]),
  ];
}

/**
 * The table of a VRF link from its `IFLA_INFO_DATA`.
 *
 * @param infoData The value of `IFLA_INFO_DATA` of a link of kind `vrf`.
 * @returns The table, or `undefined` when the kernel did not report one.
 */
export function parseVrfTable(infoData: Uint8Array): number | undefined {
  const table = findAttr(decodeNested(infoData), IFLA_VRF_TABLE);
  return table ? readU32(table) : undefined;
}
