/**
 * Spawns `cli.ts` as a subprocess for CLI tests: returns exit code, stdout and stderr.
 *
 * @module
 */

/** What a CLI run produced. */
export interface CliRun {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const SCRUB_REGEXP = /^(CNI_|NETCONFPATH$|CAP_ARGS$|DENOCNI_)/;

/**
 * Runs `deno run -A cli.ts ...args` with a clean CNI environment plus `env`.
 *
 * @param args Program arguments.
 * @param options Extra environment, stdin text.
 * @returns Code, stdout, stderr.
 */
export async function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<CliRun> {
  const base = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([k]) => !SCRUB_REGEXP.test(k)),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--config", CONFIG, CLI, ...args],
    env: { ...base, NO_COLOR: "1", ...options.env },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(options.stdin ?? "")).catch(() => {});
  await writer.close().catch(() => {});
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
