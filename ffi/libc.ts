/**
 * The one symbol table of the code base: the libc functions that denocni needs, bound lazily,
 * each on its first call, so that a process pays only for the calls it makes.
 *
 * Binding every symbol with `Deno.dlopen` up front costs 0.1-0.3 ms per symbol (Deno builds a
 * fast-call trampoline for each), about 7 ms for this table, which was a quarter of what an
 * exec'd plugin spent above Deno's own start-up. Instead, one `Deno.dlopen` resolves the
 * addresses only (static `pointer` symbols, no trampolines) and a symbol's first calls go
 * through `Deno.UnsafeFnPointer` (a few microseconds each); a symbol called more than
 * {@linkcode FAST_AFTER} times (a long-lived process, the in-process invoker) is then bound
 * with its own `Deno.dlopen` of libc and called through the fast path from then on.
 *
 * Every symbol runs on the JavaScript thread that asked for it (`setns`, `unshare` and errno
 * are per thread) except the `_nonblocking` ones: the same C function, run on a Deno worker
 * thread and returning a promise. `sendto_nonblocking` is for netlink requests whose kernel
 * work goes on long after their effect is visible (a link's teardown); `accept4`, `read` and
 * `write` off-thread are for the `cnitool serve` daemon waiting on its clients. A socket acts
 * in the namespace it was created in, so the worker thread's namespace does not matter; errno
 * is that thread's and cannot be read, so callers redo a failed call synchronously to learn it
 * or treat it as the connection's end.
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
  /** int connect(int sockfd, const struct sockaddr *addr, socklen_t addrlen) */
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  /** int getsockopt(int sockfd, int level, int optname, void *optval, socklen_t *optlen) */
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  /** int listen(int sockfd, int backlog) */
  listen: { parameters: ["i32", "i32"], result: "i32" },
  /** int shutdown(int sockfd, int how) */
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  /** `int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags)`, off-thread. */
  accept4_nonblocking: {
    name: "accept4",
    parameters: ["i32", "pointer", "pointer", "i32"],
    result: "i32",
    nonblocking: true,
  },
  /** `read` again, run off the JavaScript thread (a daemon's wait for a client). */
  read_nonblocking: {
    name: "read",
    parameters: ["i32", "buffer", "usize"],
    result: "isize",
    nonblocking: true,
  },
  /** `write` again, run off the JavaScript thread (a daemon's answer to a slow client). */
  write_nonblocking: {
    name: "write",
    parameters: ["i32", "buffer", "usize"],
    result: "isize",
    nonblocking: true,
  },
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

type SymbolName = keyof typeof LIBC_SYMBOLS;

/** Calls of one symbol through its pointer before it gets a fast-call binding of its own. */
export const FAST_AFTER = 32;

const LIBRARY = "libc.so.6";

let addresses: Record<string, Deno.PointerValue> | undefined;
let errnoView: Deno.UnsafePointerView | null | undefined;

/**
 * The calling thread's errno, read straight from its location (found by the first
 * {@linkcode libc} call of this thread's isolate); 0 when libc has no location for it.
 *
 * @returns errno now.
 */
export function errnoNow(): number {
  if (errnoView === undefined) libc();
  return errnoView ? errnoView.getInt32() : 0;
}
let symbols: LibcSymbols | undefined;

function open<S extends Deno.ForeignLibraryInterface>(table: S): Deno.DynamicLibrary<S> {
  try {
    return Deno.dlopen(LIBRARY, table);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw err;
    }
    throw new Error("Cannot load libc.so.6: denocni needs glibc on Linux", { cause: err });
  }
}

/** The address of every C function of the table, resolved in one `dlopen`. */
function addressOf(cName: string): Deno.PointerObject {
  if (!addresses) {
    const table: Record<string, Deno.ForeignStatic> = {};
    for (const [key, def] of Object.entries(LIBC_SYMBOLS)) {
      table[(def as { name?: string }).name ?? key] = { type: "pointer" };
    }
    addresses = open(table).symbols as Record<string, Deno.PointerValue>;
  }
  const ptr = addresses[cName];
  if (!ptr) throw new Error(`Cannot load libc.so.6: no symbol "${cName}"`);
  return ptr;
}

/** A function calling symbol `key`: through its pointer first, then through a fast binding. */
function bind(key: SymbolName): (...args: unknown[]) => unknown {
  const def = LIBC_SYMBOLS[key] as Deno.ForeignFunction;
  const slow = new Deno.UnsafeFnPointer(
    addressOf(def.name ?? key) as Deno.PointerObject<never>,
    def,
  );
  let calls = 0;
  let fast: ((...args: unknown[]) => unknown) | undefined;
  return (...args: unknown[]): unknown => {
    if (fast) return fast(...args);
    if (++calls > FAST_AFTER) {
      fast = open({ [key]: def }).symbols[key] as unknown as (...args: unknown[]) => unknown;
      return fast(...args);
    }
    return (slow.call as (...args: unknown[]) => unknown)(...args);
  };
}

/**
 * Returns libc's symbols; each is bound on its first call (the first call of any opens libc).
 *
 * @returns The symbol table.
 * @throws {Deno.errors.NotCapable} When `--allow-ffi` was not granted (propagated untouched).
 * @throws {Error} When libc cannot be loaded, with the loader error as `cause`.
 */
export function libc(): LibcSymbols {
  if (symbols) return symbols;
  // errno's location is per thread and fixed for the thread's life: found now, before the
  // first call that can fail, so that reading errno later is a plain memory read with no FFI
  // call (no binding, no `dlopen`, no allocation) between the failed call and the read.
  const where = bind("__errno_location")() as Deno.PointerValue;
  errnoView = where === null ? null : new Deno.UnsafePointerView(where);
  const table = {} as Record<SymbolName, unknown>;
  for (const key of Object.keys(LIBC_SYMBOLS) as SymbolName[]) {
    Object.defineProperty(table, key, {
      configurable: true,
      enumerable: true,
      get() {
        const fn = bind(key);
        Object.defineProperty(table, key, { value: fn, enumerable: true });
        return fn;
      },
    });
  }
  symbols = table as unknown as LibcSymbols;
  return symbols;
}
