/**
 * `cnitool serve`: the thick side of the thick plugin (as Multus' thick mode, or the Cilium
 * and Calico agents). A long-running process keeps the built-in plugins loaded and compiled
 * and runs each forwarded call in-process, through the same code a plugin process runs
 * (`runBuiltinPlugin`: skel, the delegate, the wait for the kernel's late work), with the
 * caller's environment and stdin. The plugin processes that runtimes exec become thin
 * forwarders (`cmd/forward.ts`) that cost little more than Deno's own start-up.
 *
 * The socket is plain libc (`socket`, `bind`, `listen`, `accept4` on a worker thread), as the
 * forwarder's is: neither side needs Deno's network permission, and any path works.
 *
 * The socket is root's alone: its directory is made mode 0700 and the socket 0600, and the
 * daemon checks each caller's credentials on the socket (`SO_PEERCRED`). A call is declined
 * (and run by the plugin process itself) when the caller is not root, is in another network or
 * mount namespace (read from `/proc/<pid>/ns` of the caller: interfaces and paths would mean
 * other things there), names a plugin this daemon does not have, or speaks another protocol
 * version. A daemon that dies or hangs costs a runtime at most the forwarder's bounds. A
 * daemon whose program file was replaced (a new `cnitool install`) declines every call from
 * then on and stops, so that its service manager starts the new program.
 *
 * @module
 */
import { dirname } from "../cni/_path.ts";
import { CniError, errorText } from "../cni/errors.ts";
import { AF_UNIX, sockaddrUn, timeval } from "../ffi/structs.ts";
import { ErrnoError } from "../ffi/errno.ts";
import {
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  O_RDONLY,
  SHUT_RDWR,
  SO_RCVTIMEO,
  SO_SNDTIMEO,
  SOCK_CLOEXEC,
  SOCK_STREAM,
  SOL_SOCKET,
} from "../ffi/constants.ts";
import { close, fstat, open, readOffThread, writeOffThread } from "../ffi/fd.ts";
import {
  acceptOffThread,
  bind,
  connect,
  listen,
  peerCredentials,
  recvfrom,
  sendto,
  setsockopt,
  shutdown,
  socket,
} from "../ffi/socket.ts";
import type { PluginRegistry } from "../cni/plugin.ts";
import type { PluginAbout } from "../plugins/mod.ts";
import { runBuiltinPlugin } from "./plugin.ts";
import { lstatOrNull } from "./_lstat.ts";
import {
  ACCEPTED,
  type CallResult,
  DECLINED,
  decodeRequest,
  DEFAULT_SOCKET,
  encodeResult,
  MAX_HEADER_BYTES,
  MAX_STDIN_BYTES,
  type RequestHeader,
} from "./serve_protocol.ts";

/** How long a connected client may take to send its request, or to take the answer. */
export const CLIENT_TIMEOUT_MS = 10_000;

/** Options for {@linkcode serve}. */
export interface ServeOptions {
  /** Socket path (default {@linkcode DEFAULT_SOCKET}). */
  socket?: string;
  /** The built-in plugins. */
  registry: PluginRegistry;
  /** What each plugin answers to VERSION without being loaded. */
  about?: Readonly<Record<string, PluginAbout>>;
  /** Stops the daemon: no new calls, running calls finish, the socket is removed. */
  signal?: AbortSignal;
  /** Called once the socket accepts calls. */
  onListening?: (socket: string) => void;
  /** One line per call and per declined call (default: nothing). */
  log?: (line: string) => void;
  /**
   * The program file whose replacement stops the daemon (default: the running bundle or
   * compiled binary; none when running from source).
   */
  program?: string;
}

/** The file the daemon was started from: the bundle, or the compiled binary. */
function programFile(): string | undefined {
  if (Deno.build.standalone) return Deno.execPath();
  const main = Deno.mainModule;
  return main.startsWith("file:") && main.endsWith(".js") ? new URL(main).pathname : undefined;
}

function identity(path: string | undefined): string {
  if (path === undefined) return "";
  try {
    const st = Deno.statSync(path);
    return `${st.dev}:${st.ino}:${st.mtime?.getTime()}`;
  } catch {
    return "gone";
  }
}

/** What a served call was, for the log and for tests. */
export interface ServedCall {
  /** The plugin. */
  plugin: string;
  /** `CNI_COMMAND`. */
  command: string;
  /** Exit code, or the reason it was declined. */
  outcome: number | string;
  /** Milliseconds in the daemon. */
  ms: number;
}

