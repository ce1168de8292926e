/**
 * VRF device operations shaped like `ip link ... type vrf`.
 *
 * @module
 */
import { AF_UNSPEC, IFF_UP, NLM_F_CREATE, NLM_F_EXCL, RTM_NEWLINK } from "../constants.ts";
import { checkLinkName, encodeIfinfomsg } from "../link.ts";
import { vrfLinkAttrs } from "../vrf.ts";
import type { NetlinkSocket } from "../socket.ts";

/**
 * Creates a VRF device bound to a routing table, optionally up.
 *
 * Equivalent to: `ip link add <name> [up] type vrf table <table>`
 *
 * @example A VRF for table 10
 * ```ts ignore
 * using sock = openNetlink({ netns: "/run/netns/blue" });
 * linkAddVrf(sock, { name: "vrf-blue", table: 10 });
 * ```
 *
 * @param sock An open socket.
 * @param options Name, table and whether to set it up.
 * @throws {NetlinkError} `EOPNOTSUPP` when the kernel has no vrf support (module `vrf`),
 *   `EEXIST` when the name is taken.
 * @throws {NetlinkInputError} When the name or table is invalid.
 */
export function linkAddVrf(
  sock: NetlinkSocket,
  options: { name: string; table: number; up?: boolean },
): void {
  checkLinkName(options.name, "link add");
  sock.request({
    type: RTM_NEWLINK,
    flags: NLM_F_CREATE | NLM_F_EXCL,
    body: encodeIfinfomsg(
      options.up ? { family: AF_UNSPEC, flags: IFF_UP, change: IFF_UP } : { family: AF_UNSPEC },
    ),
    attrs: vrfLinkAttrs(options.name, options.table),
  }, { op: "link add", target: options.name });
}
