/**
 * The namespaces and netlink sockets one call of an interface plugin (macvlan, ipvlan, vlan,
 * dummy) works with: the plugin's own ("host") namespace, where the master usually lives, and
 * the container's, each with one socket opened inside it once.
 *
 * @module
 */
import { CniError, toCniError } from "../../cni/errors.ts";
import type { CmdArgs } from "../../cni/plugin.ts";
import { type NetlinkSocket, openNetlink } from "../../netlink/mod.ts";
import {
  isOwnNetns,
  type NetnsHandle,
  NetnsNotFoundError,
  NotNetnsError,
  openNetns,
  THREAD_NETNS_PATH,
} from "../../netns/mod.ts";

/** The handles of one call; `using` (or {@linkcode closeSockets}) closes them all. */
export interface IfaceSockets extends Disposable {
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
 * Opens the container namespace.
 *
 * @param netnsPath `CNI_NETNS`.
 * @returns Its handle.
 * @throws {CniError} Code 999 `failed to open netns "<path>": ...` (the reference's words).
 */
export function openContainerNs(netnsPath: string): NetnsHandle {
  try {
    return openNetns(netnsPath);
  } catch (err) {
    throw toCniError(err, `failed to open netns "${netnsPath}"`);
  }
}

/**
 * Opens a namespace that may be gone, for a best-effort DEL: a path that no longer exists or
 * is not a namespace has nothing of ours in it.
 *
 * @param path `CNI_NETNS`.
 * @param context Words put before the error of a namespace that is there but cannot be opened.
 * @returns The handle, or `undefined` when there is nothing to open.
 * @throws {CniError} Code 999 when the namespace exists but cannot be opened.
 */
export function openNetnsIfPresent(path: string, context?: string): NetnsHandle | undefined {
  try {
    return openNetns(path);
  } catch (err) {
    if (err instanceof NetnsNotFoundError) return undefined;
    if (err instanceof NotNetnsError && !err.message.includes("cannot open it")) return undefined;
    throw toCniError(err, context);
  }
}

/** A netlink socket in the container namespace, for DEL; `using` closes it and the namespace. */
export interface DelSocket extends Disposable {
  /** The socket, in `CNI_NETNS`. */
  sock: NetlinkSocket;
}

/**
 * Opens `CNI_NETNS` and a netlink socket in it for a best-effort DEL: nothing when
 * `CNI_NETNS` is empty or the namespace is gone (see {@linkcode openNetnsIfPresent}); the
 * plugin's own namespace is refused before anything is done.
 *
 * @param args The call.
 * @returns The socket, or `undefined` when there is nothing to open.
 * @throws {CniError} Code 8 for the plugin's own namespace; code 999 when the namespace
 *   exists but cannot be opened.
 */
export function openDelSocket(args: CmdArgs): DelSocket | undefined {
  if (args.netns === "") return undefined;
  const ns = openNetnsIfPresent(args.netns);
  if (!ns) return undefined;
  try {
    refuseOwnNetns(ns, args);
    const sock = openNetlink({ netns: ns });
    return {
      sock,
      [Symbol.dispose]() {
        sock.close();
        ns.close();
      },
    };
  } catch (err) {
    ns.close();
    throw err;
  }
}

/**
 * Opens the container namespace, the thread's own, and a netlink socket in each.
 *
 * @param netnsPath `CNI_NETNS`.
 * @returns The handles.
 * @throws {CniError} Code 999 `failed to open netns "<path>": ...` (the reference's words).
 */
export function openSockets(netnsPath: string): IfaceSockets {
  return openSocketsIn(openContainerNs(netnsPath));
}

/**
 * Opens the thread's namespace and a netlink socket in it and in `containerNs`, which the
 * returned handles then own (closed with them, or at once when this fails).
 *
 * @param containerNs The container namespace.
 * @returns The handles.
 * @throws {CniError} Code 999 `failed to open netlink sockets: ...`.
 */
export function openSocketsIn(containerNs: NetnsHandle): IfaceSockets {
  const opened: { close(): void }[] = [containerNs];
  const close = () => {
    for (const h of opened.splice(0).reverse()) h.close();
  };
  try {
    const hostNs = openNetns(THREAD_NETNS_PATH);
    opened.push(hostNs);
    const host = openNetlink();
    opened.push(host);
    const container = openNetlink({ netns: containerNs, returnTo: hostNs });
    opened.push(container);
    return { hostNs, containerNs, host, container, [Symbol.dispose]: close };
  } catch (err) {
    close();
    throw toCniError(err, "failed to open netlink sockets");
  }
}

/**
 * Closes what {@linkcode openSockets} opened.
 *
 * @param s The handles.
 */
export function closeSockets(s: IfaceSockets): void {
  s[Symbol.dispose]();
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
