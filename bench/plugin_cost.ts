/**
 * What each chained plugin costs in-process, warm: portmap (one published TCP port), firewall,
 * tuning (one sysctl) and bandwidth (both directions shaped), each after a bridge ADD as in a
 * chain, and static (the IPAM call alone), ADD and DEL, N times after untimed warm-ups. Per
 * call: the wall time; the CPU time of the JavaScript thread, of the process's other threads
 * and of the tools it ran (`iptables-restore`, ...; `cpu_clocks.ts`); the tools started; what
 * is left of the wall time, waiting (on the tools, on the kernel's other threads). Under
 * `perf record` (cpu-clock samples every 100 µs, stamped with CLOCK_MONOTONIC; `--no-perf`
 * without), the JavaScript thread's CPU time is split three ways by where its samples fall:
 * while a tool runs (from `Deno.Command` spawn to its output read: starting, feeding and
 * reaping the firewall tool), else in kernel mode (the thread's own syscalls: netlink
 * requests, `setns`, sysctl files), else in user mode ("JS": JavaScript, V8, Deno's op glue
 * and libc; the `deno` binary has no symbols to tell them apart, so this bounds the plugin's
 * JavaScript from above). "JS" is the plugin's own cost beyond the kernel and firewall work it
 * asks for.
 *
 *   deno run -A bench/plugin_cost.ts [--n 50] [--warmups 5]
 *     [--plugins portmap,firewall,tuning,bandwidth,static] [--no-perf]
 *
 * Root only. Each plugin runs on a throwaway bridge, namespace and temp dir, removed in
 * `finally`; so are the shared chains portmap and firewall leave when this run created them
 * (`shared_firewall.ts`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { addNetworkList, delNetworkList } from "../cni/libcni.ts";
import type { Invoker } from "../cni/invoke.ts";
import { observeToolRuns } from "../firewall/_tool_observers.ts";
import { type Cidr, parseCidr } from "../ip/mod.ts";
import { pendingKernelWork } from "../netlink/mod.ts";
import { netnsAdd, netnsDelete } from "../netns/named.ts";
import { clocksSince, readClocks } from "./cpu_clocks.ts";
import { podmanCapabilityArgs } from "./seed.ts";
import { runMain } from "./measure.ts";
import { stats } from "./report.ts";
import { scratchSeed } from "./scratch_seed.ts";
import { firewallBefore, sweepFirewall } from "./shared_firewall.ts";
import { freeHostPort } from "./list_scenarios.ts";

const ENC = new TextEncoder();
const DEC = new TextDecoder();

/** The plugins measured, in table order. */
export const COST_PLUGINS = ["portmap", "firewall", "tuning", "bandwidth", "static"] as const;
type CostPlugin = typeof COST_PLUGINS[number];

/** perf's sampling period (ns of CPU time per sample). */
export const PERF_PERIOD_NS = 100_000;

/** The chain entry after the bridge of each chained plugin. */
const CHAINED: Record<Exclude<CostPlugin, "static">, Record<string, unknown>> = {
  portmap: { type: "portmap", capabilities: { portMappings: true } },
  firewall: { type: "firewall" },
  tuning: { type: "tuning", sysctl: { "net.ipv4.conf.eth0.arp_notify": "1" } },
  bandwidth: {
    type: "bandwidth",
    ingressRate: 1_000_000,
    ingressBurst: 200_000,
    egressRate: 1_000_000,
    egressBurst: 200_000,
  },
};

/** One measured call. */
export interface CallWindow {
  /** The plugin. */
  plugin: string;
  /** `ADD` or `DEL`. */
  op: string;
  /** CLOCK_MONOTONIC at the start and the end, ns. */
  start: number;
  /** See `start`. */
  end: number;
  /** CPU time of the JavaScript thread, ns. */
  thread: number;
  /** CPU time of the whole process, ns. */
  process: number;
  /** CPU time of the tools reaped during the call, ns. */
  children: number;
  /** Tools started. */
  tools: number;
}

