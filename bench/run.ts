/**
 * The side-by-side benchmark (`deno task bench`): the reference Go plugins exec'd by our
 * engine, our plugins exec'd by our engine (bundle launchers from `cnitool install`), and our
 * plugins in-process, alternating A B C A B C ... on the seed network (bridge + host-local /16
 * + loopback, ipMasq off and on).
 *
 * Everything runs in throwaway namespaces with unique names, unique bridges, data and cache
 * dirs under a temp dir; all of it (and any firewall rule left behind) is removed in `finally`.
 * Root only.
 *
 *   deno run -A bench/run.ts [--size tiny|full] [--json] [--out FILE] [--readme] [--data-dir DIR]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { addNetworkList, delNetworkList } from "../cni/libcni.ts";
import { execInvoker, type Invoker, selectInvoker } from "../cni/invoke.ts";
import type { NetworkConfigList } from "../cni/conf.ts";
import { BUILTIN_PLUGINS } from "../plugins/mod.ts";
import { installPlugins } from "../cmd/install_plugins.ts";
import { netnsAdd, netnsDelete } from "../netns/named.ts";
import { seedList as seedNetwork } from "./seed.ts";
import {
  type Machine,
  markdownTable,
  type Mode,
  replaceReadmeSection,
  type Report,
  type Row,
  stats,
  textTable,
  verdicts,
} from "./report.ts";

const REF_DIR = "/usr/lib/cni";
const WARMUPS = 5;
const ROOT = new URL("..", import.meta.url).pathname;
const TEXT = new TextDecoder();

/** Sizes of one run. */
interface Size {
  name: string;
  /** Iterations of the single ADD/DEL and VERSION rows. */
  iterations: number;
  /** Attachments of the sequential and parallel scenarios. */
  batch: number;
  /** Repetitions of the batch scenarios. */
  batchReps: number;
  /** Leases on disk for the host-local scenario. */
  leases: number;
  /** Iterations of the host-local rows. */
  hlIterations: number;
  /** ADD+DEL runs under the memory probe. */
  memRuns: number;
}

const SIZES: Record<string, Size> = {
  tiny: {
    name: "tiny",
    iterations: 2,
    batch: 4,
    batchReps: 1,
    leases: 300,
    hlIterations: 2,
    memRuns: 1,
  },
  full: {
    name: "full",
    iterations: 20,
    batch: 100,
    batchReps: 1,
    leases: 60_000,
    hlIterations: 10,
    memRuns: 3,
  },
};

const MODES = ["ref", "exec", "inproc"] as const;
type RunMode = typeof MODES[number];

function log(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));
}

