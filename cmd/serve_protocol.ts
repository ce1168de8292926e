/**
 * The wire format between a plugin process that forwards its call (`cmd/forward.ts`) and the
 * `cnitool serve` daemon (`cmd/serve.ts`), over a Unix stream socket. Pure: bytes in, bytes
 * out, no I/O.
 *
 * One call per connection:
 *
 * 1. Request: `"DCNI"`, a version byte, then two length-prefixed parts (u32, big-endian): a
 *    JSON header `{ plugin, env }` and the plugin's stdin, byte for byte.
 * 2. The daemon answers one byte: {@linkcode ACCEPTED} (it runs the call) or
 *    {@linkcode DECLINED} (it will not: a caller that is not root or is in another network or
 *    mount namespace, which the daemon learns from the socket itself, an unknown plugin,
 *    another protocol version). A declined call is run by the plugin process itself.
 * 3. After {@linkcode ACCEPTED}: one length-prefixed JSON `{ stdout, stderr, exitCode }`, what
 *    the plugin process prints and exits with.
 *
 * @module
 */

/** The socket the plugins forward to and `cnitool serve` listens on, unless configured. */
export const DEFAULT_SOCKET = "/run/denocni/denocni.sock";
/** The variable that names another socket (the launchers set it; tests point it elsewhere). */
export const SOCKET_ENV = "DENOCNI_SOCKET";

/** First bytes of a request. */
export const MAGIC = "DCNI";
/** The protocol version; a daemon declines any other. */
export const PROTOCOL_VERSION = 1;
/** The daemon runs the call. */
export const ACCEPTED = 0x41; // "A"
/** The daemon does not run the call; the caller runs it itself. */
export const DECLINED = 0x4e; // "N"

/** Largest request header (the environment): larger requests are not forwarded. */
export const MAX_HEADER_BYTES = 1024 * 1024;
/** Largest stdin forwarded (a network configuration; the same cap as a plugin reading it). */
export const MAX_STDIN_BYTES = 1024 * 1024;
/** Largest response accepted. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** What a forwarded call carries besides its stdin. */
export interface RequestHeader {
  /** The plugin personality (`bridge`, `loopback`, ...). */
  plugin: string;
  /** The plugin process's whole environment (`CNI_*`, `PATH`, ...). */
  env: Record<string, string>;
}

/** What the plugin process prints and exits with. */
export interface CallResult {
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
  /** Exit code. */
  exitCode: number;
}

const ENC = new TextEncoder();
const DEC = new TextDecoder();
const PREFIX = 4 + 1 + 4; // magic, version, header length

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function readU32(buf: Uint8Array, at: number): number {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(at);
}

/**
 * Encodes a request.
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeRequest, encodeRequest } from "./serve_protocol.ts";
 * const bytes = encodeRequest({ plugin: "loopback", env: {} }, new Uint8Array([123, 125]));
 * const req = decodeRequest(bytes);
 * assert.equal(req.kind === "request" && req.header.plugin, "loopback");
 * ```
 *
 * @param header Plugin and environment.
 * @param stdin The plugin's stdin.
 * @returns The bytes to send.
 */
export function encodeRequest(header: RequestHeader, stdin: Uint8Array): Uint8Array<ArrayBuffer> {
  const json = ENC.encode(JSON.stringify(header));
  const out = new Uint8Array(PREFIX + json.length + 4 + stdin.length);
  out.set(ENC.encode(MAGIC), 0);
  out[4] = PROTOCOL_VERSION;
  out.set(u32(json.length), 5);
  out.set(json, PREFIX);
  out.set(u32(stdin.length), PREFIX + json.length);
  out.set(stdin, PREFIX + json.length + 4);
  return out;
}

/** What {@linkcode decodeRequest} found in the bytes received so far. */
export type DecodedRequest =
  | { kind: "partial" }
  | { kind: "request"; header: RequestHeader; stdin: Uint8Array }
  | { kind: "invalid"; reason: string };

function isStringRecord(v: unknown): v is Record<string, string> {
  return v !== null && typeof v === "object" && !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === "string");
}

function parseHeader(bytes: Uint8Array): RequestHeader | string {
  let h: unknown;
  try {
    h = JSON.parse(DEC.decode(bytes));
  } catch {
    return "header is not JSON";
  }
  const o = h as Partial<RequestHeader> | null;
  if (!o || typeof o.plugin !== "string" || !isStringRecord(o.env)) return "bad header";
  return { plugin: o.plugin, env: o.env };
}

/**
 * Decodes a request from the bytes received so far.
 *
 * @param buf Bytes received (the request starts at 0).
 * @returns `partial` until the whole request is there; `invalid` with a reason for a wrong
 *   magic, version, size or header.
 */
export function decodeRequest(buf: Uint8Array): DecodedRequest {
  const magic = ENC.encode(MAGIC);
  for (let i = 0; i < Math.min(buf.length, 4); i++) {
    if (buf[i] !== magic[i]) return { kind: "invalid", reason: "not a denocni request" };
  }
  if (buf.length >= 5 && buf[4] !== PROTOCOL_VERSION) {
    return { kind: "invalid", reason: `protocol version ${buf[4]}` };
  }
  if (buf.length < PREFIX) return { kind: "partial" };
  const headerLen = readU32(buf, 5);
  if (headerLen > MAX_HEADER_BYTES) return { kind: "invalid", reason: "header too large" };
  if (buf.length < PREFIX + headerLen + 4) return { kind: "partial" };
  const stdinLen = readU32(buf, PREFIX + headerLen);
  if (stdinLen > MAX_STDIN_BYTES) return { kind: "invalid", reason: "stdin too large" };
  const end = PREFIX + headerLen + 4 + stdinLen;
  if (buf.length < end) return { kind: "partial" };
  if (buf.length > end) return { kind: "invalid", reason: "trailing bytes" };
  const header = parseHeader(buf.subarray(PREFIX, PREFIX + headerLen));
  if (typeof header === "string") return { kind: "invalid", reason: header };
  return { kind: "request", header, stdin: buf.slice(PREFIX + headerLen + 4, end) };
}

/**
 * Encodes the daemon's answer to an accepted call (without the leading {@linkcode ACCEPTED}).
 *
 * @param result What the plugin prints and exits with.
 * @returns The bytes to send.
 */
export function encodeResult(result: CallResult): Uint8Array<ArrayBuffer> {
  const json = ENC.encode(JSON.stringify(result));
  const out = new Uint8Array(4 + json.length);
  out.set(u32(json.length), 0);
  out.set(json, 4);
  return out;
}

/**
 * Decodes the answer to an accepted call from the bytes received so far.
 *
 * @param buf Bytes received after {@linkcode ACCEPTED}.
 * @returns The result; `undefined` while incomplete.
 * @throws {RangeError} When the answer is too large, has trailing bytes or is not a result.
 */
export function decodeResult(buf: Uint8Array): CallResult | undefined {
  if (buf.length < 4) return undefined;
  const len = readU32(buf, 0);
  if (len > MAX_RESPONSE_BYTES) throw new RangeError("result too large");
  if (buf.length < 4 + len) return undefined;
  if (buf.length > 4 + len) throw new RangeError("trailing bytes after the result");
  const r = JSON.parse(DEC.decode(buf.subarray(4))) as Partial<CallResult> | null;
  if (
    !r || typeof r.stdout !== "string" || typeof r.stderr !== "string" ||
    !Number.isInteger(r.exitCode)
  ) {
    throw new RangeError("not a call result");
  }
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode! };
}
