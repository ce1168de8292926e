/**
 * IP address text <-> bytes, `struct ifaddrmsg` and the `IFA_*` attributes. Pure.
 *
 * @module
 */
import {
  AF_INET,
  AF_INET6,
  IFA_ADDRESS,
  IFA_FLAGS,
  IFA_LABEL,
  IFA_LOCAL,
  IFADDRMSG_SIZE,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_SITE,
  RT_SCOPE_UNIVERSE,
} from "./constants.ts";
import { decodeAttrs, findAttr, readString, readU32 } from "./codec.ts";
import { NetlinkDecodeError, NetlinkInputError } from "./errors.ts";
import { formatIPv6, isIPv4Mapped, parseIPv4Bytes, parseIPv6Bytes } from "./ip_text.ts";

/** An address family as users write it. */
export type IpFamily = 4 | 6;

/** A parsed IP address. */
export interface IpAddress {
  /** 4 or 6. */
  family: IpFamily;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

/** A parsed `ip/prefix`. */
export interface IpPrefix extends IpAddress {
  /** Prefix length. */
  prefixLen: number;
}

/** An address on a link, as `ip -j addr show` describes it. */
export interface Addr {
  /** Link index. */
  index: number;
  /** 4 or 6. */
  family: IpFamily;
  /** `"10.1.2.3/24"`. */
  address: string;
  /** `"10.1.2.3"`. */
  ip: string;
  /** 24. */
  prefixLen: number;
  /** `RT_SCOPE_*` number. */
  scope: number;
  /** `IFA_F_*` flags (from `IFA_FLAGS` when present). */
  flags: number;
  /** `IFA_LABEL` (IPv4). */
  label?: string;
}

/** `struct ifaddrmsg`. */
export interface Ifaddrmsg {
  /** `AF_INET` / `AF_INET6`. */
  family: number;
  /** Prefix length. */
  prefixLen: number;
  /** Low 8 bits of the `IFA_F_*` flags. */
  flags: number;
  /** `RT_SCOPE_*`. */
  scope: number;
  /** Link index. */
  index: number;
}

/** Scope names as `ip` uses them. */
export const SCOPE_NAMES: Readonly<Record<string, number>> = {
  global: RT_SCOPE_UNIVERSE,
  universe: RT_SCOPE_UNIVERSE,
  site: RT_SCOPE_SITE,
  link: RT_SCOPE_LINK,
  host: RT_SCOPE_HOST,
  nowhere: RT_SCOPE_NOWHERE,
};

/** A scope given as a number or as `ip`'s name for it. */
export type Scope = number | "global" | "universe" | "site" | "link" | "host" | "nowhere";

/**
 * Converts a scope name or number to its number.
 *
 * @param scope `"link"`, `253`, ...
 * @param op The operation, for the error message.
 * @returns The `RT_SCOPE_*` number.
 * @throws {NetlinkInputError} When it is unknown or out of 0..255.
 */
export function scopeNumber(scope: Scope, op: string): number {
  const n = typeof scope === "number" ? scope : SCOPE_NAMES[scope];
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 255) {
    throw new NetlinkInputError(op, String(scope), "invalid scope");
  }
  return n;
}

/**
 * The `AF_*` number of a family.
 *
 * @param family 4 or 6.
 * @returns `AF_INET` or `AF_INET6`.
 */
export function afOf(family: IpFamily): number {
  return family === 4 ? AF_INET : AF_INET6;
}

/**
 * Parses an IPv4 or IPv6 address.
 *
 * @param text `"10.1.2.3"` or `"fd00::2"`.
 * @param op The operation, for the error message.
 * @returns Family and bytes.
 * @throws {NetlinkInputError} When it is neither.
 */
