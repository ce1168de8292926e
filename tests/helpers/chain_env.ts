// deno-lint-ignore-file no-explicit-any -- JSON from ip oracles and drivers is read loosely
/**
 * Runs whole network lists the way a runtime does, with either libcni (ours or the real Go
 * one) and either plugin set (ours exec'd from bundle launchers, or the Debian Go binaries),
 * each run in a world of its own: a throwaway "host" namespace where the driver and plugins
 * run (so bridges, veths and any firewall chains a plugin makes live and die there) and a
 * throwaway container namespace, plus a temp dir for the conflist, IPAM data and the result
 * cache. Nothing touches the real host; dropping the world removes everything.
 *
 * The Go driver (`go_libcni/main.go`) is built once from Debian's `golang-github-appc-cni-dev`
 * sources with `golang-1.19-go`, offline (`GO111MODULE=off`, `GOPATH=/usr/share/gocode`), and
 * kept under /tmp keyed by the source's hash so later test files reuse it.
 *
 * @module
 */
import { launcherDir } from "./launchers.ts";
import { RUN_PERMISSIONS } from "../../cmd/install_plugins.ts";
import { rand, REF_DIR, run, sh } from "./bridge_env.ts";
import { REPO } from "./sandbox.ts";

/** The Go toolchain of Debian's golang-1.19-go. */
export const GO_BIN = "/usr/lib/go-1.19/bin/go";
/** Where Debian's golang-github-appc-cni-dev puts the libcni sources. */
export const GOPATH_DIR = "/usr/share/gocode";
const LIBCNI_SRC = `${GOPATH_DIR}/src/github.com/containernetworking/cni/libcni/api.go`;
const GO_MAIN = `${REPO}/tests/helpers/go_libcni/main.go`;

/** A driver: how to run one libcni command. */
export interface Driver {
  /** `ours` (cni/libcni.ts) or `go` (the real Go libcni 1.1.2). */
  name: "ours" | "go";
  /** The program and its leading arguments; the driver flags follow. */
  argv: string[];
}

/** Our libcni, run from source by `ts_libcni.ts` with the product's permissions. */
export const OUR_DRIVER: Driver = {
  name: "ours",
  argv: [
    Deno.execPath(),
    "run",
    "--quiet",
    "--no-prompt",
    ...RUN_PERMISSIONS,
    `${REPO}/tests/helpers/ts_libcni.ts`,
  ],
};

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function sha256Hex(data: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", data as BufferSource));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function goBuild(out: string, cgo: boolean, gocache: string): Promise<string | undefined> {
  const res = await run(GO_BIN, ["build", "-trimpath", "-o", out, "."], {
    clearEnv: true,
    env: {
      PATH: "/usr/local/bin:/usr/bin:/bin",
      GO111MODULE: "off",
      GOPATH: GOPATH_DIR,
      GOCACHE: gocache,
      GOFLAGS: "",
      GOTOOLCHAIN: "local",
      CGO_ENABLED: cgo ? "1" : "0",
      HOME: gocache,
    },
    cwd: `${REPO}/tests/helpers/go_libcni`,
  });
  return res.code === 0 ? undefined : `${res.stdout}${res.stderr}`.trim();
}

