/**
 * Pure helpers of the side-by-side benchmark: statistics, the result table (text and
 * Markdown), the target verdicts and the README section. No I/O here.
 *
 * @module
 */

/** Who ran a measurement. */
export type Mode =
  | "floor"
  | "ref"
  | "golibcni"
  | "exec"
  | "serve"
  | "execRo"
  | "inproc"
  | "excessExec"
  | "excessServe";

/** Labels of the modes, as printed. */
export const MODE_LABELS: Readonly<Record<Mode, string>> = {
  floor: "Deno floor",
  ref: "reference Go (exec)",
  golibcni: "Go libcni + Go plugins",
  exec: "ours exec",
  serve: "ours exec, serve",
  execRo: "ours exec, read-only DENO_DIR",
  inproc: "ours in-process",
  excessExec: "excess of ours exec (paired)",
  excessServe: "excess of ours exec, serve (paired)",
};

/** Column order of the modes. */
export const MODE_ORDER: readonly Mode[] = [
  "floor",
  "ref",
  "golibcni",
  "exec",
  "serve",
  "execRo",
  "inproc",
];

/** Summary of a sample. */
export interface Stats {
  /** Number of samples. */
  n: number;
  /** Median. */
  median: number;
  /** Smallest sample. */
  min: number;
  /** Largest sample. */
  max: number;
}

/** One row of the table: a scenario measured in several modes. */
export interface Row {
  /** Stable identifier (`add`, `del`, `seq100_add`, ...). */
  id: string;
  /** Human description. */
  scenario: string;
  /** `ms` or `MiB`. */
  unit: string;
  /** Measurements by mode. */
  cells: Partial<Record<Mode, Stats>>;
  /** `call`: one exec'd plugin call (the per-call table, with the excess over floor + Go). */
  group?: "call";
}

/** A target (issue 13) and whether it was met. */
export interface Verdict {
  /** What the target says. */
  target: string;
  /** The measured value, in words. */
  measured: string;
  /** Met or not; `undefined` when it could not be measured. */
  met: boolean | undefined;
}

/** Machine description printed with the table. */
export interface Machine {
  /** Logical CPUs. */
  nproc: number;
  /** Kernel release. */
  kernel: string;
  /** CPU model name. */
  cpu: string;
  /** Deno version. */
  deno: string;
  /** Reference plugin version text. */
  reference: string;
  /** Load average (1 min) at the start and end of the run, e.g. `2.1, 3.4`. */
  load?: string;
}

/** The whole benchmark report (also the JSON written under bench/results/). */
export interface Report {
  /** Random run ID: every namespace, bridge and network of the run carries it. */
  runId: string;
  /** ISO date of the run. */
  date: string;
  /** `tiny` or `full`. */
  size: string;
  /** Where it ran. */
  machine: Machine;
  /** The rows. */
  rows: Row[];
  /** Target verdicts. */
  targets: Verdict[];
  /** Free-form notes (counts, duplicate checks). */
  notes: string[];
}

/**
 * Summarises samples.
 *
 * @param samples Values (at least one).
 * @returns Median, min, max and count.
 * @throws {RangeError} When there are no samples.
 */
export function stats(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new RangeError("stats of an empty sample");
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: s.length, median, min: s[0]!, max: s[s.length - 1]! };
}

/**
 * The ratio of a row's mode median to the reference median.
 *
 * @param row The row.
 * @param mode The mode compared.
 * @returns The ratio, or undefined when either side is missing.
 */
export function ratio(row: Row, mode: Mode): number | undefined {
  const ref = row.cells.ref;
  const other = row.cells[mode];
  if (!ref || !other || ref.median === 0) return undefined;
  return other.median / ref.median;
}