function run(cmd: string, args: string[], allowFail = false): string {
  const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success && !allowFail) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${TEXT.decode(out.stderr).trim()}`);
  }
  return TEXT.decode(out.stdout);
}

function hex(n: number): string {
  const b = crypto.getRandomValues(new Uint8Array(n));
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("").slice(0, n);
}

/** Everything a run created, for the cleanup. */
interface Run {
  id: string;
  tmp: string;
  /** Whether `tmp` is a tmpfs this run mounted (unmounted by the cleanup). */
  tmpfs: boolean;
  binDir: string;
  env: Record<string, string>;
  bridges: Set<string>;
  namespaces: Set<string>;
  networks: Set<string>;
  usedOctets: Set<number>;
}

function freeOctet(r: Run): number {
  const routes = run("ip", ["-4", "route", "show", "table", "all"]);
  for (let tries = 0; tries < 200; tries++) {
    const o = 100 + Math.floor(Math.random() * 150);
    if (r.usedOctets.has(o) || routes.includes(`10.${o}.`)) continue;
    r.usedOctets.add(o);
    return o;
  }
  throw new Error("no free 10.x.0.0/16 for the bench");
}

function makeNamespaces(r: Run, tag: string, count: number): string[] {
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `dnb-${r.id}-${tag}-${i}`;
    r.namespaces.add(name);
    paths.push(netnsAdd(name));
  }
  return paths;
}

function dropNamespaces(r: Run, paths: string[]): void {
  for (const p of paths) {
    const name = p.slice(p.lastIndexOf("/") + 1);
    try {
      netnsDelete(name);
    } catch { /* reported by the final sweep */ }
    r.namespaces.delete(name);
  }
}

/** The seed network for one mode and ipMasq setting. */
function seedList(r: Run, mode: RunMode, masq: boolean): NetworkConfigList {
  const octet = freeOctet(r);
  const tag = `${r.bridges.size}${mode[0]}${masq ? 1 : 0}`;
  const name = `dnb-${r.id}-${tag}`;
  const bridge = `dnb${r.id}${tag}`;
  r.bridges.add(bridge);
  r.networks.add(name);
  return seedNetwork({
    name,
    bridge,
    subnet: `10.${octet}.0.0/16`,
    dataDir: join(r.tmp, "ipam", tag),
    ipMasq: masq,
  });
}

function invokers(r: Run): Record<RunMode, Invoker> {
  return {
    ref: execInvoker({ cniPath: [REF_DIR], env: r.env }),
    exec: execInvoker({ cniPath: [r.binDir], env: r.env }),
    inproc: selectInvoker({
      mode: "prefer",
      registry: BUILTIN_PLUGINS,
      cniPath: [r.binDir],
      env: r.env,
    }),
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

function firstAddress(result: Record<string, unknown>): string {
  const ips = result.ips as { address?: string }[] | undefined;
  const a = ips?.[0]?.address;
  if (!a) throw new Error(`ADD result without an address: ${JSON.stringify(result)}`);
  return a;
}

async function pool<T>(items: readonly T[], width: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

type Samples = Record<string, Partial<Record<Mode, number[]>>>;

function push(samples: Samples, id: string, mode: Mode, v: number): void {
  const row = samples[id] ??= {};
  (row[mode] ??= []).push(v);
}

/** Single ADD and DEL, ipMasq off and on, alternating modes. */
async function singleAddDel(r: Run, size: Size, samples: Samples): Promise<void> {
  const inv = invokers(r);
  for (const masq of [false, true]) {
    const lists = Object.fromEntries(MODES.map((m) => [m, seedList(r, m, masq)])) as Record<
      RunMode,
      NetworkConfigList
    >;
    const ns = Object.fromEntries(MODES.map((m) => [m, makeNamespaces(r, `s${m[0]}`, 1)[0]!]));
    try {
      const suffix = masq ? "_masq" : "";
      // Untimed warm-ups (i < 0): the in-process engine is a long-lived process, measured with
      // its code compiled by V8 as a node runs it; each exec'd run is a new process anyway.
      for (let i = -WARMUPS; i < size.iterations; i++) {
        for (const m of MODES) {
          const rt = {
            containerId: `dnb-${r.id}-${m}-${i + WARMUPS}`,
            netns: ns[m]!,
            ifName: "eth0",
          };
          const opts = { invoker: inv[m], cacheDir: join(r.tmp, "cache", m) };
          await settle();
          const [tAdd] = await timed(() => addNetworkList(lists[m], rt, opts));
          const [tDel] = await timed(() => delNetworkList(lists[m], rt, opts));
          if (i >= 0) {
            push(samples, `add${suffix}`, m, tAdd);
            push(samples, `del${suffix}`, m, tDel);
          }
        }
      }
    } finally {
      dropNamespaces(r, Object.values(ns));
    }
  }
}

function cpuTimes(): { idle: number; total: number } {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0]!; // "cpu  user nice system idle iowait ..."
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  return { idle: (v[3] ?? 0) + (v[4] ?? 0), total: v.reduce((a, b) => a + b, 0) };
}

/**
 * Waits (up to 3 s) until the machine is quiet: the kernel cleans up deleted namespaces (and
 * the veths in them) in the background, so a batch started right after another mode's 100
 * namespaces were deleted would pay for that mode's cleanup.
 */
async function settle(): Promise<void> {
  const deadline = performance.now() + 3000;
  while (performance.now() < deadline) {
    const a = cpuTimes();
    await new Promise((r) => setTimeout(r, 50));
    const b = cpuTimes();
    const total = b.total - a.total;
    if (total > 0 && (b.idle - a.idle) / total >= 0.9) return;
  }
}

/** N sequential ADDs then N DELs, and N ADDs 8 at a time then DELs 8 at a time. */
async function batches(
  r: Run,
  size: Size,
  samples: Samples,
  notes: string[],
): Promise<void> {
  const inv = invokers(r);
  const lists = Object.fromEntries(MODES.map((m) => [m, seedList(r, m, false)])) as Record<
    RunMode,
    NetworkConfigList
  >;
  for (let rep = 0; rep < size.batchReps; rep++) {
    for (const width of [1, 8]) {
      for (const m of MODES) {
        const ns = makeNamespaces(r, `b${m[0]}`, size.batch);
        try {
          const opts = { invoker: inv[m], cacheDir: join(r.tmp, "cache", m) };
          const rts = ns.map((p, i) => ({
            containerId: `dnb-${r.id}-b${width}-${m}-${rep}-${i}`,
            netns: p,
            ifName: "eth0",
          }));
          const addresses: string[] = [];
          await settle();
          const [tAdd] = await timed(() =>
            pool(rts, width, async (rt) => {
              addresses.push(firstAddress(await addNetworkList(lists[m], rt, opts)));
            })
          );
          await settle();
          const [tDel] = await timed(() =>
            pool(rts, width, (rt) => delNetworkList(lists[m], rt, opts))
          );
          const distinct = new Set(addresses).size;
          if (distinct !== rts.length) {
            throw new Error(
              `${m}: ${rts.length} ADDs ${width} at a time gave ${distinct} distinct addresses`,
            );
          }
          if (width === 8) {
            notes.push(`${m}: ${rts.length} ADDs 8 at a time, ${distinct} distinct addresses`);
          }
          const id = width === 1 ? "seq" : "par8";
          push(samples, `${id}_add`, m, tAdd);
          push(samples, `${id}_del`, m, tDel);
        } finally {
          dropNamespaces(r, ns);
        }
      }
    }
  }
}

async function spawnMs(cmd: string, args: string[], env: Record<string, string>) {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, {
    args,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed: ${TEXT.decode(out.stdout)} ${TEXT.decode(out.stderr)}`,
    );
  }
  return ms;
}

