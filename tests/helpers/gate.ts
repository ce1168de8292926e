/**
 * Tests that cannot run here report themselves as ignored with the reason in their name
 * (`... (ignored: needs root)`), never silently green; and the run counts them, so a run that
 * is not root says in one line how many privileged tests it skipped
 * (tests/zz_skipped_test.ts, the last test file of `deno task test`, prints the count).
 *
 * ```ts
 * Deno.test({
 *   ...gated("bridge ADD matches the reference", NEEDS_ROOT, refMissing("bridge")),
 *   async fn() {},
 * });
 * ```
 *
 * @module
 */
import { IS_ROOT } from "./assert.ts";

/** Why a test cannot run here; `undefined` or `false` when that requirement is met. */
export type Reason = string | undefined | false;

/** "needs root" when the tests do not run as root, else undefined. */
export const NEEDS_ROOT: Reason = IS_ROOT ? undefined : "needs root";

/**
 * The reason unless `met`, for a requirement without a constant of its own.
 *
 * @param met Whether the requirement is met here.
 * @param reason What is missing, e.g. "needs python3".
 * @returns `reason` when not met, else undefined.
 */
export function unless(met: boolean, reason: string): Reason {
  return met ? undefined : reason;
}

// Test files run in separate isolates of one process: the tally lives in the process's
// environment, where the summary test reads it.
const TALLY = "DENOCNI_TESTS_SKIPPED";

/** The tests of this run ignored so far: how many, and how many for each reason. */
export interface SkippedTally {
  /** Ignored tests. */
  tests: number;
  /** Reason to number of tests (a test with two reasons counts under both). */
  byReason: Record<string, number>;
}

function count(reasons: string[]): void {
  const tally = skippedTally();
  tally.tests += 1;
  for (const r of reasons) tally.byReason[r] = (tally.byReason[r] ?? 0) + 1;
  Deno.env.set(TALLY, JSON.stringify(tally));
}

/**
 * The tests of this run (this process) ignored so far through {@linkcode gated}.
 *
 * @returns How many, and how many for each reason.
 */
export function skippedTally(): SkippedTally {
  return JSON.parse(Deno.env.get(TALLY) ?? '{"tests":0,"byReason":{}}');
}

/**
 * `name` and `ignore` of a `Deno.test` definition: ignored when any reason is given, with the
 * reasons in the name, and counted for the run's summary.
 *
 * @param name What the test checks.
 * @param reasons Why it cannot run here (`undefined`/`false` for requirements that are met).
 * @returns The name to register and whether to ignore the test.
 */
export function gated(name: string, ...reasons: Reason[]): { name: string; ignore: boolean } {
  const why = [...new Set(reasons.filter((r): r is string => typeof r === "string" && r !== ""))];
  if (why.length === 0) return { name, ignore: false };
  count(why);
  return { name: `${name} (ignored: ${why.join("; ")})`, ignore: true };
}
