import { assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { gated, skippedTally, unless } from "./gate.ts";
import { REF_MISSING, refMissing } from "./reference.ts";
import { run, runSync, sh, shSync } from "./run.ts";

/** Runs `fn` and puts the run's tally back as it was. */
function keepingTally(fn: () => void): void {
  const saved = Deno.env.get("DENOCNI_TESTS_SKIPPED");
  try {
    fn();
  } finally {
    if (saved === undefined) Deno.env.delete("DENOCNI_TESTS_SKIPPED");
    else Deno.env.set("DENOCNI_TESTS_SKIPPED", saved);
  }
}

Deno.test("gated() ignores a test with the reasons in its name and counts it by reason", () => {
  keepingTally(() => {
    const before = skippedTally();
    assertEquals(gated("x", undefined, false), { name: "x", ignore: false });
    assertEquals(gated("y", "needs root", undefined, "needs root", "needs strace"), {
      name: "y (ignored: needs root; needs strace)",
      ignore: true,
    });
    const after = skippedTally();
    assertEquals(after.tests, before.tests + 1);
    assertEquals(after.byReason["needs root"], (before.byReason["needs root"] ?? 0) + 1);
    assertEquals(after.byReason["needs strace"], (before.byReason["needs strace"] ?? 0) + 1);
  });
});

Deno.test("unless() and refMissing() give a reason only when the requirement is not met", () => {
  assertEquals(unless(true, "needs busybox"), undefined);
  assertEquals(unless(false, "needs busybox"), "needs busybox");
  assertEquals(refMissing("no-such-plugin"), `${REF_MISSING}: no-such-plugin`);
});

Deno.test("run() returns a failure as an answer; sh() throws it with the exit code and stderr", async () => {
  assertEquals(await run("sh", ["-c", "cat; echo err >&2; exit 3"], { stdin: "in" }), {
    code: 3,
    stdout: "in",
    stderr: "err\n",
  });
  assertEquals(runSync("sh", ["-c", "echo out; exit 4"]), { code: 4, stdout: "out\n", stderr: "" });
  assertEquals(await sh("sh", "-c", "echo ok"), "ok\n");
  assertEquals(shSync("sh", "-c", "echo ok"), "ok\n");
  await assertRejects(() => sh("sh", "-c", "echo bad >&2; exit 2"), Error, "(exit 2): bad");
  assertThrows(() => shSync("sh", "-c", "echo bad >&2; exit 2"), Error, "(exit 2): bad");
});
