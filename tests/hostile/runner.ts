// deno-lint-ignore-file no-console -- the runner reports to its parent on stdout
/**
 * Runs corpus cases inside a throwaway sandbox (a network namespace and private `/run` and
 * `/var/lib`, made by the parent with `unshare`): each case in a fresh tree, through our
 * plugins in-process (`runPlugin` over the registry), our exec'd launchers, or the Go plugins
 * in /usr/lib/cni. After each case it records what was left: files outside the given
 * directory or changed fixtures, leases, anything in `/var/lib` or `/run`, links, namespaces'
 * interfaces and firewall rules; then it wipes the sandbox for the next case.
 *
 * Usage (inside the sandbox): `runner.ts <mode> <run-root> <cni-path> <ids.json> <parent-netns-inode>`; prints one
 * JSON line per case (`{"start":id}` before, the record after).
 *
 * @module
 */
import { runPlugin } from "../../cni/skel.ts";
import { createDelegate } from "../../cni/invoke_builtin.ts";
import { BUILTIN_PLUGINS } from "../../plugins/mod.ts";
import { isOwnNetns } from "../../netns/mod.ts";
import { pendingKernelWork } from "../../netlink/socket.ts";
import { dnChainName } from "../../plugins/portmap/iptables.ts";
import {
  hostileCases,
  IPAM_ONLY,
  listTree,
  materialize,
  type PluginName,
  type Prepared,
  PREV_RESULT,
  PRIOR_RESULT,
} from "./corpus.ts";
import { runGuarded } from "./guarded.ts";

/** How a case is run. */
export type Mode = "inproc" | "exec" | "go";

/** One call's outcome. */
export interface CallOut {
  /** Exit code (137 when killed). */
  exit: number;
  /** Standard output. */
  stdout: string;
  /** Standard error (cut to 4 KiB). */
  stderr: string;
  /** Why it was killed, if it was. */
  killed?: "timeout" | "memory" | "crash";
  /** Wall time. */
  ms: number;
}

/** What the runner reports per case. */
export interface RunRecord extends CallOut {
  /** Case id. */
  id: string;
  /** Mode. */
  mode: Mode;
  /** The ADD of `add-first`, if any. */
  prior?: CallOut;
  /** The bridge ADD that made the chained plugin's `prevResult`, if any. */
  chainBase?: CallOut;
  /** The DEL after a successful ADD (a case's ADD must be undone by its DEL). */
  del?: CallOut;
  /** What was left behind. */
  leftovers: string[];
}

/** Per-call wall-clock limit. */
export const CALL_TIMEOUT_MS = 8_000;
/** Per-call resident memory cap. */
export const CALL_MAX_RSS = 1024 * 1024 * 1024;

const PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
const dec = new TextDecoder();

async function cmd(program: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" })
    .output();
  return dec.decode(out.stdout);
}

/** Whether this process is still in the parent's network namespace (inode given by it). */
function inParentNetns(parentInode: string): boolean {
  return String(Deno.statSync("/proc/self/ns/net").ino) === parentInode;
}

async function callInProcess(
  p: Prepared,
  env: Record<string, string>,
  stdin: Uint8Array,
  plugin: PluginName = p.plugin,
): Promise<CallOut> {
  const start = performance.now();
  const load = BUILTIN_PLUGINS[plugin]!;
  const fns = await load();
  const delegate = createDelegate({ registry: BUILTIN_PLUGINS, mode: "prefer", env });
  const before = Deno.cwd();
  Deno.chdir(p.cwd);
  try {
    const out = await runPlugin(fns, { env, stdin }, {
      delegate,
      isOwnNetns: (path) => isOwnNetns(path),
    });
    await pendingKernelWork();
    return {
      exit: out.exitCode,
      stdout: out.stdout,
      stderr: out.stderr.slice(0, 4096),
      ms: Math.round(performance.now() - start),
    };
  } catch (err) {
    // runPlugin promises never to throw: a throw is a finding, reported as a crash.
    return {
      exit: 134,
      stdout: "",
      stderr: `runPlugin threw: ${err instanceof Error ? err.stack : String(err)}`,
      killed: "crash",
      ms: Math.round(performance.now() - start),
    };
  } finally {
    Deno.chdir(before);
  }
}

