/**
 * The background side of the socket (`socket.ts`): the requests sent from worker threads whose
 * kernel work outlives their caller ({@linkcode pendingKernelWork} waits for them), and the
 * race of a request against probes that tells when its effect is visible
 * ({@linkcode untilGone}, behind `NetlinkSocket.requestUntilGone`).
 *
 * @module
 */
import { LinkNotFoundError } from "./errors.ts";
import { stats } from "./_socket_stats.ts";

/** Probes of {@linkcode untilGone} sent back to back before pacing them. */
const PROBES_AT_ONCE = 8;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Background completions still running (sends whose kernel work is not finished). */
const pending = new Set<Promise<unknown>>();

/**
 * Waits until every request handed to the kernel in the background has been answered: after
 * an in-process DEL the kernel goes on tearing the veth down (an RCU barrier and a wait for
 * the last references, 15-30 ms) after the link is gone from every listing. Await this before
 * the process exits on its own terms, or in a test before it ends. It never rejects: each
 * request's outcome went to its caller.
 *
 * @example Delete, then wait for the kernel to finish
 * ```ts ignore
 * await delNetworkList(list, rt, { invoker });   // returns once the veth is gone
 * await pendingKernelWork();                      // the kernel's teardown is complete
 * ```
 *
 * @returns When nothing is pending.
 */
export async function pendingKernelWork(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending]);
}

/**
 * Counts a background completion as pending, until {@linkcode settled} is called for it.
 *
 * @param done The completion (its outcome goes to its caller).
 */
export function track(done: Promise<unknown>): void {
  pending.add(done);
  done.catch(() => {}); // delivered to the caller; pendingKernelWork only waits
}

/**
 * Stops counting a background completion as pending (as it settles).
 *
 * @param done The completion.
 */
export function settled(done: Promise<unknown>): void {
  pending.delete(done);
}

/**
 * Resolves once `request` is acknowledged or a `probe` fails with `ENODEV`
 * ({@linkcode LinkNotFoundError}), whichever is first; an `ENODEV` answer to the request also
 * counts as gone. Probes are sent one at a time, the first {@linkcode PROBES_AT_ONCE} back to
 * back, then paced by a timer.
 *
 * @param request The request's completion (already sent).
 * @param probe Sends one probe; its completion.
 * @param released Whether the socket was released meanwhile (every reply read: the ACK came).
 * @returns When the object is gone or the kernel acknowledged.
 * @throws {NetlinkError} When the request fails otherwise before a probe sees the object
 *   gone, or a probe fails otherwise.
 */
export async function untilGone(
  request: Promise<unknown>,
  probe: () => Promise<unknown>,
  released: () => boolean,
): Promise<void> {
  const acked = request.then(() => true, (err) => {
    if (err instanceof LinkNotFoundError) return true; // already gone: what was asked for
    throw err;
  });
  for (let probes = 1;; probes++) {
    // A probe waits on the rtnl lock while the kernel unlists; one that does not (the request
    // not started yet) is repeated at once, and after a few, at a timer's pace.
    if (probes > PROBES_AT_ONCE) await delay(1);
    if (released()) { // closed meanwhile and every reply read: the ACK has come
      await acked;
      return;
    }
    stats.probes++;
    const probed = probe().then(() => false, (err) => {
      if (err instanceof LinkNotFoundError) return true;
      throw err;
    });
    probed.catch(() => {}); // a failed probe after the ACK is of no interest
    if (await Promise.race([acked, probed])) return;
  }
}
