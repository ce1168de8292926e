/**
 * The side-by-side benchmark (`deno task bench`), alternating A B C A B C ... on the seed
 * network (bridge + host-local /16 + loopback, ipMasq off and on):
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
 * dirs under a temp dir; all of it (and any firewall rule left behind) is removed in `finally`.
 * Root only.
 *
 *   deno run -A bench/run.ts [--size tiny|full] [--json] [--out FILE] [--readme]
 *     [--data-dir DIR] [--podman] [--only calls,single,batches,host-local,memory]
 *     [--modes ref,golibcni,exec,serve,inproc]
 *
 * `--only` and `--modes` run a part of it (e.g. `--only single,batches --modes
 * golibcni,inproc` for the in-process targets); `--readme` is for whole runs.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { addNetworkList, delNetworkList } from "../cni/libcni.ts";
import { execInvoker, type Invoker, selectInvoker } from "../cni/invoke.ts";
import type { NetworkConfigList } from "../cni/conf.ts";
import { BUILTIN_PLUGINS } from "../plugins/mod.ts";
import { CACHE_NAME, installPlugins } from "../cmd/install_plugins.ts";
import { goDriver } from "../tests/helpers/chain_env.ts";
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
  /** Iterations of the per-call rows. */
  calls: number;
  /** Podman cycles per setup (with `--podman`). */
  podman: number;
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
    calls: 2,
    podman: 2,
  },
  full: {
    name: "full",
    iterations: 20,
    batch: 100,
    batchReps: 1,
    leases: 60_000,
    hlIterations: 10,
    memRuns: 3,
    calls: 30,
    podman: 20,
  },
};

const ALL_MODES = ["ref", "golibcni", "exec", "serve", "inproc"] as const;
type RunMode = typeof ALL_MODES[number];
/** The modes that run through one of our invokers. */
const INVOKER_MODES = ["ref", "exec", "serve", "inproc"] as const;
type InvokerMode = typeof INVOKER_MODES[number];

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
  /** The daemon's socket (`serve` mode). */
  socket: string;
  /** A socket path with nobody behind it (`exec` mode: the launchers run the calls). */
  noDaemon: string;
  /** The modes this run measures (`golibcni` only with the Go driver). */
  modes: RunMode[];
  /** The Go libcni driver. */
  goDriver?: string;
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
  const list = seedNetwork({
    name,
    bridge,
    subnet: `10.${octet}.0.0/16`,
    dataDir: join(r.tmp, "ipam", tag),
    ipMasq: masq,
  });
  Deno.mkdirSync(join(r.tmp, "conf"), { recursive: true });
  Deno.writeFileSync(confFile(r, list), list.bytes);
  return list;
}

function confFile(r: Run, list: NetworkConfigList): string {
  return join(r.tmp, "conf", `${list.name}.conflist`);
}

function invokers(r: Run): Record<InvokerMode, Invoker> {
  return {
    ref: execInvoker({ cniPath: [REF_DIR], env: r.env }),
    exec: execInvoker({ cniPath: [r.binDir], env: { ...r.env, DENOCNI_SOCKET: r.noDaemon } }),
    serve: execInvoker({ cniPath: [r.binDir], env: { ...r.env, DENOCNI_SOCKET: r.socket } }),
    inproc: selectInvoker({
      mode: "prefer",
      registry: BUILTIN_PLUGINS,
      cniPath: [r.binDir],
      env: r.env,
    }),
  };
}

interface Attachment {
  containerId: string;
  netns: string;
  ifName: string;
}

