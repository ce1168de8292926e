/**
 * The thin side of the thick plugin: a plugin process hands its call (environment and stdin)
 * to the `cnitool serve` daemon over a Unix socket and prints what the daemon's in-process run
 * of the same plugin code printed, exiting with its code.
 *
 * Every failure means "run the call here instead": no socket, a refused or hung connection, a
 * daemon that declines (it checks from the socket that the caller is root and in its own
 * network and mount namespaces, where paths and interfaces mean the same), a broken answer. Connecting, sending and the
 * daemon's acceptance are bounded by {@linkcode ACK_TIMEOUT_MS}, the call by
 * {@linkcode CALL_TIMEOUT_MS}; the bounds are the socket's own (`SO_SNDTIMEO`,
 * `SO_RCVTIMEO`), so no JavaScript timer is started (a first `setTimeout` costs a Deno process
 * about 6 ms).
 *
 * The calls are synchronous FFI calls straight on the libc table: a forwarding process has
 * nothing else to do meanwhile, and any failure has the same outcome, so no errno is decoded
 * (this module stays small: a forwarding process parses all of its bundle on every start).
 *
 * @module
 */
import { AF_UNIX, sockaddrUn, timeval } from "../ffi/structs.ts";
import { errnoNow, libc } from "../ffi/libc.ts";
import { EINTR } from "../ffi/errno.ts";
import {
  MSG_NOSIGNAL,
  SO_RCVTIMEO,
  SO_SNDTIMEO,
  SOCK_CLOEXEC,
  SOCK_STREAM,
  SOL_SOCKET,
} from "../ffi/constants.ts";
import {
  ACCEPTED,
  type CallResult,
  decodeResult,
  DEFAULT_SOCKET,
  encodeRequest,
  MAX_STDIN_BYTES,
  SOCKET_ENV,
} from "./serve_protocol.ts";

/** Bound on connecting, sending the request and the daemon accepting it. */
export const ACK_TIMEOUT_MS = 2000;
/** Bound on an accepted call (a hung daemon is then given up and the call run here). */
export const CALL_TIMEOUT_MS = 120_000;

/** A failed call: the caller runs the plugin itself. */
class Unforwarded extends Error {
  override name = "Unforwarded";
  constructor() {
    super("cannot forward the call");
  }
}

function ok(n: number | bigint): number {
  const v = Number(n);
  if (v < 0) throw new Unforwarded();
  return v;
}

function interrupted(): boolean {
  return errnoNow() === EINTR;
}

/** `read(2)` retried on `EINTR`; a failure (a timeout included) throws {@linkcode Unforwarded}. */
function readSome(fd: number, buf: Uint8Array<ArrayBuffer>): number {
  for (;;) {
    const n = Number(libc().read(fd, buf, BigInt(buf.byteLength)));
    if (n >= 0) return n;
    if (!interrupted()) throw new Unforwarded();
  }
}

/**
 * Whether `CNI_COMMAND` in `env` needs stdin read (not for VERSION or a missing command, so
 * the about text never waits on a terminal).
 *
 * @param env The environment.
 * @returns True when the caller should read stdin.
 */
export function needsStdin(env: Readonly<Record<string, string | undefined>>): boolean {
  const command = env.CNI_COMMAND ?? "";
  return command !== "" && command !== "VERSION";
}

/**
 * The socket a plugin process forwards to: `DENOCNI_SOCKET`, else the default.
 *
 * @param env The environment.
 * @returns The socket path.
 */
export function socketPath(env: Readonly<Record<string, string | undefined>>): string {
  return env[SOCKET_ENV] || DEFAULT_SOCKET;
}

/**
 * Whether a Unix socket exists at `path` (a cheap test before trying to forward).
 *
 * @param path Socket path.
 * @returns True for a socket.
 */
export function socketExists(path: string): boolean {
  try {
    return Deno.lstatSync(path).isSocket === true;
  } catch {
    return false;
  }
}

/** Options for {@linkcode forwardCall}. */
export interface ForwardOptions {
  /** The daemon's socket. */
  socket: string;
  /** Bound on connect, send and acceptance (default {@linkcode ACK_TIMEOUT_MS}). */
  ackTimeoutMs?: number;
  /** Bound on the accepted call (default {@linkcode CALL_TIMEOUT_MS}). */
  callTimeoutMs?: number;
}

function sendAll(fd: number, data: Uint8Array<ArrayBuffer>): void {
  let off = 0;
  while (off < data.length) {
    const rest = data.subarray(off);
    const n = Number(libc().sendto(fd, rest, BigInt(rest.byteLength), MSG_NOSIGNAL, null, 0));
    if (n < 0 && interrupted()) continue;
    off += ok(n);
  }
}

function bound(fd: number, option: number, ms: number): void {
  const tv = timeval(ms);
  ok(libc().setsockopt(fd, SOL_SOCKET, option, tv, tv.byteLength));
}

/**
 * Hands one plugin call to the daemon and returns what it printed; `undefined` whenever the
 * daemon did not run it to the end (then the caller runs the call itself).
 *
 * @example As cli.ts does it
 * ```ts ignore
 * const out = forwardCall("loopback", Deno.env.toObject(), stdin, { socket: DEFAULT_SOCKET });
 * if (out === undefined) { ... run loopback here ... }
 * ```
 *
 * @param plugin The plugin personality.
 * @param env The plugin process's environment.
 * @param stdin The plugin's stdin (at most {@linkcode MAX_STDIN_BYTES}).
 * @param options Socket and bounds.
 * @returns What the plugin printed and its exit code, or `undefined`.
 */
