/**
 * C strings and struct packing over `DataView`, for the few structs the syscalls take.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Encodes a string as a NUL-terminated C string.
 *
 * @param text The string; it must not contain NUL.
 * @returns The bytes, NUL included.
 */
export function cstring(text: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** `AF_NETLINK` from `<sys/socket.h>`. */
export const AF_NETLINK = 16;
/** Size of `struct sockaddr_nl`. */
export const SOCKADDR_NL_SIZE = 12;

/**
 * Packs a `struct sockaddr_nl { u16 family; u16 pad; u32 pid; u32 groups; }`.
 *
 * @param pid Port id (0 lets the kernel choose, or addresses the kernel as a destination).
 * @param groups Multicast group mask.
 * @returns The 12 packed bytes.
 */
export function sockaddrNl(pid = 0, groups = 0): Uint8Array<ArrayBuffer> {
  const buf = new Uint8Array(SOCKADDR_NL_SIZE);
  const view = new DataView(buf.buffer);
  view.setUint16(0, AF_NETLINK, true);
  view.setUint32(4, pid, true);
  view.setUint32(8, groups, true);
  return buf;
}

/**
 * Unpacks a `struct sockaddr_nl`.
 *
 * @param buf At least 12 bytes.
 * @returns Its family, port id and groups.
 */
export function parseSockaddrNl(buf: Uint8Array): { family: number; pid: number; groups: number } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    family: view.getUint16(0, true),
    pid: view.getUint32(4, true),
    groups: view.getUint32(8, true),
  };
}

/**
 * Packs a native-endian C `int`, as `setsockopt` takes it.
 *
 * @param value The integer.
 * @returns 4 bytes.
 */
export function cint(value: number): Uint8Array<ArrayBuffer> {
  const buf = new Uint8Array(4);
  new DataView(buf.buffer).setInt32(0, value, true);
  return buf;
}

/** `AF_UNIX` from `<sys/socket.h>`. */
export const AF_UNIX = 1;
/** Size of `struct sockaddr_un` (family and a 108-byte path). */
export const SOCKADDR_UN_SIZE = 110;

/**
 * Packs a `struct sockaddr_un { u16 family; char path[108]; }` for a filesystem path.
 *
 * @param path Socket path (at most 107 bytes, NUL-terminated here).
 * @returns The 110 packed bytes.
 * @throws {RangeError} When the path does not fit.
 */
export function sockaddrUn(path: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(path);
  if (bytes.length === 0 || bytes.length > SOCKADDR_UN_SIZE - 3) {
    throw new RangeError(`unix socket path of ${bytes.length} bytes (1 to 107 allowed)`);
  }
  const buf = new Uint8Array(SOCKADDR_UN_SIZE);
  new DataView(buf.buffer).setUint16(0, AF_UNIX, true);
  buf.set(bytes, 2);
  return buf;
}

/**
 * Packs a `struct timeval` (64-bit `tv_sec`, `tv_usec`), as `SO_RCVTIMEO` / `SO_SNDTIMEO` take it.
 *
 * @param ms Milliseconds (0 means no timeout).
 * @returns 16 bytes.
 */
export function timeval(ms: number): Uint8Array<ArrayBuffer> {
  const buf = new Uint8Array(16);
  const view = new DataView(buf.buffer);
  view.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true);
  view.setBigInt64(8, BigInt((ms % 1000) * 1000), true);
  return buf;
}