/** Plugin start alone (VERSION) and Deno's floor (an empty file). */
async function startup(r: Run, size: Size, samples: Samples): Promise<void> {
  const empty = join(r.tmp, "empty.js");
  Deno.writeTextFileSync(empty, "\n");
  const env = { ...r.env, CNI_COMMAND: "VERSION" };
  const n = Math.max(size.iterations, 5);
  for (let i = -1; i < n; i++) {
    const ref = await spawnMs(join(REF_DIR, "bridge"), [], env);
    const ours = await spawnMs(join(r.binDir, "bridge"), [], env);
    const floor = await spawnMs(
      Deno.execPath(),
      ["run", "--quiet", "--no-config", "--no-lock", "--no-prompt", empty],
      r.env,
    );
    if (i < 0) continue;
    push(samples, "start", "ref", ref);
    push(samples, "start", "exec", ours);
    push(samples, "floor", "ref", ref);
    push(samples, "floor", "floor", floor);
  }
}

function ipOf(octet: number, k: number): string {
  return `10.${octet}.${k >> 8}.${k & 255}`;
}

function writeLeases(dir: string, network: string, octet: number, count: number): void {
  const d = join(dir, network);
  Deno.mkdirSync(d, { recursive: true });
  let last = "";
  for (let k = 2; k < count + 2; k++) {
    last = ipOf(octet, k);
    Deno.writeTextFileSync(join(d, last), `dnb-lease-${k}\r\neth0`, { mode: 0o600 });
  }
  Deno.writeTextFileSync(join(d, "last_reserved_ip.0"), last);
}

