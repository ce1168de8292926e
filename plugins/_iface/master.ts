/**
 * The master (lower) device of macvlan, ipvlan and vlan: found by name in the host namespace
 * or, with `linkInContainer`, in the container's; by default the device of the first default
 * route of the main table (any family), as the reference's `getDefaultRouteInterfaceName`.
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import { type Link, linkFind, linkGet, type NetlinkSocket, routeList } from "../../netlink/mod.ts";

/**
 * The name of the device the first default route (`0.0.0.0/0` or `::/0`, main table, IPv4
 * listed first) goes out of.
 *
 * @param sock A socket in the namespace to look in.
 * @returns The device name.
 * @throws {CniError} Code 999 `no default route interface found`.
 */
export function defaultRouteInterface(sock: NetlinkSocket): string {
  for (const r of routeList(sock, {})) {
    if ((r.dst === "0.0.0.0/0" || r.dst === "::/0") && r.linkIndex) {
      try {
        return linkGet(sock, { index: r.linkIndex }).name;
      } catch (err) {
        throw new CniError(ErrorCode.Internal, errorText(err), { cause: err });
      }
    }
  }
  throw new CniError(ErrorCode.Internal, "no default route interface found");
}

/**
 * Looks the master up by name.
 *
 * @param sock A socket in the master's namespace.
 * @param name The master's name.
 * @returns The link.
 * @throws {CniError} Code 999 `failed to lookup master "<name>": Link not found` (the reference's
 *   words when it creates the link; its config step says only `Link not found`).
 */
export function findMaster(sock: NetlinkSocket, name: string): Link {
  let link: Link | undefined;
  try {
    link = name === "" ? undefined : linkFind(sock, { name });
  } catch (err) {
    throw new CniError(
      ErrorCode.Internal,
      `failed to lookup master "${name}": ${errorText(err)}`,
      { cause: err },
    );
  }
  if (!link) {
    throw new CniError(ErrorCode.Internal, `failed to lookup master "${name}": Link not found`);
  }
  return link;
}

/**
 * Checks a configured MTU against the master's (`0` leaves the kernel's choice).
 *
 * @param mtu The configured MTU.
 * @param master The master.
 * @throws {CniError} Code 999 `invalid MTU <mtu>, must be [0, master MTU(<m>)]`.
 */
export function checkMtuAgainstMaster(mtu: number, master: Link): void {
  if (mtu < 0 || mtu > master.mtu) {
    throw new CniError(
      ErrorCode.Internal,
      `invalid MTU ${mtu}, must be [0, master MTU(${master.mtu})]`,
    );
  }
}
