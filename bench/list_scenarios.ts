/**
 * The scenarios run through an engine (ours, or the Go libcni driver): single ADD and DEL of
 * the seed list and of Podman's default list (with a published port), batches sequential and
 * 16 at a time, host-local with one versus many leases
 * on disk, and the peak memory of each plugin process.
 *
 * @module
 */
import { join } from "node:path";
import { addNetworkList, delNetworkList } from "../cni/libcni.ts";
import type { Invoker } from "../cni/invoke.ts";
import { execInvoker } from "../cni/invoke_exec.ts";
import type { NetworkConfigList } from "../cni/conf.ts";
import { capture, pool, push, type Samples, settle, timed } from "./measure.ts";
import { podmanCapabilityArgs } from "./seed.ts";
import {
  type Attachment,
  confFile,
  dropNamespaces,
  freeOctet,
  INVOKER_MODES,
  type InvokerMode,
  invokers,
  log,
  makeNamespaces,
  REF_DIR,
  type Run,
  type RunMode,
  seedList,
  type Size,
  TEXT,
  WARMUPS,
} from "./world.ts";

/** ADD (returning the first address) or DEL of a list in one mode. */
export async function listOp(
  r: Run,
  mode: RunMode,
  op: "add" | "del",
  list: NetworkConfigList,
  rt: Attachment,
  inv: Record<InvokerMode, Invoker>,
): Promise<string | undefined> {
  const cacheDir = join(r.tmp, "cache", mode);
  if (mode === "golibcni") {
    const out = await capture(r.goDriver!, [
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
      ...(rt.capabilityArgs ? ["-cap-args", JSON.stringify(rt.capabilityArgs)] : []),
    ], r.env);
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

export function firstAddress(result: Record<string, unknown>): string {
  const ips = result.ips as { address?: string }[] | undefined;
  const a = ips?.[0]?.address;
  if (!a) throw new Error(`ADD result without an address: ${JSON.stringify(result)}`);
  return a;
}

/** Where {@linkcode alternateAddDel} puts its samples. */
interface AddDelRows {
  /** The ADD row's id. */
  add: string;
  /** The DEL row's id. */
  del: string;
  /** The ADD+DEL row's id, if any. */
  both?: string;
}

/**
 * ADD then DEL of one list per mode, alternating modes (A B C A B C ...), each mode in a
 * namespace of its own, after untimed warm-ups.
 *
 * @param lists The list of each mode.
 * @param tag Namespace tag letter.
 * @param rows The row ids.
 * @param capabilityArgs Capability arguments of every attachment.
 */
async function alternateAddDel(
  r: Run,
  size: Size,
  samples: Samples,
  lists: Record<RunMode, NetworkConfigList>,
  tag: string,
  rows: AddDelRows,
  capabilityArgs?: Record<string, unknown>,
): Promise<void> {
  const inv = invokers(r);
  const ns = Object.fromEntries(
    r.modes.map((m) => [m, makeNamespaces(r, `${tag}${m.slice(0, 2)}`, 1)[0]!]),
  );
  try {
    // Untimed warm-ups (i < 0): the in-process engine is a long-lived process, measured with
    // its code compiled by V8 as a node runs it (the serve daemon too); each exec'd run is a
    // new process anyway.
    for (let i = -WARMUPS; i < size.iterations; i++) {
      for (const m of r.modes) {
        const rt: Attachment = {
          containerId: `dnb-${r.id}-${tag}${m}-${i + WARMUPS}`,
          netns: ns[m]!,
          ifName: "eth0",
          ...(capabilityArgs && { capabilityArgs }),
        };
        await settle();
        const [tAdd] = await timed(() => listOp(r, m, "add", lists[m], rt, inv));
        const [tDel] = await timed(() => listOp(r, m, "del", lists[m], rt, inv));
        if (i >= 0) {
          push(samples, rows.add, m, tAdd);
          push(samples, rows.del, m, tDel);
          if (rows.both) push(samples, rows.both, m, tAdd + tDel);
        }
      }
    }
  } finally {
    dropNamespaces(r, Object.values(ns));
  }
}

function listsOf(
  r: Run,
  masq: boolean,
  shape: "seed" | "podman",
): Record<RunMode, NetworkConfigList> {
  return Object.fromEntries(r.modes.map((m) => [m, seedList(r, m, masq, shape)])) as Record<
    RunMode,
    NetworkConfigList
  >;
}

/** Single ADD and DEL of the seed list, ipMasq off and on, alternating modes. */
export async function singleAddDel(r: Run, size: Size, samples: Samples): Promise<void> {
  for (const masq of [false, true]) {
    const suffix = masq ? "_masq" : "";
    await alternateAddDel(r, size, samples, listsOf(r, masq, "seed"), "s", {
      add: `add${suffix}`,
      del: `del${suffix}`,
      ...(!masq && { both: "adddel" }),
    });
  }
}

/**
 * A high TCP port nothing listens on (portmap's DNAT does not bind it, but a listener would
 * take the connections the rule is for).
 */
export function freeHostPort(): number {
  for (let tries = 0; tries < 50; tries++) {
    const port = 40000 + Math.floor(Math.random() * 20000);
    try {
      Deno.listen({ hostname: "0.0.0.0", port, transport: "tcp" }).close();
      return port;
    } catch { /* taken */ }
  }
  throw new Error("no free TCP port for the Podman chain's port mapping");
}

/**
 * Single ADD and DEL of Podman 4.3's default list (bridge with ipMasq and hairpin, portmap,
 * firewall, tuning) with one published TCP port, alternating modes. portmap and firewall keep
 * their shared chains after the last DEL: the run's cleanup removes those it created.
 */
export async function podmanChain(r: Run, size: Size, samples: Samples): Promise<void> {
  await alternateAddDel(r, size, samples, listsOf(r, true, "podman"), "p", {
    add: "add_podman",
    del: "del_podman",
  }, podmanCapabilityArgs(freeHostPort()));
}

/** N sequential ADDs then N DELs, and N ADDs 16 at a time then DELs 16 at a time. */
export async function batches(
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

export function ipOf(octet: number, k: number): string {
  return `10.${octet}.${k >> 8}.${k & 255}`;
}

export function writeLeases(dir: string, network: string, octet: number, count: number): void {
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
export async function hostLocal(
  r: Run,
  size: Size,
  samples: Samples,
  notes: string[],
): Promise<void> {
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

export function writeWrapper(dir: string, name: string, target: string, logDir: string): void {
  const script = [
    "#!/bin/sh",
    `exec /usr/bin/time -f %M -o "${logDir}/${name}.$$" "${target}" "$@"`,
    "",
  ].join("\n");
  Deno.writeTextFileSync(join(dir, name), script, { mode: 0o755 });
}

/** Peak RSS of each plugin process during ADD/DEL of the seed list (GNU time's max RSS). */
export async function memory(
  r: Run,
  size: Size,
  samples: Samples,
  notes: string[],
): Promise<void> {
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