/** Runs `fn`, measuring it as one window. */
async function measure(
  plugin: string,
  op: string,
  fn: () => Promise<unknown>,
): Promise<CallWindow> {
  let tools = 0;
  using _watch = observeToolRuns(() => tools++);
  const a = readClocks();
  await fn();
  const b = readClocks();
  const d = clocksSince(a, b);
  return {
    plugin,
    op,
    start: a.mono,
    end: b.mono,
    thread: d.thread,
    process: d.process,
    children: d.children,
    tools,
  };
}

/** When a tool process ran, CLOCK_MONOTONIC ns. */
export interface ToolSpan {
  /** `Deno.Command` spawn. */
  start: number;
  /** Its output read (or its exit, when the output is not read). */
  end: number;
}

/**
 * Records the span of every process this process starts from now on (`Deno.Command`'s
 * `spawn` and `output`), into `spans`.
 */
function recordToolSpans(spans: ToolSpan[]): void {
  const Command = Deno.Command;
  const now = () => readClocks().mono;
  class Spanned extends Command {
    override spawn(): Deno.ChildProcess {
      const span = { start: now(), end: 0 };
      const child = super.spawn();
      const output = child.output.bind(child);
      let reading = false;
      child.output = async () => {
        reading = true;
        try {
          return await output();
        } finally {
          span.end = now();
          spans.push(span);
        }
      };
      child.status.then(() => {
        if (reading) return;
        span.end = now();
        spans.push(span);
      }, () => {});
      return child;
    }
    override async output(): Promise<Deno.CommandOutput> {
      const start = now();
      try {
        return await super.output();
      } finally {
        spans.push({ start, end: now() });
      }
    }
  }
  Deno.Command = Spanned;
}

/** An invoker measuring the calls of one plugin type (the others run unmeasured). */
function measuring(inner: Invoker, type: string, out: CallWindow[]): Invoker {
  return {
    ...inner,
    async execPlugin(t, stdin, args) {
      if (t !== type) return await inner.execPlugin(t, stdin, args);
      let result: Record<string, unknown> | undefined;
      out.push(
        await measure(type, args.command, async () => {
          result = await inner.execPlugin(t, stdin, args);
        }),
      );
      return result;
    },
  };
}

/** The child: N measured ADD and DEL calls of each plugin, one window per line on `out`. */
async function child(
  plugins: readonly CostPlugin[],
  n: number,
  warmups: number,
  out: string,
): Promise<void> {
  const fw = await firewallBefore();
  const networks = new Set<string>();
  const subnets: Cidr[] = [];
  const windows: CallWindow[] = [];
  const spans: ToolSpan[] = [];
  recordToolSpans(spans);
  try {
    for (const [k, plugin] of plugins.entries()) {
      const subnet = `10.${233 + k}.0.0/16`;
      subnets.push(parseCidr(subnet)!);
      const seed = scratchSeed(
        "dnc",
        subnet,
        false,
        plugin === "static" ? [{ type: "loopback" }] : [CHAINED[plugin]],
      );
      networks.add(seed.list.name);
      const nsName = `dnc-${seed.id}`;
      const netns = netnsAdd(nsName);
      const capabilityArgs = plugin === "portmap"
        ? podmanCapabilityArgs(freeHostPort())
        : undefined;
      const staticConf = ENC.encode(JSON.stringify({
        cniVersion: "1.0.0",
        name: seed.list.name,
        type: "bridge",
        ipam: {
          type: "static",
          addresses: [{ address: `10.${233 + k}.0.5/16`, gateway: `10.${233 + k}.0.1` }],
          routes: [{ dst: "0.0.0.0/0" }],
        },
      }));
      try {
        for (let i = -warmups; i < n; i++) {
          const got: CallWindow[] = [];
          const rt = {
            containerId: `dnc-${seed.id}-${i + warmups}`,
            netns,
            ifName: "eth0",
            ...(capabilityArgs && { capabilityArgs }),
          };
          if (plugin === "static") {
            for (const command of ["ADD", "DEL"] as const) {
              got.push(
                await measure(
                  plugin,
                  command,
                  () => seed.invoker.execPlugin("static", staticConf, { ...rt, command }),
                ),
              );
            }
          } else {
            const opts = {
              invoker: measuring(seed.invoker, plugin, got),
              cacheDir: seed.cacheDir,
            };
            try {
              await addNetworkList(seed.list, rt, opts);
            } finally {
              await delNetworkList(seed.list, rt, opts);
              await pendingKernelWork(); // the veth's teardown, before the next window
            }
          }
          if (i >= 0) windows.push(...got);
        }
      } finally {
        netnsDelete(nsName);
        await seed.remove();
      }
    }
  } finally {
    const sweep = await sweepFirewall(fw, { networks, subnets });
    const left = [...sweep.leftovers, ...sweep.kept];
    if (left.length > 0) {
      Deno.stderr.writeSync(ENC.encode(`cleanup: ${left.join("; ")}\n`));
    }
  }
  Deno.writeTextFileSync(out, JSON.stringify({ pid: Deno.pid, windows, spans }));
}

