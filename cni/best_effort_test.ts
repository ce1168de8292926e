import { assertEquals, assertRejects } from "../tests/helpers/assert.ts";
import { loadForDel, runBestEffort } from "./best_effort.ts";
import { CniError } from "./errors.ts";
import type { CmdArgs } from "./plugin.ts";

Deno.test("runBestEffort() runs every step in order and reports the failures joined, code 999", async () => {
  const ran: string[] = [];
  const err = await assertRejects(
    () =>
      runBestEffort([
        () => {
          ran.push("a");
          throw new Error("first");
        },
        async () => {
          await Promise.resolve();
          ran.push("b");
        },
        () => {
          ran.push("c");
          throw new CniError(7, "second");
        },
      ]),
    CniError,
  );
  assertEquals(ran, ["a", "b", "c"]);
  assertEquals([err.code, err.msg], [999, "first; second"]);
});

Deno.test("runBestEffort() throws an error `stop` accepts at once; no failure is no error", async () => {
  const ran: string[] = [];
  const stop = new CniError(8, "own netns");
  const err = await assertRejects(() =>
    runBestEffort([() => {
      throw stop;
    }, () => ran.push("never")], (e) => e === stop)
  );
  assertEquals([err, ran], [stop, []]);
  await runBestEffort([() => ran.push("ok"), () => undefined]);
  assertEquals(ran, ["ok"]);
});

Deno.test("loadForDel() loads the config, or warns and falls back to the name and version", () => {
  const args = { config: { cniVersion: "1.0.0", name: "net1", type: "x" } } as CmdArgs;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  const fallback = (known: { name: string; cniVersion: string }) => ({ ...known, fell: true });
  const warning = (reason: string) => `x DEL: ${reason}; by name`;
  assertEquals(
    loadForDel(
      args,
      log,
      (c) => ({ name: c.name, cniVersion: "loaded", fell: false }),
      fallback,
      warning,
    ),
    { name: "net1", cniVersion: "loaded", fell: false },
  );
  assertEquals(lines, []);
  const bad = () => {
    throw new CniError(7, "bad field");
  };
  assertEquals(loadForDel(args, log, bad, fallback, warning), {
    name: "net1",
    cniVersion: "1.0.0",
    fell: true,
  });
  assertEquals(lines, ["x DEL: bad field; by name"]);
});
