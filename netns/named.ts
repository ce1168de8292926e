/**
 * Persistent network namespaces, made and removed exactly as iproute2's `ip netns add` and
 * `ip netns del` do, so `ip netns list` / `ip netns exec` see ours and we can open theirs.
 *
 * A namespace is kept alive by a bind mount of the thread's `/proc/thread-self/ns/net` onto an
 * empty file; `/run/netns` is made a shared mount point first so that the mount propagates to
 * other mount namespaces (and its removal too).
 *
 * @module
 */
import {
  CLONE_NEWNET,
  close,
  ErrnoError,
  errorText,
  flock,
  LOCK_EX,
  LOCK_UN,
  MNT_DETACH,
  mount,
  MS_BIND,
  MS_REC,
  MS_SHARED,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_RDONLY,
  open,
  umount2,
  unshare,
} from "../ffi/mod.ts";
import { NetnsNotFoundError, returnToNetns, THREAD_NETNS_PATH } from "./netns.ts";

/** Where named namespaces live (iproute2's `NETNS_RUN_DIR`). */
export const NETNS_RUN_DIR = "/run/netns";

/** Longest namespace name in bytes (`NAME_MAX`). */
const NETNS_NAME_MAX = 255;

/** A namespace could not be created, deleted or listed, or its name is invalid. */
export class NetnsError extends Error {
  /** The namespace path concerned (empty for a bad name). */
  readonly path: string;
  /**
   * Creates the error.
   *
   * @param message The full message (names the action and the value).
   * @param path The path concerned.
   * @param cause The underlying error, if any.
   */
  constructor(message: string, path: string, cause?: unknown) {
    super(message, { cause });
    this.name = "NetnsError";
    this.path = path;
  }
}

function describe(err: unknown): string {
  if (err instanceof ErrnoError) return err.message;
  if (err instanceof Deno.errors.NotFound) return "no such file or directory (ENOENT)";
  if (err instanceof Deno.errors.AlreadyExists) return "file exists (EEXIST)";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied (EACCES)";
  return errorText(err);
}

/**
 * Checks a namespace name as iproute2 does: non-empty, at most 255 bytes, no `/`, not `.` or
 * `..`.
 *
 * @example Validate before use
 * ```ts
 * import { validateNetnsName } from "./named.ts";
 * validateNetnsName("blue");
 * ```
 *
 * @param name The name.
 * @throws {NetnsError} When the name is not usable.
 */
export function validateNetnsName(name: string): void {
  let why: string | undefined;
  if (name === "") why = "it is empty";
  else if (name === "." || name === "..") why = `"${name}" is reserved`;
  else if (name.includes("/")) why = "it contains '/'";
  else if (name.includes("\0")) why = "it contains a NUL byte";
  else if (new TextEncoder().encode(name).byteLength > NETNS_NAME_MAX) {
    why = `it is longer than ${NETNS_NAME_MAX} bytes`;
  }
  if (why !== undefined) {
    throw new NetnsError(`invalid network namespace name "${name}": ${why}`, "");
  }
}

/**
 * The path of a named namespace, `/run/netns/NAME`.
 *
 * @example
 * ```ts
 * import { netnsPath } from "./named.ts";
 * if (netnsPath("blue") !== "/run/netns/blue") throw new Error();
 * ```
 *
 * @param name The namespace name.
 * @returns Its path.
 * @throws {NetnsError} When the name is invalid.
 */
export function netnsPath(name: string): string {
  validateNetnsName(name);
  return `${NETNS_RUN_DIR}/${name}`;
}

/**
 * Makes `/run/netns` exist and be a shared mount point, as iproute2's `netns_add` does: under an
 * `flock` on the directory, `mount --make-shared`, and on `EINVAL` (not a mount point yet) bind
 * it onto itself first.
 */
function prepareRunDir(): void {
  try {
    Deno.mkdirSync(NETNS_RUN_DIR, { mode: 0o755 });
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) {
      throw new NetnsError(
        `create directory "${NETNS_RUN_DIR}": ${describe(err)}`,
        NETNS_RUN_DIR,
        err,
      );
    }
  }
  // iproute2 proceeds without the lock if it cannot be had; so do we.
  let lock = -1;
  try {
    lock = open(NETNS_RUN_DIR, O_RDONLY | O_DIRECTORY, 0);
    flock(lock, LOCK_EX);
  } catch {
    // proceed unlocked
  }
  try {
    let madeMount = false;
    for (;;) {
      try {
        mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC);
        return;
      } catch (err) {
        if (!(err instanceof ErrnoError) || err.code !== "EINVAL" || madeMount) {
          throw new NetnsError(
            `mount --make-shared "${NETNS_RUN_DIR}": ${describe(err)}`,
            NETNS_RUN_DIR,
            err,
          );
        }
      }
      try {
        mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC);
      } catch (err) {
        throw new NetnsError(
          `mount --bind "${NETNS_RUN_DIR}" onto itself: ${describe(err)}`,
          NETNS_RUN_DIR,
          err,
        );
      }
      madeMount = true;
    }
  } finally {
    if (lock >= 0) {
      try {
        flock(lock, LOCK_UN);
      } finally {
        close(lock);
      }
    }
  }
}