/** One perf sample. */
export interface Sample {
  /** Process. */
  pid: number;
  /** Thread. */
  tid: number;
  /** CLOCK_MONOTONIC, ns. */
  time: number;
  /** Taken in kernel mode. */
  kernel: boolean;
}

const SAMPLE_LINE = /^\s*(\d+)\/(\d+)\s+(\d+)\.(\d+):\s+([0-9a-f]+)/;

/**
 * Parses `perf script --ns -F pid,tid,time,ip` output.
 *
 * @param text The output.
 * @returns The samples, in order.
 */
export function parsePerfScript(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = SAMPLE_LINE.exec(line);
    if (!m) continue;
    const [, pid, tid, sec, frac, ip] = m as unknown as string[];
    out.push({
      pid: Number(pid),
      tid: Number(tid),
      time: Number(sec) * 1e9 + Number(frac!.padEnd(9, "0").slice(0, 9)),
      // x86-64 kernel addresses are in the top half (ffff8000...).
      kernel: ip!.length === 16 && ip! >= "ffff800000000000",
    });
  }
  return out;
}

/** Samples inside one window. */
export interface WindowSamples {
  /** The JavaScript thread in user mode, no tool running. */
  user: number;
  /** The JavaScript thread in kernel mode, no tool running. */
  kernel: number;
  /** The JavaScript thread while a tool ran. */
  tool: number;
  /** The process's other threads. */
  other: number;
}

/**
 * Counts the samples of process `pid` inside each window (windows do not overlap).
 *
 * @param windows The windows.
 * @param spans When tools ran (they may overlap).
 * @param samples The samples.
 * @param pid The measured process (its JavaScript thread is the main thread, `tid == pid`).
 * @returns One count per window, in the windows' order.
 */
export function attributeSamples(
  windows: readonly CallWindow[],
  spans: readonly ToolSpan[],
  samples: readonly Sample[],
  pid: number,
): WindowSamples[] {
  const order = windows.map((w, i) => [w, i] as const).sort((a, b) => a[0].start - b[0].start);
  const mine = samples.filter((s) => s.pid === pid).sort((a, b) => a.time - b.time);
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const inTool = (t: number) => {
    // the last span starting at or before t (binary search), and any earlier one still open
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]!.start <= t) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo - 1; k >= 0 && k >= lo - 8; k--) if (sorted[k]!.end >= t) return true;
    return false;
  };
  const out = windows.map(() => ({ user: 0, kernel: 0, tool: 0, other: 0 }));
  let j = 0;
  for (const [w, i] of order) {
    while (j < mine.length && mine[j]!.time < w.start) j++;
    for (; j < mine.length && mine[j]!.time <= w.end; j++) {
      const s = mine[j]!;
      if (s.tid !== pid) out[i]!.other++;
      else if (inTool(s.time)) out[i]!.tool++;
      else if (s.kernel) out[i]!.kernel++;
      else out[i]!.user++;
    }
  }
  return out;
}