/** Which namespaces a process is in: `dev:inode` of its `/proc/<pid>/ns/{net,mnt}`. */
export interface NsIdentity {
  /** Network namespace. */
  net: string;
  /** Mount namespace. */
  mnt: string;
}

function nsId(path: string): string {
  const fd = open(path, O_RDONLY);
  try {
    const { dev, ino } = fstat(fd);
    return `${dev}:${ino}`;
  } finally {
    close(fd);
  }
}

/**
 * The network and mount namespaces of a process (of its main thread).
 *
 * @param pid A pid, or `"self"`.
 * @returns `dev:inode` of each.
 * @throws {ErrnoError} When the process is gone or `/proc` cannot be read.
 */
export function nsIdentity(pid: number | "self"): NsIdentity {
  return { net: nsId(`/proc/${pid}/ns/net`), mnt: nsId(`/proc/${pid}/ns/mnt`) };
}

function isLive(path: string): boolean {
  const fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  try {
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, timeval(1000));
    connect(fd, sockaddrUn(path));
    return true;
  } catch {
    return false;
  } finally {
    close(fd);
  }
}

/** Makes the socket's directory (root-only when we create it) and clears a stale socket. */
function prepareSocketPath(path: string): void {
  const dir = dirname(path);
  if (lstatOrNull(dir) === null) {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    Deno.chmodSync(dir, 0o700);
  }
  const existing = lstatOrNull(path);
  if (existing === null) return;
  if (!existing.isSocket) {
    throw new CniError(999, `cannot serve on ${path}: it exists and is not a socket`);
  }
  if (isLive(path)) {
    throw new CniError(999, `cannot serve on ${path}: another daemon is answering there`);
  }
  Deno.removeSync(path);
}

function wouldBlock(err: unknown): boolean {
  return err instanceof ErrnoError && (err.code === "EAGAIN" || err.code === "EINTR");
}

/**
 * Reads what is there without waiting (the client sends its request right after connecting,
 * so it usually is), else waits on a worker thread (bounded by `SO_RCVTIMEO`).
 */
async function readChunk(fd: number, buf: Uint8Array<ArrayBuffer>): Promise<number> {
  try {
    return recvfrom(fd, buf, MSG_DONTWAIT).length;
  } catch (err) {
    if (!wouldBlock(err)) return -1;
  }
  return await readOffThread(fd, buf);
}

async function readRequest(
  fd: number,
): Promise<{ header: RequestHeader; stdin: Uint8Array } | string> {
  let buf = new Uint8Array(16 * 1024);
  let len = 0;
  const cap = 4 + 1 + 4 + MAX_HEADER_BYTES + 4 + MAX_STDIN_BYTES;
  for (;;) {
    if (len === buf.length) {
      if (buf.length >= cap) return "request too large";
      const bigger = new Uint8Array(Math.min(buf.length * 2, cap));
      bigger.set(buf);
      buf = bigger;
    }
    const n = await readChunk(fd, buf.subarray(len));
    if (n < 0) return "request not received in time";
    if (n === 0) return "connection closed before the request ended";
    len += n;
    const decoded = decodeRequest(buf.subarray(0, len));
    if (decoded.kind === "request") return decoded;
    if (decoded.kind === "invalid") return decoded.reason;
  }
}

/** Sends without waiting while the socket takes it, then waits on a worker thread. */
async function writeAll(fd: number, data: Uint8Array<ArrayBuffer>): Promise<void> {
  let off = 0;
  while (off < data.length) {
    let n: number;
    try {
      n = sendto(fd, data.subarray(off), null, MSG_DONTWAIT | MSG_NOSIGNAL);
    } catch (err) {
      if (!wouldBlock(err)) throw err;
      n = await writeOffThread(fd, data.subarray(off));
      if (n <= 0) throw new Error("client gone");
    }
    off += n;
  }
}

/** Why the caller on `fd` may not have its call run here, or undefined. */
function callerDeclined(fd: number, own: NsIdentity): string | undefined {
  let cred;
  try {
    cred = peerCredentials(fd);
  } catch {
    return "caller credentials unknown";
  }
  if (cred.uid !== 0) return `caller uid ${cred.uid} is not root`;
  if (cred.pid <= 0) return "caller outside this PID namespace";
  let ns;
  try {
    ns = nsIdentity(cred.pid);
  } catch {
    return "caller namespaces unknown";
  }
  if (ns.net !== own.net) return "caller in another network namespace";
  if (ns.mnt !== own.mnt) return "caller in another mount namespace";
  return undefined;
}