async function callExec(
  binary: string,
  p: Prepared,
  env: Record<string, string>,
  stdin: Uint8Array,
): Promise<CallOut> {
  const out = await runGuarded(binary, {
    env: { PATH, ...env },
    stdin,
    cwd: p.cwd,
    timeoutMs: CALL_TIMEOUT_MS,
    maxRssBytes: CALL_MAX_RSS,
  });
  const r: CallOut = {
    exit: out.code,
    // Enough for any result of the corpus (a 2 MiB resolv.conf makes a big one).
    stdout: out.stdout.slice(0, 4 * 1024 * 1024),
    stderr: out.stderr.slice(0, 4096),
    ms: out.ms,
  };
  if (out.killed) r.killed = out.killed;
  return r;
}

function caller(mode: Mode, cniPath: string) {
  return (p: Prepared, env: Record<string, string>, stdin: Uint8Array): Promise<CallOut> => {
    // Progress for the parent's stall watch: one line per call.
    console.log(JSON.stringify({ call: env.CNI_COMMAND ?? "" }));
    if (mode === "inproc") return callInProcess(p, env, stdin);
    return callExec(`${cniPath}/${p.plugin}`, p, env, stdin);
  };
}

/** `ip -j` output parsed; iproute2 prints control bytes of link names unescaped. */
function parseIpJson<T>(text: string): T {
  return JSON.parse(
    text.replace(
      // deno-lint-ignore no-control-regex -- finding the raw control bytes is the point
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g,
      (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
    ),
  ) as T;
}

function isIpName(name: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(name) || /^[0-9a-f:]+$/i.test(name) && name.includes(":");
}

/** Leases and owner traces of `cid` under a data tree listing. */
async function leaseLeftovers(dir: string, cid: string, label: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await listTree(dir)) {
    const path = e.split(" ")[0]!.replace(/\/$/, "");
    const base = path.split("/").pop()!;
    // A file named after the container (tuning's backup `<cid>_<ifname>.json`).
    if (!e.endsWith("/") && base.includes(cid)) {
      out.push(`file naming the container left: ${label}/${path}`);
      continue;
    }
    if (!e.endsWith("/") && !e.includes(" -> ") && isIpName(base)) {
      out.push(`lease left: ${label}/${path}`);
      continue;
    }
    if (/ \d+ [0-9a-f]+$/.test(e)) {
      try {
        const text = await Deno.readTextFile(`${dir}/${path}`);
        if (text.includes(cid)) out.push(`container ID left in ${label}/${path}`);
      } catch {
        // unreadable: not ours to judge
      }
    }
  }
  return out;
}

interface LinkJson {
  ifname: string;
  linkinfo?: { "info_kind"?: string };
}

/**
 * Chains portmap and firewall share between containers and keep after the last DEL, as the
 * reference does (the corpus's own admin chains start with `HC-`).
 */
const SHARED_CHAIN_REGEXP =
  /^(CNI-HOSTPORT-(DNAT|SETMARK|MASQ)|CNI-FORWARD|CNI-ADMIN|CNI-ISOLATION-STAGE-[12]|HC-.*)$/;
/**
 * nft tables portmap and firewall keep (their per-container rules and set elements go), and
 * the masquerade table of bridge and ptp (its `postrouting` returns and jump stay, as the
 * reference's do).
 */
const SHARED_TABLES = new Set(["cni_hostport", "cni_firewall", "cni_plugins_masquerade"]);
/** Plugins that share firewall structure between containers. */
const SHARING = new Set(["portmap", "firewall", "bridge", "ptp"]);

/** What names the case's container: its ID, its portmap chain, its addresses. */
async function namesContainer(
  p: Prepared,
  ips: readonly string[],
): Promise<(text: string) => boolean> {
  const words = [p.cid, await dnChainName(p.net, p.cid)];
  const addr = ips.map((ip) =>
    new RegExp(`(^|[^0-9a-f.:])${ip.replaceAll(".", "\\.")}($|[^0-9a-f:])`)
  );
  return (text) => words.some((w) => text.includes(w)) || addr.some((r) => r.test(text));
}

