/**
 * The side-by-side benchmark (`deno task bench`), alternating A B C A B C ... on the seed
 * network (bridge + host-local /16 + loopback, ipMasq off and on) and on Podman 4.3's default
 * network (bridge with ipMasq and hairpin, portmap with one published port, firewall, tuning):
 *
 * - `ref`: the reference Go plugins exec'd by our engine;
 * - `golibcni`: the reference Go plugins exec'd by the real Go libcni (one driver process per
 *   ADD or DEL, as a runtime built on it would run them; when Go and its sources are there);
 * - `exec`: our plugins exec'd by our engine (bundle launchers from `cnitool install`), each
 *   process running its call;
 * - `serve`: the same launchers with a `cnitool serve` daemon running: each plugin process
 *   forwards its call;
 * - `inproc`: our plugins in-process.
 *
 * Then each exec'd plugin call alone (bridge, loopback, host-local ADD and DEL) next to a bare
 * `deno run` of an empty file and the Go plugin's same call, with peak RSS, the bytes each
 * call writes into the launchers' Deno cache, and a read-only cache; with `--podman`, the
 * Podman run+rm cycle of the Podman tier (ours, ours with serve, Go).
 *
 * Everything runs in throwaway namespaces with unique names, unique bridges, data and cache
 * dirs under a temp dir; all of it (and any firewall rule left behind, and the shared chains
 * portmap and firewall keep when the run created them: `shared_firewall.ts`) is removed in
 * `finally`. Root only.
 *
 * This file holds the order of the run, the report's rows and the command line; the run's
 * world (sizes, modes, what a run creates and removes) is `world.ts`, how things are measured
 * `measure.ts`, the scenarios `list_scenarios.ts`, `call_scenarios.ts` and `podman.ts`.
 *
 *   deno run -A bench/run.ts [--size tiny|full] [--json] [--out FILE] [--readme]
 *     [--data-dir DIR] [--podman]
 *     [--only calls,single,podman-chain,batches,host-local,memory]
 *     [--modes ref,golibcni,exec,serve,inproc]
 *
 * `--only` and `--modes` run a part of it (e.g. `--only single,batches --modes
 * golibcni,inproc` for the in-process targets); `--readme` is for whole runs.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { installPlugins } from "../cmd/install_plugins.ts";
import { goDriver } from "../tests/helpers/chain_env.ts";
import {
  markdownTable,
  type Mode,
  replaceReadmeSection,
  type Report,
  type Row,
  stats,
  textTable,
  verdicts,
} from "./report.ts";
import { runMain, type Samples } from "./measure.ts";
import {
  ALL_MODES,
  cleanup,
  hex,
  loadAverage,
  log,
  machine,
  makeRunDir,
  REF_DIR,
  type Run,
  type Size,
  SIZES,
  startDaemon,
} from "./world.ts";
import { batches, hostLocal, memory, podmanChain, singleAddDel } from "./list_scenarios.ts";
import { firewallBefore } from "./shared_firewall.ts";
import {
  cacheWrites,
  callMemory,
  CALLS,
  perCall,
  readOnlyCache,
  startup,
} from "./call_scenarios.ts";
import { podman } from "./podman.ts";

const ROOT = new URL("..", import.meta.url).pathname;

const SCENARIOS: [string, string, string, "call"?][] = [
  ["add", "ADD seed list (ipMasq off)", "ms"],
  ["del", "DEL seed list (ipMasq off)", "ms"],
  ["adddel", "ADD+DEL seed list (ipMasq off)", "ms"],
  ["add_masq", "ADD seed list (ipMasq on)", "ms"],
  ["del_masq", "DEL seed list (ipMasq on)", "ms"],
  ["add_podman", "ADD Podman default chain", "ms"],
  ["del_podman", "DEL Podman default chain", "ms"],
  ["seq_add", "N sequential ADDs (total)", "ms"],
  ["seq_del", "N sequential DELs (total)", "ms"],
  ["par16_add", "N ADDs, 16 at a time (total)", "ms"],
  ["par16_del", "N DELs, 16 at a time (total)", "ms"],
  ["start", "plugin start (bridge, no CNI_COMMAND)", "ms"],
  ["version", "VERSION call (bridge)", "ms"],
  ["hl_add_1", "host-local ADD, 1 lease", "ms"],
  ["hl_add_many", "host-local ADD, L leases", "ms"],
  ["hl_del_1", "host-local DEL, 1 lease", "ms"],
  ["hl_del_many", "host-local DEL, L leases", "ms"],
  ["peak_rss", "peak RSS of one plugin process (seed list)", "MiB"],
  ["writes_bytes", "bytes written to DENO_DIR per exec'd call", "B"],
  ["ro_lo_add", "loopback ADD, DENO_DIR writable vs read-only", "ms"],
  ["podman_cycle", "Podman run --rm cycle", "ms"],
  ...CALLS.map(([id, , , label]) =>
    [`call_${id}`, label, "ms", "call"] as [string, string, string, "call"]
  ),
  ["call_rss", "peak RSS of one call", "MiB", "call"],
];

/**
 * Runs the whole benchmark.
 *
 * @param size The sizes.
 * @param dataBase Directory under which the run's temp dir (data, cache, launchers) is made.
 * @returns The report.
 * @throws {Error} When not root, the reference plugins are missing, or a scenario fails.
 */
