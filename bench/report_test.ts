// The bench report's pure parts: stats and the issue 6 target verdicts computed from rows.
import { assertEquals } from "../tests/helpers/assert.ts";
import { type Row, stats, verdicts } from "./report.ts";

function row(id: string, cells: Record<string, number>): Row {
  return {
    id,
    scenario: id,
    unit: "ms",
    cells: Object.fromEntries(
      Object.entries(cells).map(([m, v]) => [m, { n: 1, median: v, min: v, max: v }]),
    ),
  };
}

Deno.test("stats gives the median of odd and even samples", () => {
  assertEquals(stats([3, 1, 2]), { n: 3, median: 2, min: 1, max: 3 });
  assertEquals(stats([4, 1, 2, 3]), { n: 4, median: 2.5, min: 1, max: 4 });
});

Deno.test("verdicts judge in-process ratios and the exec lower bound from the floor", () => {
  const rows = [
    row("add", { ref: 16, exec: 40, inproc: 4 }),
    row("del", { ref: 20, exec: 60, inproc: 5 }),
    row("add_masq", { ref: 24, exec: 50, inproc: 6 }),
    row("del_masq", { ref: 60, exec: 80, inproc: 16 }),
    row("start", { ref: 2, exec: 18 }),
    row("floor", { ref: 2, floor: 16 }),
  ];
  const v = verdicts(rows);
  const inproc = v.find((x) => x.target.startsWith("in-process ADD and DEL"))!;
  assertEquals(inproc.met, false); // del_masq 16/60 = 0.27x
  assertEquals(inproc.measured, "add 0.25x, del 0.25x, add_masq 0.25x, del_masq 0.27x");
  const bound = v.find((x) => x.target.includes("reachable"))!;
  assertEquals(bound.met, false);
  assertEquals(bound.measured, "lower bound 2 x Deno floor = 32.0 ms vs 1.5 x 16.0 ms = 24.0 ms");
  const start = v.find((x) => x.target.startsWith("plugin start"))!;
  assertEquals(start.measured, "ours 18.0 ms vs Deno floor 16.0 ms (+2.00 ms)");
});
