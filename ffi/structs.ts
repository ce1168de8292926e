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