/**
 * Creates a fresh network namespace kept alive by a bind mount at `path` (an empty file is
 * created there; its parent directory must exist). The calling thread unshares into the new
 * namespace, binds it, and always returns to its original namespace (the process stops if it
 * cannot). On failure nothing is left behind.
 *
 * Useful for temporary namespaces outside `/run/netns`; {@linkcode netnsAdd} uses it.
 *
 * @example A throwaway namespace
 * ```ts ignore
 * netnsCreateAt("/tmp/myns");
 * // ... use it ...
 * netnsRemoveAt("/tmp/myns");
 * ```
 *
 * @param path Where to bind the namespace (must not exist).
 * @returns `path`.
 * @throws {NetnsError} When the file exists or cannot be made, or unshare/mount fails.
 */
export function netnsCreateAt(path: string): string {
  let fd: number;
  try {
    fd = open(path, O_RDONLY | O_CREAT | O_EXCL, 0);
  } catch (err) {
    const why = err instanceof ErrnoError && err.code === "EEXIST"
      ? `"${path}" already exists`
      : describe(err);
    throw new NetnsError(`create network namespace at "${path}": ${why}`, path, err);
  }
  close(fd);
  let bound = false;
  try {
    const original = open(THREAD_NETNS_PATH, O_RDONLY);
    try {
      try {
        unshare(CLONE_NEWNET);
      } catch (err) {
        throw new NetnsError(
          `create network namespace at "${path}": unshare: ${describe(err)}`,
          path,
          err,
        );
      }
      try {
        mount(THREAD_NETNS_PATH, path, "none", MS_BIND);
        bound = true;
      } catch (err) {
        throw new NetnsError(
          `create network namespace at "${path}": bind mount: ${describe(err)}`,
          path,
          err,
        );
      } finally {
        returnToNetns(original);
      }
    } finally {
      close(original);
    }
  } finally {
    if (!bound) {
      try {
        Deno.removeSync(path);
      } catch {
        // best effort: the empty file is harmless
      }
    }
  }
  return path;
}

/**
 * Removes a namespace bind mount made by {@linkcode netnsCreateAt} (or `ip netns add`): detach
 * the mount, then unlink the file. The namespace itself lives on while anything still uses it.
 *
 * @param path The namespace file.
 * @throws {NetnsNotFoundError} When `path` does not exist.
 * @throws {NetnsError} When the file cannot be removed.
 */
export function netnsRemoveAt(path: string): void {
  const action = `delete network namespace "${path}"`;
  try {
    umount2(path, MNT_DETACH);
  } catch {
    // as iproute2: ignore, the unlink below reports what matters
  }
  try {
    Deno.removeSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new NetnsNotFoundError(path, action, err);
    throw new NetnsError(`${action}: ${describe(err)}`, path, err);
  }
}

/**
 * Creates a persistent named network namespace at `/run/netns/NAME`.
 *
 * Equivalent to: `ip netns add NAME`
 *
 * @example Create, use, delete
 * ```ts ignore
 * const path = netnsAdd("blue"); // "/run/netns/blue"
 * netnsDelete("blue");
 * ```
 *
 * @param name The namespace name.
 * @returns The namespace path.
 * @throws {NetnsError} When the name is invalid, it already exists, or creation fails.
 */
export function netnsAdd(name: string): string {
  const path = netnsPath(name);
  prepareRunDir();
  try {
    return netnsCreateAt(path);
  } catch (err) {
    if (err instanceof NetnsError && err.cause instanceof ErrnoError) {
      if (err.cause.code === "EEXIST") {
        throw new NetnsError(
          `create network namespace "${name}": it already exists`,
          path,
          err.cause,
        );
      }
    }
    throw err;
  }
}

/**
 * Deletes a named network namespace.
 *
 * Equivalent to: `ip netns del NAME`
 *
 * @param name The namespace name.
 * @throws {NetnsNotFoundError} When there is no such namespace.
 * @throws {NetnsError} When the name is invalid or removal fails.
 */
export function netnsDelete(name: string): void {
  const path = netnsPath(name);
  try {
    netnsRemoveAt(path);
  } catch (err) {
    if (err instanceof NetnsNotFoundError) {
      throw new NetnsNotFoundError(path, `delete network namespace "${name}"`, err.cause);
    }
    throw err;
  }
}

/**
 * The names of the named network namespaces, sorted.
 *
 * Equivalent to: `ip netns list` (names only)
 *
 * @returns The names; empty when `/run/netns` does not exist.
 * @throws {NetnsError} When `/run/netns` cannot be read.
 */
export function netnsList(): string[] {
  const names: string[] = [];
  try {
    for (const entry of Deno.readDirSync(NETNS_RUN_DIR)) {
      if (entry.name !== "." && entry.name !== "..") names.push(entry.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw new NetnsError(`list "${NETNS_RUN_DIR}": ${describe(err)}`, NETNS_RUN_DIR, err);
  }
  return names.sort();
}
