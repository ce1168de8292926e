/**
 * Constants from the libc and kernel headers for the calls of `ffi/`, with their header
 * names and values (`SOCK_*`, `SO_*`, `MSG_*`, `CLONE_*`, `O_*`, `AT_*`, `MS_*`, `LOCK_*`, ...).
 *
 * @module
 */

/** `SOCK_RAW` from `<sys/socket.h>`. */
export const SOCK_RAW = 3;

/** `SOCK_DGRAM` from `<sys/socket.h>`. */
export const SOCK_DGRAM = 2;

/** `SOCK_CLOEXEC` from `<sys/socket.h>`. */
export const SOCK_CLOEXEC = 0x80000;

/** `SOL_SOCKET` from `<sys/socket.h>`. */
export const SOL_SOCKET = 1;

/** `SO_SNDBUF` from `<asm/socket.h>`. */
export const SO_SNDBUF = 7;

/** `SO_RCVBUF` from `<asm/socket.h>`. */
export const SO_RCVBUF = 8;

/** `SO_RCVBUFFORCE` from `<asm/socket.h>`. */
export const SO_RCVBUFFORCE = 33;

/** `SO_RCVTIMEO` (old 64-bit timeval layout) from `<asm/socket.h>`. */
export const SO_RCVTIMEO = 20;

/** `SO_SNDTIMEO` (old 64-bit timeval layout) from `<asm/socket.h>`. */
export const SO_SNDTIMEO = 21;

/** `SO_PEERCRED` from `<asm/socket.h>`. */
export const SO_PEERCRED = 17;

/** `SOCK_STREAM` from `<sys/socket.h>`. */
export const SOCK_STREAM = 1;

/** `MSG_PEEK` from `<sys/socket.h>`. */
export const MSG_PEEK = 2;

/** `MSG_TRUNC` from `<sys/socket.h>`. */
export const MSG_TRUNC = 0x20;

/** `MSG_NOSIGNAL` from `<sys/socket.h>`. */
export const MSG_NOSIGNAL = 0x4000;

/** `MSG_DONTWAIT` from `<sys/socket.h>`. */
export const MSG_DONTWAIT = 0x40;

/** `SHUT_RDWR` from `<sys/socket.h>`. */
export const SHUT_RDWR = 2;

/** `CLONE_NEWNS` from `<sched.h>`. */
export const CLONE_NEWNS = 0x00020000;

/** `CLONE_NEWNET` from `<sched.h>`. */
export const CLONE_NEWNET = 0x40000000;

/** `CLONE_NEWTIME` from `<sched.h>`. */
export const CLONE_NEWTIME = 0x00000080;

/** `CLONE_NEWCGROUP` from `<sched.h>`. */
export const CLONE_NEWCGROUP = 0x02000000;

/** `CLONE_NEWUTS` from `<sched.h>`. */
export const CLONE_NEWUTS = 0x04000000;

/** `CLONE_NEWIPC` from `<sched.h>`. */
export const CLONE_NEWIPC = 0x08000000;

/** `CLONE_NEWUSER` from `<sched.h>`. */
export const CLONE_NEWUSER = 0x10000000;

/** `CLONE_NEWPID` from `<sched.h>`. */
export const CLONE_NEWPID = 0x20000000;

/** `O_RDONLY` from `<fcntl.h>`. */
export const O_RDONLY = 0;

/** `O_WRONLY` from `<fcntl.h>`. */
export const O_WRONLY = 1;

/** `O_RDWR` from `<fcntl.h>`. */
export const O_RDWR = 2;

/** `O_CREAT` from `<fcntl.h>`. */
export const O_CREAT = 0o100;

/** `O_EXCL` from `<fcntl.h>`. */
export const O_EXCL = 0o200;

/** `O_CLOEXEC` from `<fcntl.h>`. */
export const O_CLOEXEC = 0o2000000;

/** Whether this is arm64, whose `<asm/fcntl.h>` numbers a few `O_*` flags differently. */
const ARM64 = Deno.build.arch === "aarch64";

/** `O_DIRECTORY` from `<fcntl.h>` (x86_64 and the generic table; arm64: 0o40000). */
export const O_DIRECTORY = ARM64 ? 0o40000 : 0o200000;

/** `O_NOFOLLOW` from `<fcntl.h>`: fail with `ELOOP` when the last component is a symlink (arm64: 0o100000). */
export const O_NOFOLLOW = ARM64 ? 0o100000 : 0o400000;

/** `O_NONBLOCK` from `<fcntl.h>`: opening a FIFO returns at once. */
export const O_NONBLOCK = 0o4000;

/** `O_NOCTTY` from `<fcntl.h>`. */
export const O_NOCTTY = 0o400;

/** `AT_FDCWD` from `<fcntl.h>`: `*at` calls resolve relative paths against the working directory. */
export const AT_FDCWD = -100;

/** `AT_REMOVEDIR` from `<fcntl.h>`: `unlinkat` removes an (empty) directory, as `rmdir`. */
export const AT_REMOVEDIR = 0x200;

/** `MS_RDONLY` from `<sys/mount.h>`. */
export const MS_RDONLY = 1;

/** `MS_NOSUID` from `<sys/mount.h>`. */
export const MS_NOSUID = 2;

/** `MS_NODEV` from `<sys/mount.h>`. */
export const MS_NODEV = 4;

/** `MS_NOEXEC` from `<sys/mount.h>`. */
export const MS_NOEXEC = 8;

/** `MS_REMOUNT` from `<sys/mount.h>`. */
export const MS_REMOUNT = 32;

/** `MS_BIND` from `<sys/mount.h>`. */
export const MS_BIND = 4096;

/** `MS_REC` from `<sys/mount.h>`. */
export const MS_REC = 16384;

/** `MS_PRIVATE` from `<sys/mount.h>`. */
export const MS_PRIVATE = 1 << 18;

/** `MS_SLAVE` from `<sys/mount.h>`. */
export const MS_SLAVE = 1 << 19;

/** `MS_SHARED` from `<sys/mount.h>`. */
export const MS_SHARED = 1 << 20;

/** `MNT_DETACH` from `<sys/mount.h>`. */
export const MNT_DETACH = 2;

/** `LOCK_SH` from `<sys/file.h>`. */
export const LOCK_SH = 1;

/** `LOCK_EX` from `<sys/file.h>`. */
export const LOCK_EX = 2;

/** `LOCK_NB` from `<sys/file.h>`. */
export const LOCK_NB = 4;

/** `LOCK_UN` from `<sys/file.h>`. */
export const LOCK_UN = 8;

/** `NS_GET_NSTYPE` ioctl from `<linux/nsfs.h>`: `_IO(0xb7, 0x3)`. */
export const NS_GET_NSTYPE = 0xb703;

/** `_LINUX_CAPABILITY_VERSION_3` from `<linux/capability.h>`. */
export const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