/** host-local alone: ADD/DEL with 1 lease versus many leases on disk. */
async function hostLocal(r: Run, size: Size, samples: Samples, notes: string[]) {
  const inv = invokers(r);
  const octet = freeOctet(r);
  const network = `dnb-${r.id}-hl`;
  // One data dir per mode and size: modes never see each other's writes (ours keeps an owner
  // index that a foreign write invalidates, which a real node using one stack never does).
  const dirs = {} as Record<"one" | "many", Record<RunMode, string>>;
  const t0 = performance.now();
  for (const which of ["one", "many"] as const) {
    dirs[which] = {} as Record<RunMode, string>;
    for (const m of MODES) {
      dirs[which][m] = join(r.tmp, `hl-${which}-${m}`);
      writeLeases(dirs[which][m], network, octet, which === "one" ? 1 : size.leases);
    }
  }
  log(`  wrote 3 x ${size.leases} leases in ${(performance.now() - t0).toFixed(0)} ms`);
  notes.push(
    `host-local: ${size.leases} lease files in the reference format in a /16, one data dir per mode`,
  );
  const [nsPath] = makeNamespaces(r, "hl", 1);
  try {
    const conf = (dataDir: string) =>
      new TextEncoder().encode(JSON.stringify({
        cniVersion: "1.0.0",
        name: network,
        type: "host-local-user",
        ipam: { type: "host-local", ranges: [[{ subnet: `10.${octet}.0.0/16` }]], dataDir },
      }));
    for (let i = -1; i < size.hlIterations; i++) {
      for (const which of ["one", "many"] as const) {
        for (const m of MODES) {
          const stdin = conf(dirs[which][m]);
          const args = {
            containerId: `dnb-${r.id}-hl-${m}-${i + 1}`,
            netns: nsPath!,
            ifName: "eth0",
          };
          const [tAdd] = await timed(() =>
            inv[m].execPlugin("host-local", stdin, { ...args, command: "ADD" })
          );
          const [tDel] = await timed(() =>
            inv[m].execPlugin("host-local", stdin, { ...args, command: "DEL" })
          );
          if (i < 0) continue;
          const id = which === "one" ? "hl_add_1" : "hl_add_many";
          push(samples, id, m, tAdd);
          push(samples, which === "one" ? "hl_del_1" : "hl_del_many", m, tDel);
        }
      }
    }
  } finally {
    dropNamespaces(r, [nsPath!]);
  }
}

function writeWrapper(dir: string, name: string, target: string, logDir: string): void {
  const script = [
    "#!/bin/sh",
    `exec /usr/bin/time -f %M -o "${logDir}/${name}.$$" "${target}" "$@"`,
    "",
  ].join("\n");
  Deno.writeTextFileSync(join(dir, name), script, { mode: 0o755 });
}

/** Peak RSS of each plugin process during ADD/DEL of the seed list (GNU time's max RSS). */
async function memory(r: Run, size: Size, samples: Samples, notes: string[]) {
  try {
    Deno.statSync("/usr/bin/time");
  } catch {
    notes.push("peak memory not measured: /usr/bin/time is missing");
    return;
  }
  for (const m of ["ref", "exec"] as const) {
    const dir = join(r.tmp, `mem-${m}`);
    const logs = join(r.tmp, `memlog-${m}`);
    Deno.mkdirSync(dir, { recursive: true });
    Deno.mkdirSync(logs, { recursive: true });
    for (const name of ["bridge", "host-local", "loopback"]) {
      writeWrapper(dir, name, join(m === "ref" ? REF_DIR : r.binDir, name), logs);
    }
    const list = seedList(r, m, false);
    const [ns] = makeNamespaces(r, `m${m[0]}`, 1);
    try {
      const opts = {
        invoker: execInvoker({ cniPath: [dir], env: r.env }),
        cacheDir: join(r.tmp, "cache", m),
      };
      for (let i = 0; i < size.memRuns; i++) {
        const rt = { containerId: `dnb-${r.id}-mem-${i}`, netns: ns!, ifName: "eth0" };
        await addNetworkList(list, rt, opts);
        await delNetworkList(list, rt, opts);
      }
    } finally {
      dropNamespaces(r, [ns!]);
    }
    const perName: Record<string, number> = {};
    for (const e of Deno.readDirSync(logs)) {
      const kb = Number(Deno.readTextFileSync(join(logs, e.name)).trim().split("\n").pop());
      if (!Number.isFinite(kb)) continue;
      push(samples, "peak_rss", m, kb / 1024);
      const plugin = e.name.slice(0, e.name.lastIndexOf("."));
      perName[plugin] = Math.max(perName[plugin] ?? 0, kb / 1024);
    }
    notes.push(
      `peak RSS by plugin, ${m}: ` +
        Object.entries(perName).map(([k, v]) => `${k} ${v.toFixed(1)} MiB`).join(", "),
    );
  }
}

