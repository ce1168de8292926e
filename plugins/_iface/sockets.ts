/**
 * The namespaces and netlink sockets one call of an interface plugin (macvlan, ipvlan, vlan,
 * dummy) works with: the plugin's own ("host") namespace, where the master usually lives, and
 * the container's, each with one socket opened inside it once.
 *
 * @module
 */
import { CniError, ErrorCode, errorText, toCniError } from "../../cni/errors.ts";
import type { CmdArgs } from "../../cni/plugin.ts";
import { type NetlinkSocket, openNetlink } from "../../netlink/mod.ts";
import { isOwnNetns, type NetnsHandle, openNetns, THREAD_NETNS_PATH } from "../../netns/mod.ts";

/** The handles of one call; close them with {@linkcode closeSockets}. */
export interface IfaceSockets {
  /** The calling thread's namespace. */
  hostNs: NetnsHandle;
  /** The container's namespace (`CNI_NETNS`). */
  containerNs: NetnsHandle;
  /** A socket in the host namespace. */
  host: NetlinkSocket;
  /** A socket in the container namespace. */
  container: NetlinkSocket;
}

/**
 * Opens the container namespace, the thread's own, and a netlink socket in each.
 *
 * @param netnsPath `CNI_NETNS`.
 * @returns The handles.
 * @throws {CniError} Code 999 `failed to open netns "<path>": ...` (the reference's words).
 */
export function openSockets(netnsPath: string): IfaceSockets {
  let containerNs: NetnsHandle;
  try {
    containerNs = openNetns(netnsPath);
  } catch (err) {
    throw new CniError(
      ErrorCode.Internal,
      `failed to open netns "${netnsPath}": ${errorText(err)}`,
      { cause: err },
    );
  }
  const opened: { close(): void }[] = [containerNs];
  try {
    const hostNs = openNetns(THREAD_NETNS_PATH);
    opened.push(hostNs);
    const host = openNetlink();
    opened.push(host);
    const container = openNetlink({ netns: containerNs, returnTo: hostNs });
    return { hostNs, containerNs, host, container };
  } catch (err) {
    for (const h of opened.reverse()) h.close();
    throw toCniError(err, "failed to open netlink sockets");
  }
}

/**
 * Closes what {@linkcode openSockets} opened.
 *
 * @param s The handles.
 */
export function closeSockets(s: IfaceSockets): void {
  s.container.close();
  s.host.close();
  s.hostNs.close();
  s.containerNs.close();
}

/**
 * Refuses a `CNI_NETNS` that is the plugin's own namespace, before anything is done (the
 * reference checks only after acting, so a DEL there deletes a host interface named
 * `CNI_IFNAME`), unless `CNI_NETNS_OVERRIDE` is `1` or `true`.
 *
 * @param ns The opened `CNI_NETNS`.
 * @param args The call.
 * @throws {CniError} Code 8 `plugin's netns and netns from CNI_NETNS should not be the same`.
 */
export function refuseOwnNetns(ns: NetnsHandle, args: CmdArgs): void {
  const override = (args.netnsOverride ?? "").toLowerCase();
  if (override === "1" || override === "true") return;
  if (isOwnNetns(ns)) {
    // 8: the spec's "invalid netns" code (skel's own check uses it too).
    throw new CniError(8, "plugin's netns and netns from CNI_NETNS should not be the same");
  }
}