/** ADD (returning the first address) or DEL of a seed list in one mode. */
async function listOp(
  r: Run,
  mode: RunMode,
  op: "add" | "del",
  list: NetworkConfigList,
  rt: Attachment,
  inv: Record<InvokerMode, Invoker>,
): Promise<string | undefined> {
  const cacheDir = join(r.tmp, "cache", mode);
  if (mode === "golibcni") {
    const out = await new Deno.Command(r.goDriver!, {
      args: [
        "-cmd",
        op,
        "-conflist",
        confFile(r, list),
        "-netns",
        rt.netns,
        "-cid",
        rt.containerId,
        "-ifname",
        rt.ifName,
        "-path",
        REF_DIR,
        "-cache",
        cacheDir,
      ],
      env: r.env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(
        `go libcni ${op} failed: ${TEXT.decode(out.stdout)}${TEXT.decode(out.stderr)}`,
      );
    }
    return op === "add" ? firstAddress(JSON.parse(TEXT.decode(out.stdout))) : undefined;
  }
  const opts = { invoker: inv[mode], cacheDir };
  if (op === "add") return firstAddress(await addNetworkList(list, rt, opts));
  await delNetworkList(list, rt, opts);
  return undefined;
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
    const lists = Object.fromEntries(r.modes.map((m) => [m, seedList(r, m, masq)])) as Record<
      RunMode,
      NetworkConfigList
    >;
    const ns = Object.fromEntries(
      r.modes.map((m) => [m, makeNamespaces(r, `s${m.slice(0, 2)}`, 1)[0]!]),
    );
    try {
      const suffix = masq ? "_masq" : "";
      // Untimed warm-ups (i < 0): the in-process engine is a long-lived process, measured with
      // its code compiled by V8 as a node runs it (the serve daemon too); each exec'd run is a
      // new process anyway.
      for (let i = -WARMUPS; i < size.iterations; i++) {
        for (const m of r.modes) {
          const rt = {
            containerId: `dnb-${r.id}-${m}-${i + WARMUPS}`,
            netns: ns[m]!,
            ifName: "eth0",
          };
          await settle();
          const [tAdd] = await timed(() => listOp(r, m, "add", lists[m], rt, inv));
          const [tDel] = await timed(() => listOp(r, m, "del", lists[m], rt, inv));
          if (i >= 0) {
            push(samples, `add${suffix}`, m, tAdd);
            push(samples, `del${suffix}`, m, tDel);
            if (!masq) push(samples, "adddel", m, tAdd + tDel);
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
async function settle(maxMs = 3000): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline) {
    const a = cpuTimes();
    await new Promise((r) => setTimeout(r, 50));
    const b = cpuTimes();
    const total = b.total - a.total;
    if (total > 0 && (b.idle - a.idle) / total >= 0.9) return;
  }
}

/** N sequential ADDs then N DELs, and N ADDs 16 at a time then DELs 16 at a time. */
async function batches(
  r: Run,
  size: Size,
  samples: Samples,
  notes: string[],
): Promise<void> {
  const inv = invokers(r);
  const lists = Object.fromEntries(r.modes.map((m) => [m, seedList(r, m, false)])) as Record<
    RunMode,
    NetworkConfigList
  >;
  for (let rep = 0; rep < size.batchReps; rep++) {
    for (const width of [1, 16]) {
      for (const m of r.modes) {
        const ns = makeNamespaces(r, `b${m.slice(0, 2)}`, size.batch);
        try {
          const rts = ns.map((p, i) => ({
            containerId: `dnb-${r.id}-b${width}-${m}-${rep}-${i}`,
            netns: p,
            ifName: "eth0",
          }));
          const addresses: string[] = [];
          await settle();
          const [tAdd] = await timed(() =>
            pool(rts, width, async (rt) => {
              addresses.push((await listOp(r, m, "add", lists[m], rt, inv))!);
            })
          );
          await settle();
          const [tDel] = await timed(() =>
            pool(rts, width, async (rt) => void await listOp(r, m, "del", lists[m], rt, inv))
          );
          const distinct = new Set(addresses).size;
          if (distinct !== rts.length) {
            throw new Error(
              `${m}: ${rts.length} ADDs ${width} at a time gave ${distinct} distinct addresses`,
            );
          }
          if (width === 16) {
            notes.push(`${m}: ${rts.length} ADDs 16 at a time, ${distinct} distinct addresses`);
          }
          const id = width === 1 ? "seq" : "par16";
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

/** `deno run` of an empty file, as the launchers run a bundle: Deno's own start and exit. */
const FLOOR_ARGS = ["run", "--quiet", "--no-config", "--no-lock", "--no-prompt"];

/** Plugin start alone (VERSION) and Deno's floor (an empty file). */
async function startup(r: Run, size: Size, samples: Samples): Promise<void> {
  const empty = join(r.tmp, "empty.js");
  Deno.writeTextFileSync(empty, "\n");
  const env = { ...r.env, CNI_COMMAND: "VERSION" };
  const n = Math.max(size.iterations, 5);
  for (let i = -1; i < n; i++) {
    const ref = await spawnMs(join(REF_DIR, "bridge"), [], env);
    const ours = await spawnMs(join(r.binDir, "bridge"), [], {
      ...env,
      DENOCNI_SOCKET: r.noDaemon,
    });
    const served = await spawnMs(join(r.binDir, "bridge"), [], {
      ...env,
      DENOCNI_SOCKET: r.socket,
    });
    const floor = await spawnMs(Deno.execPath(), [...FLOOR_ARGS, empty], r.env);
    if (i < 0) continue;
    push(samples, "start", "ref", ref);
    push(samples, "start", "exec", ours);
    push(samples, "start", "serve", served);
    push(samples, "start", "floor", floor);
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
  const dirs = {} as Record<"one" | "many", Record<InvokerMode, string>>;
  const t0 = performance.now();
  for (const which of ["one", "many"] as const) {
    dirs[which] = {} as Record<InvokerMode, string>;
    for (const m of INVOKER_MODES) {
      dirs[which][m] = join(r.tmp, `hl-${which}-${m}`);
      writeLeases(dirs[which][m], network, octet, which === "one" ? 1 : size.leases);
    }
  }
  log(`  wrote 4 x ${size.leases} leases in ${(performance.now() - t0).toFixed(0)} ms`);
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
        for (const m of INVOKER_MODES) {
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
  for (const m of ["ref", "exec", "serve"] as const) {
    const dir = join(r.tmp, `mem-${m}`);
    const logs = join(r.tmp, `memlog-${m}`);
    Deno.mkdirSync(dir, { recursive: true });
    Deno.mkdirSync(logs, { recursive: true });
    for (const name of ["bridge", "host-local", "loopback"]) {
      writeWrapper(dir, name, join(m === "ref" ? REF_DIR : r.binDir, name), logs);
    }
    const list = seedList(r, m, false);
    const [ns] = makeNamespaces(r, `m${m.slice(0, 2)}`, 1);
    const socket = m === "serve" ? r.socket : r.noDaemon;
    try {
      const opts = {
        invoker: execInvoker({ cniPath: [dir], env: { ...r.env, DENOCNI_SOCKET: socket } }),
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

/** The exec'd calls measured one by one, in an order that keeps each valid. */
const CALLS = [
  ["br_add", "bridge", "ADD", "bridge ADD"],
  ["lo_add", "loopback", "ADD", "loopback ADD"],
  ["hl_add", "host-local", "ADD", "host-local ADD"],
  ["hl_del", "host-local", "DEL", "host-local DEL"],
  ["lo_del", "loopback", "DEL", "loopback DEL"],
  ["br_del", "bridge", "DEL", "bridge DEL"],
] as const;

type CallMode = "floor" | "ref" | "exec" | "serve";
const CALL_MODES: readonly CallMode[] = ["floor", "ref", "exec", "serve"];

interface CallSetup {
  /** Spawns one call of `mode`, optionally through a wrapper, and returns its exit status. */
  argv(mode: CallMode, call: typeof CALLS[number], i: number): {
    cmd: string;
    args: string[];
    env: Record<string, string>;
    stdin: Uint8Array;
  };
  namespaces: string[];
}

let setups = 0;

/** One namespace, bridge, data dir per mode; the configs of every call. */
function callSetup(r: Run): CallSetup {
  const empty = join(r.tmp, "empty.js");
  const n = setups++;
  const namespaces: string[] = [];
  const perMode = {} as Record<
    CallMode,
    { ns: string; bridge: string; data: string; octet: number }
  >;
  for (const m of CALL_MODES) {
    if (m === "floor") continue;
    const [ns] = makeNamespaces(r, `c${n}${m.slice(0, 2)}`, 1);
    namespaces.push(ns!);
    const bridge = `dnb${r.id}c${n}${m.slice(0, 2)}`;
    r.bridges.add(bridge);
    perMode[m] = { ns: ns!, bridge, data: join(r.tmp, `calls-${n}-${m}`), octet: freeOctet(r) };
  }
  const enc = new TextEncoder();
  return {
    namespaces,
    argv(mode, [, plugin, command], i) {
      if (mode === "floor") {
        return {
          cmd: Deno.execPath(),
          args: [...FLOOR_ARGS, empty],
          env: r.env,
          stdin: new Uint8Array(),
        };
      }
      const s = perMode[mode];
      const name = `dnb-${r.id}-c${n}${mode.slice(0, 2)}`;
      r.networks.add(name);
      const ipam = {
        type: "host-local",
        ranges: [[{ subnet: `10.${s.octet}.0.0/16` }]],
        dataDir: s.data,
      };
      const conf = plugin === "bridge"
        ? { cniVersion: "1.0.0", name, type: "bridge", bridge: s.bridge, isGateway: true, ipam }
        : plugin === "loopback"
        ? { cniVersion: "1.0.0", name, type: "loopback" }
        : { cniVersion: "1.0.0", name: `${name}-hl`, type: "host-local-user", ipam };
      const dir = mode === "ref" ? REF_DIR : r.binDir;
      return {
        cmd: join(dir, plugin),
        args: [],
        env: {
          ...r.env,
          CNI_COMMAND: command,
          CNI_CONTAINERID: `dnb-${r.id}-call-${i}`,
          CNI_NETNS: s.ns,
          CNI_IFNAME: "eth0",
          CNI_PATH: dir,
          DENOCNI_SOCKET: mode === "serve" ? r.socket : r.noDaemon,
        },
        stdin: enc.encode(JSON.stringify(conf)),
      };
    },
  };
}

async function spawnCall(
  a: ReturnType<CallSetup["argv"]>,
  wrap: string[] = [],
): Promise<number> {
  const t0 = performance.now();
  const child = new Deno.Command(wrap[0] ?? a.cmd, {
    args: wrap.length ? [...wrap.slice(1), a.cmd, ...a.args] : a.args,
    env: a.env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(a.stdin);
  await w.close();
  const out = await child.output();
  const ms = performance.now() - t0;
  if (!out.success) {
    throw new Error(
      `${a.cmd} ${a.env.CNI_COMMAND ?? ""} failed: ${TEXT.decode(out.stdout)} ${
        TEXT.decode(out.stderr)
      }`,
    );
  }
  return ms;
}

/**
 * Each exec'd call alone, alternating the floor, the Go plugin, ours, ours forwarding; the
 * excess of ours is also taken per tuple of adjacent runs (paired).
 */
async function perCall(r: Run, size: Size, samples: Samples): Promise<void> {
  const setup = callSetup(r);
  try {
    for (let i = -2; i < size.calls; i++) {
      for (const call of CALLS) {
        const t = {} as Record<CallMode, number>;
        await settle(500);
        for (const m of CALL_MODES) t[m] = await spawnCall(setup.argv(m, call, i + 2));
        if (i < 0) continue;
        const id = `call_${call[0]}`;
        for (const m of CALL_MODES) push(samples, id, m, t[m]);
        // Each run against the floor and Go runs next to it: load drifts less within a tuple
        // than across the whole run.
        push(samples, id, "excessExec", t.exec - t.floor - t.ref);
        push(samples, id, "excessServe", t.serve - t.floor - t.ref);
      }
    }
  } finally {
    dropNamespaces(r, setup.namespaces);
  }
}

/** Peak RSS of each exec'd call (GNU time), per mode, floor included. */
async function callMemory(r: Run, samples: Samples, notes: string[]): Promise<void> {
  try {
    Deno.statSync("/usr/bin/time");
  } catch {
    notes.push("per-call peak memory not measured: /usr/bin/time is missing");
    return;
  }
  const setup = callSetup(r);
  const out = join(r.tmp, "rss");
  try {
    for (let i = 0; i < 3; i++) {
      for (const call of CALLS) {
        for (const m of CALL_MODES) {
          await spawnCall(setup.argv(m, call, 1000 + i), ["/usr/bin/time", "-f", "%M", "-o", out]);
          const kb = Number(Deno.readTextFileSync(out).trim().split("\n").pop());
          if (Number.isFinite(kb)) push(samples, "call_rss", m, kb / 1024);
        }
      }
    }
  } finally {
    dropNamespaces(r, setup.namespaces);
  }
}

/**
 * Bytes (and write-type calls) that the exec'd calls of `modes` put into the launchers' Deno
 * cache. `exec` is measured before the daemon starts: a running `cnitool serve` of the same
 * install keeps the cache databases open, and then no plugin process writes even SQLite's index
 * reset.
 */
async function cacheWrites(
  r: Run,
  modes: readonly ("exec" | "serve")[],
  samples: Samples,
  notes: string[],
): Promise<void> {
  try {
    Deno.statSync("/usr/bin/strace");
  } catch {
    notes.push("DENO_DIR writes not measured: strace is missing");
    return;
  }
  const cache = join(r.binDir, CACHE_NAME);
  const setup = callSetup(r);
  const trace = join(r.tmp, "writes.trace");
  const ops: Record<string, number> = {};
  try {
    for (const m of modes) {
      for (const call of CALLS) {
        await spawnCall(setup.argv(m, call, 2000), [
          "strace",
          "-f",
          "-qq",
          "-y",
          "-e",
          "trace=write,pwrite64,pwritev,pwritev2,writev,ftruncate,fsync,fdatasync,unlink," +
          "unlinkat,rename,renameat,renameat2,mkdir,mkdirat",
          "-o",
          trace,
        ]);
        let bytes = 0;
        for (const line of Deno.readTextFileSync(trace).split("\n")) {
          if (!line.includes(cache)) continue;
          if (/= -1 E/.test(line)) continue; // refused: nothing written
          ops[m] = (ops[m] ?? 0) + 1;
          const w = /^\d+\s+(p?writev?2?|pwrite64)\(.*\)\s+=\s+(\d+)$/.exec(line);
          if (w) bytes += Number(w[2]);
        }
        push(samples, "writes_bytes", m, bytes);
      }
    }
  } finally {
    dropNamespaces(r, setup.namespaces);
  }
  notes.push(
    `write-type syscalls on the Deno cache over ${CALLS.length} calls: ` +
      modes.map((m) => `${m} ${ops[m] ?? 0}`).join(", ") +
      (modes.includes("exec") ? " (exec: no daemon running)" : ""),
  );
}

/** loopback ADD+DEL with the launchers' cache read-only versus writable (same wrapper). */
async function readOnlyCache(r: Run, size: Size, samples: Samples): Promise<void> {
  const cache = join(r.binDir, CACHE_NAME);
  const setup = callSetup(r);
  const lo = CALLS.filter(([id]) => id === "lo_add" || id === "lo_del");
  const wrapper = (ro: boolean) => [
    "unshare",
    "-m",
    "--propagation",
    "private",
    "sh",
    "-c",
    (ro ? `mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && ` : "") + `exec "$@"`,
    cache,
  ];
  try {
    for (let i = -1; i < size.calls; i++) {
      for (const ro of [false, true]) {
        for (const call of lo) {
          const ms = await spawnCall(setup.argv("exec", call, 3000 + i), wrapper(ro));
          if (i >= 0 && call[0] === "lo_add") {
            push(samples, "ro_lo_add", ro ? "execRo" : "exec", ms);
          }
        }
      }
    }
  } finally {
    dropNamespaces(r, setup.namespaces);
  }
}

/** The Podman tier's run+rm cycle: ours, ours forwarding to a daemon, the Go plugins. */
async function podman(size: Size, samples: Samples, notes: string[]): Promise<void> {
  const { missingFor } = await import("../tests/runtimes/helpers/requirements.ts");
  const { PODMAN_PROGRAMS, startPodman } = await import("../tests/runtimes/helpers/podman.ts");
  const { podmanCycles } = await import("../tests/runtimes/helpers/podman_cycle.ts");
  const missing = missingFor(PODMAN_PROGRAMS);
  if (missing !== undefined) {
    notes.push(`Podman cycle not measured: ${missing}`);
    return;
  }
  // The Podman tier's sandbox, without its check that the whole machine is unchanged (other
  // tests may be running): the sandbox's own cleanup problems are noted.
  const pm = await startPodman();
  try {
    const { times, daemonLog } = await podmanCycles(pm, size.podman);
    for (const ms of times.ours) push(samples, "podman_cycle", "exec", ms);
    for (const ms of times.serve) push(samples, "podman_cycle", "serve", ms);
    for (const ms of times.go) push(samples, "podman_cycle", "ref", ms);
    const declined = daemonLog.filter((l) => l.includes("declined")).length;
    notes.push(
      `Podman cycle: ${daemonLog.length} calls reached the daemon in the serve cycles, ` +
        `${declined} declined`,
    );
  } catch (err) {
    notes.push(`Podman cycle failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    const problems = await pm.close();
    if (problems.length > 0) notes.push(`Podman sandbox cleanup: ${problems.join("; ")}`);
  }
}

/** Starts `cnitool serve` of the installed launchers on the run's socket. */
async function startDaemon(r: Run): Promise<{ stop(): Promise<string[]> }> {
  const logFile = join(r.tmp, "serve.log");
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      `exec "$0" serve --socket "$1" --verbose 2>"$2"`,
      join(r.binDir, "cnitool"),
      r.socket,
      logFile,
    ],
    env: r.env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = performance.now() + 15_000;
  const up = () => {
    try {
      return Deno.lstatSync(r.socket).isSocket;
    } catch {
      return false;
    }
  };
  while (!up()) {
    if (performance.now() > deadline) throw new Error("cnitool serve did not start");
    await new Promise((res) => setTimeout(res, 20));
  }
  return {
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      return Deno.readTextFileSync(logFile).split("\n").filter((l) => l.trim() !== "");
    },
  };
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

const SCENARIOS: [string, string, string, "call"?][] = [
  ["add", "ADD seed list (ipMasq off)", "ms"],
  ["del", "DEL seed list (ipMasq off)", "ms"],
  ["adddel", "ADD+DEL seed list (ipMasq off)", "ms"],
  ["add_masq", "ADD seed list (ipMasq on)", "ms"],
  ["del_masq", "DEL seed list (ipMasq on)", "ms"],
  ["seq_add", "N sequential ADDs (total)", "ms"],
  ["seq_del", "N sequential DELs (total)", "ms"],
  ["par16_add", "N ADDs, 16 at a time (total)", "ms"],
  ["par16_del", "N DELs, 16 at a time (total)", "ms"],
  ["start", "plugin start (bridge VERSION)", "ms"],
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

function loadAverage(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ")[0] ?? "?";
}

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
  try {
    log(`bench ${r.id}: bundling and installing launchers into ${r.binDir}`);
    await installPlugins({ dir: r.binDir }); // bundles the source tree as `cnitool install` does
    Deno.writeTextFileSync(join(r.tmp, "empty.js"), "\n");
    if (want("calls")) await cacheWrites(r, ["exec"], samples, notes);
    daemon = await startDaemon(r);
    if (want("calls")) {
      log("startup (VERSION)");
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
    left = cleanup(r);
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

if (import.meta.main) {
  try {
    Deno.exitCode = await main();
  } catch (err) {
    log(`error: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exitCode = 1;
  }
}
