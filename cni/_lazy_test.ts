import { lazy } from "./_lazy.ts";
import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";

Deno.test("lazy() builds on the first call only, and again only after a throw", () => {
  let builds = 0;
  const value = lazy(() => ({ n: ++builds }));
  assertEquals(builds, 0);
  const first = value();
  assertEquals([first.n, value() === first, builds], [1, true, 1]);

  let attempts = 0;
  const flaky = lazy(() => {
    if (++attempts === 1) throw new Error("first build fails");
    return attempts;
  });
  assertThrows(() => flaky(), Error, "first build fails");
  assertEquals([flaky(), flaky(), attempts], [2, 2, 2]);
});
