// deno-lint-ignore-file no-explicit-any -- JSON from the ip oracles is read loosely
/**
 * Worlds for the macvlan, ipvlan, vlan and dummy tests: a throwaway "host" namespace holding
 * the master (a veth `m0`, up, with an address and the default route, its peer `m0p` beside
 * it) and a throwaway container namespace, so nothing touches the machine's interfaces. The
 * plugins run three ways in a world's host namespace: the reference binary and our exec'd
 * launcher under `ip netns exec`, and ours in-process with this thread moved into it for the
 * call. Also: a probe for the link kinds this kernel has, and `ip -j` oracles.
 *
 * @module
 */
import { CLONE_NEWNET, close, O_RDONLY, open, setns } from "../../ffi/mod.ts";
import { openNetns, returnToNetns, THREAD_NETNS_PATH } from "../../netns/mod.ts";
import {
  type CniEnv,
  type ExecOut,
  execPluginBinary,
  execReference,
  runInProcess,
} from "./exec_plugin.ts";
import { rand } from "./names.ts";
import { dropNetns, makeNetns, type TestNetns } from "./namespaces.ts";
import { REF_DIR } from "./reference.ts";
import { run, sh } from "./run.ts";
import { launcherDir } from "./launchers.ts";

/** One world: a host namespace with the master, a container namespace, an IPAM data dir. */
export interface World {
  /** The "host" namespace the plugin runs in. */
  host: TestNetns;
  /** The container namespace (`CNI_NETNS`). */
  cont: TestNetns;
  /** `CNI_CONTAINERID`. */
  cid: string;
  /** A host-local `dataDir` of this world's own. */
  dataDir: string;
}

/**
 * Makes a world: host namespace with `m0` (10.77.0.1/24, default route via 10.77.0.254) and
 * its peer `m0p`, both up, `lo` up; an empty container namespace.
 *
 * @param prefix Namespace name prefix.
 * @param opts `mtu` of the master (default the kernel's 1500).
 * @returns The world.
 */
export async function makeWorld(prefix: string, opts: { mtu?: number } = {}): Promise<World> {
  const host = await makeNetns(`${prefix}h`);
  const cont = await makeNetns(`${prefix}c`);
  const ip = (...a: string[]) => sh("ip", "-n", host.name, ...a);
  await ip("link", "set", "lo", "up");
  await ip("link", "add", "m0", "type", "veth", "peer", "name", "m0p");
  if (opts.mtu) {
    await ip("link", "set", "m0", "mtu", String(opts.mtu));
    await ip("link", "set", "m0p", "mtu", String(opts.mtu));
  }
  await ip("link", "set", "m0", "up");
  await ip("link", "set", "m0p", "up");
  await ip("addr", "add", "10.77.0.1/24", "dev", "m0");
  await ip("route", "add", "default", "via", "10.77.0.254", "dev", "m0");
  return {
    host,
    cont,
    cid: `c${rand(10)}`,
    dataDir: await Deno.makeTempDir({ prefix: `${prefix}-ipam-` }),
  };
}

/**
 * Removes a world (both namespaces, the data dir), ignoring what is already gone.
 *
 * @param w The world.
 */
export async function dropWorld(w: World): Promise<void> {
  await dropNetns(w.cont);
  await dropNetns(w.host);
  await Deno.remove(w.dataDir, { recursive: true }).catch(() => {});
}

/** Output of one plugin run. */
export type Out = ExecOut;

/** Extra `CNI_*` of one call. */
export interface CallEnv {
  /** `CNI_ARGS`. */
  args?: string;
  /** `CNI_NETNS` (default the world's container namespace). */
  netns?: string;
  /** `CNI_IFNAME` (default `eth0`). */
  ifName?: string;
  /** More variables. */
  extra?: Record<string, string>;
}

/** Runs `plugin` for `command` in a world. */
export type Runner = (
  w: World,
  plugin: string,
  command: string,
  conf: unknown,
  env?: CallEnv,
) => Promise<Out>;

function cniEnv(w: World, command: string, path: string, env: CallEnv): CniEnv {
  return {
    command,
    containerId: w.cid,
    netns: env.netns ?? w.cont.path,
    ifName: env.ifName ?? "eth0",
    args: env.args ?? "",
    path,
    ...(env.extra && { extra: env.extra }),
  };
}