/** One row of the table: a plugin's ADD or DEL, medians in ms. */
export interface CostRow {
  /** The plugin. */
  plugin: string;
  /** `ADD` or `DEL`. */
  op: string;
  /** Calls measured. */
  n: number;
  /** Wall time. */
  wall: number;
  /** CPU time of the JavaScript thread. */
  thread: number;
  /** Its user-mode part while no tool ran ("JS"), when perf sampled the run. */
  js?: number;
  /** Its kernel-mode part while no tool ran, when perf sampled the run. */
  kernel?: number;
  /** Its part while a tool ran (starting, feeding, reaping it), when perf sampled the run. */
  toolRun?: number;
  /** CPU time of the process's other threads. */
  other: number;
  /** CPU time of the tools. */
  tools: number;
  /** Tools started per call. */
  spawns: number;
  /** Wall time minus the JavaScript thread's CPU time. */
  waiting: number;
}

function median(values: readonly number[]): number {
  return values.length === 0 ? NaN : stats(values).median;
}

/**
 * Summarises the windows per plugin and command: medians of each clock; the JavaScript
 * thread's median CPU time split in the proportion of its user and kernel samples over all
 * the calls of the row.
 *
 * @param windows The windows.
 * @param counts The samples of each window (same order), or `undefined` without perf.
 * @returns The rows, in the windows' first-seen order.
 */
