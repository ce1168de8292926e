/**
 * Counts what one in-process ADD and one DEL of the seed network cost in system calls:
 * netlink requests, setns, file opens and writes, processes spawned (iptables, nft), and all
 * syscalls of the Deno process, per operation (median over N). It runs itself under
 * `strace -f` with markers written to stderr between operations, so the counts are exact and
 * repeatable where timings are not.
 *
 *   deno run -A bench/profile.ts [--n 10] [--masq]
 *
 * Root only; needs `strace`. Everything runs in a throwaway namespace with a unique bridge and
 * temp dirs, removed in `finally`. For where the time goes, add `--cpu-prof` to the child's
 * `deno run` (see `childArgs`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { addNetworkList, delNetworkList } from "../cni/libcni.ts";
import { netnsAdd, netnsDelete } from "../netns/named.ts";
import { runMain } from "./measure.ts";
import { scratchSeed } from "./scratch_seed.ts";

const MARK = "@@denocni-profile";
const ENC = new TextEncoder();

function mark(label: string): void {
  Deno.stderr.writeSync(ENC.encode(`${MARK} ${label}\n`));
}

/** The child: N ADD+DEL pairs of the seed list in-process, with a marker before each. */
async function child(n: number, masq: boolean): Promise<void> {
  const seed = scratchSeed("dnp", "10.231.0.0/16", masq);
  const nsName = `dnp-${seed.id}`;
  const ns = netnsAdd(nsName);
  try {
    for (let i = -1; i < n; i++) { // i = -1: warm-up, not counted
      const rt = { containerId: `dnp-${seed.id}-${i + 1}`, netns: ns, ifName: "eth0" };
      const opts = { invoker: seed.invoker, cacheDir: seed.cacheDir };
      mark(i < 0 ? "warmup" : "ADD");
      await addNetworkList(seed.list, rt, opts);
      mark(i < 0 ? "warmup" : "DEL");
      await delNetworkList(seed.list, rt, opts);
    }
    mark("END");
  } finally {
    netnsDelete(nsName);
    await seed.remove();
  }
}

/** Counters of one operation. */
export interface OpCounts {
  /** Every syscall of the Deno process (all its threads). */
  syscalls: number;
  /** Netlink requests sent (sendto/sendmsg carrying an nlmsghdr). */
  netlink: number;
  /** setns calls. */
  setns: number;
  /** open/openat calls. */
  opens: number;
  /** write/pwrite calls (excluding the markers). */
  writes: number;
  /** Processes started (execve). */
  spawns: number;
}

const LINE = /^(\d+)\s+(\w+)\((.*)$/;

/**
 * Counts per operation from `strace -f` output with markers.
 *
 * @param trace The strace output text.
 * @returns One counter set per marked operation, by label (`ADD`, `DEL`).
 */
export function countTrace(trace: string): Record<string, OpCounts[]> {
  const out: Record<string, OpCounts[]> = {};
  const execd = new Set<string>(); // pids that became another program (spawned tools)
  let main: string | undefined; // the pid writing the markers: the Deno process
  let cur: OpCounts | undefined;
  for (const line of trace.split("\n")) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [, pid, name, rest] = m as unknown as [string, string, string, string];
    if (name === "write" && rest.includes(MARK)) {
      main ??= pid;
      const label = rest.slice(rest.indexOf(MARK) + MARK.length + 1).split("\\n")[0]!;
      cur = undefined;
      if (label === "ADD" || label === "DEL") {
        cur = { syscalls: 0, netlink: 0, setns: 0, opens: 0, writes: 0, spawns: 0 };
        (out[label] ??= []).push(cur);
      }
      continue;
    }
    if (name === "execve" && main !== undefined && pid !== main) {
      execd.add(pid);
      if (cur) cur.spawns++;
      continue;
    }
    if (!cur || execd.has(pid)) continue;
    cur.syscalls++;
    if ((name === "sendto" || name === "sendmsg") && rest.includes("nlmsg_len")) cur.netlink++;
    else if (name === "setns") cur.setns++;
    else if (name === "openat" || name === "open") cur.opens++;
    else if (name === "write" || name === "pwrite64" || name === "writev") cur.writes++;
  }
  return out;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function parent(n: number, masq: boolean): Promise<number> {
  if (Deno.uid() !== 0) throw new Error("the profile needs root (namespaces, bridges)");
  const tmp = Deno.makeTempDirSync({ prefix: "denocni-profile-trace-" });
  try {
    const trace = join(tmp, "trace");
    const childArgs = [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--child",
      "--n",
      String(n),
      ...(masq ? ["--masq"] : []),
    ];
    const res = await new Deno.Command("strace", {
      args: ["-f", "-qq", "-s", "64", "-o", trace, Deno.execPath(), ...childArgs],
      stdout: "inherit",
      stderr: "piped",
    }).output();
    if (!res.success) {
      throw new Error(`profile child failed: ${new TextDecoder().decode(res.stderr).trim()}`);
    }
    const counts = countTrace(Deno.readTextFileSync(trace));
    const keys: (keyof OpCounts)[] = ["syscalls", "netlink", "setns", "opens", "writes", "spawns"];
    const lines = [
      `per operation, median of ${n} (seed list in-process, ipMasq ${masq ? "on" : "off"})`,
      ["op", ...keys].map((k) => k.padStart(9)).join(""),
    ];
    for (const op of ["ADD", "DEL"]) {
      const ops = counts[op] ?? [];
      lines.push(
        [op, ...keys.map((k) => String(median(ops.map((c) => c[k]))))].map((v) => v.padStart(9))
          .join(""),
      );
    }
    Deno.stdout.writeSync(ENC.encode(lines.join("\n") + "\n"));
    return 0;
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      n: { type: "string", default: "10" },
      masq: { type: "boolean", default: false },
      child: { type: "boolean", default: false },
    },
  });
  const n = Number(values.n);
  await runMain(() => values.child ? child(n, values.masq) : parent(n, values.masq));
}
