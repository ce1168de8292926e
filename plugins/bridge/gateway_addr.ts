/**
 * The gateway address on the bridge (or on its `<bridge>.<vlan>` interface): `ensureAddr` of
 * the reference, with the conflict explained and the bridge's MAC pinned.
 *
 * @module
 */
import { CniError, ErrorCode, toCniError } from "../../cni/errors.ts";
import {
  addrAdd,
  addrDel,
  addrList,
  type Link,
  linkGet,
  linkSetMac,
  NetlinkError,
  type NetlinkSocket,
} from "../../netlink/mod.ts";
import { cidrContains, parseCidr } from "../../ip/mod.ts";
import { addrSpec } from "../_iface/configure.ts";

/**
 * Puts a gateway address on the bridge or VLAN interface (`ensureAddr`): nothing when it is
 * already there; a conflicting address (any other IPv4 one, an overlapping IPv6 one) is
 * removed with `forceAddress` or is an error saying what to do; EEXIST is tolerated; when an
 * address was added the link's MAC is pinned to its current value.
 *
 * @param host Host-namespace socket.
 * @param link The bridge (or `<bridge>.<vlan>`), as read before ports changed its MAC.
 * @param gateway `gw/prefix`.
 * @param forceAddress Replace conflicting addresses.
 * @returns When done.
 * @throws {CniError} Code 999.
 */
export function ensureAddr(
  host: NetlinkSocket,
  link: Link,
  gateway: string,
  forceAddress: boolean,
): void {
  const gw = parseCidr(gateway)!;
  const ref = { index: link.index };
  const addrs = addrList(host, { link: ref, family: gw.ip.family });
  for (const a of addrs) {
    if (a.address === gateway) return;
    const other = parseCidr(a.address);
    if (!other) continue;
    if (gw.ip.family === 4 || cidrContains(other, gw.ip) || cidrContains(gw, other.ip)) {
      if (forceAddress) {
        try {
          addrDel(host, ref, { address: a.address });
        } catch (err) {
          throw toCniError(err, `could not remove IP address from "${link.name}"`);
        }
      } else {
        throw conflictError(link.name, gateway, a.address);
      }
    }
  }
  try {
    addrAdd(host, ref, addrSpec(gateway));
  } catch (err) {
    if (!(err instanceof NetlinkError && err.code === "EEXIST")) {
      throw toCniError(err, `could not add IP address ${gateway} to "${link.name}"`);
    }
  }
  try {
    // A bridge whose last port went away reads 00:00:00:00:00:00 until a port joins; pin the
    // MAC it has now instead (the reference fails here with EADDRNOTAVAIL).
    const mac = validMac(link.mac) ? link.mac : linkGet(host, ref).mac;
    if (validMac(mac)) linkSetMac(host, ref, mac);
  } catch (err) {
    throw toCniError(err, "could not set bridge's mac");
  }
}

function validMac(mac: string): boolean {
  return mac !== "" && mac !== "00:00:00:00:00:00" && (parseInt(mac.slice(0, 2), 16) & 1) === 0;
}

function conflictError(name: string, gateway: string, existing: string): CniError {
  return new CniError(
    ErrorCode.Internal,
    `"${name}" already has an IP address different from ${gateway}`,
    {
      details: `"${name}" has ${existing}; set "forceAddress": true to replace it, ` +
        `or change the network's subnet or bridge name to match`,
    },
  );
}
