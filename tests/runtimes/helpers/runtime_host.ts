/**
 * A throwaway "host" for a real container runtime: a long-lived process in new network and PID
 * namespaces and a private mount namespace, where the paths runtimes and CNI write to are fresh
 * tmpfs (`/run`, `/var/lib`, `/var/cache`, `/var/tmp`, `/dev/shm`, `/etc/cni/net.d`,
 * `/opt/cni/bin`). Podman, containerd, their bridges, veths, iptables chains, leases, result
 * caches and netns mounts live and die there; the machine's own `/etc/cni/net.d`,
 * `/opt/cni/bin` and `/var/lib/cni` are never opened for writing (where a path does not exist on
 * the machine, an overlay over its nearest existing parent makes room for it inside the sandbox
 * only). The holder is PID 1 of its PID namespace, so daemonized helpers (conmon, shims) are
 * reaped there rather than left as zombies of the machine's init, and all of them die with it.
 *
 * Commands run inside through `nsenter` with a clean environment. The sandbox's files are
 * reachable from the test at `/proc/<pid>/root/...` ({@linkcode RuntimeHost.root}).
 *
 * The one thing a runtime changes outside any namespace is cgroups: every container goes under
 * {@linkcode RuntimeHost.cgroupParent}, a cgroup named for this sandbox, removed on close. On
 * close, any process still in the sandbox's namespaces or cgroup (a daemon a test did not stop,
 * a container) is killed by pid and reported, and the holder exits, so the namespaces go away.
 *
 * @module
 */

/** Output of one command run in the sandbox. */
export interface HostRun {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Options of {@linkcode RuntimeHost.run}. */
export interface HostRunOptions {
  /** Extra environment (on top of a clean PATH, HOME and TMPDIR). */
  env?: Record<string, string>;
  /** Text for stdin. */
  stdin?: string;
  /** Throw when the command exits non-zero (default true). */
  check?: boolean;
}

/** The sandbox. */
export interface RuntimeHost extends AsyncDisposable {
  /** Unique id (hex), part of the cgroup name. */
  id: string;
  /** Pid of the holder process, which is inside the namespaces. */
  pid: number;
  /** The sandbox's root as the test sees it (`/proc/<pid>/root`). */
  root: string;
  /** The cgroup every container of this sandbox goes under, e.g. `/denocni-rt-1a2b3c4d`. */
  cgroupParent: string;
  /** The environment commands get (before `env` of {@linkcode HostRunOptions}). */
  baseEnv: Record<string, string>;
  /** Runs `cmd` inside the namespaces. */
  run(cmd: string[], opts?: HostRunOptions): Promise<HostRun>;
  /** Runs a bash script inside the namespaces (`set -eu`). */
  sh(script: string, opts?: HostRunOptions): Promise<HostRun>;
  /**
   * Starts a long-running command inside, stdio to /dev/null (redirect to a file in the
   * sandbox to keep a log); the caller signals `childOf(child.pid)` (the command itself, not
   * nsenter) and awaits the status.
   */
  spawn(cmd: string[], opts?: { env?: Record<string, string> }): Deno.ChildProcess;
  /** Kills what is left inside, ends the namespaces, removes the cgroups; returns problems. */
  close(): Promise<string[]>;
}

/** Clean environment for commands in the sandbox, as a runtime under an init system has. */
const BASE_ENV = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/root",
  TMPDIR: "/var/tmp",
  LANG: "C.UTF-8",
};

/** The paths that are fresh, empty tmpfs inside the sandbox (after `/run`). */
export const FRESH_PATHS: readonly string[] = [
  "/var/lib",
  "/var/cache",
  "/var/tmp",
  "/dev/shm",
  "/etc/cni/net.d",
  "/opt/cni/bin",
];