export function forwardCall(
  plugin: string,
  env: Record<string, string>,
  stdin: Uint8Array,
  options: ForwardOptions,
): CallResult | undefined {
  if (stdin.length > MAX_STDIN_BYTES) return undefined;
  let fd = -1;
  try {
    const request = encodeRequest({ plugin, env }, stdin);
    fd = ok(libc().socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const ack = options.ackTimeoutMs ?? ACK_TIMEOUT_MS;
    bound(fd, SO_SNDTIMEO, ack);
    bound(fd, SO_RCVTIMEO, ack);
    const addr = sockaddrUn(options.socket);
    while (libc().connect(fd, addr, addr.byteLength) !== 0) {
      if (!interrupted()) return undefined;
    }
    sendAll(fd, request);
    const first = new Uint8Array(1);
    if (readSome(fd, first) !== 1 || first[0] !== ACCEPTED) return undefined;
    bound(fd, SO_RCVTIMEO, options.callTimeoutMs ?? CALL_TIMEOUT_MS);
    let buf = new Uint8Array(64 * 1024);
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        const bigger = new Uint8Array(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      }
      const n = readSome(fd, buf.subarray(len));
      if (n === 0) return undefined; // the daemon went away before answering
      len += n;
      const result = decodeResult(buf.subarray(0, len));
      if (result) return result;
    }
  } catch {
    return undefined; // Unforwarded, or a broken answer (RangeError, SyntaxError)
  } finally {
    if (fd >= 0) libc().close(fd);
  }
}

/** A reader of stdin, as `Deno.stdin.read`. */
export type StdinReader = (buf: Uint8Array) => Promise<number | null>;

/**
 * A reader of this process's stdin through `read(2)` on descriptor 0: what a forwarding process
 * uses instead of `Deno.stdin`, whose first read sets up an asynchronous resource (about 1.5 ms
 * of a forwarding process's start).
 *
 * @returns The reader (`null` at the end of stdin).
 * @throws {Error} When stdin cannot be read.
 */
export function stdinReader(): StdinReader {
  return (buf) => {
    const n = readSome(0, buf as Uint8Array<ArrayBuffer>);
    return Promise.resolve(n === 0 ? null : n);
  };
}

/** What {@linkcode forwardPluginProcess} did. */
export type Forwarded =
  | { result: CallResult }
  | { read: StdinReader };

/**
 * A reader that yields `prefix` first, then what `rest` reads.
 *
 * @param prefix Bytes already taken from the stream.
 * @param rest The stream's reader.
 * @returns The reader.
 */
export function replayReader(prefix: Uint8Array, rest: StdinReader): StdinReader {
  let off = 0;
  return (buf) => {
    if (off >= prefix.length) return rest(buf);
    const n = Math.min(buf.length, prefix.length - off);
    buf.set(prefix.subarray(off, off + n));
    off += n;
    return Promise.resolve(n);
  };
}

/**
 * Forwards a plugin process's call to the daemon when its socket is there: reads stdin (when
 * the command needs it, at most one byte over the cap) and hands the call over. When the call
 * is not run by the daemon, returns a reader that replays what was read, so the caller runs
 * the plugin as if nothing had happened.
 *
 * @param plugin The plugin personality.
 * @param io The environment and stdin.
 * @returns The daemon's result, or the reader to run the call with.
 */
export async function forwardPluginProcess(
  plugin: string,
  io: { env: Record<string, string>; read: StdinReader },
): Promise<Forwarded> {
  const socket = socketPath(io.env);
  if (!socketExists(socket)) return { read: io.read };
  let stdin = new Uint8Array(0);
  if (needsStdin(io.env)) {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(64 * 1024);
      const n = await io.read(buf);
      if (n === null) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > MAX_STDIN_BYTES) break;
    }
    stdin = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      stdin.set(c, off);
      off += c.length;
    }
  }
  const result = stdin.length > MAX_STDIN_BYTES
    ? undefined
    : forwardCall(plugin, io.env, stdin, { socket });
  return result ? { result } : { read: replayReader(stdin, io.read) };
}

/**
 * Writes all of `text` to a synchronous stream (`Deno.stdout`, `Deno.stderr`).
 *
 * @param stream The stream.
 * @param text The text.
 */
export function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) off += stream.writeSync(bytes.subarray(off));
}

/**
 * A plugin process's call: forwarded to the daemon when it runs it (its output printed here),
 * else run here by `runHere` with a reader that replays what the forwarding read of stdin.
 *
 * @param plugin The plugin personality.
 * @param io The environment and stdin.
 * @param runHere Runs the call in this process; returns its exit code.
 * @returns The exit code.
 */
export async function forwardOrRun(
  plugin: string,
  io: { env: Record<string, string>; read: StdinReader },
  runHere: (read: StdinReader) => Promise<number>,
): Promise<number> {
  const fwd = await forwardPluginProcess(plugin, io);
  if ("read" in fwd) return await runHere(fwd.read);
  writeAll(Deno.stdout, fwd.result.stdout);
  writeAll(Deno.stderr, fwd.result.stderr);
  return fwd.result.exitCode;
}
