/**
 * Pure helpers of the side-by-side benchmark: statistics, the result table (text and
 * Markdown), the target verdicts and the README section. No I/O here.
 *
 * @module
 */

/** Who ran a measurement. */
export type Mode = "ref" | "exec" | "inproc" | "floor";

/** Labels of the modes, as printed. */
export const MODE_LABELS: Readonly<Record<Mode, string>> = {
  ref: "reference Go (exec)",
  exec: "ours (exec, bundle)",
  inproc: "ours (in-process)",
  floor: "Deno floor",
};

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
}

/** A target of issue 6 and whether it was met. */
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

function ratioText(r: number | undefined): string {
  return r === undefined ? "–" : `${r.toFixed(2)}x`;
}

/** Plugin processes an exec'd ADD of the seed list starts: bridge (host-local in it), loopback. */
const SEED_PLUGIN_PROCESSES = 2;

const COLUMNS = [
  "scenario",
  "unit",
  "n",
  "reference Go",
  "ours exec",
  "x ref",
  "ours in-process",
  "x ref",
];

function rowCells(row: Row): string[] {
  const exec = row.cells.exec ?? row.cells.floor;
  const n = Math.max(...Object.values(row.cells).map((s) => s?.n ?? 0));
  return [
    row.scenario,
    row.unit,
    String(n),
    cell(row.cells.ref),
    cell(exec),
    ratioText(ratio(row, row.cells.exec ? "exec" : "floor")),
    cell(row.cells.inproc),
    ratioText(ratio(row, "inproc")),
  ];
}

/**
 * The table as aligned plain text, with the machine line first.
 *
 * @param report The report.
 * @returns Text ending in a newline.
 */
export function textTable(report: Report): string {
  const body = [COLUMNS, ...report.rows.map(rowCells)];
  const widths = COLUMNS.map((_, i) => Math.max(...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const out = [
    machineLine(report),
    "",
    line(body[0]!),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...body.slice(1).map(line),
    "",
    "targets:",
    ...report.targets.map((t) =>
      `  [${t.met === undefined ? "??" : t.met ? "ok" : "NO"}] ${t.target}: ${t.measured}`
    ),
    ...report.notes.map((n) => `note: ${n}`),
  ];
  return out.join("\n") + "\n";
}

function machineLine(report: Report): string {
  const m = report.machine;
  return `denocni bench ${report.date} (size ${report.size}): ${m.nproc} CPUs (${m.cpu}), ` +
    `Linux ${m.kernel}, Deno ${m.deno}, reference plugins ${m.reference}`;
}

/**
 * The table as Markdown, for the README.
 *
 * @param report The report.
 * @returns Markdown text ending in a newline.
 */
export function markdownTable(report: Report): string {
  const esc = (t: string) => t.replaceAll("|", "\\|");
  const lines = [
    `Measured ${report.date.slice(0, 10)} with \`deno task bench\` (size ${report.size}) on ` +
    `${report.machine.nproc} CPUs (${report.machine.cpu}), Linux ${report.machine.kernel}, ` +
    `Deno ${report.machine.deno}, reference plugins ${report.machine.reference}. Times in ms, ` +
    "median (min–max); a shared, noisy machine. Modes run alternately (A B C A B C ...).",
    "",
    `| ${COLUMNS.join(" | ")} |`,
    `| ${COLUMNS.map((_, i) => i < 2 ? "---" : "--:").join(" | ")} |`,
    ...report.rows.map((r) => `| ${rowCells(r).map(esc).join(" | ")} |`),
    "",
    "Targets (issue 6):",
    "",
    ...report.targets.map((t) =>
      `- ${t.met === undefined ? "not measured" : t.met ? "met" : "**not met**"}: ${t.target} ` +
      `(${t.measured})`
    ),
  ];
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

/**
 * Judges the issue 6 targets against the rows.
 *
 * @param rows The measured rows.
 * @returns One verdict per target.
 */
export function verdicts(rows: readonly Row[]): Verdict[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out: Verdict[] = [];
  const ratioTarget = (ids: string[], mode: Mode, limit: number, target: string) => {
    const rs = ids.map((id) =>
      ratio(byId.get(id) ?? { id, scenario: "", unit: "", cells: {} }, mode)
    );
    const known = rs.filter((r): r is number => r !== undefined);
    out.push({
      target,
      measured: ids.map((id, i) => `${id} ${ratioText(rs[i])}`).join(", "),
      met: known.length === ids.length ? known.every((r) => r <= limit) : undefined,
    });
  };
  ratioTarget(
    ["add", "del", "add_masq", "del_masq"],
    "inproc",
    0.25,
    "in-process ADD and DEL <= 0.25x reference",
  );
  ratioTarget(
    ["add", "del", "add_masq", "del_masq"],
    "exec",
    1.5,
    "exec ADD and DEL <= 1.5x reference",
  );
  const start = byId.get("start")?.cells.exec;
  const floor = byId.get("floor")?.cells.floor;
  const refAdd = byId.get("add")?.cells.ref;
  if (floor && refAdd) {
    // The seed list execs two plugin processes (bridge runs host-local in-process, then
    // loopback): no exec'd ADD can be faster than two bare Deno starts.
    const lowest = SEED_PLUGIN_PROCESSES * floor.median;
    out.push({
      target: "exec ADD <= 1.5x reference is reachable with `deno run` plugin processes",
      measured: `lower bound ${SEED_PLUGIN_PROCESSES} x Deno floor = ${num(lowest)} ms vs 1.5 x ${
        num(refAdd.median)
      } ms = ${num(1.5 * refAdd.median)} ms`,
      met: lowest <= 1.5 * refAdd.median,
    });
  }
  out.push({
    target: "plugin start as low as the runtime allows",
    measured: start && floor
      ? `ours ${num(start.median)} ms vs Deno floor ${num(floor.median)} ms (+${
        num(start.median - floor.median)
      } ms)`
      : "not measured",
    met: undefined,
  });
  ratioTarget(["par8_add"], "inproc", 0.33, "100 ADDs 8 at a time <= 0.33x reference in-process");
  for (const mode of ["ref", "exec", "inproc"] as const) {
    const one = byId.get("hl_add_1")?.cells[mode];
    const many = byId.get("hl_add_many")?.cells[mode];
    if (!one || !many) continue;
    const r = many.median / one.median;
    out.push({
      target: `host-local ADD at many leases <= 2x at 1 lease (${MODE_LABELS[mode]})`,
      measured: `${num(many.median)} ms vs ${num(one.median)} ms = ${r.toFixed(2)}x`,
      met: mode === "ref" ? undefined : r <= 2,
    });
  }
  const mem = byId.get("peak_rss")?.cells.exec;
  out.push({
    target: "plugin process peak memory < 80 MiB",
    measured: mem
      ? `${num(mem.max)} MiB (max over bridge/host-local/loopback runs)`
      : "not measured",
    met: mem ? mem.max < 80 : undefined,
  });
  return out;
}