function num(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function cell(s: Stats | undefined): string {
  if (!s) return "–";
  if (s.n === 1) return num(s.median);
  return `${num(s.median)} (${num(s.min)}–${num(s.max)})`;
}

function modesOf(rows: readonly Row[]): Mode[] {
  return MODE_ORDER.filter((m) => !CALL_ONLY.includes(m) && rows.some((r) => r.cells[m]));
}

function mainColumns(rows: readonly Row[]): string[] {
  return ["scenario", "unit", "n", ...modesOf(rows).map((m) => MODE_LABELS[m])];
}

function mainCells(row: Row, modes: readonly Mode[]): string[] {
  const n = Math.max(...Object.values(row.cells).map((s) => s?.n ?? 0));
  return [row.scenario, row.unit, String(n), ...modes.map((m) => cell(row.cells[m]))];
}

/** Columns of the per-call table. */
const CALL_COLUMNS = [
  "exec'd call",
  "unit",
  "n",
  "Deno floor",
  "Go plugin",
  "ours exec",
  "excess",
  "ours exec, serve",
  "excess",
];

/** Modes shown only in the per-call table. */
const CALL_ONLY: readonly Mode[] = ["excessExec", "excessServe"];

/**
 * What a call costs beyond the Deno floor and the Go plugin's time for the same call (for
 * memory: beyond the floor alone). When the row carries paired samples (each run's own
 * difference with the floor and Go runs next to it, `excessExec`/`excessServe`), their median;
 * else the difference of the medians.
 *
 * @param row A per-call row.
 * @param mode `exec` or `serve`.
 * @returns The excess, or undefined when a cell is missing.
 */
export function excess(row: Row, mode: "exec" | "serve"): number | undefined {
  const paired = row.cells[mode === "exec" ? "excessExec" : "excessServe"];
  if (paired) return paired.median;
  const ours = row.cells[mode];
  const floor = row.cells.floor;
  const go = row.unit === "ms" ? row.cells.ref : undefined;
  if (!ours || !floor || (row.unit === "ms" && !go)) return undefined;
  return ours.median - floor.median - (go?.median ?? 0);
}

function signed(v: number | undefined): string {
  if (v === undefined) return "–";
  return `${v >= 0 ? "+" : "−"}${num(Math.abs(v))}`;
}

function callCells(row: Row): string[] {
  const n = Math.max(...Object.values(row.cells).map((s) => s?.n ?? 0));
  return [
    row.scenario,
    row.unit,
    String(n),
    cell(row.cells.floor),
    cell(row.cells.ref),
    cell(row.cells.exec),
    signed(excess(row, "exec")),
    cell(row.cells.serve),
    signed(excess(row, "serve")),
  ];
}

function aligned(body: string[][]): string[] {
  const widths = body[0]!.map((_, i) => Math.max(...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(body[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...body.slice(1).map(line)];
}

/**
 * The tables as aligned plain text, with the machine line first.
 *
 * @param report The report.
 * @returns Text ending in a newline.
 */
export function textTable(report: Report): string {
  const main = report.rows.filter((r) => r.group !== "call");
  const calls = report.rows.filter((r) => r.group === "call");
  const modes = modesOf(main);
  const out = [
    machineLine(report),
    "",
    ...aligned([mainColumns(main), ...main.map((r) => mainCells(r, modes))]),
  ];
  if (calls.length > 0) out.push("", ...aligned([CALL_COLUMNS, ...calls.map(callCells)]));
  out.push(
    "",
    "targets:",
    ...report.targets.map((t) =>
      `  [${t.met === undefined ? "??" : t.met ? "ok" : "NO"}] ${t.target}: ${t.measured}`
    ),
    ...report.notes.map((n) => `note: ${n}`),
  );
  return out.join("\n") + "\n";
}

function machineLine(report: Report): string {
  const m = report.machine;
  return `denocni bench ${report.date} (size ${report.size}): ${m.nproc} CPUs (${m.cpu}), ` +
    `Linux ${m.kernel}, Deno ${m.deno}, reference plugins ${m.reference}` +
    (m.load ? `, load ${m.load}` : "");
}

function markdownRows(header: string[], rows: string[][], numericFrom: number): string[] {
  const esc = (t: string) => t.replaceAll("|", "\\|");
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => i < numericFrom ? "---" : "--:").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ];
}

/**
 * The tables as Markdown, for the README.
 *
 * @param report The report.
 * @returns Markdown text ending in a newline.
 */
export function markdownTable(report: Report): string {
  const main = report.rows.filter((r) => r.group !== "call");
  const calls = report.rows.filter((r) => r.group === "call");
  const modes = modesOf(main);
  const lines = [
    `Measured ${report.date.slice(0, 10)} with \`deno task bench\` (size ${report.size}) on ` +
    `${report.machine.nproc} CPUs (${report.machine.cpu}), Linux ${report.machine.kernel}, ` +
    `Deno ${report.machine.deno}, reference plugins ${report.machine.reference}` +
    (report.machine.load ? `, load average ${report.machine.load} (start, end)` : "") +
    ". Times in ms, median (min–max); a shared, noisy machine. Modes run alternately " +
    "(A B C A B C ...).",
    "",
    ...markdownRows(mainColumns(main), main.map((r) => mainCells(r, modes)), 3),
  ];
  if (calls.length > 0) {
    lines.push(
      "",
      "One exec'd plugin call (excess: ours minus the Deno floor minus the Go plugin; for " +
        "memory, minus the floor):",
      "",
      ...markdownRows(CALL_COLUMNS, calls.map(callCells), 3),
    );
  }
  lines.push(
    "",
    "Targets (issue 13):",
    "",
    ...report.targets.map((t) =>
      `- ${t.met === undefined ? "not measured" : t.met ? "met" : "**not met**"}: ${t.target} ` +
      `(${t.measured})`
    ),
  );
  if (report.notes.length > 0) lines.push("", ...report.notes.map((n) => `- ${n}`));
  return lines.join("\n") + "\n";
}

/** README markers around the benchmark section. */
export const README_START = "<!-- bench:start -->";
/** End marker. */
export const README_END = "<!-- bench:end -->";

/**
 * Replaces the text between the README markers.
 *
 * @param readme The README text.
 * @param section The new section (Markdown).
 * @returns The new README text.
 * @throws {Error} When the markers are missing or out of order.
 */
export function replaceReadmeSection(readme: string, section: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) {
    throw new Error(`README has no ${README_START} ... ${README_END} section`);
  }
  return readme.slice(0, start + README_START.length) + "\n" + section +
    readme.slice(end);
}

/** The per-call targets' bounds (issue 13). */
export const CALL_EXCESS_MS = 3;
/** Peak RSS bound over the floor's. */
export const RSS_EXCESS_MIB = 8;
/** Podman cycle bound, as a multiple of the Go plugins' cycle. */
export const PODMAN_RATIO = 1.25;
/** In-process bound, as a multiple of the Go libcni exec'ing the Go plugins. */
export const INPROC_RATIO = 0.15;

function ratioOf(row: Row | undefined, mode: Mode, base: Mode): number | undefined {
  const a = row?.cells[mode];
  const b = row?.cells[base];
  if (!a || !b || b.median === 0) return undefined;
  return a.median / b.median;
}

/**
 * Judges the issue 13 targets against the rows.
 *
 * @param rows The measured rows.
 * @returns One verdict per target.
 */
export function verdicts(rows: readonly Row[]): Verdict[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out: Verdict[] = [];
  const calls = rows.filter((r) => r.group === "call" && r.unit === "ms");
  for (const mode of ["exec", "serve"] as const) {
    const ex = calls.map((r) => [r, excess(r, mode)] as const);
    const known = ex.filter(([, e]) => e !== undefined);
    out.push({
      target: `exec'd plugin call (${MODE_LABELS[mode]}) <= Deno floor + Go plugin + ` +
        `${CALL_EXCESS_MS} ms`,
      measured: known.length
        ? known.map(([r, e]) => `${r.scenario} ${signed(e)} ms`).join(", ")
        : "not measured",
      met: known.length && known.length === ex.length
        ? known.every(([, e]) => e! <= CALL_EXCESS_MS)
        : undefined,
    });
  }
  const rss = byId.get("call_rss");
  for (const mode of ["exec", "serve"] as const) {
    const e = rss ? excess(rss, mode) : undefined;
    const max = rss?.cells[mode]?.max;
    out.push({
      target: `peak RSS of an exec'd plugin (${
        MODE_LABELS[mode]
      }) <= floor + ${RSS_EXCESS_MIB} MiB`,
      measured: e === undefined
        ? "not measured"
        : `median ${num(rss!.cells[mode]!.median)} MiB (max ${num(max!)}) vs floor ${
          num(rss!.cells.floor!.median)
        } MiB: ${signed(e)} MiB`,
      met: e === undefined ? undefined : e <= RSS_EXCESS_MIB,
    });
  }
  const writes = byId.get("writes_bytes");
  for (const mode of ["exec", "serve"] as const) {
    const w = writes?.cells[mode];
    out.push({
      target: `no writes to DENO_DIR per exec'd call (${MODE_LABELS[mode]})`,
      measured: w ? `${num(w.median)} B per call (max ${num(w.max)})` : "not measured",
      met: w ? w.max === 0 : undefined,
    });
  }
  const ro = byId.get("ro_lo_add");
  const roRatio = ratioOf(ro, "execRo", "exec");
  out.push({
    target: "a read-only DENO_DIR works and is as fast (loopback ADD, same wrapper)",
    measured: roRatio === undefined
      ? "not measured"
      : `${num(ro!.cells.execRo!.median)} ms read-only vs ${
        num(ro!.cells.exec!.median)
      } ms writable (${roRatio.toFixed(2)}x)`,
    // Noise: within 5% or 1 ms.
    met: roRatio === undefined
      ? undefined
      : ro!.cells.execRo!.median <= ro!.cells.exec!.median * 1.05 + 1,
  });
  const podman = byId.get("podman_cycle");
  for (const mode of ["exec", "serve"] as const) {
    const r = ratioOf(podman, mode, "ref");
    out.push({
      target: `Podman run+rm cycle (${MODE_LABELS[mode]}) <= ${PODMAN_RATIO}x the Go plugins`,
      measured: r === undefined
        ? "not measured (deno task bench --podman)"
        : `${num(podman!.cells[mode]!.median)} ms vs ${num(podman!.cells.ref!.median)} ms = ${
          r.toFixed(2)
        }x`,
      met: r === undefined ? undefined : r <= PODMAN_RATIO,
    });
  }
  for (
    const [id, what] of [
      ["adddel", "in-process seed ADD+DEL"],
      ["par16_add", "in-process 100 ADDs, 16 at a time"],
    ] as const
  ) {
    const row = byId.get(id);
    const r = ratioOf(row, "inproc", "golibcni");
    out.push({
      target: `${what} <= ${INPROC_RATIO}x the Go plugins exec'd by the Go libcni`,
      measured: r === undefined
        ? "not measured"
        : `${num(row!.cells.inproc!.median)} ms vs ${num(row!.cells.golibcni!.median)} ms = ${
          r.toFixed(3)
        }x`,
      met: r === undefined ? undefined : r <= INPROC_RATIO,
    });
  }
  return out;
}
