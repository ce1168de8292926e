/**
 * The network lock: `flock(2)` on `<dataDir>/<network>/lock`, the lock the reference binary
 * takes (go-filemutex), so our processes, in-process callers and the reference exclude each
 * other.
 *
 * The reference blocks in `flock(LOCK_EX)` for as long as the holder likes. A blocking call
 * here would freeze the whole embedding program (every network, every timer) and a lock never
 * released would hang it for good, so the lock is tried with `LOCK_NB` and retried from
 * timers (1 ms, doubling to 20 ms) until a bounded wait runs out, which is CNI code 11 ("try
 * again later").
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import {
  close,
  ErrnoError,
  flock,
  LOCK_EX,
  LOCK_NB,
  LOCK_UN,
  O_CREAT,
  O_NOCTTY,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_RDONLY,
  open,
  OwnedFd,
} from "../../ffi/mod.ts";
import { fstatKind, S_IFMT, S_IFREG } from "../../ffi/stat.ts";

/** How long a command waits for its network's lock by default (ms). */
export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

/** The longest pause between two tries (ms). */
const MAX_POLL_MS = 20;

/** Options for waiting on a lock. */
export interface LockWaitOptions {
  /** Give up after this many milliseconds (default {@linkcode DEFAULT_LOCK_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** The network whose lock this is, for the error message. */
  network?: string;
}

function isWouldBlock(err: unknown): boolean {
  return err instanceof ErrnoError && (err.code === "EAGAIN" || err.code === "EWOULDBLOCK");
}

function seconds(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The lock file: an `flock`ed descriptor on `<dir>/lock`, opened (created 0750 as the
 * reference does) without following a symlink and refused unless it is a regular file.
 */
export class LockFile extends OwnedFd {
  #path: string;

  /**
   * Opens (creating) the lock file.
   *
   * @param path The lock file path.
   * @throws {CniError} Code 5 when it cannot be opened or created, is a symlink or is not a
   * regular file.
   */
  constructor(path: string) {
    super(openLockFile(path));
    this.#path = path;
  }

  /** The lock file's path. */
  get path(): string {
    return this.#path;
  }

  /**
   * Takes the exclusive lock if it is free, without waiting.
   *
   * @returns `true` when the lock is now held.
   * @throws {CniError} Code 999 when the descriptor is closed or `flock` fails otherwise.
   */
  tryLock(): boolean {
    if (this.fd < 0) throw new CniError(ErrorCode.Internal, `lock file "${this.#path}" is closed`);
    try {
      flock(this.fd, LOCK_EX | LOCK_NB);
      return true;
    } catch (err) {
      if (isWouldBlock(err)) return false;
      throw new CniError(ErrorCode.Internal, `failed to lock "${this.#path}"`, {
        details: errorText(err),
        cause: err,
      });
    }
  }

  /**
   * Takes the exclusive lock, waiting (on timers, never blocking the event loop) while
   * another process holds it. The caller unlocks.
   *
   * @param options Wait limit and network name.
   * @throws {CniError} Code 11 when the wait runs out.
   */
  async lock(options: LockWaitOptions = {}): Promise<void> {
    await this.run(() => true, options, true);
  }

  /**
   * Runs `fn` holding the lock: waits for it as {@linkcode LockFile.lock} does, then takes
   * it, runs `fn` and drops it in one synchronous step, so the lock is never held across an
   * `await` and in-process callers never wait on each other.
   *
   * @param fn The work (synchronous).
   * @param options Wait limit and network name.
   * @param keep Keep the lock after `fn` (for {@linkcode LockFile.lock}).
   * @returns What `fn` returns.
   * @throws {CniError} Code 11 when the wait runs out; whatever `fn` throws.
   */
  run<T>(fn: () => T, options: LockWaitOptions = {}, keep = false): Promise<T> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    const attempt = (): { value: T } | undefined => {
      if (!this.tryLock()) return undefined;
      if (keep) return { value: fn() };
      try {
        return { value: fn() };
      } finally {
        this.unlock();
      }
    };
    try {
      const now = attempt();
      if (now) return Promise.resolve(now.value);
    } catch (err) {
      return Promise.reject(err);
    }
    const start = performance.now();
    return (async () => {
      for (let delay = 1;; delay = Math.min(delay * 2, MAX_POLL_MS)) {
        const left = timeoutMs - (performance.now() - start);
        if (left <= 0) throw this.#timedOut(timeoutMs, options.network);
        await sleep(Math.min(delay, left));
        const got = attempt();
        if (got) return got.value;
      }
    })();
  }

  /** Drops the lock. */
  unlock(): void {
    if (this.fd >= 0) flock(this.fd, LOCK_UN);
  }

  #timedOut(timeoutMs: number, network: string | undefined): CniError {
    const what = network === undefined ? "" : ` of network "${network}"`;
    return new CniError(
      ErrorCode.TryAgainLater,
      `timed out after ${seconds(timeoutMs)} waiting for the lock${what} ("${this.#path}")`,
      { details: "another process holds the lock; try again later" },
    );
  }
}

/** Opens (creating, 0750) the lock file without following a symlink; refuses a non-regular file. */
function openLockFile(path: string): number {
  let fd: number;
  try {
    fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0o750);
  } catch (err) {
    const why = err instanceof ErrnoError && err.code === "ELOOP"
      ? "it is a symbolic link, which host-local never follows inside its data directory"
      : errorText(err);
    throw new CniError(ErrorCode.IoFailure, `failed to open lock file "${path}"`, {
      details: why,
      cause: err,
    });
  }
  let regular = false;
  try {
    regular = (fstatKind(fd).mode & S_IFMT) === S_IFREG;
  } finally {
    if (!regular) close(fd);
  }
  if (!regular) {
    throw new CniError(ErrorCode.IoFailure, `failed to open lock file "${path}"`, {
      details: "not a regular file",
    });
  }
  return fd;
}
