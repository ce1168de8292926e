/**
 * Network namespaces: open one from a path, run synchronous code inside it and always come
 * back. `setns` moves only the calling thread, which for FFI calls without `nonblocking` is
 * the JavaScript thread; async Deno APIs run on other threads and must not be used inside.
 *
 * @module
 */
import {
  CLONE_NEWNET,
  close,
  ErrnoError,
  ioctl,
  NS_GET_NSTYPE,
  O_RDONLY,
  open,
  setns,
} from "../ffi/mod.ts";

/** The path of the calling thread's own network namespace. */
export const THREAD_NETNS_PATH = "/proc/thread-self/ns/net";

/** A path that exists but is not a network namespace, or cannot be opened as one. */
export class NotNetnsError extends Error {
  /** The offending path. */
  readonly path: string;
  /**
   * @param path The path.
   * @param reason Why it was refused.
   * @param cause The underlying error, if any.
   */
  constructor(path: string, reason: string, cause?: unknown) {
    super(`"${path}" is not a network namespace: ${reason}`, { cause });
    this.name = "NotNetnsError";
    this.path = path;
  }
}

/** An open network namespace file descriptor; close it with `close()` or `using`. */
export class NetnsHandle {
  #fd: number;
  /** The path it was opened from. */
  readonly path: string;

  /**
   * @param fd An open namespace file descriptor (owned from now on).
   * @param path Where it came from.
   */
  constructor(fd: number, path: string) {
    this.#fd = fd;
    this.path = path;
  }

  /** The file descriptor; throws once closed. */
  get fd(): number {
    if (this.#fd < 0) throw new Error(`network namespace handle "${this.path}" is closed`);
    return this.#fd;
  }

  /** Closes the descriptor (idempotent). */
  close(): void {
    if (this.#fd >= 0) {
      const fd = this.#fd;
      this.#fd = -1;
      close(fd);
    }
  }

  /** Closes the descriptor. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Opens a network namespace from a path (`/run/netns/X`, `/proc/PID/ns/net`, ...), refusing
 * anything that is not one.
 *
 * @param path Namespace path.
 * @returns An open handle.
 * @throws {NotNetnsError} When the path is missing or not a network namespace.
 */
export function openNetns(path: string): NetnsHandle {
  let fd: number;
  try {
    fd = open(path, O_RDONLY);
  } catch (err) {
    const reason = err instanceof ErrnoError ? err.message : String(err);
    throw new NotNetnsError(path, reason, err);
  }
  let type: number;
  try {
    type = ioctl(fd, NS_GET_NSTYPE);
  } catch (err) {
    close(fd);
    throw new NotNetnsError(path, "not a namespace file", err);
  }
  if (type !== CLONE_NEWNET) {
    close(fd);
    throw new NotNetnsError(path, "a namespace of another type");
  }
  return new NetnsHandle(fd, path);
}

/**
 * Stops the process when the thread cannot return to its own namespace: carrying on would act
 * on the wrong network. This is the one deliberate `Deno.exit` outside `cli.ts`.
 */
function fatalCannotReturn(err: unknown): never {
  const text = err instanceof Error ? err.message : String(err);
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      `fatal: cannot return to the original network namespace: ${text}\n`,
    ),
  );
  Deno.exit(70);
}

/**
 * Runs a synchronous function inside a network namespace, then returns the thread to its own
 * namespace, also when `fn` throws. If returning fails the process stops.
 *
 * @param ns An open handle or a namespace path.
 * @param fn Synchronous work (no `await`, no async Deno APIs).
 * @returns What `fn` returns.
 * @throws {NotNetnsError} When `ns` is a path that is not a network namespace.
 */
export function withNetns<T>(ns: NetnsHandle | string, fn: () => T): T {
  const target = typeof ns === "string" ? openNetns(ns) : ns;
  try {
    const original = open(THREAD_NETNS_PATH, O_RDONLY);
    try {
      setns(target.fd, CLONE_NEWNET);
      try {
        return fn();
      } finally {
        try {
          setns(original, CLONE_NEWNET);
        } catch (err) {
          fatalCannotReturn(err);
        }
      }
    } finally {
      close(original);
    }
  } finally {
    if (typeof ns === "string") target.close();
  }
}
