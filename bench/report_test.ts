// The bench report's pure parts: stats, the per-call excess and the issue 13 verdicts.
import { assert, assertEquals } from "../tests/helpers/assert.ts";
import { excess, markdownTable, stats, textTable, verdicts } from "./report.ts";
import type { Report, Row } from "./report.ts";

function row(id: string, cells: Record<string, number>, extra: Partial<Row> = {}): Row {
  return {
    id,
    scenario: id,
    unit: "ms",
    cells: Object.fromEntries(
      Object.entries(cells).map(([m, v]) => [m, { n: 1, median: v, min: v, max: v }]),
    ),
    ...extra,
  };
}

Deno.test("stats gives the median of odd and even samples", () => {
  assertEquals(stats([3, 1, 2]), { n: 3, median: 2, min: 1, max: 3 });
  assertEquals(stats([4, 1, 2, 3]), { n: 4, median: 2.5, min: 1, max: 4 });
});

Deno.test("excess() is ours minus floor minus Go for times, minus floor for memory", () => {
  const call = row("call_br_add", { floor: 16, ref: 9, exec: 30, serve: 26 }, { group: "call" });
  assertEquals(excess(call, "exec"), 5);
  assertEquals(excess(call, "serve"), 1);
  const rss = row("call_rss", { floor: 27, ref: 10, exec: 40, serve: 33 }, {
    group: "call",
    unit: "MiB",
  });
  assertEquals(excess(rss, "exec"), 13);
  assertEquals(excess(rss, "serve"), 6);
  assertEquals(excess(row("x", { floor: 1, exec: 2 }, { group: "call" }), "exec"), undefined);
  const paired = row("call_lo_add", { floor: 16, ref: 4, exec: 30, excessExec: 2.5 }, {
    group: "call",
  });
  assertEquals(excess(paired, "exec"), 2.5);
});

Deno.test("verdicts judge each issue 13 target from the rows", () => {
  const call = (id: string, exec: number, serve: number) =>
    row(id, { floor: 16, ref: 4, exec, serve }, { group: "call" });
  const rows = [
    call("call_lo_add", 30, 21),
    call("call_br_add", 40, 23),
    row("call_rss", { floor: 27, exec: 40, serve: 33 }, { group: "call", unit: "MiB" }),
    row("writes_bytes", { exec: 24, serve: 0 }, { unit: "B" }),
    row("ro_lo_add", { exec: 40, execRo: 40.5 }),
    row("podman_cycle", { ref: 600, exec: 800, serve: 660 }),
    row("adddel", { golibcni: 45, inproc: 6 }),
    row("par16_add", { golibcni: 1000, inproc: 160 }),
  ];
  const v = verdicts(rows);
  const find = (s: string) => v.find((x) => x.target.includes(s))!;
  assertEquals(find("call (ours exec)").met, false);
  assertEquals(find("call (ours exec)").measured, "call_lo_add +10.0 ms, call_br_add +20.0 ms");
  assertEquals(find("call (ours exec, serve)").met, true);
  assertEquals(find("RSS of an exec'd plugin (ours exec)").met, false);
  assertEquals(find("RSS of an exec'd plugin (ours exec, serve)").met, true);
  assertEquals(find("no writes to DENO_DIR per exec'd call (ours exec)").met, false);
  assertEquals(
    find("no writes to DENO_DIR per exec'd call (ours exec)").measured,
    "24.0 B per call (max 24.0)",
  );
  assertEquals(find("no writes to DENO_DIR per exec'd call (ours exec, serve)").met, true);
  assertEquals(find("read-only").met, true);
  assertEquals(find("cycle (ours exec)").met, false);
  assertEquals(find("cycle (ours exec, serve)").met, true);
  assertEquals(find("in-process seed").met, true);
  assertEquals(find("16 at a time").met, false);
  assertEquals(verdicts([]).every((x) => x.met === undefined), true);
});

Deno.test("textTable and markdownTable print the per-call table with the excess", () => {
  const report: Report = {
    runId: "abcd",
    date: "2026-12-03T00:00:00.000Z",
    size: "tiny",
    machine: { nproc: 2, kernel: "6", cpu: "x", deno: "2", reference: "1.1.1", load: "1.0, 2.0" },
    rows: [
      row("add", { ref: 15, exec: 90, inproc: 4 }),
      row("call_br_add", { floor: 16, ref: 9, exec: 30, serve: 26 }, {
        group: "call",
        scenario: "bridge ADD",
      }),
    ],
    targets: [],
    notes: [],
  };
  const text = textTable(report);
  assert(text.includes("reference Go (exec)") && text.includes("bridge ADD"), text);
  assert(
    /bridge ADD\s+ms\s+1\s+16\.0\s+9\.00\s+30\.0\s+\+5\.00\s+26\.0\s+\+1\.00/.test(text),
    text,
  );
  const md = markdownTable(report);
  assert(md.includes("| bridge ADD | ms | 1 | 16.0 | 9.00 | 30.0 | +5.00 | 26.0 | +1.00 |"), md);
  assert(md.includes("load average 1.0, 2.0"), md);
});
