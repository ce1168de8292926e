/**
 * Typed wrappers of the namespace and mount calls (`setns`, `unshare`, `mount`, `umount2`):
 * each acts on the calling thread. On failure errno is read at once and thrown as
 * {@linkcode ErrnoError}.
 *
 * @module
 */
import { check } from "./_check.ts";
import { libc } from "./libc.ts";
import { cstring } from "./structs.ts";

/**
 * `setns(2)`: moves the calling thread into the namespace of `fd`.
 *
 * @param fd Namespace file descriptor.
 * @param nstype `CLONE_NEW*` type to insist on, or 0.
 * @throws {ErrnoError} On failure.
 */
export function setns(fd: number, nstype: number): void {
  check(libc().setns(fd, nstype), "setns");
}

/**
 * `unshare(2)`.
 *
 * @param flags `CLONE_NEW*` flags.
 * @throws {ErrnoError} On failure.
 */
export function unshare(flags: number): void {
  check(libc().unshare(flags), "unshare");
}

/**
 * `mount(2)`.
 *
 * @param source Source path or device, or `null`.
 * @param target Mount point.
 * @param fstype File system type, or `null`.
 * @param flags `MS_*` flags.
 * @param data File-system-specific data, or `null`.
 * @throws {ErrnoError} On failure; the message names the target.
 */
export function mount(
  source: string | null,
  target: string,
  fstype: string | null,
  flags: number,
  data: string | null = null,
): void {
  check(
    libc().mount(
      source === null ? null : cstring(source),
      cstring(target),
      fstype === null ? null : cstring(fstype),
      BigInt(flags),
      data === null ? null : cstring(data),
    ),
    "mount",
    `mount "${target}"`,
  );
}

/**
 * `umount2(2)`.
 *
 * @param target Mount point.
 * @param flags `MNT_*` flags.
 * @throws {ErrnoError} On failure; the message names the target.
 */
export function umount2(target: string, flags = 0): void {
  check(libc().umount2(cstring(target), flags), "umount2", `umount "${target}"`);
}
