/**
 * Anonymous network namespaces: a fresh one held only by an open descriptor, gone as soon as
 * the descriptor is closed and nothing else uses it (Go's `ns.TempNetNS`). Useful as a staging
 * area: a device can be renamed there without racing udev or colliding with a name in the host
 * or the container.
 *
 * When such a namespace dies, its virtual devices are destroyed and physical ones return to
 * the initial namespace: move devices out before closing it.
 *
 * @module
 */
import { CLONE_NEWNET, close, O_RDONLY, open, unshare } from "../ffi/mod.ts";
import { NetnsHandle, returnToNetns, THREAD_NETNS_PATH } from "./netns.ts";

/**
 * Creates a network namespace that lives while the returned handle is open. The calling thread
 * unshares into it, opens it and returns to its own namespace (the process stops if it cannot).
 *
 * @example A staging namespace
 * ```ts ignore
 * using temp = tempNetns();
 * using sock = openNetlink({ netns: temp });
 * ```
 *
 * @returns An open handle of the new namespace.
 * @throws {ErrnoError} When `unshare` or `open` fails (e.g. `EPERM` without `CAP_SYS_ADMIN`).
 */
export function tempNetns(): NetnsHandle {
  const original = open(THREAD_NETNS_PATH, O_RDONLY);
  try {
    unshare(CLONE_NEWNET);
    try {
      return new NetnsHandle(open(THREAD_NETNS_PATH, O_RDONLY), "(temporary network namespace)");
    } finally {
      returnToNetns(original);
    }
  } finally {
    close(original);
  }
}
