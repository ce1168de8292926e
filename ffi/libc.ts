/**
 * The one `Deno.dlopen` of the code base: the libc symbols that denocni needs, opened lazily
 * on first use so that plugin start-up does not pay for it.
 *
 * Every symbol but one runs on the JavaScript thread that asked for it (`setns`, `unshare` and
 * errno are per thread). The exception is `sendto_nonblocking`: the same `sendto`, run on a
 * Deno worker thread and returning a promise, for netlink requests whose kernel work goes on
 * long after their effect is visible (a link's teardown). A socket acts in the namespace it
 * was created in, so the worker thread's namespace does not matter; errno is that thread's
 * and cannot be read, so callers redo a failed call synchronously to learn it.
 *
 * @module
 */

/** The symbol table, with the C prototype of every parameter. */
export const LIBC_SYMBOLS = {
  /** int *__errno_location(void) */
  __errno_location: { parameters: [], result: "pointer" },
  /** int socket(int domain, int type, int protocol) */
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  /** int bind(int sockfd, const struct sockaddr *addr, socklen_t addrlen) */
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  /** int getsockname(int sockfd, struct sockaddr *addr, socklen_t *addrlen) */
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  /** int setsockopt(int sockfd, int level, int optname, const void *optval, socklen_t optlen) */
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  /** ssize_t sendto(int sockfd, const void *buf, size_t len, int flags, const struct sockaddr *dest_addr, socklen_t addrlen) */
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  /** `sendto` again, run off the JavaScript thread (see the module doc); errno is unreadable. */
  sendto_nonblocking: {
    name: "sendto",
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "isize",
    nonblocking: true,
  },
  /** ssize_t sendmsg(int sockfd, const struct msghdr *msg, int flags) */
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  /** ssize_t recvfrom(int sockfd, void *buf, size_t len, int flags, struct sockaddr *src_addr, socklen_t *addrlen) */
  recvfrom: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"], result: "isize" },
  /** ssize_t recvmsg(int sockfd, struct msghdr *msg, int flags) */
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  /** int close(int fd) */
  close: { parameters: ["i32"], result: "i32" },
  /** int open(const char *pathname, int flags, mode_t mode) */
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  /** int openat(int dirfd, const char *pathname, int flags, mode_t mode) */
  openat: { parameters: ["i32", "buffer", "i32", "u32"], result: "i32" },
  /** int unlinkat(int dirfd, const char *pathname, int flags) */
  unlinkat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  /** int mkdirat(int dirfd, const char *pathname, mode_t mode) */
  mkdirat: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  /** int ftruncate(int fd, off_t length) */
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
  /** int setns(int fd, int nstype) */
  setns: { parameters: ["i32", "i32"], result: "i32" },
  /** int unshare(int flags) */
  unshare: { parameters: ["i32"], result: "i32" },
  /** int mount(const char *source, const char *target, const char *filesystemtype, unsigned long mountflags, const void *data) */
  mount: { parameters: ["buffer", "buffer", "buffer", "u64", "buffer"], result: "i32" },
  /** int umount2(const char *target, int flags) */
  umount2: { parameters: ["buffer", "i32"], result: "i32" },
  /** int flock(int fd, int operation) */
  flock: { parameters: ["i32", "i32"], result: "i32" },
  /** int ioctl(int fd, unsigned long request, unsigned long arg) */
  ioctl: { parameters: ["i32", "u64", "u64"], result: "i32" },
  /** pid_t getpid(void) */
  getpid: { parameters: [], result: "i32" },
  /** pid_t gettid(void) */
  gettid: { parameters: [], result: "i32" },
  /** uid_t geteuid(void) */
  geteuid: { parameters: [], result: "u32" },
  /** ssize_t read(int fd, void *buf, size_t count) */
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  /** ssize_t write(int fd, const void *buf, size_t count) */
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  /** int fstat(int fd, struct stat *statbuf) */
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
  /** int capget(cap_user_header_t hdrp, cap_user_data_t datap) */
  capget: { parameters: ["buffer", "buffer"], result: "i32" },
  /** int kill(pid_t pid, int sig) */
  kill: { parameters: ["i32", "i32"], result: "i32" },
  /** ssize_t getdents64(int fd, void *dirp, size_t count) (glibc >= 2.30) */
  getdents64: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  /** ssize_t readlink(const char *path, char *buf, size_t bufsiz) */
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened library's symbols. */
export type LibcSymbols = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];

let opened: Deno.DynamicLibrary<typeof LIBC_SYMBOLS> | undefined;

/**
 * Opens libc on first use and returns its symbols.
 *
 * @returns The symbol table.
 * @throws {Deno.errors.NotCapable} When `--allow-ffi` was not granted (propagated untouched).
 * @throws {Error} When libc cannot be loaded, with the loader error as `cause`.
 */
export function libc(): LibcSymbols {
  if (opened) return opened.symbols;
  try {
    opened = Deno.dlopen("libc.so.6", LIBC_SYMBOLS);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw err;
    }
    throw new Error("Cannot load libc.so.6: denocni needs glibc on Linux", { cause: err });
  }
  return opened.symbols;
}