/**
 * Whether a rule left after a portmap or firewall case is shared structure: in a shared chain
 * or table, or a jump to a shared chain, naming nothing of the container.
 */
function sharedRule(
  rule: { table: string; chain: string },
  text: string,
  names: (text: string) => boolean,
): boolean {
  if (names(text)) return false;
  if (SHARED_TABLES.has(rule.table)) return true;
  if (SHARED_CHAIN_REGEXP.test(rule.chain)) return true;
  const jump = /"(?:jump|goto)":\{"target":"([^"]+)"\}/.exec(text)?.[1];
  return jump !== undefined && SHARED_CHAIN_REGEXP.test(jump);
}

async function kernelLeftovers(p: Prepared, ips: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const links = parseIpJson<LinkJson[]>(await cmd("ip", "-j", "-d", "link", "show"));
  const bridges = links.filter((l) => l.linkinfo?.info_kind === "bridge").map((l) => l.ifname);
  const fixtures = new Set(p.fixtureLinks);
  for (const l of links) {
    const kind = l.linkinfo?.info_kind ?? "";
    if (l.ifname === "lo" || kind === "bridge" || fixtures.has(l.ifname)) continue;
    // The reference leaves a VLAN gateway interface `<bridge>.<vid>` by design.
    if (kind === "vlan" && bridges.some((b) => l.ifname.startsWith(`${b}.`))) continue;
    out.push(`link left in the host namespace: ${l.ifname} (${kind || "?"})`);
  }
  // The master or device the case was given must be back (host-device moves it out and in),
  // unless the case dropped the namespace it was in.
  if (!p.case.setup?.includes("drop-netns")) {
    const names = new Set(links.map((l) => l.ifname));
    for (const f of p.fixtureLinks) {
      if (!names.has(f)) out.push(`given link gone from the host namespace: ${f}`);
    }
  }
  if (p.netnsName) {
    try {
      await Deno.lstat(`/run/netns/${p.netnsName}`);
      const inner = parseIpJson<LinkJson[]>(
        await cmd("ip", "-n", p.netnsName, "-j", "link", "show"),
      );
      for (const l of inner) {
        if (l.ifname !== "lo") out.push(`link left in the container namespace: ${l.ifname}`);
      }
      // sbr's policy rules live in the container namespace (beside the kernel's own three).
      for (const family of ["-4", "-6"]) {
        const rules = JSON.parse(
          await cmd("ip", "-n", p.netnsName, family, "-j", "rule", "show"),
        ) as { priority?: number; table?: string }[];
        for (const r of rules) {
          if (![0, 32766, 32767].includes(r.priority ?? -1)) {
            out.push(`rule left in the container namespace: ${JSON.stringify(r)}`);
          }
        }
      }
    } catch {
      // the case dropped the namespace
    }
  }
  const rules = JSON.parse(await cmd("nft", "-j", "list", "ruleset")) as {
    nftables: {
      rule?: { family: string; table: string; chain: string; comment?: string };
      set?: { family: string; table: string; name: string };
    }[];
  };
  // portmap and firewall keep shared chains, jumps and tables; anything naming the container
  // (a rule, a set element) or outside them is a leftover.
  const shares = SHARING.has(p.plugin);
  const names = await namesContainer(p, ips);
  for (const e of rules.nftables) {
    if (e.set && names(JSON.stringify(e.set))) {
      out.push(`set element left: ${e.set.family} ${e.set.table} ${e.set.name}`);
    }
    if (e.rule) {
      if (shares && sharedRule(e.rule, JSON.stringify(e.rule), names)) continue;
      out.push(
        `firewall rule left: ${e.rule.family} ${e.rule.table} ${e.rule.chain}${
          e.rule.comment ? ` "${e.rule.comment}"` : ""
        }`,
      );
    }
  }
  return out;
}

