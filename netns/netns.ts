/**
 * Network namespaces: open one from a path, run synchronous code inside it and always come
 * back. `setns` moves only the calling thread, which for FFI calls without `nonblocking` is
 * the JavaScript thread; async Deno APIs run on other threads and must not be used inside.
 *
 * @module
 */
import {
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWTIME,
  CLONE_NEWUSER,
  CLONE_NEWUTS,
  close,
  ErrnoError,
  errnoText,
  errorText,
  fstat,
  inodeOf,
  ioctl,
  NS_GET_NSTYPE,
  O_NOCTTY,
  O_NONBLOCK,
  O_RDONLY,
  open,
  setns,
} from "../ffi/mod.ts";

/** The path of the calling thread's own network namespace. */
export const THREAD_NETNS_PATH = "/proc/thread-self/ns/net";

/**
 * The network namespace of the process's main thread. Not necessarily the JavaScript thread's:
 * under `deno test` the JavaScript runs on another thread, so while switched (or even at rest)
 * this may differ from {@linkcode THREAD_NETNS_PATH}.
 */
export const PROCESS_NETNS_PATH = "/proc/self/ns/net";

/** Namespace kinds by their `CLONE_NEW*` value, for error messages. */
const NS_KIND_NAMES: Readonly<Record<number, string>> = {
  [CLONE_NEWNS]: "mount",
  [CLONE_NEWCGROUP]: "cgroup",
  [CLONE_NEWUTS]: "UTS",
  [CLONE_NEWIPC]: "IPC",
  [CLONE_NEWUSER]: "user",
  [CLONE_NEWPID]: "PID",
  [CLONE_NEWNET]: "network",
  [CLONE_NEWTIME]: "time",
};

/** A path that exists but is not a network namespace, or cannot be opened as one. */
export class NotNetnsError extends Error {
  /** The offending path. */
  readonly path: string;
  /**
   * Creates the error.
   *
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

/**
 * A network namespace path that does not exist (ENOENT): a deleted named namespace, or
 * `/proc/PID/ns/net` of a process that is gone. DEL handlers catch it to succeed quietly.
 */
export class NetnsNotFoundError extends NotNetnsError {
  /**
   * Creates the error.
   *
   * @param path The missing path.
   * @param action What was being done, e.g. `delete network namespace "x"`; prefixes the message.
   * @param cause The underlying error, if any.
   */
  constructor(path: string, action?: string, cause?: unknown) {
    super(path, "no such file or directory (ENOENT)", cause);
    this.name = "NetnsNotFoundError";
    this.message = `${action ? `${action}: ` : ""}network namespace "${path}" does not exist`;
  }
}

/** An open network namespace file descriptor; close it with `close()` or `using`. */
export class NetnsHandle {
  #fd: number;
  /** The path it was opened from. */
  readonly path: string;

  /**
   * Wraps an open descriptor.
   *
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

  /** Whether the descriptor has been closed. */
  get closed(): boolean {
    return this.#fd < 0;
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
 * Opens a network namespace from a path (`/run/netns/X`, `/var/run/netns/X`,
 * `/proc/PID/ns/net`, ...), refusing anything that is not one.
 *
 * @example Open a namespace and close it automatically
 * ```ts ignore
 * using ns = openNetns("/run/netns/blue");
 * ```
 *
 * @param path Namespace path.
 * @returns An open handle.
 * @throws {NetnsNotFoundError} When the path does not exist.
 * @throws {NotNetnsError} When the path cannot be opened or is not a network namespace.
 */
export function openNetns(path: string): NetnsHandle {
  if (path === "") throw new NotNetnsError(path, "the path is empty");
  let fd: number;
  try {
    // Nonblocking and no controlling tty: a FIFO or a terminal given as a namespace path must
    // fail the check below, not hang the caller (in-process, the whole embedding program).
    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  } catch (err) {
    if (err instanceof ErrnoError) {
      if (err.code === "ENOENT") throw new NetnsNotFoundError(path, undefined, err);
      throw new NotNetnsError(path, `cannot open it: ${errnoText(err.errno)} (${err.code})`, err);
    }
    throw new NotNetnsError(path, `cannot open it: ${String(err)}`, err);
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
    const kind = NS_KIND_NAMES[type] ?? `type 0x${type.toString(16)}`;
    throw new NotNetnsError(path, `it is a ${kind} namespace`);
  }
  return new NetnsHandle(fd, path);
}

/**
 * Stops the process when the thread cannot return to its own namespace: carrying on would act
 * on the wrong network. This is the one deliberate `Deno.exit` outside `cli.ts`.
 */
function fatalCannotReturn(err: unknown): never {
  const text = errorText(err);
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      `fatal: cannot return to the original network namespace: ${text}\n`,
    ),
  );
  Deno.exit(70);
}

/**
 * Moves the calling thread back into the namespace `original` (an open fd); stops the process
 * if that fails. For code in this layer that switched namespaces by other means (`unshare`).
 *
 * @param original An open descriptor of the namespace to return to.
 */
export function returnToNetns(original: number): void {
  try {
    setns(original, CLONE_NEWNET);
  } catch (err) {
    fatalCannotReturn(err);
  }
}

/** Options of {@linkcode withNetns}. */
export interface WithNetnsOptions {
  /**
   * An open handle of the calling thread's current namespace, to return to: saves opening
   * {@linkcode THREAD_NETNS_PATH} when the caller holds one already.
   */
  returnTo?: NetnsHandle;
}

/** An object with a `then` method: what `await` would wait for. */
export type Thenable = { then(...args: never[]): unknown };

/**
 * `unknown` when `T` holds no thenable, `never` when it does. A parameter typed
 * `(() => T) & SyncOnly<T>` refuses an async function (or any function returning a promise)
 * at compile time; `any` passes and is left to the run-time check.
 */
export type SyncOnly<T> = 0 extends 1 & T ? unknown
  : [Extract<T, Thenable>] extends [never] ? unknown
  : never;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}

