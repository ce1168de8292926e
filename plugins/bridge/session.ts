/**
 * The sockets and namespace handles of one bridge ADD: the container namespace opened first
 * (before anything is created), the calling thread's namespace to return to, and one netlink
 * socket per namespace, used for every step.
 *
 * @module
 */
import { asCniError, toCniError } from "../../cni/errors.ts";
import { type NetlinkSocket, openNetlink } from "../../netlink/mod.ts";
import { type NetnsHandle, openNetns, THREAD_NETNS_PATH } from "../../netns/mod.ts";

/** The sockets and handles of one call. */
export interface Session {
  /** The calling thread's namespace (the host). */
  hostNs: NetnsHandle;
  /** The container's namespace (`CNI_NETNS`). */
  containerNs: NetnsHandle;
  /** Netlink socket in the host namespace. */
  host: NetlinkSocket;
  /** Netlink socket in the container namespace. */
  container: NetlinkSocket;
}

/**
 * Opens the container namespace, then the host's handle and both sockets; what was opened is
 * closed again when a later step fails.
 *
 * @param netnsPath `CNI_NETNS`.
 * @returns The session; close it with {@linkcode closeSession}.
 * @throws {CniError} Code 999 `failed to open netns "<path>": ...` or
 *   `failed to open netlink sockets`.
 */
export function openSession(netnsPath: string): Session {
  let containerNs: NetnsHandle;
  try {
    containerNs = openNetns(netnsPath);
  } catch (err) {
    throw toCniError(err, `failed to open netns "${netnsPath}"`);
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
    throw asCniError(err, "failed to open netlink sockets");
  }
}

/**
 * Closes what {@linkcode openSession} opened.
 *
 * @param s The session.
 */
export function closeSession(s: Session): void {
  s.container.close();
  s.host.close();
  s.hostNs.close();
  s.containerNs.close();
}