const HOLDER_SCRIPT = `set -eu
fresh() {
  local p=$1 a=$1
  while [ ! -d "$a" ]; do a=$(dirname "$a"); done
  if [ "$a" != "$p" ]; then
    [ "$a" != / ] || { echo "refusing to overlay /" >&2; exit 1; }
    local w="/run/.denocni-overlay$(printf %s "$a" | tr / _)"
    mkdir -p "$w/upper" "$w/work"
    mount -t overlay overlay -o "lowerdir=$a,upperdir=$w/upper,workdir=$w/work" "$a"
    mkdir -p "$p"
  fi
  mount -t tmpfs tmpfs "$p"
}
mount -t tmpfs tmpfs /run
for p in ${FRESH_PATHS.join(" ")}; do fresh "$p"; done
ip link set lo up
echo ready
read -r _ || true
`;

const dec = new TextDecoder();

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The one child of `parent`: the holder bash that `unshare --fork` started, or the command that
 * `nsenter --pid` forked (signal that one; nsenter does not pass signals on).
 *
 * @param parent A pid.
 * @returns The child's pid.
 * @throws {Error} When it has none.
 */
export function childOf(parent: number): number {
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent) return Number(e.name);
    } catch { /* gone */ }
  }
  throw new Error(`unshare ${parent} has no child`);
}

function commOf(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
  } catch {
    return "?";
  }
}

type NsKind = "mnt" | "net" | "pid";

function nsLink(pid: number | string, kind: NsKind): string | undefined {
  try {
    return Deno.readLinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return undefined;
  }
}

/** The cgroup hierarchies mounted on this machine (v1 controllers, or the v2 root). */
function cgroupHierarchies(): string[] {
  const out: string[] = [];
  try {
    Deno.statSync("/sys/fs/cgroup/cgroup.procs");
    out.push("/sys/fs/cgroup"); // cgroup v2 unified root
  } catch { /* v1 or hybrid */ }
  try {
    for (const e of Deno.readDirSync("/sys/fs/cgroup")) {
      if (e.isDirectory) out.push(`/sys/fs/cgroup/${e.name}`);
    }
  } catch { /* no cgroupfs */ }
  return out;
}

/** Directories under `dir` (inclusive), deepest first. */
function subtreeDeepestFirst(dir: string): string[] {
  const out: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isDirectory) out.push(...subtreeDeepestFirst(`${dir}/${e.name}`));
    }
  } catch {
    return out;
  }
  out.push(dir);
  return out;
}

/** Every cgroup directory named for `parent` in every hierarchy. */
export function cgroupDirs(parent: string): string[] {
  return cgroupHierarchies().flatMap((h) => subtreeDeepestFirst(`${h}${parent}`));
}

function pidsInCgroups(parent: string): number[] {
  const pids = new Set<number>();
  for (const dir of cgroupDirs(parent)) {
    try {
      for (const line of Deno.readTextFileSync(`${dir}/cgroup.procs`).split("\n")) {
        if (line.trim()) pids.add(Number(line));
      }
    } catch { /* gone */ }
  }
  return [...pids];
}

function pidsInNamespace(link: string, kind: NsKind, except: number): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === except) continue;
    if (nsLink(e.name, kind) === link) pids.push(Number(e.name));
  }
  return pids;
}

/**
 * Opens a sandbox. Close it (or `await using`) in the test's `finally`.
 *
 * @returns The sandbox, ready.
 */
