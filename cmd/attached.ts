/**
 * Running a user's command inside a namespace with the terminal attached, for `cnitool exec`
 * and `cnitool netns exec`.
 *
 * @module
 */
import { CniError } from "../cni/errors.ts";
import { spawnInNetns } from "../netns/mod.ts";

/** Signal numbers (Linux) for the exit code of a command killed by a signal. */
const SIGNAL_NUMBERS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGPIPE: 13,
  SIGTERM: 15,
};

/**
 * The shell-style exit code of a finished command: its own code, or 128 + the signal number.
 *
 * @param status The command's status.
 * @returns The exit code.
 */
export function exitCodeOf(status: Deno.CommandStatus): number {
  return status.signal ? 128 + (SIGNAL_NUMBERS[status.signal] ?? 9) : status.code;
}

/**
 * The exit code for a run stopped by `signal` before its command started.
 *
 * @param signal The signal name.
 * @returns 128 + its number.
 */
export function exitCodeForSignal(signal: Deno.Signal): number {
  return 128 + (SIGNAL_NUMBERS[signal] ?? 9);
}

/**
 * Starts `argv` inside a namespace with stdin, stdout and stderr inherited.
 *
 * @param ns Namespace path.
 * @param argv The command and its arguments.
 * @returns The running child.
 * @throws {CniError} Code 999 when the command is missing or does not exist.
 */
export function spawnAttached(ns: string, argv: readonly string[]): Deno.ChildProcess {
  const [cmd, ...args] = argv;
  if (!cmd) throw new CniError(999, "a command is needed after --");
  try {
    return spawnInNetns(ns, cmd, { args, stdin: "inherit", stdout: "inherit", stderr: "inherit" });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new CniError(999, `cannot run "${cmd}": command not found`);
    }
    throw err;
  }
}