async function buildGoDriver(): Promise<Driver | string> {
  if (!exists(GO_BIN)) return `${GO_BIN} not found (apt package golang-1.19-go)`;
  if (!exists(LIBCNI_SRC)) {
    return `${LIBCNI_SRC} not found (apt package golang-github-appc-cni-dev)`;
  }
  // Keyed by the driver's source and the toolchain's and library's files, so an upgrade of
  // either package builds afresh.
  const stamp = [GO_BIN, LIBCNI_SRC].map((f) => {
    const st = Deno.statSync(f);
    return `${f} ${st.size} ${st.mtime?.getTime()}`;
  }).join("\n");
  const source = await Deno.readFile(GO_MAIN);
  const hash = (await sha256Hex(new Uint8Array([...source, ...new TextEncoder().encode(stamp)])))
    .slice(0, 16);
  const dir = `/tmp/denocni-go-libcni-${hash}`;
  const bin = `${dir}/go_libcni`;
  if (exists(bin)) return { name: "go", argv: [bin] };
  await Deno.mkdir(dir, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir, prefix: "build-" });
  try {
    // The prebuilt standard library makes the cgo build take about a second; without a C
    // compiler, a pure-Go build (the standard library compiled afresh) is the fallback.
    let err = await goBuild(`${tmp}/go_libcni`, true, `${tmp}/cache`);
    if (err !== undefined) err = await goBuild(`${tmp}/go_libcni`, false, `${tmp}/cache`);
    // The toolchain and sources are there, so a failed build is a defect, not a skip.
    if (err !== undefined) throw new Error(`building tests/helpers/go_libcni failed: ${err}`);
    await Deno.rename(`${tmp}/go_libcni`, bin); // atomic: a parallel builder's copy is the same
    return { name: "go", argv: [bin] };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

let goDriverPromise: Promise<Driver | string> | undefined;

/**
 * The Go libcni driver, built on first call, or why it cannot be had.
 *
 * @returns The driver, or the reason (a string) it is missing: Go or the sources not installed.
 * @throws {Error} When they are installed and the build fails.
 */
export function goDriver(): Promise<Driver | string> {
  goDriverPromise ??= buildGoDriver();
  return goDriverPromise;
}

/** A plugin set: the `CNI_PATH` that picks it. */
export interface PluginSet {
  /** `ours` or `go`. */
  name: "ours" | "go";
  /** Directories searched for plugins. */
  path: () => Promise<string[]>;
}

/** Our plugins (bundle launchers, every built-in), then the Go binaries (plugins we do not have). */
export const OUR_PLUGINS: PluginSet = {
  name: "ours",
  path: async () => [await launcherDir(), REF_DIR],
};

/** The Debian Go plugins only. */
export const GO_PLUGINS: PluginSet = { name: "go", path: () => Promise.resolve([REF_DIR]) };

/** One run's throwaway namespaces and directory. */
export interface ChainWorld {
  /** The namespace the driver and plugins run in (their "host"). */
  host: string;
  /** The container namespace's name. */
  cont: string;
  /** Its path (`CNI_NETNS`). */
  netns: string;
  /** Temp dir: conflists, `data/` for IPAM, `cache/` for libcni. */
  dir: string;
  /** A container ID. */
  cid: string;
  /** A bridge name unique to this world. */
  br: string;
}

/**
 * Makes a world.
 *
 * @param prefix A short name prefix (letters).
 * @returns The world.
 */
export async function makeWorld(prefix: string): Promise<ChainWorld> {
  const id = rand(8);
  const host = `${prefix}h-${id}`;
  const cont = `${prefix}c-${id}`;
  const dir = await Deno.makeTempDir({ prefix: `denocni-${prefix}-` });
  await sh("ip", "netns", "add", host);
  try {
    await sh("ip", "netns", "add", cont);
  } catch (err) {
    await run("ip", ["netns", "del", host]);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
  await sh("ip", "-n", host, "link", "set", "lo", "up");
  return {
    host,
    cont,
    netns: `/run/netns/${cont}`,
    dir,
    cid: `c${prefix}${id}`,
    br: `br${prefix}${id}`.slice(0, 15),
  };
}

/**
 * Removes a world: both namespaces (with whatever links, bridges and firewall tables were made
 * in them) and the temp dir.
 *
 * @param w The world.
 */
export async function dropWorld(w: ChainWorld): Promise<void> {
  await run("ip", ["netns", "del", w.cont]);
  await run("ip", ["netns", "del", w.host]);
  await Deno.remove(w.dir, { recursive: true }).catch(() => {});
}

/**
 * Gives the world's host namespace a parent link for macvlan: a veth `name` (peer
 * `<name>p`), both up. It goes with the namespace.
 *
 * @param w The world.
 * @param name The link's name.
 */
export async function addParentLink(w: ChainWorld, name: string): Promise<void> {
  const ip = (...a: string[]) => sh("ip", "-n", w.host, ...a);
  await ip("link", "add", name, "type", "veth", "peer", "name", `${name}p`);
  await ip("link", "set", name, "up");
  await ip("link", "set", `${name}p`, "up");
}

/** The outcome of one driver command. */
export interface Outcome {
  /** 0 on success, else the CNI error code the driver reported (0 = not a CNI error). */
  code: number | "ok";
  /** The ADD result, or the error message. */
  json?: Record<string, any>;
  /** Stderr, for diagnosis. */
  stderr: string;
}

/** What a driver command needs besides the world. */
export interface CallOptions {
  /** The conflist file. */
  conflist: string;
  /** CNI_IFNAME. */
  ifName?: string;
  /** Capability arguments (runtimeConfig). */
  capArgs?: Record<string, unknown>;
}

/**
 * Runs one libcni command of `driver` inside the world's host namespace, plugins from `set`.
 *
 * @param driver Ours or Go.
 * @param set The plugin set.
 * @param w The world.
 * @param cmd `add`, `check` or `del`.
 * @param opts Conflist, interface, capability arguments.
 * @returns The outcome.
 */
export async function callDriver(
  driver: Driver,
  set: PluginSet,
  w: ChainWorld,
  cmd: "add" | "check" | "del",
  opts: CallOptions,
): Promise<Outcome> {
  const args = [
    "netns",
    "exec",
    w.host,
    ...driver.argv,
    "-cmd",
    cmd,
    "-conflist",
    opts.conflist,
    "-netns",
    w.netns,
    "-cid",
    w.cid,
    "-ifname",
    opts.ifName ?? "eth0",
    "-path",
    (await set.path()).join(":"),
    "-cache",
    `${w.dir}/cache`,
    ...(opts.capArgs ? ["-cap-args", JSON.stringify(opts.capArgs)] : []),
  ];
  const out = await run("ip", args, {
    clearEnv: true,
    env: {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      NO_COLOR: "1",
      DENO_NO_UPDATE_CHECK: "1",
      ...(Deno.env.get("DENO_DIR") && { DENO_DIR: Deno.env.get("DENO_DIR")! }),
      ...(Deno.env.get("HOME") && { HOME: Deno.env.get("HOME")! }),
    },
    cwd: REPO,
  });
  const text = out.stdout.trim();
  let json: Record<string, any> | undefined;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    throw new Error(`${driver.name} driver ${cmd} printed non-JSON: ${text}\n${out.stderr}`);
  }
  if (out.code === 0) return { code: "ok", ...(json && { json }), stderr: out.stderr };
  if (!json || typeof json.code !== "number") {
    throw new Error(
      `${driver.name} driver ${cmd} failed oddly (${out.code}): ${text}\n${out.stderr}`,
    );
  }
  return { code: json.code, json, stderr: out.stderr };
}

/**
 * Container-side kernel state, reduced to what both plugin sets decide: links (name, state,
 * mtu), addresses, routes of the main table (v4 and v6, kernel-made link-local ones left out),
 * policy rules other than the kernel's three (`rules`, present only when there are any) and
 * the routes of tables other than main and local (sbr's).
 *
 * @param w The world.
 * @returns Plain data for comparison.
 */
export async function containerState(w: ChainWorld): Promise<Record<string, unknown>> {
  const links = JSON.parse(await sh("ip", "-n", w.cont, "-j", "addr", "show")) as any[];
  const routes: string[] = [];
  const rules: string[] = [];
  for (const fam of ["-4", "-6"]) {
    for (const r of JSON.parse(await sh("ip", "-n", w.cont, fam, "-j", "rule", "show")) as any[]) {
      if ([0, 32766, 32767].includes(r.priority)) continue;
      rules.push(
        `${fam} ${r.priority} from ${r.src ?? "all"}${
          r.srclen !== undefined ? `/${r.srclen}` : ""
        }${r.oif ? ` oif ${r.oif}` : ""} lookup ${r.table}`,
      );
    }
    const tables = JSON.parse(
      await sh("ip", "-n", w.cont, fam, "-j", "route", "show", "table", "all"),
    ) as any[];
    for (const r of tables) {
      // The main table below; the local table is the kernel's (one entry per address).
      if (r.table === undefined || r.table === "main" || r.table === "local") continue;
      if (String(r.dst).startsWith("fe80::") || String(r.dst).startsWith("ff00::")) continue;
      routes.push(
        `${r.dst}${r.gateway ? ` via ${r.gateway}` : ""}${r.dev ? ` dev ${r.dev}` : ""}${
          r.prefsrc ? ` src ${r.prefsrc}` : ""
        } table ${r.table}`,
      );
    }
    for (const r of JSON.parse(await sh("ip", "-n", w.cont, fam, "-j", "route", "show")) as any[]) {
      if (String(r.dst).startsWith("fe80::")) continue;
      const hops = r.nexthops
        ? ` ${r.nexthops.map((h: any) => `nexthop via ${h.gateway} dev ${h.dev}`).sort().join(" ")}`
        : "";
      routes.push(
        `${r.dst}${r.gateway ? ` via ${r.gateway}` : ""}${r.dev ? ` dev ${r.dev}` : ""}${hops}${
          r.metric !== undefined ? ` metric ${r.metric}` : ""
        }`,
      );
    }
  }
  return {
    links: links.map((l) => ({
      name: l.ifname,
      up: (l.flags as string[]).includes("UP"),
      mtu: l.mtu,
      addrs: (l.addr_info as any[]).filter((a) => a.scope !== "link").map((a) =>
        `${a.local}/${a.prefixlen}`
      ),
    })).sort((a, b) => a.name.localeCompare(b.name)),
    routes: routes.sort(),
    // Only where there are any (sbr's), so the state of a plain attachment keeps its shape.
    ...(rules.length > 0 && { rules: rules.sort() }),
  };
}

/**
 * Files left in the world's IPAM data dir (leases; the lock, `last_reserved_ip.*` and our
 * owner index left out) and in its result cache.
 *
 * @param w The world.
 * @returns `{ leases, cache }` relative paths, sorted.
 */
export function leftoverFiles(w: ChainWorld): { leases: string[]; cache: string[] } {
  const walk = (root: string): string[] => {
    const out: string[] = [];
    const go = (dir: string, rel: string) => {
      let entries: Deno.DirEntry[];
      try {
        entries = [...Deno.readDirSync(dir)];
      } catch {
        return;
      }
      for (const e of entries) {
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory) go(`${dir}/${e.name}`, p);
        else out.push(p);
      }
    };
    go(root, "");
    return out.sort();
  };
  return {
    leases: walk(`${w.dir}/data`).filter((p) =>
      // Our owner index is not filtered out: it goes with the network's last lease.
      !/(^|\/)(lock|last_reserved_ip\.\d+)$/.test(p)
    ),
    cache: walk(`${w.dir}/cache`),
  };
}