async function runCall(header: RequestHeader, stdin: Uint8Array, options: ServeOptions) {
  try {
    return await runBuiltinPlugin(header.plugin, { env: header.env, stdin }, {
      registry: options.registry,
      ...(options.about && { about: options.about }),
    });
  } catch (err) {
    // What cli.ts prints for an error that escapes the plugin code.
    const message = errorText(err);
    return { stdout: "", stderr: `error: ${message}\n`, exitCode: 1 };
  }
}

async function handle(
  fd: number,
  own: NsIdentity,
  options: ServeOptions,
  replaced: () => boolean,
): Promise<ServedCall | undefined> {
  const t0 = performance.now();
  try {
    const bound = timeval(CLIENT_TIMEOUT_MS);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, bound);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, bound);
    const request = await readRequest(fd);
    if (typeof request === "string") {
      await writeAll(fd, new Uint8Array([DECLINED]));
      return { plugin: "", command: "", outcome: request, ms: performance.now() - t0 };
    }
    const { header, stdin } = request;
    const call = { plugin: header.plugin, command: header.env.CNI_COMMAND ?? "" };
    const reason = callerDeclined(fd, own) ??
      (Object.hasOwn(options.registry, header.plugin)
        ? undefined
        : `no built-in plugin "${header.plugin}"`) ??
      (replaced() ? "program replaced: stopping" : undefined);
    if (reason !== undefined) {
      await writeAll(fd, new Uint8Array([DECLINED]));
      return { ...call, outcome: reason, ms: performance.now() - t0 };
    }
    await writeAll(fd, new Uint8Array([ACCEPTED]));
    const out: CallResult = await runCall(header, stdin, options);
    await writeAll(fd, encodeResult(out));
    return { ...call, outcome: out.exitCode, ms: performance.now() - t0 };
  } catch {
    return undefined; // the client went away: it runs the call itself or has given up
  } finally {
    close(fd);
  }
}

/**
 * Serves forwarded plugin calls until `options.signal` aborts, then lets running calls finish
 * and removes the socket.
 *
 * @example Serving with the built-in plugins
 * ```ts ignore
 * import { BUILTIN_ABOUT, BUILTIN_PLUGINS } from "../plugins/mod.ts";
 * const stop = new AbortController();
 * Deno.addSignalListener("SIGTERM", () => stop.abort());
 * await serve({ registry: BUILTIN_PLUGINS, about: BUILTIN_ABOUT, signal: stop.signal });
 * ```
 *
 * @param options Socket, plugins, stop signal, log.
 * @returns When stopped.
 * @throws {CniError} Code 999 when the socket path is taken by a live daemon or by something
 *   that is not a socket.
 */
export async function serve(options: ServeOptions): Promise<void> {
  const path = options.socket ?? DEFAULT_SOCKET;
  const own = nsIdentity("self");
  const program = options.program ?? programFile();
  const startedAs = identity(program);
  // Load and compile what calls run before the first one comes.
  await Promise.all([
    ...Object.values(options.registry).map((load) => load()),
    import("../cni/invoke_builtin.ts"),
    import("../netns/netns.ts"),
    import("../netlink/socket.ts"),
    import("../cni/version.ts"),
  ]);
  prepareSocketPath(path);
  const fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  let stopping = false;
  const running = new Set<Promise<unknown>>();
  const stop = () => {
    stopping = true;
    try {
      shutdown(fd, SHUT_RDWR); // wakes the accept waiting on a worker thread
    } catch { /* not listening yet */ }
  };
  try {
    bind(fd, sockaddrUn(path));
    Deno.chmodSync(path, 0o600); // before listen: nobody else can have connected
    listen(fd, 128);
    options.signal?.addEventListener("abort", stop, { once: true });
    options.onListening?.(path);
    if (options.signal?.aborted) stop();
    while (!stopping) {
      const conn = await acceptOffThread(fd);
      if (conn < 0) {
        if (stopping) break;
        // Out of descriptors or memory: give running calls a moment to end.
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const replaced = () => {
        if (identity(program) === startedAs) return false;
        stop(); // no new calls; this one and the running ones finish
        return true;
      };
      const p = handle(conn, own, options, replaced).then((call) => {
        if (call && options.log) {
          options.log(
            `${call.plugin || "-"} ${call.command || "-"} ${
              typeof call.outcome === "number"
                ? `exit ${call.outcome}`
                : `declined: ${call.outcome}`
            } ${call.ms.toFixed(1)} ms`,
          );
        }
      });
      running.add(p);
      p.finally(() => running.delete(p));
    }
  } finally {
    options.signal?.removeEventListener("abort", stop);
    try {
      Deno.removeSync(path);
    } catch { /* gone */ }
    close(fd);
    await Promise.allSettled([...running]);
  }
}
