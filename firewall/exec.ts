/**
 * Running the firewall tools (`iptables`, `ip6tables`, `nft`) the way the reference plugins
 * do: one process per call, stdin for `nft -f -` transactions, exit status and stderr kept for
 * the error message. Tests observe every run through `_tool_observers.ts` (not public) to count
 * the processes an operation costs.
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "../cni/errors.ts";
import { toolObservers } from "./_tool_observers.ts";

/** What a tool run produced. */
export interface ToolOutput {
  /** Exit status. */
  code: number;
  /** Captured stdout. */
  stdout: string;
  /** Captured stderr. */
  stderr: string;
}

/** Runs one tool process; {@linkcode runTool} is the real one, tests may wrap it. */
export type ToolRunner = (
  cmd: string,
  args: readonly string[],
  options?: { stdin?: string },
) => Promise<ToolOutput>;

/**
 * A firewall tool failed (non-zero exit) or could not be started: a `CniError` with code 999
 * whose message names the command line.
 */
export class ToolError extends CniError {
  /** The command line that ran. */
  readonly argv: readonly string[];
  /** Exit status, or -1 when the tool could not be started. */
  readonly exitCode: number;
  /** Its stderr. */
  readonly stderr: string;

  /**
   * Builds the error; the message reads like go-iptables': `running [argv]: exit status N: ...`.
   *
   * @param argv Command line.
   * @param exitCode Exit status (-1: not started).
   * @param stderr Captured stderr, or why it could not start.
   * @param cause Underlying error.
   */
  constructor(argv: readonly string[], exitCode: number, stderr: string, cause?: unknown) {
    const what = exitCode < 0 ? "could not start" : `exit status ${exitCode}`;
    super(ErrorCode.Internal, `running [${argv.join(" ")}]: ${what}: ${stderr.trim()}`, { cause });
    this.name = "ToolError";
    this.argv = argv;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/**
 * The words of a failure worth showing: a tool's own stderr (without the command line a
 * {@linkcode ToolError}'s message starts with), else the error's text.
 *
 * @param err What was thrown.
 * @returns The text.
 */
export function toolErrorDetail(err: unknown): string {
  return err instanceof ToolError ? err.stderr.trim() : errorText(err);
}

const decoder = new TextDecoder();

/**
 * Runs a tool and returns its output whatever the exit status.
 *
 * @param cmd Program name (looked up in `PATH`).
 * @param args Arguments.
 * @param options `stdin` text to feed.
 * @returns Exit status, stdout and stderr.
 * @throws {ToolError} With exit code -1 when the program cannot be started.
 */
export async function runTool(
  cmd: string,
  args: readonly string[],
  options: { stdin?: string } = {},
): Promise<ToolOutput> {
  const argv = [cmd, ...args];
  for (const listener of toolObservers) listener(argv);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args: [...args],
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    throw new ToolError(argv, -1, err instanceof Error ? err.message : String(err), err);
  }
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}