export async function runBench(
  size: Size,
  dataBase?: string,
  options: { podman?: boolean; only?: readonly string[]; modes?: readonly string[] } = {},
): Promise<Report> {
  /** Whether a group of scenarios runs (`--only`: all of them by default). */
  const want = (group: string) => !options.only || options.only.includes(group);
  if (Deno.uid() !== 0) throw new Error("the benchmark needs root (namespaces, bridges)");
  Deno.statSync(join(REF_DIR, "bridge"));
  const loadStart = loadAverage();
  const r: Run = {
    id: hex(4),
    tmp: "",
    tmpfs: false,
    binDir: "",
    env: {},
    socket: "",
    noDaemon: "",
    modes: ALL_MODES.filter((m) => !options.modes || options.modes.includes(m)),
    bridges: new Set(),
    namespaces: new Set(),
    networks: new Set(),
    usedOctets: new Set(),
  };
  ({ dir: r.tmp, tmpfs: r.tmpfs } = makeRunDir(dataBase));
  r.binDir = join(r.tmp, "bin");
  r.socket = join(r.tmp, "run", "denocni.sock");
  r.noDaemon = join(r.tmp, "run", "no-daemon.sock");
  r.env = {
    PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    // The floor's cache (the launchers use their own, prepared by the install).
    DENO_DIR: join(r.tmp, "deno_dir"),
  };
  const samples: Samples = {};
  const notes: string[] = [
    r.tmpfs
      ? "data, cache and launcher dirs of every mode on a tmpfs"
      : `data, cache and launcher dirs of every mode under ${join(r.tmp, "..")}`,
  ];
  const driver = await goDriver().catch((err) => String(err));
  if (typeof driver === "string") {
    if (r.modes.includes("golibcni")) notes.push(`Go libcni mode not measured: ${driver}`);
    r.modes = r.modes.filter((m) => m !== "golibcni");
  } else {
    r.goDriver = driver.argv[0]!;
  }
  let left: string[] = [];
  let daemon: { stop(): Promise<string[]> } | undefined;
  r.firewall = await firewallBefore();
  try {
    log(`bench ${r.id}: bundling and installing launchers into ${r.binDir}`);
    await installPlugins({ dir: r.binDir }); // bundles the source tree as `cnitool install` does
    Deno.writeTextFileSync(join(r.tmp, "empty.js"), "\n");
    if (want("calls")) await cacheWrites(r, ["exec"], samples, notes);
    daemon = await startDaemon(r);
    if (want("calls")) {
      log("startup and VERSION");
      await startup(r, size, samples);
      log("each exec'd call");
      await perCall(r, size, samples);
      await callMemory(r, samples, notes);
      await cacheWrites(r, ["serve"], samples, notes);
      await readOnlyCache(r, size, samples);
    }
    if (want("single")) {
      log("single ADD/DEL");
      await singleAddDel(r, size, samples);
    }
    if (want("podman-chain")) {
      log("Podman default chain ADD/DEL");
      await podmanChain(r, size, samples);
    }
    if (want("batches")) {
      log(`batches of ${size.batch}`);
      await batches(r, size, samples, notes);
    }
    if (want("host-local")) {
      log("host-local leases");
      await hostLocal(r, size, samples, notes);
    }
    if (want("memory")) {
      log("peak memory");
      await memory(r, size, samples, notes);
    }
    const lines = await daemon.stop();
    daemon = undefined;
    const declined = lines.filter((l) => l.includes("declined"));
    notes.push(
      `cnitool serve answered ${lines.filter((l) => / exit \d+ /.test(l)).length} forwarded ` +
        `calls, declined ${declined.length}${declined.length ? `: ${declined[0]}` : ""}`,
    );
    if (options.podman) {
      log(`Podman cycles (${size.podman} each)`);
      await podman(size, samples, notes);
    }
  } finally {
    await daemon?.stop().catch(() => []);
    const done = await cleanup(r);
    left = done.left;
    if (done.shared.length > 0) {
      notes.push(`removed the shared chains the run created: ${done.shared.join(", ")}`);
    }
  }
  if (left.length > 0) notes.push(`cleanup had to remove: ${left.join("; ")}`);
  const rows: Row[] = SCENARIOS.flatMap(([id, scenario, unit, group]) => {
    const s = samples[id];
    if (!s) return [];
    const cells: Row["cells"] = {};
    for (const [mode, v] of Object.entries(s) as [Mode, number[]][]) cells[mode] = stats(v);
    return [{
      id,
      scenario: scenario.replace(" N ", ` ${size.batch} `).replace(" L ", ` ${size.leases} `),
      unit,
      cells,
      ...(group && { group }),
    }];
  });
  return {
    runId: r.id,
    date: new Date().toISOString(),
    size: size.name,
    machine: { ...machine(), load: `${loadStart}, ${loadAverage()}` },
    rows,
    targets: verdicts(rows),
    notes,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      size: { type: "string", default: "full" },
      json: { type: "boolean", default: false },
      out: { type: "string" },
      readme: { type: "boolean", default: false },
      "data-dir": { type: "string" },
      podman: { type: "boolean", default: false },
      only: { type: "string" },
      modes: { type: "string" },
    },
  });
  const size = SIZES[values.size];
  if (!size) {
    log(`unknown --size ${JSON.stringify(values.size)}: expected tiny or full`);
    return 2;
  }
  const report = await runBench(size, values["data-dir"], {
    podman: values.podman,
    ...(values.only && { only: values.only.split(",") }),
    ...(values.modes && { modes: values.modes.split(",") }),
  });
  Deno.stdout.writeSync(new TextEncoder().encode(textTable(report)));
  const out = values.out ??
    (values.json ? join(ROOT, "bench", "results", `${report.date.slice(0, 10)}.json`) : undefined);
  if (out) {
    Deno.mkdirSync(join(out, ".."), { recursive: true });
    Deno.writeTextFileSync(out, JSON.stringify(report, null, 2) + "\n");
    log(`wrote ${out}`);
  }
  if (values.readme) {
    const path = join(ROOT, "README.md");
    Deno.writeTextFileSync(
      path,
      replaceReadmeSection(Deno.readTextFileSync(path), markdownTable(report)),
    );
    // keep `deno fmt --check` green: the table is written unwrapped, fmt wraps it
    await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", path] }).output();
    log(`updated ${path}`);
  }
  return 0;
}

if (import.meta.main) await runMain(main);
