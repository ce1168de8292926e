/**
 * `struct ifaddrmsg`, the `IFA_*` attributes, and address text as `ip(8)` reads and prints it,
 * on top of the one IP model in `ip/`. Pure.
 *
 * Text goes to the kernel in the family it is written in (`::ffff:10.0.0.1` is an `AF_INET6`
 * address, as `ip addr add` takes it), and kernel bytes come back as `ip -j` prints them
 * (an `AF_INET6` IPv4-mapped address as `::ffff:10.0.0.1`): the message carries the family,
 * and the text must not lose it. Go's view of the same text (IPv4) is `ip/`'s `parseIp`.
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
import { bitsOf, type IpAddr, type IpFamily, ipFromBytes, isIPv4Mapped } from "../ip/addr.ts";
import { lastOf, parsePrefixLength } from "../ip/cidr.ts";
import { parseIpLiteral } from "../ip/parse.ts";
import { formatIPv4, formatIPv6 } from "../ip/print.ts";

/** An address family as users write it: 4 or 6. */
export type { IpFamily };

/** A parsed IP address: `ip/`'s {@linkcode IpAddr} (family as written, 4 or 16 bytes). */
export type IpAddress = IpAddr;

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
 * Parses an IPv4 or IPv6 address in the family it is written in (`ip(8)`).
 *
 * @param text `"10.1.2.3"` or `"fd00::2"`.
 * @param op The operation, for the error message.
 * @returns Family and bytes.
 * @throws {NetlinkInputError} When it is neither.
 */
export function parseIp(text: string, op = "parse address"): IpAddress {
  const ip = parseIpLiteral(text);
  if (!ip) throw new NetlinkInputError(op, text, "invalid IP address");
  return ip;
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
  const ip = parseIp(slash === -1 ? text : text.slice(0, slash), op);
  const max = bitsOf(ip.family);
  if (slash === -1) return { ...ip, prefixLen: max };
  const n = parsePrefixLength(text.slice(slash + 1), max);
  if (n === undefined) {
    throw new NetlinkInputError(op, text, `invalid prefix length: need 0..${max}`);
  }
  return { ...ip, prefixLen: n };
}

/**
 * Formats kernel address bytes as `ip` prints them: dotted quad, RFC 5952 IPv6, and an
 * IPv4-mapped IPv6 address as `::ffff:a.b.c.d`.
 *
 * @param bytes 4 or 16 bytes.
 * @returns The text.
 * @throws {NetlinkDecodeError} For other lengths.
 */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.byteLength === 4) return formatIPv4(bytes);
  if (bytes.byteLength !== 16) {
    throw new NetlinkDecodeError("IP address", 0, `${bytes.byteLength} bytes, need 4 or 16`);
  }
  if (isIPv4Mapped(bytes)) return `::ffff:${formatIPv4(bytes.subarray(12))}`;
  return formatIPv6(bytes);
}

/**
 * The IPv4 broadcast address of a prefix (all host bits set), as `ip addr add ... brd +` does.
 *
 * @param bytes IPv4 address bytes.
 * @param prefixLen Prefix length.
 * @returns The broadcast address bytes.
 */
export function broadcastOf(bytes: Uint8Array, prefixLen: number): Uint8Array {
  return lastOf({ ip: ipFromBytes(bytes), prefix: prefixLen }).bytes;
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
