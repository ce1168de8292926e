/**
 * The bridge itself (`ensureBridge` of the reference): found or created in the host
 * namespace, promiscuous when asked, `accept_ra=0`, up.
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import {
  type Link,
  linkAddBridge,
  linkFind,
  linkGet,
  linkSetPromisc,
  linkSetUp,
  NetlinkError,
  type NetlinkSocket,
} from "../../netlink/mod.ts";
import { trySysctlSet } from "./sysctls.ts";

/**
 * Makes sure the bridge exists and is up (`ensureBridge`): created with the MTU and
 * vlan_filtering when new, EEXIST tolerated (a concurrent ADD made it), promiscuous mode
 * turned on when asked, `accept_ra=0`, up.
 *
 * @param host Host-namespace socket.
 * @param opts Name, MTU, promiscuous mode, vlan_filtering for a new bridge.
 * @returns The bridge link as read after the changes.
 * @throws {CniError} Code 999 `failed to create bridge "<name>": ...`.
 */
export function ensureBridge(
  host: NetlinkSocket,
  opts: { name: string; mtu: number; promisc: boolean; vlanFiltering: boolean },
): Link {
  const wrap = (msg: string, cause?: unknown) =>
    new CniError(ErrorCode.Internal, `failed to create bridge "${opts.name}": ${msg}`, { cause });
  let existing = linkFind(host, { name: opts.name });
  if (!existing) {
    try {
      linkAddBridge(host, {
        name: opts.name,
        ...(opts.mtu > 0 && { mtu: opts.mtu }),
        ...(opts.vlanFiltering && { vlanFiltering: true }),
      });
    } catch (err) {
      if (!(err instanceof NetlinkError && err.code === "EEXIST")) {
        throw wrap(`could not add "${opts.name}": ${errorText(err)}`, err);
      }
    }
    existing = linkFind(host, { name: opts.name });
    if (!existing) throw wrap(`could not lookup "${opts.name}": link not found`);
  }
  if (existing.kind !== "bridge") throw wrap(`"${opts.name}" already exists but is not a bridge`);
  try {
    if (opts.promisc && !existing.promisc) linkSetPromisc(host, { index: existing.index }, true);
  } catch (err) {
    throw wrap(`could not set promiscuous mode on "${opts.name}": ${errorText(err)}`, err);
  }
  // A write costs less than a read here, and rewriting the same value changes nothing.
  trySysctlSet(`net/ipv6/conf/${opts.name}/accept_ra`, "0");
  const changed = (opts.promisc && !existing.promisc) || !existing.up;
  try {
    if (!existing.up) linkSetUp(host, { index: existing.index });
  } catch (err) {
    throw wrap(errorText(err), err);
  }
  return changed ? linkGet(host, { index: existing.index }) : existing;
}