/** Removes whatever the run left: firewall rules naming our networks, bridges, namespaces. */
function cleanup(r: Run): string[] {
  const left: string[] = [];
  for (const name of r.namespaces) {
    try {
      netnsDelete(name);
    } catch { /* gone */ }
  }
  for (const cmd of ["iptables", "ip6tables"]) {
    const rules = run(cmd, ["-w", "-t", "nat", "-S"], true).split("\n");
    const chains = new Set<string>();
    for (const line of rules) {
      if (![...r.networks].some((n) => line.includes(`"${n}"`))) continue;
      if (!line.startsWith("-A ")) continue;
      const jump = / -j (CNI-[0-9a-f]+)/.exec(line);
      if (jump) chains.add(jump[1]!);
      left.push(`${cmd} rule: ${line}`);
      run(cmd, ["-w", "-t", "nat", ...line.replace(/^-A /, "-D ").split(" ")], true);
    }
    for (const c of chains) {
      run(cmd, ["-w", "-t", "nat", "-F", c], true);
      run(cmd, ["-w", "-t", "nat", "-X", c], true);
    }
  }
  for (const b of r.bridges) {
    const out = new Deno.Command("ip", { args: ["link", "del", b], stderr: "null" }).outputSync();
    void out;
  }
  const links = run("ip", ["-o", "link", "show"]);
  if (links.includes(`dnb${r.id}`)) left.push(`links still present for dnb${r.id}`);
  const nss = run("ip", ["netns", "list"]);
  if (nss.includes(`dnb-${r.id}`)) left.push(`namespaces still present for dnb-${r.id}`);
  if (r.tmpfs) {
    const out = new Deno.Command("umount", { args: [r.tmp], stderr: "piped" }).outputSync();
    if (!out.success) left.push(`umount ${r.tmp}: ${TEXT.decode(out.stderr).trim()}`);
  }
  try {
    Deno.removeSync(r.tmp, { recursive: true });
  } catch (err) {
    left.push(`temp dir ${r.tmp}: ${err}`);
  }
  return left;
}

function referenceVersion(about: string): string {
  const pkg = new Deno.Command("dpkg-query", {
    args: ["-W", "-f", "${Version}", "containernetworking-plugins"],
    stdout: "piped",
    stderr: "null",
  });
  try {
    const out = pkg.outputSync();
    if (out.success && out.stdout.length > 0) return `Debian ${TEXT.decode(out.stdout)}`;
  } catch { /* no dpkg */ }
  return about.split("\n")[0] ?? "unknown";
}

function machine(): Machine {
  const cpuinfo = Deno.readTextFileSync("/proc/cpuinfo");
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown CPU";
  const ref = new Deno.Command(join(REF_DIR, "bridge"), {
    env: { CNI_COMMAND: "" },
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const refText = TEXT.decode(ref.stderr).trim() || TEXT.decode(ref.stdout).trim();
  return {
    nproc: navigator.hardwareConcurrency,
    kernel: Deno.osRelease(),
    cpu: model.trim(),
    deno: Deno.version.deno,
    reference: referenceVersion(refText),
  };
}

const SCENARIOS: [string, string, string][] = [
  ["add", "ADD seed list (ipMasq off)", "ms"],
  ["del", "DEL seed list (ipMasq off)", "ms"],
  ["add_masq", "ADD seed list (ipMasq on)", "ms"],
  ["del_masq", "DEL seed list (ipMasq on)", "ms"],
  ["seq_add", "N sequential ADDs (total)", "ms"],
  ["seq_del", "N sequential DELs (total)", "ms"],
  ["par8_add", "N ADDs, 8 at a time (total)", "ms"],
  ["par8_del", "N DELs, 8 at a time (total)", "ms"],
  ["start", "plugin start (bridge VERSION)", "ms"],
  ["floor", "Deno floor: deno run empty.js", "ms"],
  ["hl_add_1", "host-local ADD, 1 lease", "ms"],
  ["hl_add_many", "host-local ADD, L leases", "ms"],
  ["hl_del_1", "host-local DEL, 1 lease", "ms"],
  ["hl_del_many", "host-local DEL, L leases", "ms"],
  ["peak_rss", "peak RSS of one plugin process", "MiB"],
];

/**
 * The run's temp dir (leases, cache files, launchers of every mode): under `base` when one is
 * given (`--data-dir`, e.g. /var/lib where a node keeps them), else a fresh tmpfs mounted on a
 * new dir in the OS temp dir (unmounted by the cleanup), a plain dir when mount fails. Creating
 * a file on these VMs' ext4 swings between 0.03 and 1.2 ms within minutes (seen in one
 * directory, then in another), which would measure the disk's mood, not the plugins.
 */
function makeRunDir(base: string | undefined): { dir: string; tmpfs: boolean } {
  if (base) {
    return { dir: Deno.makeTempDirSync({ dir: base, prefix: "denocni-bench-" }), tmpfs: false };
  }
  const dir = Deno.makeTempDirSync({ prefix: "denocni-bench-" });
  const mounted = new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "mode=0700,size=2g", "denocni-bench", dir],
    stdout: "null",
    stderr: "null",
  }).outputSync().success;
  return { dir, tmpfs: mounted };
}