export async function openRuntimeHost(): Promise<RuntimeHost> {
  const id = randomHex(4);
  const cgroupParent = `/denocni-rt-${id}`;
  const holder = new Deno.Command("unshare", {
    args: [
      "--net",
      "--mount",
      "--pid",
      "--fork",
      "--mount-proc",
      "--propagation",
      "private",
      "bash",
      "-c",
      HOLDER_SCRIPT,
    ],
    clearEnv: true,
    env: BASE_ENV,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = holder.stdout.getReader();
  const first = await reader.read();
  reader.releaseLock();
  const stdoutRest = holder.stdout.text();
  const stderrAll = holder.stderr.text();
  if (first.done || !dec.decode(first.value).startsWith("ready")) {
    await holder.stdin.close().catch(() => {});
    const status = await holder.status;
    throw new Error(`runtime sandbox did not start (exit ${status.code}): ${await stderrAll}`);
  }
  const pid = childOf(holder.pid);
  const mntLink = nsLink(pid, "mnt")!;
  const netLink = nsLink(pid, "net")!;
  const pidLink = nsLink(pid, "pid")!;
  const baseEnv = { ...BASE_ENV };

  function command(cmd: string[], env: Record<string, string> = {}, io: "piped" | "null") {
    return new Deno.Command("nsenter", {
      args: ["--target", String(pid), "--net", "--mount", "--pid", "--", ...cmd],
      clearEnv: true,
      env: { ...baseEnv, ...env },
      stdin: "piped",
      stdout: io,
      stderr: io,
    });
  }

  async function run(cmd: string[], opts: HostRunOptions = {}): Promise<HostRun> {
    const child = command(cmd, opts.env, "piped").spawn();
    const w = child.stdin.getWriter();
    if (opts.stdin !== undefined) {
      await w.write(new TextEncoder().encode(opts.stdin)).catch(() => {});
    }
    await w.close().catch(() => {});
    const out = await child.output();
    const res = { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    if ((opts.check ?? true) && res.code !== 0) {
      throw new Error(
        `${cmd.join(" ")} exited ${res.code}\n--- stdout\n${res.stdout}--- stderr\n${res.stderr}`,
      );
    }
    return res;
  }

  let closed: Promise<string[]> | undefined;
  async function doClose(): Promise<string[]> {
    const problems: string[] = [];
    // Whatever is still inside (a daemon, a shim, a container) is killed by pid: processes in
    // the sandbox's mount, network or PID namespace, and those in its cgroup (containers,
    // which have namespaces of their own). Ending the holder would kill the PID namespace
    // anyway; a test that needed this has left something running, which close reports.
    const leftovers = () => {
      const pids = new Set([
        ...pidsInNamespace(mntLink, "mnt", pid),
        ...pidsInNamespace(netLink, "net", pid),
        ...pidsInNamespace(pidLink, "pid", pid),
        ...pidsInCgroups(cgroupParent),
      ]);
      pids.delete(pid);
      pids.delete(holder.pid); // unshare itself, in the new mount and network namespaces
      return pids;
    };
    // A runtime's helpers may take a moment to finish after the last command (conmon after
    // `rm`): wait up to 3 s before calling anything a leftover.
    for (let i = 0; i < 30 && leftovers().size > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let round = 0; round < 20; round++) {
      const pids = leftovers();
      if (pids.size === 0) break;
      if (round === 0) {
        const names = [...pids].map((p) => `${p} ${commOf(p)}`);
        problems.push(`killed processes left in the sandbox: ${names.join(", ")}`);
      }
      for (const p of pids) {
        try {
          Deno.kill(p, "SIGKILL");
        } catch { /* gone */ }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await holder.stdin.close().catch(() => {});
    await holder.status;
    await stdoutRest;
    await stderrAll;
    // A late helper of the runtime (a cleanup process started by conmon) may create the
    // cgroups again just after they were removed (seen under load, up to seconds later):
    // remove until they stay gone for 500 ms, for at most about 10 s.
    for (let settle = 0; settle < 20; settle++) {
      for (let round = 0; round < 20; round++) {
        const left = cgroupDirs(cgroupParent);
        if (left.length === 0) break;
        for (const dir of left) {
          try {
            Deno.removeSync(dir);
          } catch { /* busy for a moment, or already gone */ }
        }
        if (round > 0) await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 500));
      if (cgroupDirs(cgroupParent).length === 0) break;
    }
    const stuck = cgroupDirs(cgroupParent);
    if (stuck.length > 0) problems.push(`cgroups not removed: ${stuck.join(", ")}`);
    return problems;
  }

  return {
    id,
    pid,
    root: `/proc/${pid}/root`,
    cgroupParent,
    baseEnv,
    run,
    sh(script, opts) {
      return run(["bash", "-c", `set -eu\n${script}`], opts);
    },
    spawn(cmd, opts = {}) {
      const child = command(cmd, opts.env, "null").spawn();
      child.stdin.close().catch(() => {});
      return child;
    },
    close() {
      closed ??= doClose();
      return closed;
    },
    async [Symbol.asyncDispose]() {
      closed ??= doClose();
      await closed;
    },
  };
}