/**
 * The reference binary ({@linkcode REF_DIR}), run in the world's host namespace.
 *
 * @param w The world.
 * @param plugin The plugin name.
 * @param command `CNI_COMMAND`.
 * @param conf The config (stdin).
 * @param env Extra `CNI_*`.
 * @returns Its output.
 */
export function reference(
  w: World,
  plugin: string,
  command: string,
  conf: unknown,
  env: CallEnv = {},
): Promise<Out> {
  return execReference(plugin, cniEnv(w, command, REF_DIR, env), conf, {
    netnsExec: w.host.name,
  });
}

/**
 * Our exec'd launcher (what `cnitool install` writes), run in the world's host namespace.
 *
 * @param w The world.
 * @param plugin The plugin name.
 * @param command `CNI_COMMAND`.
 * @param conf The config (stdin).
 * @param env Extra `CNI_*`.
 * @returns Its output.
 */
export async function execd(
  w: World,
  plugin: string,
  command: string,
  conf: unknown,
  env: CallEnv = {},
): Promise<Out> {
  const dir = await launcherDir();
  return await execPluginBinary(`${dir}/${plugin}`, cniEnv(w, command, dir, env), conf, {
    netnsExec: w.host.name,
  });
}

/**
 * Runs `fn` with this thread in the namespace at `path`, and always comes back. Everything
 * the call does on this thread (netlink sockets it opens, /proc/sys) sees that namespace.
 *
 * @param path The namespace.
 * @param fn The work.
 * @returns What `fn` returns.
 */
export async function inNetns<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const target = openNetns(path);
  const original = open(THREAD_NETNS_PATH, O_RDONLY);
  try {
    setns(target.fd, CLONE_NEWNET);
    try {
      return await fn();
    } finally {
      returnToNetns(original);
    }
  } finally {
    close(original);
    target.close();
  }
}

/**
 * Ours in-process (skel over the plugin module, built-in IPAM in-process), with this thread
 * in the world's host namespace for the call.
 *
 * @param w The world.
 * @param plugin The plugin name.
 * @param command `CNI_COMMAND`.
 * @param conf The config (stdin).
 * @param env Extra `CNI_*`.
 * @returns What skel printed and the exit code.
 */
export function inProcess(
  w: World,
  plugin: string,
  command: string,
  conf: unknown,
  env: CallEnv = {},
): Promise<Out> {
  return inNetns(w.host.path, () => runInProcess(plugin, cniEnv(w, command, REF_DIR, env), conf));
}

/** The three ways, by name. */
export const SIDES: readonly [string, Runner][] = [
  ["reference", reference],
  ["exec", execd],
  ["in-process", inProcess],
];

/**
 * `ip -j -d link show dev X` in a namespace, or undefined when absent.
 *
 * @param ns The namespace.
 * @param dev The link.
 * @returns The link JSON.
 */
export async function linkIn(ns: TestNetns, dev: string): Promise<Record<string, any> | undefined> {
  const out = await run("ip", ["-n", ns.name, "-j", "-d", "link", "show", "dev", dev]);
  if (out.code !== 0) return undefined;
  return (JSON.parse(out.stdout) as Record<string, any>[])[0];
}

/**
 * Every link of a namespace, by name.
 *
 * @param ns The namespace.
 * @returns Names, sorted.
 */
export async function linkNames(ns: TestNetns): Promise<string[]> {
  const j = JSON.parse(await sh("ip", "-n", ns.name, "-j", "link", "show")) as any[];
  return j.map((l) => l.ifname as string).sort();
}

/**
 * Addresses (not link-local) and routes of the container, as short strings.
 *
 * @param ns The namespace.
 * @returns `addrs` (`a/len` of every link but lo) and `routes`.
 */