export function parseIp(text: string, op = "parse address"): IpAddress {
  const v4 = parseIPv4Bytes(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIPv6Bytes(text);
  if (v6) return { family: 6, bytes: v6 };
  throw new NetlinkInputError(op, text, "invalid IP address");
}

/**
 * Parses `ip/prefix`; a bare address gets the full-length prefix.
 *
 * @param text `"10.1.2.3/24"`, `"::/0"`.
 * @param op The operation, for the error message.
 * @returns Family, bytes and prefix length.
 * @throws {NetlinkInputError} When the address or prefix is invalid.
 */
export function parsePrefix(text: string, op = "parse prefix"): IpPrefix {
  const slash = text.indexOf("/");
  const ipText = slash === -1 ? text : text.slice(0, slash);
  const ip = parseIp(ipText, op);
  const max = ip.family === 4 ? 32 : 128;
  if (slash === -1) return { ...ip, prefixLen: max };
  const p = text.slice(slash + 1);
  const n = Number(p);
  if (!/^\d{1,3}$/.test(p) || n > max) {
    throw new NetlinkInputError(op, text, `invalid prefix length: need 0..${max}`);
  }
  return { ...ip, prefixLen: n };
}

/**
 * Formats address bytes as text: dotted quad, or RFC 5952 IPv6 (as `ip` prints it).
 *
 * @param bytes 4 or 16 bytes.
 * @returns The text.
 * @throws {NetlinkDecodeError} For other lengths.
 */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.byteLength === 4) return Array.from(bytes).join(".");
  if (bytes.byteLength !== 16) {
    throw new NetlinkDecodeError("IP address", 0, `${bytes.byteLength} bytes, need 4 or 16`);
  }
  // iproute2 prints IPv4-mapped addresses as ::ffff:a.b.c.d
  if (isIPv4Mapped(bytes)) return `::ffff:${Array.from(bytes.subarray(12)).join(".")}`;
  return formatIPv6(bytes);
}

/**
 * Zeroes the host bits of an address.
 *
 * @param bytes Address bytes.
 * @param prefixLen Prefix length.
 * @returns A new array with only the network part.
 */
export function networkOf(bytes: Uint8Array, prefixLen: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefixLen - i * 8));
    out[i] = out[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/**
 * The IPv4 broadcast address of a prefix (all host bits set), as `ip addr add ... brd +` does.
 *
 * @param bytes IPv4 address bytes.
 * @param prefixLen Prefix length.
 * @returns The broadcast address bytes.
 */
export function broadcastOf(bytes: Uint8Array, prefixLen: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefixLen - i * 8));
    out[i] = out[i]! | (0xff >> bits);
  }
  return out;
}

/**
 * Encodes a `struct ifaddrmsg`.
 *
 * @param msg Fields; missing ones are 0.
 * @returns 8 bytes.
 */
export function encodeIfaddrmsg(msg: Partial<Ifaddrmsg> = {}): Uint8Array {
  const buf = new Uint8Array(IFADDRMSG_SIZE);
  const v = new DataView(buf.buffer);
  v.setUint8(0, msg.family ?? 0);
  v.setUint8(1, msg.prefixLen ?? 0);
  v.setUint8(2, (msg.flags ?? 0) & 0xff);
  v.setUint8(3, msg.scope ?? 0);
  v.setUint32(4, msg.index ?? 0, true);
  return buf;
}

/**
 * Decodes a `struct ifaddrmsg`.
 *
 * @param buf The bytes.
 * @param offset Where it starts.
 * @returns The struct and the offset after it.
 * @throws {NetlinkDecodeError} When fewer than 8 bytes remain.
 */
export function decodeIfaddrmsg(buf: Uint8Array, offset: number): [Ifaddrmsg, number] {
  if (offset + IFADDRMSG_SIZE > buf.byteLength) {
    throw new NetlinkDecodeError("ifaddrmsg", offset, "truncated");
  }
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return [{
    family: v.getUint8(offset),
    prefixLen: v.getUint8(offset + 1),
    flags: v.getUint8(offset + 2),
    scope: v.getUint8(offset + 3),
    index: v.getUint32(offset + 4, true),
  }, offset + IFADDRMSG_SIZE];
}

/**
 * Decodes an `RTM_NEWADDR` payload into an {@linkcode Addr}.
 *
 * @param payload The message payload.
 * @returns The address, or `undefined` for families other than IPv4/IPv6.
 * @throws {NetlinkDecodeError} When the payload is malformed.
 */
export function parseAddrMessage(payload: Uint8Array): Addr | undefined {
  const [ifa, off] = decodeIfaddrmsg(payload, 0);
  if (ifa.family !== AF_INET && ifa.family !== AF_INET6) return undefined;
  const [attrs] = decodeAttrs(payload, off);
  const raw = findAttr(attrs, IFA_LOCAL) ?? findAttr(attrs, IFA_ADDRESS);
  if (!raw) throw new NetlinkDecodeError("ifaddrmsg", 0, "no IFA_LOCAL or IFA_ADDRESS");
  const ip = formatIp(raw);
  const flags = findAttr(attrs, IFA_FLAGS);
  const addr: Addr = {
    index: ifa.index,
    family: ifa.family === AF_INET ? 4 : 6,
    address: `${ip}/${ifa.prefixLen}`,
    ip,
    prefixLen: ifa.prefixLen,
    scope: ifa.scope,
    flags: flags ? readU32(flags) : ifa.flags,
  };
  const label = findAttr(attrs, IFA_LABEL);
  if (label) addr.label = readString(label);
  return addr;
}
