/**
 * Runs corpus cases in throwaway sandboxes from the test process: each sandbox is
 * `unshare --net --mount` with fresh tmpfs on `/run`, `/var/lib` and its run root, running
 * `runner.ts` for a share of the cases. A runner that stops making progress (an in-process
 * plugin hanging on a FIFO) or grows past the memory cap (an unbounded read) is killed; its
 * current case is recorded as such and the rest go on in a new sandbox.
 *
 * @module
 */
import { REPO } from "../helpers/sandbox.ts";
import { rssOf } from "./guarded.ts";
import { CALL_TIMEOUT_MS, type Mode, type RunRecord } from "./runner.ts";

/** A runner with no output for this long is killed (it prints a line before every call). */
const STALL_MS = CALL_TIMEOUT_MS + 4_000;
/** A runner (in-process plugins included) above this is killed. */
const RUNNER_MAX_RSS = 1536 * 1024 * 1024;

const RUNNER = `${REPO}/tests/hostile/runner.ts`;

/** Records of a run, with the in-process logs of each case. */
export interface CorpusRun {
  /** By case id. */
  records: Map<string, RunRecord & { log: string }>;
}

function splitLog(stderr: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = stderr.split(/\n@@hc-case (.+)\n/);
  for (let i = 1; i + 1 < parts.length; i += 2) out.set(parts[i]!, parts[i + 1]!);
  return out;
}

async function oneSandbox(
  mode: Mode,
  ids: string[],
  cniPath: string,
): Promise<Map<string, RunRecord & { log: string }>> {
  const out = new Map<string, RunRecord & { log: string }>();
  let remaining = [...ids];
  while (remaining.length > 0) {
    const root = await Deno.makeTempDir({ prefix: "hc-corpus-" });
    const idsFile = `${root}.ids.json`;
    await Deno.writeTextFile(idsFile, JSON.stringify(remaining));
    const script = [
      "set -e",
      "mount -t tmpfs tmpfs /run",
      "mount -t tmpfs tmpfs /var/lib",
      `mount -t tmpfs tmpfs ${root}`,
      "ip link set lo up",
      `cd ${REPO}`,
      `exec "$DENO" run -A --quiet --config ${REPO}/deno.json ${RUNNER} ${mode} ${root} ${cniPath} ${idsFile} ${
        Deno.statSync("/proc/self/ns/net").ino
      }`,
    ].join("\n");
    const child = new Deno.Command("unshare", {
      args: ["--net", "--mount", "--propagation", "private", "bash", "-c", script],
      env: { DENO: Deno.execPath(), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let current: string | undefined;
    let killed: "timeout" | "memory" | undefined;
    let lastProgress = performance.now();
    const watch = setInterval(() => {
      if (killed) return;
      if (performance.now() - lastProgress > STALL_MS) killed = "timeout";
      else if (rssOf(child.pid) > RUNNER_MAX_RSS) killed = "memory";
      if (killed) {
        try {
          child.kill("SIGKILL");
        } catch {
          // gone
        }
      }
    }, 100);
    const stderrText = new Response(child.stderr).text();
    let buf = "";
    const dec = new TextDecoder();
    for await (const chunk of child.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.startsWith("{")) continue;
        const msg = JSON.parse(line) as { start?: string; call?: string } & RunRecord;
        lastProgress = performance.now();
        if (msg.call !== undefined) continue;
        if (msg.start !== undefined) current = msg.start;
        else {
          out.set(msg.id, { ...msg, log: "" });
          current = undefined;
        }
      }
    }
    const status = await child.status;
    clearInterval(watch);
    const logs = splitLog(await stderrText);
    for (const [id, log] of logs) {
      const r = out.get(id);
      if (r) r.log = log.slice(0, 8192);
    }
    await Deno.remove(idsFile).catch(() => {});
    await Deno.remove(root, { recursive: true }).catch(() => {});
    const done = new Set(out.keys());
    if (current !== undefined) {
      out.set(current, {
        id: current,
        mode,
        exit: 137,
        stdout: "",
        stderr: "",
        killed: killed ?? "crash",
        ms: 0,
        leftovers: [],
        log: (logs.get(current) ?? "").slice(0, 8192),
      });
      done.add(current);
    } else if (!status.success && remaining.some((id) => !done.has(id))) {
      throw new Error(
        `corpus runner (${mode}) failed before any case: exit ${status.code}\n${
          (await stderrText).slice(0, 4000)
        }`,
      );
    }
    remaining = remaining.filter((id) => !done.has(id));
  }
  return out;
}

/**
 * Runs `ids` in `mode` across `sandboxes` sandboxes in parallel.
 *
 * @param mode In-process, our exec'd launchers, or the Go plugins.
 * @param ids Case ids.
 * @param options `cniPath` (launcher dir or /usr/lib/cni) and the number of sandboxes.
 * @returns Records by id.
 */
export async function runCorpus(
  mode: Mode,
  ids: string[],
  options: { cniPath: string; sandboxes: number },
): Promise<CorpusRun> {
  const shares: string[][] = Array.from({ length: options.sandboxes }, () => []);
  ids.forEach((id, i) => shares[i % options.sandboxes]!.push(id));
  const maps = await Promise.all(
    shares.filter((s) => s.length > 0).map((s) => oneSandbox(mode, s, options.cniPath)),
  );
  const records = new Map<string, RunRecord & { log: string }>();
  for (const m of maps) for (const [k, v] of m) records.set(k, v);
  return { records };
}