/**
 * Runs a synchronous function inside a network namespace, then returns the thread to its own
 * namespace, also when `fn` throws. If returning fails the process stops.
 *
 * `fn` must not be async: the namespace belongs to the thread only until `withNetns` returns,
 * so everything after an `await` would run outside it. The types refuse a function that
 * returns a promise, and one that gets through (typed `any`) makes `withNetns` throw a
 * `TypeError` once it has returned to its namespace.
 *
 * @example Read a sysctl inside a namespace
 * ```ts ignore
 * const fwd = withNetns("/run/netns/blue", () =>
 *   Deno.readTextFileSync("/proc/sys/net/ipv4/ip_forward"));
 * ```
 *
 * @param ns An open handle or a namespace path.
 * @param fn Synchronous work (no `await`, no async Deno APIs).
 * @param options `returnTo`: a handle of the thread's current namespace, if the caller has one.
 * @returns What `fn` returns.
 * @throws {NotNetnsError} When `ns` is a path that is not a network namespace.
 * @throws {TypeError} When `fn` returns a promise or another thenable.
 */
export function withNetns<T>(
  ns: NetnsHandle | string,
  fn: (() => T) & SyncOnly<T>,
  options: WithNetnsOptions = {},
): T {
  const target = typeof ns === "string" ? openNetns(ns) : ns;
  try {
    const original = options.returnTo?.fd ?? open(THREAD_NETNS_PATH, O_RDONLY);
    try {
      setns(target.fd, CLONE_NEWNET);
      let value: T;
      try {
        value = fn();
      } finally {
        returnToNetns(original);
      }
      if (isThenable(value)) {
        Promise.resolve(value).catch(() => {}); // this TypeError is the report, not its rejection
        throw new TypeError(
          "withNetns() needs a synchronous function: it returned a promise, and whatever " +
            "runs after an await runs outside the namespace",
        );
      }
      return value;
    } finally {
      if (!options.returnTo) close(original);
    }
  } finally {
    if (typeof ns === "string") target.close();
  }
}

/**
 * The inode number of the calling thread's network namespace (what `readlink
 * /proc/thread-self/ns/net` shows as `net:[N]`). Two namespaces are the same iff their inodes
 * are equal (all live on the one nsfs device).
 *
 * @example Compare against a namespace
 * ```ts ignore
 * const mine = currentNetnsInode();
 * const theirs = netnsInode("/run/netns/blue");
 * ```
 *
 * @returns The namespace inode.
 */
export function currentNetnsInode(): number {
  return inodeOf(THREAD_NETNS_PATH);
}

/**
 * The inode number of a network namespace, from an open handle or a path.
 *
 * @param ns An open handle or a namespace path.
 * @returns The namespace inode.
 * @throws {NotNetnsError} When `ns` is a path that is not a network namespace.
 */
export function netnsInode(ns: NetnsHandle | string): number {
  if (typeof ns === "string") {
    using handle = openNetns(ns);
    return netnsInode(handle);
  }
  return Number(fstat(ns.fd).ino);
}

/**
 * Whether a namespace is the calling thread's own (the "host" namespace of this process), by
 * inode. Plugins check this before acting on `CNI_NETNS`.
 *
 * @param ns An open handle or a namespace path.
 * @returns `true` when `ns` is the thread's current network namespace.
 * @throws {NotNetnsError} When `ns` is a path that is not a network namespace.
 */
export function isCurrentNetns(ns: NetnsHandle | string): boolean {
  return netnsInode(ns) === currentNetnsInode();
}

/**
 * Whether a namespace is one this process lives in: the calling thread's current namespace or
 * the process main thread's. Plugins refuse to act on such a `CNI_NETNS` (it would change the
 * host's own interfaces) unless told otherwise.
 *
 * @example Guard before a destructive step
 * ```ts ignore
 * if (isOwnNetns(args.netns)) throw new Error("refusing to touch the host namespace");
 * ```
 *
 * @param ns An open handle or a namespace path.
 * @returns `true` when `ns` is the thread's or the process's network namespace.
 * @throws {NotNetnsError} When `ns` is a path that is not a network namespace.
 */
export function isOwnNetns(ns: NetnsHandle | string): boolean {
  const inode = netnsInode(ns);
  return inode === currentNetnsInode() || inode === inodeOf(PROCESS_NETNS_PATH);
}