/**
 * Masks what differs between two runs of the same case in different worlds: MACs, veth names,
 * the world's bridge, namespace path and container ID. Debian's 1.1.1 Go code prints an empty
 * `"dns":{}` in 1.x results where the newest (and we) leave it out: dropped from any 1.x result
 * inside `value`.
 *
 * @param value A result or state object.
 * @param w The world it came from.
 * @returns A normalised copy.
 */
export function maskWorld(value: unknown, w: ChainWorld): any {
  return JSON.parse(
    JSON.stringify(value)
      .replaceAll(w.netns, "<netns>")
      .replaceAll(w.br, "<br>")
      .replaceAll(w.cid, "<cid>")
      .replace(/"([0-9a-f]{2}:){5}[0-9a-f]{2}"/g, '"<mac>"')
      .replace(/veth[0-9a-f]{8}/g, "<veth>"),
    (_key, v) => {
      if (
        v && typeof v === "object" && typeof v.cniVersion === "string" &&
        v.cniVersion.startsWith("1.") && v.dns && Object.keys(v.dns).length === 0
      ) {
        delete v.dns;
      }
      return v;
    },
  );
}

/**
 * Like `Promise.all`, but waits for every run (each cleans its own world up) before failing,
 * so no run is left going after its test has ended.
 *
 * @param runs The runs.
 * @returns Their values.
 * @throws The first rejection, once all have settled.
 */
export async function settleAll<T extends readonly unknown[]>(
  runs: [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const settled = await Promise.allSettled(runs);
  for (const s of settled) if (s.status === "rejected") throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
