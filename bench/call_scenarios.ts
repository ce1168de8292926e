/**
 * The scenarios of single exec'd plugin calls: plugin start and VERSION, each call next to the
 * bare `deno run` floor and the Go plugin's same call, their peak memory, the bytes they write
 * into the launchers' Deno cache, and a read-only cache.
 *
 * @module
 */
import { join } from "node:path";
import { CACHE_NAME } from "../cmd/install_plugins.ts";
import { FLOOR_ARGS, push, type Samples, settle, spawnMs } from "./measure.ts";
import {
  dropNamespaces,
  freeOctet,
  makeNamespaces,
  REF_DIR,
  type Run,
  type Size,
  TEXT,
} from "./world.ts";

/**
 * Plugin start alone (no `CNI_COMMAND`: the about text, so Deno starts and loads the bundle),
 * a VERSION call as runtimes make it (our launcher answers it without starting Deno), and
 * Deno's floor (an empty file).
 */
export async function startup(r: Run, size: Size, samples: Samples): Promise<void> {
  const empty = join(r.tmp, "empty.js");
  Deno.writeTextFileSync(empty, "\n");
  const n = Math.max(size.iterations, 5);
  for (let i = -1; i < n; i++) {
    for (
      const [id, env] of [["start", r.env], ["version", {
        ...r.env,
        CNI_COMMAND: "VERSION",
      }]] as const
    ) {
      const ref = await spawnMs(join(REF_DIR, "bridge"), [], env);
      const ours = await spawnMs(join(r.binDir, "bridge"), [], {
        ...env,
        DENOCNI_SOCKET: r.noDaemon,
      });
      const served = await spawnMs(join(r.binDir, "bridge"), [], {
        ...env,
        DENOCNI_SOCKET: r.socket,
      });
      if (i < 0) continue;
      push(samples, id, "ref", ref);
      push(samples, id, "exec", ours);
      push(samples, id, "serve", served);
    }
    const floor = await spawnMs(Deno.execPath(), [...FLOOR_ARGS, empty], r.env);
    if (i >= 0) push(samples, "start", "floor", floor);
  }
}

/** The exec'd calls measured one by one, in an order that keeps each valid. */
export const CALLS = [
  ["br_add", "bridge", "ADD", "bridge ADD"],
  ["lo_add", "loopback", "ADD", "loopback ADD"],
  ["hl_add", "host-local", "ADD", "host-local ADD"],
  ["hl_del", "host-local", "DEL", "host-local DEL"],
  ["lo_del", "loopback", "DEL", "loopback DEL"],
  ["br_del", "bridge", "DEL", "bridge DEL"],
] as const;

export type CallMode = "floor" | "ref" | "exec" | "serve";
export const CALL_MODES: readonly CallMode[] = ["floor", "ref", "exec", "serve"];

export interface CallSetup {
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
export function callSetup(r: Run): CallSetup {
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

export async function spawnCall(
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
export async function perCall(r: Run, size: Size, samples: Samples): Promise<void> {
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
export async function callMemory(r: Run, samples: Samples, notes: string[]): Promise<void> {
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
export async function cacheWrites(
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
export async function readOnlyCache(r: Run, size: Size, samples: Samples): Promise<void> {
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
