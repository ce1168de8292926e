// The plugin cost probe's pure parts: perf samples parsed, attributed to calls and tool runs,
// and summarised per plugin and command.
import { assert, assertEquals } from "../tests/helpers/assert.ts";
import {
  attributeSamples,
  type CallWindow,
  costRows,
  costTable,
  parsePerfScript,
} from "./plugin_cost.ts";

const PERF = [
  "    100/100 10.000000100:  ffffffff816af8c1",
  "    100/100 10.000000200:      7f1dbb8d5069",
  "    100/101 10.000000300:      55d0d0c00000",
  "    200/200 10.000000400:      55d0d0c00000",
  "    100/100 10.000000500:  ffffffff815a4f21",
  "some header line",
].join("\n");

function win(plugin: string, op: string, start: number, end: number, thread: number): CallWindow {
  return { plugin, op, start, end, thread, process: thread + 100, children: 50, tools: 1 };
}

Deno.test("parsePerfScript reads pid, tid, the time in ns and the mode of each sample", () => {
  const s = parsePerfScript(PERF);
  assertEquals(s.length, 5);
  assertEquals(s[0], { pid: 100, tid: 100, time: 10_000_000_100, kernel: true });
  assertEquals(s[1], { pid: 100, tid: 100, time: 10_000_000_200, kernel: false });
  assertEquals(s[2]!.tid, 101);
  assertEquals(s[3]!.pid, 200);
});

Deno.test("attributeSamples splits the JavaScript thread's samples by tool runs and mode", () => {
  const windows = [win("p", "ADD", 10_000_000_050, 10_000_000_350, 1)];
  windows.push(win("p", "DEL", 10_000_000_450, 10_000_000_600, 1));
  const spans = [{ start: 10_000_000_480, end: 10_000_000_520 }];
  const counts = attributeSamples(windows, spans, parsePerfScript(PERF), 100);
  assertEquals(counts, [
    { user: 1, kernel: 1, tool: 0, other: 1 }, // pid 200 is not the measured process
    { user: 0, kernel: 0, tool: 1, other: 0 },
  ]);
});

Deno.test("costRows gives medians in ms and splits the thread's CPU in the samples' shares", () => {
  const windows = [
    win("portmap", "ADD", 0, 4e6, 2e6),
    win("portmap", "ADD", 0, 6e6, 1e6),
    win("portmap", "ADD", 0, 5e6, 3e6),
    win("portmap", "DEL", 0, 1e6, 1e6),
  ];
  const counts = [
    { user: 2, kernel: 1, tool: 1, other: 0 },
    { user: 2, kernel: 1, tool: 1, other: 0 },
    { user: 0, kernel: 0, tool: 0, other: 0 },
    { user: 0, kernel: 0, tool: 0, other: 3 },
  ];
  const [add, del] = costRows(windows, counts);
  assertEquals(add!.n, 3);
  assertEquals(add!.wall, 5);
  assertEquals(add!.thread, 2);
  assertEquals([add!.js, add!.kernel, add!.toolRun], [1, 0.5, 0.5]);
  assertEquals(add!.waiting, 2); // per call: 2, 5, 2
  assertEquals(add!.other, 0.0001);
  assertEquals(add!.tools, 0.00005);
  assertEquals(del!.js, undefined); // no sample of the JavaScript thread: no split
  const text = costTable(costRows(windows));
  assert(/^portmap\s+ADD\s+3\s+5\.00\s+2\.00\s+–\s+–\s+–/m.test(text), text);
});