export async function l3State(ns: TestNetns): Promise<{ addrs: string[]; routes: string[] }> {
  const a = JSON.parse(await sh("ip", "-n", ns.name, "-j", "addr", "show")) as any[];
  const addrs = a.flatMap((l) =>
    (l.addr_info as any[]).filter((x) => x.scope !== "link" && l.ifname !== "lo").map((x) =>
      `${l.ifname} ${x.local}/${x.prefixlen}${x.broadcast ? ` brd ${x.broadcast}` : ""}`
    )
  ).sort();
  const routes: string[] = [];
  for (const fam of ["-4", "-6"]) {
    const r = JSON.parse(await sh("ip", "-n", ns.name, fam, "-j", "route", "show")) as any[];
    for (const x of r) {
      if (String(x.dst).startsWith("fe80::")) continue;
      routes.push(
        `${x.dst}${x.gateway ? ` via ${x.gateway}` : ""} dev ${x.dev}${
          x.prefsrc ? ` src ${x.prefsrc}` : ""
        }${x.scope ? ` scope ${x.scope}` : ""}`,
      );
    }
  }
  return { addrs, routes: routes.sort() };
}

/**
 * A sysctl's value inside a namespace.
 *
 * @param ns The namespace.
 * @param key Path under /proc/sys.
 * @returns The trimmed value, or `undefined` when unreadable.
 */
export async function sysctlIn(ns: TestNetns, key: string): Promise<string | undefined> {
  const out = await run("ip", ["netns", "exec", ns.name, "cat", `/proc/sys/${key}`]);
  return out.code === 0 ? out.stdout.trim() : undefined;
}

/**
 * The files of a directory tree (relative names), for IPAM leases.
 *
 * @param dir The root.
 * @returns Sorted relative paths of regular files, without `lock` and `last_reserved_ip.*`, and
 *   without our owner index while a lease is there.
 */
export async function leases(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, rel: string): Promise<void> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(d));
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory) await walk(`${d}/${e.name}`, `${rel}${e.name}/`);
      else if (e.name !== "lock" && !e.name.startsWith("last_reserved_ip.")) {
        out.push(`${rel}${e.name}`);
      }
    }
  }
  await walk(dir, "");
  // Our owner index (which the reference has not) is listed only when no lease is left: it
  // must go with the network's last lease.
  const leaseFiles = out.filter((f) => !f.startsWith(".denocni-index/"));
  return (leaseFiles.length > 0 ? leaseFiles : out).sort();
}

const kindCache = new Map<string, boolean>();

/**
 * Whether this kernel can make links of `kind` (`macvlan`, `ipvlan`, `vlan`, `dummy`): a real
 * attempt in a throwaway namespace on a veth lower device. "Unknown device type" means no;
 * any other failure is thrown (the probe must not guess). Not root: false.
 *
 * @param kind The link kind.
 * @returns True when the kernel made the link.
 */
export async function kindSupported(kind: string): Promise<boolean> {
  const cached = kindCache.get(kind);
  if (cached !== undefined) return cached;
  if (Deno.uid() !== 0) return false;
  const ns = await makeNetns("tprobe");
  try {
    await sh("ip", "-n", ns.name, "link", "add", "p0", "type", "veth", "peer", "name", "p1");
    const args: Record<string, string[]> = {
      macvlan: ["link", "p0", "name", "x0", "type", "macvlan", "mode", "bridge"],
      ipvlan: ["link", "p0", "name", "x0", "type", "ipvlan", "mode", "l2"],
      vlan: ["link", "p0", "name", "x0", "type", "vlan", "id", "5"],
      dummy: ["name", "x0", "type", "dummy"],
    };
    const out = await run("ip", ["-n", ns.name, "link", "add", ...args[kind]!]);
    let ok: boolean;
    if (out.code === 0) ok = true;
    else if (/Unknown device type/i.test(out.stderr)) ok = false;
    else throw new Error(`probing link kind ${kind}: ${out.stderr}`);
    kindCache.set(kind, ok);
    return ok;
  } finally {
    await dropNetns(ns);
  }
}

/**
 * Replaces what differs between worlds in a printed result: MACs, the sandbox path.
 *
 * @param text The printed result.
 * @param w The world it came from.
 * @returns The parsed, normalised result with keys sorted and an empty `dns` dropped (the
 *   reference 1.1.1 prints `"dns":{}` in 1.x results, the newest reference and ours do not).
 */
export function normResult(text: string, w: World): unknown {
  const obj = JSON.parse(
    text.replaceAll(w.cont.path, "<netns>").replace(
      /"([0-9a-f]{2}:){5}[0-9a-f]{2}"/g,
      '"<mac>"',
    ),
  );
  if (obj.dns && Object.keys(obj.dns).length === 0) delete obj.dns;
  return sortKeys(obj);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}