async function fsLeftovers(p: Prepared, fxBefore: string[]): Promise<string[]> {
  const out: string[] = [];
  const now = (await listTree(p.root)).filter((e) => !e.startsWith("given"));
  const before = new Set(fxBefore);
  for (const e of now) if (!before.has(e)) out.push(`written outside given dirs: ${e}`);
  const nowSet = new Set(now);
  for (const e of fxBefore) if (!nowSet.has(e)) out.push(`fixture changed or removed: ${e}`);
  out.push(...await leaseLeftovers(p.given, p.cid, "given"));
  for (const e of await listTree("/var/lib")) {
    const allowed = p.case.defaultDataDir &&
      (e === "cni/" || e === "cni/networks/" || e.startsWith(`cni/networks/${p.net}`) ||
        e === "cni/networks/.denocni-index/" ||
        e.startsWith(`cni/networks/.denocni-index/${p.net}`));
    if (!allowed) out.push(`written in /var/lib: ${e}`);
  }
  if (p.case.defaultDataDir) {
    out.push(...await leaseLeftovers(`/var/lib/cni/networks`, p.cid, "/var/lib/cni/networks"));
  }
  for await (const e of Deno.readDir("/run")) {
    if (!["netns", "xtables.lock", "mount", "cni"].includes(e.name)) {
      out.push(`written in /run: ${e.name}`);
    }
  }
  // tuning's default backup directory may stay, empty (the reference keeps it too).
  for (const e of await listTree("/run/cni")) {
    if (!e.endsWith("/")) out.push(`written in /run/cni: ${e}`);
  }
  return out;
}

async function reset(p: Prepared): Promise<void> {
  if (p.selfNsName) {
    await cmd("umount", `/run/netns/${p.selfNsName}`);
    await Deno.remove(`/run/netns/${p.selfNsName}`).catch(() => {});
  }
  for (const name of [p.netnsName].filter((n): n is string => n !== undefined)) {
    await cmd("ip", "netns", "del", name);
  }
  const links = parseIpJson<LinkJson[]>(await cmd("ip", "-j", "link", "show"));
  for (const l of links) if (l.ifname !== "lo") await cmd("ip", "link", "del", l.ifname);
  await cmd("nft", "flush", "ruleset");
  await Deno.remove("/run/cni", { recursive: true }).catch(() => {});
  for await (const e of Deno.readDir("/var/lib")) {
    await Deno.remove(`/var/lib/${e.name}`, { recursive: true }).catch(() => {});
  }
  await Deno.remove(p.root, { recursive: true }).catch(() => {});
}

function withCommand(env: Record<string, string>, command: string): Record<string, string> {
  return { ...env, CNI_COMMAND: command };
}

/** Puts a result where a config holds `placeholder` ({@linkcode PREV_RESULT} by default). */
function withPrevResult(stdin: Uint8Array, result: string, placeholder = PREV_RESULT): Uint8Array {
  const text = new TextDecoder().decode(stdin);
  const quoted = JSON.stringify(placeholder);
  return text.includes(quoted)
    ? new TextEncoder().encode(text.replaceAll(quoted, result.trim()))
    : stdin;
}

/** The addresses of a printed result (without prefix). */
function resultIps(stdout: string): string[] {
  try {
    const r = JSON.parse(stdout) as { ips?: { address?: string }[] };
    return (r.ips ?? []).map((ip) => String(ip.address ?? "").split("/")[0]!).filter(Boolean);
  } catch {
    return [];
  }
}

