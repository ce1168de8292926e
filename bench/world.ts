/**
 * The benchmark's world: its sizes and modes, the `Run` record of everything a run creates
 * (namespaces, bridges, networks, the temp dir, the host firewall as it was) and the cleanup
 * that removes it, the seed networks (and Podman's default one) and invokers of each mode, the `cnitool serve` daemon, and the machine's
 * description for the report.
 *
 * @module
 */
import { join } from "node:path";
import type { Invoker } from "../cni/invoke.ts";
import { execInvoker } from "../cni/invoke_exec.ts";
import { selectInvoker } from "../cni/invoke_builtin.ts";
import type { NetworkConfigList } from "../cni/conf.ts";
import { BUILTIN_PLUGINS } from "../plugins/mod.ts";
import { netnsAdd, netnsDelete } from "../netns/named.ts";
import { parseCidr } from "../ip/mod.ts";
import { seedList as seedNetwork } from "./seed.ts";
import type { Machine } from "./report.ts";
import { type FirewallBefore, sweepFirewall } from "./shared_firewall.ts";

export const REF_DIR = "/usr/lib/cni";
export const WARMUPS = 5;

export const TEXT = new TextDecoder();

/** Sizes of one run. */
export interface Size {
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

export const SIZES: Record<string, Size> = {
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

export const ALL_MODES = ["ref", "golibcni", "exec", "serve", "inproc"] as const;
export type RunMode = typeof ALL_MODES[number];
/** The modes that run through one of our invokers. */
export const INVOKER_MODES = ["ref", "exec", "serve", "inproc"] as const;
export type InvokerMode = typeof INVOKER_MODES[number];

export function log(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));
}

export function run(cmd: string, args: string[], allowFail = false): string {
  const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success && !allowFail) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${TEXT.decode(out.stderr).trim()}`);
  }
  return TEXT.decode(out.stdout);
}

export function hex(n: number): string {
  const b = crypto.getRandomValues(new Uint8Array(n));
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("").slice(0, n);
}

/** Everything a run created, for the cleanup. */
export interface Run {
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
  /** The host firewall before the run (its cleanup removes what the run added). */
  firewall?: FirewallBefore;
}

export function freeOctet(r: Run): number {
  const routes = run("ip", ["-4", "route", "show", "table", "all"]);
  for (let tries = 0; tries < 200; tries++) {
    const o = 100 + Math.floor(Math.random() * 150);
    if (r.usedOctets.has(o) || routes.includes(`10.${o}.`)) continue;
    r.usedOctets.add(o);
    return o;
  }
  throw new Error("no free 10.x.0.0/16 for the bench");
}

export function makeNamespaces(r: Run, tag: string, count: number): string[] {
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `dnb-${r.id}-${tag}-${i}`;
    r.namespaces.add(name);
    paths.push(netnsAdd(name));
  }
  return paths;
}

export function dropNamespaces(r: Run, paths: string[]): void {
  for (const p of paths) {
    const name = p.slice(p.lastIndexOf("/") + 1);
    try {
      netnsDelete(name);
    } catch { /* reported by the final sweep */ }
    r.namespaces.delete(name);
  }
}

/** The seed network (or Podman's default, `shape` `podman`) for one mode and ipMasq setting. */
export function seedList(
  r: Run,
  mode: RunMode,
  masq: boolean,
  shape: "seed" | "podman" = "seed",
): NetworkConfigList {
  const octet = freeOctet(r);
  const tag = `${r.bridges.size}${mode[0]}${masq ? 1 : 0}${shape === "podman" ? "p" : ""}`;
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
    shape,
  });
  Deno.mkdirSync(join(r.tmp, "conf"), { recursive: true });
  Deno.writeFileSync(confFile(r, list), list.bytes);
  return list;
}

export function confFile(r: Run, list: NetworkConfigList): string {
  return join(r.tmp, "conf", `${list.name}.conflist`);
}

export function invokers(r: Run): Record<InvokerMode, Invoker> {
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

export interface Attachment {
  containerId: string;
  netns: string;
  ifName: string;
  /** Capability arguments (libcni `CapabilityArgs`, e.g. Podman's `portMappings`). */
  capabilityArgs?: Record<string, unknown>;
}

/** Starts `cnitool serve` of the installed launchers on the run's socket. */
export async function startDaemon(r: Run): Promise<{ stop(): Promise<string[]> }> {
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

/** What the cleanup removed or could not. */
export interface Cleanup {
  /** What a DEL should have removed, and what could not be removed. */
  left: string[];
  /** The shared firewall chains the run created (portmap's, firewall's), removed. */
  shared: string[];
}

/**
 * Removes whatever the run left: namespaces, the firewall rules of our networks and subnets
 * and the shared chains the run created (`shared_firewall.ts`), bridges, the temp dir.
 */
export async function cleanup(r: Run): Promise<Cleanup> {
  const left: string[] = [];
  let shared: string[] = [];
  for (const name of r.namespaces) {
    try {
      netnsDelete(name);
    } catch { /* gone */ }
  }
  if (r.firewall) {
    const subnets = [...r.usedOctets].map((o) => parseCidr(`10.${o}.0.0/16`)!);
    const sweep = await sweepFirewall(r.firewall, { networks: r.networks, subnets });
    left.push(...sweep.leftovers, ...sweep.kept.map((k) => `kept ${k}`));
    shared = sweep.shared;
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
  return { left, shared };
}

export function referenceVersion(about: string): string {
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

export function machine(): Machine {
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

export function loadAverage(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ")[0] ?? "?";
}

/**
 * The run's temp dir (leases, cache files, launchers of every mode): under `base` when one is
 * given (`--data-dir`, e.g. /var/lib where a node keeps them), else a fresh tmpfs mounted on a
 * new dir in the OS temp dir (unmounted by the cleanup), a plain dir when mount fails. Creating
 * a file on these VMs' ext4 swings between 0.03 and 1.2 ms within minutes (seen in one
 * directory, then in another), which would measure the disk's mood, not the plugins.
 */
export function makeRunDir(base: string | undefined): { dir: string; tmpfs: boolean } {
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
