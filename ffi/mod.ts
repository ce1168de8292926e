/**
 * The libc FFI layer: header constants, typed syscall wrappers (sockets, descriptors, whole
 * files, namespaces and mounts, process ids) and `ErrnoError`.
 *
 * @module
 */
export * from "./constants.ts";
export * from "./fd.ts";
export * from "./files.ts";
export * from "./namespace.ts";
export * from "./process.ts";
export * from "./socket.ts";
export {
  EAGAIN,
  EINTR,
  EINVAL,
  EMSGSIZE,
  ENODEV,
  ENOENT,
  EPROTO,
  ERRNO_NAMES,
  ErrnoError,
  errnoName,
  errnoText,
  errorText,
} from "./errno.ts";
export {
  AF_NETLINK,
  AF_UNIX,
  cint,
  cstring,
  parseSockaddrNl,
  SOCKADDR_NL_SIZE,
  SOCKADDR_UN_SIZE,
  sockaddrNl,
  sockaddrUn,
  timeval,
} from "./structs.ts";
export { libc, LIBC_SYMBOLS } from "./libc.ts";
export type { LibcSymbols } from "./libc.ts";