export function costRows(
  windows: readonly CallWindow[],
  counts?: readonly WindowSamples[],
): CostRow[] {
  const groups = new Map<string, number[]>();
  windows.forEach((w, i) => {
    const key = `${w.plugin} ${w.op}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const ms = (ns: number) => ns / 1e6;
  return [...groups.values()].map((idx) => {
    const ws = idx.map((i) => windows[i]!);
    const thread = ms(median(ws.map((w) => w.thread)));
    const row: CostRow = {
      plugin: ws[0]!.plugin,
      op: ws[0]!.op,
      n: ws.length,
      wall: ms(median(ws.map((w) => w.end - w.start))),
      thread,
      other: ms(median(ws.map((w) => Math.max(0, w.process - w.thread)))),
      tools: ms(median(ws.map((w) => w.children))),
      spawns: median(ws.map((w) => w.tools)),
      waiting: ms(median(ws.map((w) => Math.max(0, w.end - w.start - w.thread)))),
    };
    if (counts) {
      const sum = (k: "user" | "kernel" | "tool") => idx.reduce((a, i) => a + counts[i]![k], 0);
      const [user, kernel, tool] = [sum("user"), sum("kernel"), sum("tool")];
      const all = user + kernel + tool;
      if (all > 0) {
        row.js = thread * user / all;
        row.kernel = thread * kernel / all;
        row.toolRun = thread * tool / all;
      }
    }
    return row;
  });
}

/**
 * The rows as an aligned text table.
 *
 * @param rows The rows.
 * @returns Text ending in a newline.
 */
export function costTable(rows: readonly CostRow[]): string {
  const f = (v: number | undefined) => v === undefined ? "–" : v.toFixed(2);
  const body = [
    [
      "plugin",
      "op",
      "n",
      "wall",
      "JS thread CPU",
      "JS (user)",
      "kernel",
      "tool runs",
      "other threads",
      "tools CPU",
      "tools",
      "waiting",
    ],
    ...rows.map((r) => [
      r.plugin,
      r.op,
      String(r.n),
      f(r.wall),
      f(r.thread),
      f(r.js),
      f(r.kernel),
      f(r.toolRun),
      f(r.other),
      f(r.tools),
      String(r.spawns),
      f(r.waiting),
    ]),
  ];
  const widths = body[0]!.map((_, i) => Math.max(...body.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join("  ");
  return [line(body[0]!), ...body.slice(1).map(line)].join("\n") + "\n";
}

function perfUsable(): boolean {
  try {
    return new Deno.Command("perf", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

async function parent(
  plugins: readonly CostPlugin[],
  n: number,
  warmups: number,
  perf: boolean,
): Promise<number> {
  if (Deno.uid() !== 0) throw new Error("the plugin cost probe needs root (namespaces, bridges)");
  const usePerf = perf && perfUsable();
  const tmp = Deno.makeTempDirSync({ prefix: "denocni-plugin-cost-" });
  try {
    const out = join(tmp, "windows.jsonl");
    const perfData = join(tmp, "perf.data");
    const childArgs = [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--child",
      "--out",
      out,
      "--n",
      String(n),
      "--warmups",
      String(warmups),
      "--plugins",
      plugins.join(","),
    ];
    const [cmd, args] = usePerf
      ? [
        "perf",
        [
          "record",
          "-q",
          "-e",
          "cpu-clock",
          "-c",
          String(PERF_PERIOD_NS),
          "-k",
          "CLOCK_MONOTONIC",
          "-o",
          perfData,
          "--",
          Deno.execPath(),
          ...childArgs,
        ],
      ] as const
      : [Deno.execPath(), childArgs] as const;
    const res = await new Deno.Command(cmd, { args: [...args], stdout: "inherit", stderr: "piped" })
      .output();
    const stderr = DEC.decode(res.stderr).trim();
    if (!res.success) throw new Error(`plugin cost child failed: ${stderr}`);
    if (stderr !== "") Deno.stderr.writeSync(ENC.encode(stderr + "\n"));
    const { pid, windows, spans } = JSON.parse(Deno.readTextFileSync(out)) as {
      pid: number;
      windows: CallWindow[];
      spans: ToolSpan[];
    };
    let counts: WindowSamples[] | undefined;
    let coverage = "";
    if (usePerf) {
      const script = await new Deno.Command("perf", {
        args: ["script", "-i", perfData, "--ns", "-F", "pid,tid,time,ip", "--pid", String(pid)],
        stdout: "piped",
        stderr: "null",
      }).output();
      if (!script.success) throw new Error("perf script failed");
      counts = attributeSamples(windows, spans, parsePerfScript(DEC.decode(script.stdout)), pid);
      const sampled = counts.reduce((a, c) => a + c.user + c.kernel + c.tool, 0) * PERF_PERIOD_NS;
      const clocked = windows.reduce((a, w) => a + w.thread, 0);
      coverage = `; the samples account for ${(100 * sampled / clocked).toFixed(0)}% of the ` +
        `JavaScript thread's CPU clock`;
    }
    const header =
      `in-process plugin calls, warm (${warmups} untimed first), medians of ${n}, ms; ` +
      (usePerf
        ? `JS (user) / kernel / tool runs: the JavaScript thread's CPU split by perf ` +
          `cpu-clock samples (every ${PERF_PERIOD_NS / 1000} µs)`
        : "no perf: the JavaScript thread's CPU is not split") +
      coverage + "\n";
    Deno.stdout.writeSync(ENC.encode(header + costTable(costRows(windows, counts))));
    return 0;
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      n: { type: "string", default: "50" },
      warmups: { type: "string", default: "5" },
      plugins: { type: "string", default: COST_PLUGINS.join(",") },
      "no-perf": { type: "boolean", default: false },
      child: { type: "boolean", default: false },
      out: { type: "string" },
    },
  });
  const plugins = values.plugins.split(",") as CostPlugin[];
  const n = Number(values.n);
  const warmups = Number(values.warmups);
  await runMain(() => {
    const unknown = plugins.filter((p) => !(COST_PLUGINS as readonly string[]).includes(p));
    if (unknown.length > 0) throw new Error(`unknown plugins: ${unknown.join(", ")}`);
    return values.child
      ? child(plugins, n, warmups, values.out!)
      : parent(plugins, n, warmups, !values["no-perf"]);
  });
}
