/**
 * The run's one line on what it skipped: how many tests reported themselves ignored through
 * tests/helpers/gate.ts, by reason ("needs root" for the privileged ones). Named to sort last,
 * so `deno task test` (files run one after another, in path order) loads it after every other
 * test file and its count covers the whole run; run on its own, or with `--parallel`, it
 * counts the files loaded before it.
 *
 * @module
 */
import { assertEquals, IS_ROOT } from "./helpers/assert.ts";
import { skippedTally } from "./helpers/gate.ts";
import { REF_MISSING } from "./helpers/reference.ts";

const skipped = skippedTally();
// The reference's plugins missing are one reason, whichever plugins they are.
const tally: Record<string, number> = {};
for (const [reason, n] of Object.entries(skipped.byReason)) {
  const key = reason.startsWith(REF_MISSING) ? REF_MISSING : reason;
  tally[key] = (tally[key] ?? 0) + n;
}
const total = skipped.tests;
const privileged = tally["needs root"] ?? 0;
const byReason = Object.entries(tally).map(([reason, n]) => `${n} ${reason}`).join(", ");

Deno.test(
  IS_ROOT
    ? `skipped tests in this run: ${total}${
      total ? ` (${byReason})` : ""
    }; as root, none needs root`
    : `skipped tests in this run: ${total}, of them ${privileged} privileged (needs root: run as root to run them)${
      total > privileged ? `; ${byReason}` : ""
    }`,
  () => {
    // As root no test may have been skipped for want of root.
    if (IS_ROOT) assertEquals(privileged, 0);
  },
);
