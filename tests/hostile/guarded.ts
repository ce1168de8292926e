/**
 * Spawning a process that may misbehave on hostile input: a wall-clock limit and a resident
 * memory cap (polled from `/proc/<pid>/status`), either of which ends it with SIGKILL, so that
 * an unbounded read of `/dev/zero` or a hang on a FIFO becomes a finding, not a stuck or
 * swapping machine.
 *
 * @module
 */

/** What a guarded run produced. */
export interface GuardedOut {
  /** Exit code (137 after a kill). */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
  /** Why it was killed, if it was. */
  killed?: "timeout" | "memory";
  /** Wall time in ms. */
  ms: number;
}

/** Options of {@linkcode runGuarded}. */
export interface GuardedOptions {
  /** Arguments. */
  args?: string[];
  /** The whole environment (the child gets nothing else). */
  env: Record<string, string>;
  /** Stdin bytes (written while the child runs; a child that does not read is fine). */
  stdin?: Uint8Array;
  /** Working directory. */
  cwd?: string;
  /** Wall-clock limit in ms. */
  timeoutMs: number;
  /** Resident memory cap in bytes. */
  maxRssBytes: number;
}

/**
 * Resident memory of a process in bytes, or 0 when it is gone.
 *
 * @param pid Process ID.
 * @returns VmRSS in bytes.
 */
export function rssOf(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Runs `cmd` with a time limit and a memory cap.
 *
 * @param cmd Program.
 * @param options Environment, stdin, limits.
 * @returns Its output, and why it was killed if it was.
 */
export async function runGuarded(cmd: string, options: GuardedOptions): Promise<GuardedOut> {
  const start = performance.now();
  const child = new Deno.Command(cmd, {
    args: options.args ?? [],
    clearEnv: true,
    env: options.env,
    ...(options.cwd && { cwd: options.cwd }),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let killed: GuardedOut["killed"];
  const kill = (why: NonNullable<GuardedOut["killed"]>) => {
    if (killed) return;
    killed = why;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => kill("timeout"), options.timeoutMs);
  const poll = setInterval(() => {
    if (rssOf(child.pid) > options.maxRssBytes) kill("memory");
  }, 25);
  const writer = child.stdin.getWriter();
  const writing = (async () => {
    try {
      if (options.stdin && options.stdin.length > 0) await writer.write(options.stdin);
      await writer.close();
    } catch {
      // the child closed its stdin or was killed
    }
  })();
  const out = await child.output();
  clearTimeout(timer);
  clearInterval(poll);
  await writing;
  const dec = new TextDecoder();
  const result: GuardedOut = {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    ms: Math.round(performance.now() - start),
  };
  if (killed) result.killed = killed;
  return result;
}
