// deno-lint-ignore-file no-explicit-any -- JSON from the ip/iptables oracles is read loosely
/**
 * For scenario scripts that run inside a host sandbox (a network namespace acting as the host,
 * private `/run`, `/var/lib` and `/sys`; see `host_sandbox.ts`): one plugin call three ways —
 * the Go reference binary, our exec'd launcher, our plugin in-process — and `ip -j` /
 * `iptables-save` oracles with the random parts (veth names, MACs) taken out.
 *
 * The helpers act on nothing themselves, but a plugin called through them acts on the
 * namespace it runs in as the host: scenarios with plugins that touch the host side (ptp,
 * host-device) run only inside a sandbox; container-only plugins (vrf) may run anywhere.
 *
 * @module
 */
import { type CniEnv, type ExecOut, execPluginBinary, runInProcess } from "./exec_plugin.ts";
import { REF_DIR } from "./reference.ts";
import { sh } from "./run.ts";

/** How a plugin is run. */
export type Impl = "ref" | "exec" | "inproc";

/** One call's outcome. */
export type CallOut = ExecOut;

/** The `CNI_*` values of a call. */
export interface CallEnv {
  /** CNI_CONTAINERID. */
  cid: string;
  /** CNI_NETNS. */
  netns: string;
  /** CNI_IFNAME. */
  ifName: string;
  /** CNI_ARGS. */
  args?: string;
}

/**
 * `ip -j ...` parsed (an empty answer is `[]`).
 *
 * @param args Arguments after `ip -j` (e.g. `["-n", "c1", "route", "show"]`).
 * @returns The JSON.
 */
export async function ipj(...args: string[]): Promise<any[]> {
  const text = await sh("ip", "-j", ...args);
  return text.trim() === "" ? [] : JSON.parse(text);
}

/**
 * Calls a plugin once.
 *
 * @param impl The Go reference, our launcher, or our plugin in-process.
 * @param plugin The plugin type.
 * @param command The verb.
 * @param conf The network configuration.
 * @param env The call's `CNI_*` values.
 * @param launchers Our launcher directory (for `exec`).
 * @returns The outcome, as a process would print it.
 */
export async function callPlugin(
  impl: Impl,
  plugin: string,
  command: string,
  conf: unknown,
  env: CallEnv,
  launchers: string,
): Promise<CallOut> {
  const path = impl === "ref" ? REF_DIR : launchers;
  const call: CniEnv = {
    command,
    containerId: env.cid,
    netns: env.netns,
    ifName: env.ifName,
    args: env.args ?? "",
    path,
  };
  const stdin = JSON.stringify(conf);
  if (impl !== "inproc") return await execPluginBinary(`${path}/${plugin}`, call, stdin);
  return await runInProcess(plugin, call, stdin);
}

/**
 * Replaces random parts for comparison: `veth` names, MACs, and given literal strings.
 *
 * @param value Any JSON value.
 * @param names Literal names to replace, e.g. `{ "vethab12cd34": "<hostveth>" }`.
 * @returns A normalised copy.
 */
export function normalise(value: unknown, names: Record<string, string> = {}): any {
  let text = JSON.stringify(value);
  for (const [from, to] of Object.entries(names)) text = text.replaceAll(from, to);
  return JSON.parse(
    text
      .replace(/\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b/g, "<mac>")
      .replace(/veth[0-9a-f]{8}/g, "<veth>"),
  );
}

/**
 * Sorts object keys recursively (the reference 1.1.1 prints results in struct order, ours
 * sorted).
 *
 * @param value Any JSON value.
 * @returns A copy with sorted keys.
 */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

/**
 * The parts of `ip -j -d link show` entries a plugin decides (not counters, not ids).
 *
 * @param links `ip -j -d link show` output.
 * @returns Name, kind, MTU, flags, txqlen, alias and master per link.
 */
export function linkShape(links: any[]): any[] {
  return links.map((l) => ({
    ifname: l.ifname,
    kind: l.linkinfo?.info_kind ?? null,
    mtu: l.mtu,
    up: (l.flags as string[]).includes("UP"),
    txqlen: l.txqlen ?? 0,
    ifalias: l.ifalias ?? null,
    master: l.master ?? null,
    address: l.address,
  }));
}

/**
 * The addresses of `ip -j addr show` (link-local IPv6 left out: the kernel makes them).
 *
 * @param entries `ip -j addr show` output.
 * @returns `local/prefixlen scope S [brd B]` strings per link.
 */
export function addrShape(entries: any[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of entries) {
    out[e.ifname] = (e.addr_info as any[])
      .filter((a) => !(a.family === "inet6" && a.scope === "link"))
      .map((a) =>
        `${a.local}/${a.prefixlen} scope ${a.scope}${a.broadcast ? ` brd ${a.broadcast}` : ""}`
      );
  }
  return out;
}

/**
 * Routes of `ip -j route show` as `ip route` lines (IPv6 link-local and multicast left out).
 *
 * @param routes `ip -j [-6] route show [table T]` output.
 * @returns One string per route, sorted.
 */
export function routeShape(routes: any[]): string[] {
  return routes
    .filter((r) => !String(r.dst).startsWith("fe80::") && !String(r.dst).startsWith("ff00::"))
    .map((r) =>
      [
        r.type && r.type !== "unicast" ? r.type : "",
        r.dst,
        r.gateway ? `via ${r.gateway}` : "",
        r.dev ? `dev ${r.dev}` : "",
        r.table ? `table ${r.table}` : "",
        r.protocol ? `proto ${r.protocol}` : "",
        r.scope ? `scope ${r.scope}` : "",
        r.prefsrc ? `src ${r.prefsrc}` : "",
        r.metric !== undefined ? `metric ${r.metric}` : "",
        (r.flags ?? []).length ? `flags ${(r.flags as string[]).join(",")}` : "",
      ].filter((x) => x !== "").join(" ")
    ).sort();
}

/**
 * `iptables-save -t nat` (v4 and v6) lines mentioning a string, without counters.
 *
 * @param needle What to look for (a chain name, a comment text).
 * @returns The matching lines.
 */
export async function natLines(needle: string): Promise<string[]> {
  const out: string[] = [];
  for (const cmd of ["iptables-save", "ip6tables-save"]) {
    const text = await sh(cmd, "-t", "nat");
    out.push(
      ...text.split("\n").filter((l) => l.includes(needle)).map((l) =>
        l.replace(/\[\d+:\d+\]/, "")
      ),
    );
  }
  return out;
}

/**
 * The lease files of a host-local store (`<net>/<ip>`), without `lock` and
 * `last_reserved_ip.*`.
 *
 * @param dataDir The store's `dataDir`.
 * @returns Sorted relative paths; empty when there is no store.
 */
export function leaseFiles(dataDir: string): string[] {
  const out: string[] = [];
  try {
    for (const net of Deno.readDirSync(dataDir)) {
      if (!net.isDirectory) continue;
      for (const f of Deno.readDirSync(`${dataDir}/${net.name}`)) {
        if (f.isFile && f.name !== "lock" && !f.name.startsWith("last_reserved_ip")) {
          out.push(`${net.name}/${f.name}`);
        }
      }
    }
  } catch {
    // no store
  }
  return out.sort();
}
