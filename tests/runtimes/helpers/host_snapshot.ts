/**
 * A record of the machine-wide state a container runtime or CNI could change: the runtimes'
 * own directories (every entry, its type, mode and content hash, or its absence), the entries
 * of the shared CNI directories that the runtime tests' networks and plugins would create, the
 * top-level cgroups, and the named netns, links and iptables chains that runtimes name. Taken
 * before and after a runtime test, the two must be equal: the test left the machine as it found
 * it. Other tests may use the shared CNI directories, links and netns meanwhile (backing them
 * up and restoring them); only what carries our names is compared there.
 *
 * @module
 */

/** Directories only a runtime writes: their whole tree is recorded (absent ones as absent). */
export const WATCHED_DIRS: readonly string[] = [
  "/var/lib/containers",
  "/var/lib/containerd",
  "/run/containers",
  "/run/containerd",
  "/run/libpod",
  "/run/runc",
  "/etc/containers",
];

/** Shared CNI directories: only entries matching {@linkcode OUR_NAME_REGEXP} are recorded. */
export const SHARED_DIRS: readonly string[] = [
  "/etc/cni/net.d",
  "/var/lib/cni/networks",
  "/var/lib/cni/results",
];

/** Names the runtime tests give networks, bridges and images (and Podman's own). */
export const OUR_NAME_REGEXP = /podman|denocni-rt|denocni-ctr/;

/** Single paths recorded: Podman's shared-memory locks, what `cnitool install` would write. */
export const WATCHED_FILES: readonly string[] = [
  "/dev/shm/libpod_lock",
  ...["bridge", "host-local", "loopback", "cnitool", "denocni.js"].map((p) => `/opt/cni/bin/${p}`),
];

/** Named netns a runtime would make (Podman's `netns-<uuid>`, CNI's `cni-<uuid>`). */
const NETNS_REGEXP = /^(netns|cni)-/;
const LINK_REGEXP = /^(cni-podman|denocni-ctr)/;
const CHAIN_REGEXP = /^:(CNI|NETAVARK|PODMAN|DENOCNI)/i;

async function hash(path: string): Promise<string> {
  const bytes = await Deno.readFile(path);
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(d.slice(0, 12)).map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function describe(path: string, out: string[]): Promise<void> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.lstat(path);
  } catch {
    out.push(`${path} absent`);
    return;
  }
  const mode = ((st.mode ?? 0) & 0o7777).toString(8);
  if (st.isSymlink) {
    out.push(`${path} -> ${await Deno.readLink(path)}`);
  } else if (st.isDirectory) {
    out.push(`${path}/ ${mode}`);
    const names: string[] = [];
    for await (const e of Deno.readDir(path)) names.push(e.name);
    for (const n of names.sort()) await describe(`${path}/${n}`, out);
  } else if (st.isFile) {
    out.push(`${path} ${mode} ${st.size} ${await hash(path).catch(() => "unreadable")}`);
  } else {
    out.push(`${path} special ${mode}`);
  }
}

async function lines(cmd: string, args: string[]): Promise<string[]> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return new TextDecoder().decode(out.stdout).split("\n");
  } catch {
    return [`${cmd} unavailable`];
  }
}

/**
 * Records the state.
 *
 * @returns Section name to its lines, for `assertEquals` of before and after.
 */
export async function hostSnapshot(): Promise<Record<string, string[]>> {
  const files: string[] = [];
  for (const d of WATCHED_DIRS) await describe(d, files);
  for (const f of WATCHED_FILES) await describe(f, files);
  for (const d of SHARED_DIRS) {
    try {
      for await (const e of Deno.readDir(d)) {
        if (OUR_NAME_REGEXP.test(e.name)) await describe(`${d}/${e.name}`, files);
      }
    } catch { /* absent */ }
  }
  files.sort();
  const cgroups: string[] = [];
  for await (const h of Deno.readDir("/sys/fs/cgroup")) {
    if (!h.isDirectory) continue;
    for await (const e of Deno.readDir(`/sys/fs/cgroup/${h.name}`)) {
      if (e.isDirectory) cgroups.push(`${h.name}/${e.name}`);
    }
  }
  const netns: string[] = [];
  try {
    for await (const e of Deno.readDir("/run/netns")) {
      if (NETNS_REGEXP.test(e.name)) netns.push(e.name);
    }
  } catch { /* none */ }
  const links = (await lines("ip", ["-o", "link", "show"]))
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? "")
    .filter((n) => LINK_REGEXP.test(n));
  const chains: string[] = [];
  for (const tool of ["iptables-save", "ip6tables-save"]) {
    chains.push(
      ...(await lines(tool, [])).filter((l) => CHAIN_REGEXP.test(l)).map((l) =>
        `${tool} ${l.split(" ")[0]}`
      ),
    );
  }
  return {
    files,
    cgroups: cgroups.sort(),
    netns: netns.sort(),
    links: links.sort(),
    chains: chains.sort(),
  };
}