/**
 * Runs the whole benchmark.
 *
 * @param size The sizes.
 * @param dataBase Directory under which the run's temp dir (data, cache, launchers) is made.
 * @returns The report.
 * @throws {Error} When not root, the reference plugins are missing, or a scenario fails.
 */
export async function runBench(size: Size, dataBase?: string): Promise<Report> {
  if (Deno.uid() !== 0) throw new Error("the benchmark needs root (namespaces, bridges)");
  Deno.statSync(join(REF_DIR, "bridge"));
  const r: Run = {
    id: hex(4),
    tmp: "",
    tmpfs: false,
    binDir: "",
    env: {},
    bridges: new Set(),
    namespaces: new Set(),
    networks: new Set(),
    usedOctets: new Set(),
  };
  ({ dir: r.tmp, tmpfs: r.tmpfs } = makeRunDir(dataBase));
  r.binDir = join(r.tmp, "bin");
  r.env = {
    PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    DENO_DIR: join(r.tmp, "deno_dir"),
  };
  const samples: Samples = {};
  const notes: string[] = [
    r.tmpfs
      ? "data, cache and launcher dirs of every mode on a tmpfs"
      : `data, cache and launcher dirs of every mode under ${join(r.tmp, "..")}`,
  ];
  let left: string[] = [];
  try {
    log(`bench ${r.id}: bundling and installing launchers into ${r.binDir}`);
    await installPlugins({ dir: r.binDir }); // bundles the source tree as `cnitool install` does
    log("startup (VERSION)");
    await startup(r, size, samples);
    log("single ADD/DEL");
    await singleAddDel(r, size, samples);
    log(`batches of ${size.batch}`);
    await batches(r, size, samples, notes);
    log("host-local leases");
    await hostLocal(r, size, samples, notes);
    log("peak memory");
    await memory(r, size, samples, notes);
  } finally {
    left = cleanup(r);
  }
  if (left.length > 0) notes.push(`cleanup had to remove: ${left.join("; ")}`);
  const rows: Row[] = SCENARIOS.flatMap(([id, scenario, unit]) => {
    const s = samples[id];
    if (!s) return [];
    const cells: Row["cells"] = {};
    for (const [mode, v] of Object.entries(s) as [Mode, number[]][]) cells[mode] = stats(v);
    return [{
      id,
      scenario: scenario.replace(" N ", ` ${size.batch} `).replace(" L ", ` ${size.leases} `),
      unit,
      cells,
    }];
  });
  return {
    runId: r.id,
    date: new Date().toISOString(),
    size: size.name,
    machine: machine(),
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
    },
  });
  const size = SIZES[values.size];
  if (!size) {
    log(`unknown --size ${JSON.stringify(values.size)}: expected tiny or full`);
    return 2;
  }
  const report = await runBench(size, values["data-dir"]);
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

if (import.meta.main) {
  try {
    Deno.exitCode = await main();
  } catch (err) {
    log(`error: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exitCode = 1;
  }
}
