/**
 * How the benchmark measures: a timed call, a pool of concurrent calls, the samples table,
 * waiting for a quiet machine, and a timed process spawn (with the bare `deno run` floor).
 *
 * @module
 */
import type { Mode } from "./report.ts";
import { log, TEXT } from "./world.ts";
import { errorText } from "../cni/errors.ts";

export async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

export async function pool<T>(
  items: readonly T[],
  width: number,
  fn: (t: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

export type Samples = Record<string, Partial<Record<Mode, number[]>>>;

export function push(samples: Samples, id: string, mode: Mode, v: number): void {
  const row = samples[id] ??= {};
  (row[mode] ??= []).push(v);
}

export function cpuTimes(): { idle: number; total: number } {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0]!; // "cpu  user nice system idle iowait ..."
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  return { idle: (v[3] ?? 0) + (v[4] ?? 0), total: v.reduce((a, b) => a + b, 0) };
}

/**
 * Waits (up to 3 s) until the machine is quiet: the kernel cleans up deleted namespaces (and
 * the veths in them) in the background, so a batch started right after another mode's 100
 * namespaces were deleted would pay for that mode's cleanup.
 */
export async function settle(maxMs = 3000): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline) {
    const a = cpuTimes();
    await new Promise((r) => setTimeout(r, 50));
    const b = cpuTimes();
    const total = b.total - a.total;
    if (total > 0 && (b.idle - a.idle) / total >= 0.9) return;
  }
}

/** Runs a command with only `env` and no stdin, and collects its exit and both streams. */
export async function capture(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<Deno.CommandOutput> {
  return await new Deno.Command(cmd, {
    args,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
}

export async function spawnMs(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<number> {
  const t0 = performance.now();
  const out = await capture(cmd, args, env);
  const ms = performance.now() - t0;
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed: ${TEXT.decode(out.stdout)} ${TEXT.decode(out.stderr)}`,
    );
  }
  return ms;
}

/** `deno run` of an empty file, as the launchers run a bundle: Deno's own start and exit. */
export const FLOOR_ARGS = ["run", "--quiet", "--no-config", "--no-lock", "--no-prompt"];

/**
 * Runs a bench entry point: its exit code (0 when it returns none), or one `error: ...` line
 * on stderr and exit code 1 when it throws.
 *
 * @param main The entry point.
 * @returns Resolves when it is done.
 */
export async function runMain(main: () => Promise<number | void>): Promise<void> {
  try {
    Deno.exitCode = (await main()) ?? 0;
  } catch (err) {
    log(`error: ${errorText(err)}`);
    Deno.exitCode = 1;
  }
}
