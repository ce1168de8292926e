/**
 * The lock sbr holds while it changes a namespace's rules and routes: `flock(2)` on the
 * namespace file itself, as the reference's `filemutex.New(nspath)` takes it, so our sbr and
 * the reference binary serialise against each other. Tried with `LOCK_NB` and retried, so a
 * holder that never lets go makes the call fail (code 11) instead of hanging the caller.
 *
 * @module
 */
import { CniError, ErrorCode } from "../../cni/errors.ts";
import {
  close,
  EAGAIN,
  ErrnoError,
  flock,
  LOCK_EX,
  LOCK_NB,
  O_NOCTTY,
  O_NONBLOCK,
  O_RDONLY,
  open,
} from "../../ffi/mod.ts";

/** How long to wait for the lock. */
export const LOCK_WAIT_MS = 60_000;

/** A held lock; `using` releases it. */
export interface NetnsLock extends Disposable {
  /** Releases the lock (idempotent). */
  release(): void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Takes the exclusive lock on a namespace file.
 *
 * @param path The namespace path (`CNI_NETNS`).
 * @param waitMs How long to wait for another holder.
 * @returns The held lock.
 * @throws {ErrnoError} When the path cannot be opened (`ENOENT` when the namespace is gone).
 * @throws {CniError} Code 11 when the lock stays taken for `waitMs`.
 */
export async function lockNetns(path: string, waitMs = LOCK_WAIT_MS): Promise<NetnsLock> {
  const fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  const deadline = Date.now() + waitMs;
  try {
    for (let delay = 2;; delay = Math.min(delay * 2, 50)) {
      try {
        flock(fd, LOCK_EX | LOCK_NB);
        break;
      } catch (err) {
        if (!(err instanceof ErrnoError) || err.errno !== EAGAIN) throw err;
        if (Date.now() >= deadline) {
          throw new CniError(
            ErrorCode.TryAgainLater,
            `network namespace "${path}" is locked by another sbr call`,
          );
        }
        await sleep(delay);
      }
    }
  } catch (err) {
    close(fd);
    throw err;
  }
  let open_ = true;
  const release = () => {
    if (open_) {
      open_ = false;
      close(fd); // closing the last descriptor releases the flock
    }
  };
  return { release, [Symbol.dispose]: release };
}