async function runCase(
  mode: Mode,
  p: Prepared,
  call: ReturnType<typeof caller>,
): Promise<RunRecord> {
  const c = p.case;
  const fxBefore = (await listTree(p.root)).filter((e) => !e.startsWith("given"));
  // A chained plugin's namespace is attached by our bridge first (in-process, whatever the
  // mode): its result is the case's prevResult.
  let chainBase: CallOut | undefined;
  let ips: string[] = [];
  if (p.chainBase) {
    chainBase = await callInProcess(p, p.chainBase.env, p.chainBase.stdin, "bridge");
    if (chainBase.exit === 0) {
      ips = resultIps(chainBase.stdout);
      p.stdin = withPrevResult(p.stdin, chainBase.stdout);
      if (p.prior) p.prior.stdin = withPrevResult(p.prior.stdin, chainBase.stdout);
    }
  }
  let prior: CallOut | undefined;
  if (p.prior) {
    prior = await call(p, p.prior.env, p.prior.stdin);
    if (prior.exit === 0) p.stdin = withPrevResult(p.stdin, prior.stdout, PRIOR_RESULT);
    if (c.setup?.includes("drop-netns") && p.netnsName) {
      await cmd("ip", "netns", "del", p.netnsName);
      // The kernel removes the host end of the veth after the namespace, asynchronously.
      for (let i = 0; i < 100; i++) {
        const veths = (await cmd("ip", "-o", "link", "show", "type", "veth")).split("\n")
          .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1]).filter((n) => n !== undefined);
        if (veths.every((n) => p.fixtureLinks.includes(n))) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (c.setup?.includes("drop-leases")) {
      for (const e of await listTree(p.dataDir)) {
        const path = e.split(" ")[0]!;
        if (isIpName(path.split("/").pop()!)) await Deno.remove(`${p.dataDir}/${path}`);
      }
    }
  }
  const main = await call(p, p.env, p.stdin);
  const record: RunRecord = { id: c.id, mode, ...main, leftovers: [] };
  if (prior) record.prior = prior;
  if (chainBase) record.chainBase = chainBase;
  if (main.exit === 0 && c.command === "ADD") {
    record.del = await call(p, withCommand(p.env, "DEL"), p.stdin);
  }
  // The ADD of `add-first` stays unless the case itself is the DEL that must remove it.
  if (p.prior && prior?.exit === 0 && c.command !== "DEL") {
    await call(p, withCommand(p.prior.env, "DEL"), p.prior.stdin);
  }
  if (p.chainBase && chainBase?.exit === 0) {
    await callInProcess(p, withCommand(p.chainBase.env, "DEL"), p.chainBase.stdin, "bridge");
  }
  record.leftovers = await fsLeftovers(p, fxBefore);
  // IPAM plugins never touch the kernel: their cases skip those (costlier) checks.
  if (!IPAM_ONLY.has(p.plugin)) record.leftovers.push(...await kernelLeftovers(p, ips));
  return record;
}

async function main(): Promise<number> {
  const [mode, runRoot, cniPath, idsFile, parentNetns] = Deno.args as [
    Mode,
    string,
    string,
    string,
    string,
  ];
  if (parentNetns === undefined || inParentNetns(parentNetns)) {
    console.error("runner: refusing to run outside a sandbox network namespace");
    return 2;
  }
  // The wipes between cases touch /run and /var/lib: only ever the sandbox's own tmpfs.
  const mounts = await Deno.readTextFile("/proc/self/mountinfo");
  for (const dir of ["/run", "/var/lib", runRoot]) {
    if (!mounts.split("\n").some((l) => l.split(" ")[4] === dir && / - tmpfs /.test(l))) {
      console.error(`runner: refusing to run: ${dir} is not a tmpfs of the sandbox`);
      return 2;
    }
  }
  const wanted = new Set(JSON.parse(await Deno.readTextFile(idsFile)) as string[]);
  const cases = hostileCases().filter((c) => wanted.has(c.id));
  const call = caller(mode, cniPath);
  let n = 0;
  for (const c of cases) {
    console.log(JSON.stringify({ start: c.id }));
    // In-process plugins write their logs to this process's stderr: mark where each starts.
    Deno.stderr.writeSync(new TextEncoder().encode(`\n@@hc-case ${c.id}\n`));
    const p = await materialize(c, `${runRoot}/${String(n++).padStart(4, "0")}`, cniPath);
    let record: RunRecord;
    try {
      record = await runCase(mode, p, call);
    } finally {
      await reset(p);
    }
    console.log(JSON.stringify(record));
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
