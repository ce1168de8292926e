/**
 * The exec invoker, like the reference `pkg/invoke` `RawExec`: a plugin binary found on
 * `CNI_PATH`, run with `Deno.Command` (clean environment, config on stdin, output capped,
 * `ETXTBSY` retried, a hung plugin killed after a timeout).
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "./errors.ts";
import { MAX_CONFIG_BYTES } from "./read_bounded.ts";
import { findInPath } from "./find.ts";
import { type Invoker, invokerFrom, type InvokerOptions, type RawOutcome } from "./invoke.ts";
import { clip } from "./invoke_output.ts";

const TEXT = new TextDecoder();

/** Options of {@linkcode execInvoker}. */
export interface ExecInvokerOptions extends InvokerOptions {
  /** Kill a plugin (SIGKILL) that runs longer than this; 0 or absent = no limit. */
  timeoutMs?: number;
  /** Delay between retries when the binary is busy (`ETXTBSY`), default 1000 ms, 5 retries. */
  busyRetryDelayMs?: number;
}

function isBusy(err: unknown): boolean {
  const text = errorText(err);
  return /text file busy|os error 26/i.test(text);
}

/** Most of a plugin's stdout read: a result or an error is small (as a config is). */
const MAX_PLUGIN_STDOUT = MAX_CONFIG_BYTES;
/** Most of a plugin's stderr kept; the rest is read and dropped so the plugin never blocks. */
const MAX_PLUGIN_STDERR = 64 * 1024;

/**
 * Reads a plugin's output stream to its end, keeping at most `max` bytes. With `stop`, more
 * than `max` calls `stop` (which kills the plugin) and gives up the stream; without it the
 * excess is read and dropped.
 */
async function readCapped(
  stream: ReadableStream<Uint8Array>,
  max: number,
  stop?: () => void,
): Promise<{ text: string; overflow: boolean }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let overflow = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (overflow) continue;
    if (kept + value.length > max) {
      overflow = true;
      chunks.push(value.subarray(0, max - kept));
      kept = max;
      if (stop) {
        stop();
        await reader.cancel().catch(() => {});
        break;
      }
      continue;
    }
    chunks.push(value);
    kept += value.length;
  }
  const all = new Uint8Array(kept);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return { text: TEXT.decode(all), overflow };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function spawnPlugin(
  path: string,
  type: string,
  stdin: Uint8Array,
  env: Record<string, string>,
  options: ExecInvokerOptions,
): Promise<RawOutcome> {
  let child: Deno.ChildProcess | undefined;
  for (let attempt = 0;; attempt++) {
    try {
      child = new Deno.Command(path, {
        env,
        clearEnv: true,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      break;
    } catch (err) {
      if (isBusy(err) && attempt < 5) {
        await delay(options.busyRetryDelayMs ?? 1000);
        continue;
      }
      throw new CniError(ErrorCode.Internal, `failed to run plugin "${type}" (${path})`, {
        details: errorText(err),
        cause: err,
      });
    }
  }
  const proc = child;
  let timedOut = false;
  const timeoutMs = options.timeoutMs ?? 0;
  const timer = timeoutMs > 0
    ? setTimeout(() => {
      timedOut = true;
      try {
        proc.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs)
    : undefined;
  const kill = () => {
    try {
      proc.kill("SIGKILL");
    } catch {
      // already gone
    }
  };
  const stdoutP = readCapped(proc.stdout, MAX_PLUGIN_STDOUT, kill);
  const stderrP = readCapped(proc.stderr, MAX_PLUGIN_STDERR);
  const writer = proc.stdin.getWriter();
  const writeP = writer.write(stdin).then(() => writer.close()).catch(() => {});
  let status: Deno.CommandStatus;
  try {
    status = await proc.status;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  await writeP;
  if (timedOut) {
    // A grandchild may still hold the pipes open: do not wait for it.
    const rest = await Promise.race([
      Promise.all([stdoutP, stderrP]),
      delay(200).then(() => undefined),
    ]);
    throw new CniError(
      ErrorCode.Internal,
      `plugin "${type}" timed out after ${timeoutMs} ms and was killed (SIGKILL)`,
      rest?.[1].text ? { details: clip(rest[1].text) } : {},
    );
  }
  const [out, err] = await Promise.all([stdoutP, stderrP]);
  if (out.overflow) {
    throw new CniError(
      ErrorCode.Internal,
      `plugin "${type}" printed more than ${
        MAX_PLUGIN_STDOUT / 1024
      } KiB on stdout and was killed (SIGKILL)`,
      err.text ? { details: clip(err.text) } : {},
    );
  }
  const stdout = out.text;
  const stderr = err.overflow
    ? `${err.text}\n[stderr cut at ${MAX_PLUGIN_STDERR} bytes]\n`
    : err.text;
  const how = status.signal ? `signal: ${status.signal}` : `exit status ${status.code}`;
  return { exitCode: status.success ? 0 : status.code || 1, stdout, stderr, status: how };
}

/**
 * An invoker that execs plugin binaries found on `cniPath`, like the reference
 * `invoke.DefaultExec`: environment as `pkg/invoke/args.go`, config on stdin, stdout parsed,
 * error JSON from stdout with a stderr fallback, stderr of successful plugins forwarded,
 * `ETXTBSY` retried, and a hung plugin killed (SIGKILL) after `timeoutMs`.
 *
 * @example Probing a plugin's versions
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { execInvoker } from "./invoke_exec.ts";
 * const inv = execInvoker({ cniPath: ["/usr/lib/cni"], timeoutMs: 10_000 });
 * assert.ok((await inv.version("bridge")).supportedVersions.includes("1.0.0"));
 * ```
 *
 * @param options Search path, base environment, timeout, stderr sink.
 * @returns The invoker.
 */
export function execInvoker(options: ExecInvokerOptions = {}): Invoker {
  const paths = options.cniPath ?? [];
  return invokerFrom(
    (type) => findInPath(type, paths),
    async (type, stdin, env) => {
      const path = await findInPath(type, paths);
      return spawnPlugin(path, type, stdin, env, options);
    },
    options,
    () => options.env ?? Deno.env.toObject(),
  );
}
