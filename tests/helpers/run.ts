/**
 * Running a program from a test: the two contracts every test uses.
 *
 * - {@linkcode run} (and {@linkcode runSync}) returns `{ code, stdout, stderr }` and never
 *   throws for a non-zero exit: for oracles whose failure is an answer (`ip link show dev X`
 *   of a link that is gone) and for cleanup that ignores absence.
 * - {@linkcode sh} (and {@linkcode shSync}) throws when the program fails (exit code and
 *   stderr in the message) and returns its stdout: for set-up steps and oracles that must work.
 *
 * A CNI plugin is run with {@linkcode execPlugin} from `exec_plugin.ts`, not with these.
 *
 * @module
 */

/** What a program did. */
export interface RunOut {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Options of {@linkcode run}. */
export interface RunOptions {
  /** Text written to stdin (stdin is /dev/null without it). */
  stdin?: string;
  /** Environment variables, added to the test's own unless `clearEnv`. */
  env?: Record<string, string>;
  /** Start from an empty environment (only `env`). */
  clearEnv?: boolean;
  /** Working directory. */
  cwd?: string;
}

const dec = new TextDecoder();

function command(cmd: string, args: string[], opts: RunOptions): Deno.Command {
  return new Deno.Command(cmd, {
    args,
    ...(opts.cwd && { cwd: opts.cwd }),
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(opts.env && { env: opts.env }),
    ...(opts.clearEnv && { clearEnv: true }),
  });
}

/**
 * Runs a program and returns what it did, whatever its exit code.
 *
 * @param cmd Program.
 * @param args Arguments.
 * @param opts Stdin, environment, working directory.
 * @returns Exit code, stdout, stderr.
 */
export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunOut> {
  const child = command(cmd, args, opts).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    // A program may exit without reading its stdin: that is its answer, not a test error.
    await w.write(new TextEncoder().encode(opts.stdin)).catch(() => {});
    await w.close().catch(() => {});
  }
  const out = await child.output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * {@linkcode run} without awaiting (no stdin): for code that must stay on this thread, e.g.
 * while the thread is inside another network namespace.
 *
 * @param cmd Program.
 * @param args Arguments.
 * @returns Exit code, stdout, stderr.
 */
export function runSync(cmd: string, args: string[]): RunOut {
  const out = command(cmd, args, {}).outputSync();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function checked(cmd: string, args: string[], out: RunOut): string {
  if (out.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${out.code}): ${out.stderr.trim()}`);
  }
  return out.stdout;
}

/**
 * Runs a program that must succeed.
 *
 * @param cmd Program.
 * @param args Arguments.
 * @returns Its stdout.
 * @throws Error with the command, exit code and stderr when it fails.
 */
export async function sh(cmd: string, ...args: string[]): Promise<string> {
  return checked(cmd, args, await run(cmd, args));
}

/**
 * {@linkcode sh} without awaiting.
 *
 * @param cmd Program.
 * @param args Arguments.
 * @returns Its stdout.
 * @throws Error with the command, exit code and stderr when it fails.
 */
export function shSync(cmd: string, ...args: string[]): string {
  return checked(cmd, args, runSync(cmd, args));
}
