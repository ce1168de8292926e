/**
 * Would a second JavaScript thread make concurrent in-process ADDs faster? Runs the seed
 * list's N ADDs, then N DELs, 16 at a time from the main isolate, and the same split across
 * two worker isolates (8 at a time each, so both cores run JavaScript), alternating, and
 * prints for each the wall time, the CPU time of the whole process and of the main thread.
 * If the main thread's JavaScript bounded the batch, two isolates would take about half as
 * long; if the kernel's serialised work (the rtnl lock every link, address and route change
 * takes) bounds it, they take as long and burn more CPU waiting for the lock.
 *
 *   deno run -A bench/isolates.ts [--n 100] [--reps 3]
 *
 * Root only. Everything runs in throwaway namespaces with a unique bridge and temp dirs,
 * removed in `finally`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { addNetworkList, delNetworkList } from "../cni/libcni.ts";
import { netnsAdd, netnsDelete } from "../netns/named.ts";
import { scratchSeed } from "./scratch_seed.ts";
import { pendingKernelWork } from "../netlink/socket.ts";
import { clocksSince, readClocks } from "./cpu_clocks.ts";
import { pool, runMain, settle } from "./measure.ts";
import type { IsolateRequest } from "./_isolate_worker.ts";

type Rt = { containerId: string; netns: string; ifName: string };

/** Two worker isolates, each sent every other operation. */
function isolates(count: number, listBytes: Uint8Array, cacheDir: string) {
  const workers = Array.from(
    { length: count },
    () => new Worker(new URL("./_isolate_worker.ts", import.meta.url), { type: "module" }),
  );
  let seq = 0;
  const waiting = new Map<number, { resolve(): void; reject(e: Error): void }>();
  for (const w of workers) {
    w.onmessage = (e: MessageEvent<{ id: number; error?: string }>) => {
      const p = waiting.get(e.data.id)!;
      waiting.delete(e.data.id);
      if (e.data.error) p.reject(new Error(e.data.error));
      else p.resolve();
    };
  }
  const send = (w: Worker, req: Omit<IsolateRequest, "id">) =>
    new Promise<void>((resolve, reject) => {
      const id = seq++;
      waiting.set(id, { resolve, reject });
      w.postMessage({ ...req, id });
    });
  let next = 0;
  return {
    ready: Promise.all(workers.map((w) => send(w, { list: listBytes, cacheDir }))),
    op: (op: "add" | "del", rt: Rt) => send(workers[next++ % count]!, { op, rt }),
    drain: () => Promise.all(workers.map((w) => send(w, { drain: true }))),
    close: () => workers.forEach((w) => w.terminate()),
  };
}

async function main(n: number, reps: number): Promise<void> {
  if (Deno.uid() !== 0) throw new Error("needs root (namespaces, bridges)");
  const seed = scratchSeed("dni", "10.232.0.0/16");
  const { id, list, invoker, cacheDir } = seed;
  const two = isolates(2, list.bytes, cacheDir);
  const names: string[] = [];
  const rows: string[] = [];
  try {
    await two.ready;
    for (let rep = -1; rep < reps; rep++) { // rep -1 warms both up, not printed
      for (const mode of ["one isolate", "two isolates"] as const) {
        const rts: Rt[] = [];
        for (let i = 0; i < n; i++) {
          const name = `dni-${id}-${names.length}`;
          names.push(name);
          rts.push({ containerId: `${name}-c`, netns: netnsAdd(name), ifName: "eth0" });
        }
        const op = mode === "one isolate"
          ? async (kind: "add" | "del", rt: Rt) => {
            const opts = { invoker, cacheDir };
            if (kind === "add") await addNetworkList(list, rt, opts);
            else await delNetworkList(list, rt, opts);
          }
          : two.op;
        const line = [mode.padEnd(13)];
        for (const kind of ["add", "del"] as const) {
          await settle();
          const c0 = readClocks();
          const t0 = performance.now();
          await pool(rts, 16, (rt) => op(kind, rt));
          const wall = performance.now() - t0;
          const c1 = clocksSince(c0, readClocks()); // this (the main) thread and the process
          line.push(
            `${kind.toUpperCase()} ${wall.toFixed(0).padStart(4)} ms wall, ` +
              `${(c1.process / 1e6).toFixed(0).padStart(4)} ms CPU ` +
              `(main thread ${(c1.thread / 1e6).toFixed(0).padStart(3)})`,
          );
          await pendingKernelWork();
          await two.drain();
        }
        if (rep >= 0) rows.push(line.join("  "));
        for (const name of names.splice(0)) netnsDelete(name);
      }
    }
    const out = [`${n} seed-list ADDs then DELs, 16 at a time, in-process:`, ...rows];
    Deno.stdout.writeSync(new TextEncoder().encode(out.join("\n") + "\n"));
  } finally {
    two.close();
    for (const name of names) {
      try {
        netnsDelete(name);
      } catch { /* gone */ }
    }
    await seed.remove();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { n: { type: "string", default: "100" }, reps: { type: "string", default: "3" } },
  });
  await runMain(() => main(Number(values.n), Number(values.reps)));
}
