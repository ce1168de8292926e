/**
 * Masquerade for container addresses, as the reference `pkg/ip/ipmasq_*` does it, through the
 * system `iptables`/`ip6tables` or `nft` binaries: the same chain and table names, rule texts
 * and comments, so rules made by the reference plugin and by this one are interchangeable.
 *
 * - iptables: a `nat` chain `CNI-<24 hex of sha512(net+id)>` with an ACCEPT for the
 *   container subnet and a MASQUERADE for non-multicast, and a POSTROUTING jump per IP.
 * - nftables: table `inet cni_plugins_masquerade`, chains `masq_checks` and `postrouting`,
 *   one rule per IP commented `<h16(net)>-<h16(if:id)>, net: ..., if: ..., id: ...`.
 *
 * Each tool run is a process of several milliseconds, so the iptables side does not run one
 * per rule as the reference does: an ADD or DEL sends its whole change as one atomic
 * `iptables-restore --noflush` per address family, written for the usual state (nothing yet
 * on ADD, what ADD made on DEL). If the kernel refuses it, nothing was applied; then one
 * `iptables -S` shows the real state and one restore applies just the difference.
 *
 * @module
 */
import { sha512Hex } from "../../cni/_sha512.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import { runTool, ToolError, type ToolRunner } from "../../firewall/exec.ts";
import { formatCidr, formatIp, type IpCidr, networkOf, parseCidr } from "./ipaddr.ts";
import {
  type IptablesCmd,
  type NatSnapshot,
  readNat,
  restoreLine,
  restoreNat,
  ruleKey,
  ruleTokens,
} from "../../firewall/iptables.ts";

/** The nftables table of the masquerade backend. */
export const NFT_MASQ_TABLE = "cni_plugins_masquerade";
/** The regular chain holding the per-IP rules. */
export const NFT_MASQ_CHAIN = "masq_checks";
const NFT_MAX_COMMENT = 128;

/** A masquerade backend name. */
export type IPMasqBackend = "iptables" | "nftables";

/**
 * The iptables chain for a container on a network (`utils.FormatChainName`).
 *
 * @param network Network name.
 * @param containerId Container ID.
 * @returns `CNI-` plus 24 hex digits.
 *
 * @example Reference test vector
 * ```ts
 * import { ipMasqChainName } from "./ipmasq.ts";
 * ipMasqChainName("mynet", "abc123"); // "CNI-70a29d9dc18bc4d652ea5d59"
 * ```
 */
export function ipMasqChainName(network: string, containerId: string): string {
  return ("CNI-" + sha512Hex(network + containerId)).slice(0, 28);
}

/**
 * The iptables rule comment (`utils.FormatComment`): `name: "<net>" id: "<id>"`.
 *
 * @param network Network name.
 * @param containerId Container ID.
 * @returns The comment text.
 */
export function ipMasqComment(network: string, containerId: string): string {
  return `name: ${JSON.stringify(network)} id: ${JSON.stringify(containerId)}`;
}

/**
 * First 16 hex digits of sha512 of the network name (nft rule comment prefix).
 *
 * @param network Network name.
 * @returns 16 hex digits.
 */
export function nftNetworkHash(network: string): string {
  return sha512Hex(network).slice(0, 16);
}

/**
 * The per-attachment hash `<h16(net)>-<h16(ifname:id)>`.
 *
 * @param network Network name.
 * @param ifName Container interface name.
 * @param containerId Container ID.
 * @returns The hash text.
 */
export function nftInstanceHash(network: string, ifName: string, containerId: string): string {
  return `${nftNetworkHash(network)}-${sha512Hex(`${ifName}:${containerId}`).slice(0, 16)}`;
}

/**
 * The nft rule comment of one attachment, cut to 128 characters.
 *
 * @param network Network name.
 * @param ifName Container interface name.
 * @param containerId Container ID.
 * @returns The comment.
 *
 * @example Reference test vector
 * ```ts
 * import { nftInstanceComment } from "./ipmasq.ts";
 * nftInstanceComment("mynet", "eth0", "abc123");
 * // "d23676b4f2d9fe04-ebce0e3dd4dafae3, net: mynet, if: eth0, id: abc123"
 * ```
 */
export function nftInstanceComment(network: string, ifName: string, containerId: string): string {
  const strip = (s: string) => s.replaceAll('"', "");
  const comment = `${nftInstanceHash(network, ifName, containerId)}, net: ${strip(network)}, if: ${
    strip(ifName)
  }, id: ${strip(containerId)}`;
  return comment.slice(0, NFT_MAX_COMMENT);
}

/** Options of the masquerade operations. */
export interface IPMasqOptions {
  /** Runs each tool process (default: {@linkcode runTool}); tests wrap it to count or redirect. */
  run?: ToolRunner;
}

/** What one iptables tool (`iptables` or `ip6tables`) does for one container. */
interface IptablesJob {
  cmd: IptablesCmd;
  multicast: string;
  cidrs: IpCidr[];
}

/** The container's addresses grouped by tool, in their order (v4 job first when present). */
function iptablesJobs(cidrs: readonly string[]): IptablesJob[] {
  const v4: IpCidr[] = [];
  const v6: IpCidr[] = [];
  for (const text of cidrs) {
    const c = parseCidr(text);
    if (c) (c.family === 6 ? v6 : v4).push(c);
  }
  const jobs: IptablesJob[] = [];
  if (v4.length > 0) jobs.push({ cmd: "iptables", multicast: "224.0.0.0/4", cidrs: v4 });
  if (v6.length > 0) jobs.push({ cmd: "ip6tables", multicast: "ff00::/8", cidrs: v6 });
  return jobs;
}

function commentSpec(comment: string): string[] {
  return ["-m", "comment", "--comment", comment];
}

/** `-s <ip>/32 ... -j <chain>`: the POSTROUTING jump of one address. */
function jumpSpec(ip: IpCidr, chain: string, comment: string): string[] {
  return ["-s", `${formatIp(ip)}/${ip.bytes.length * 8}`, ...commentSpec(comment), "-j", chain];
}

/**
 * The `nat` commands that give a container its masquerade, as the reference's
 * create-chain-if-missing plus append-if-missing sequence would leave it: `-N <chain>`, then
 * per address `-d <net/len> ACCEPT`, `! -d <multicast> MASQUERADE` (once) and the POSTROUTING
 * jump `-s <ip>`, each only when `snap` lacks it.
 *
 * @param snap The table as read, or `undefined` for a container that has nothing yet.
 * @param chain The container's chain ({@linkcode ipMasqChainName}).
 * @param comment The rule comment ({@linkcode ipMasqComment}).
 * @param job Tool, multicast range and the addresses of that family.
 * @returns `iptables-restore` lines (empty when everything is in place).
 */
export function iptablesSetupLines(
  snap: NatSnapshot | undefined,
  chain: string,
  comment: string,
  job: { multicast: string; cidrs: readonly IpCidr[] },
): string[] {
  const lines: string[] = [];
  if (!snap?.chains.has(chain)) lines.push(restoreLine("-N", chain));
  const present = new Map<string, Set<string>>([
    [chain, new Set(snap?.rules.get(chain))],
    ["POSTROUTING", new Set(snap?.rules.get("POSTROUTING"))],
  ]);
  const want = (target: string, spec: string[]) => {
    const have = present.get(target)!;
    const key = ruleKey(spec);
    if (have.has(key)) return;
    have.add(key);
    lines.push(restoreLine("-A", target, spec));
  };
  for (const c of job.cidrs) {
    want(chain, ["-d", formatCidr(networkOf(c)), ...commentSpec(comment), "-j", "ACCEPT"]);
    want(chain, ["!", "-d", job.multicast, ...commentSpec(comment), "-j", "MASQUERADE"]);
    want("POSTROUTING", jumpSpec(c, chain, comment));
  }
  return lines;
}

/** How many rules of the snapshot jump or go to `chain`. */
function referencesTo(snap: NatSnapshot, chain: string): number {
  let n = 0;
  for (const keys of snap.rules.values()) {
    for (const key of keys) {
      const t = ruleTokens(key);
      for (let i = 0; i < t.length - 1; i++) {
        if ((t[i] === "-j" || t[i] === "-g") && t[i + 1] === chain) n++;
      }
    }
  }
  return n;
}

/**
 * The `nat` commands that remove a container's masquerade: every POSTROUTING jump of its
 * addresses that exists (`-s <ip>`, and the `-s <ip/len>` form of older plugins), then the
 * chain's flush and delete when it exists and nothing else jumps to it (another interface
 * of the same container on the same network shares the chain; the reference would flush it
 * and fail).
 *
 * @param snap The table as read, or `undefined` to assume the state ADD leaves.
 * @param chain The container's chain.
 * @param comment The rule comment.
 * @param cidrs The container addresses of this tool's family.
 * @returns `iptables-restore` lines (empty when nothing is there).
 */
export function iptablesTeardownLines(
  snap: NatSnapshot | undefined,
  chain: string,
  comment: string,
  cidrs: readonly IpCidr[],
): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  if (!snap) {
    for (const c of cidrs) {
      const spec = jumpSpec(c, chain, comment);
      if (seen.has(ruleKey(spec))) continue;
      seen.add(ruleKey(spec));
      lines.push(restoreLine("-D", "POSTROUTING", spec));
    }
    return [...lines, restoreLine("-F", chain), restoreLine("-X", chain)];
  }
  const post = snap.rules.get("POSTROUTING") ?? [];
  let deleted = 0;
  for (const c of cidrs) {
    const old = ["-s", formatCidr(networkOf(c)), ...commentSpec(comment), "-j", chain];
    for (const spec of [jumpSpec(c, chain, comment), old]) {
      const key = ruleKey(spec);
      if (seen.has(key)) continue;
      seen.add(key);
      for (const k of post) {
        if (k !== key) continue;
        lines.push(restoreLine("-D", "POSTROUTING", spec));
        deleted++;
      }
    }
  }
  if (snap.chains.has(chain) && referencesTo(snap, chain) === deleted) {
    lines.push(restoreLine("-F", chain), restoreLine("-X", chain));
  }
  return lines;
}

/**
 * The sources of the POSTROUTING jumps ADD made for a container: rules of exactly the shape
 * `-s <addr> -m comment --comment <comment> -j <chain>`. Found by the container's chain and
 * comment (network name and container ID), so no address is needed.
 *
 * @param snap The table as read.
 * @param chain The container's chain ({@linkcode ipMasqChainName}).
 * @param comment The rule comment ({@linkcode ipMasqComment}).
 * @returns The jumps' source addresses.
 */
export function iptablesJumpSources(snap: NatSnapshot, chain: string, comment: string): IpCidr[] {
  const out: IpCidr[] = [];
  for (const key of snap.rules.get("POSTROUTING") ?? []) {
    const t = ruleTokens(key);
    if (t.length !== 8 || t[0] !== "-s" || t[4] !== "--comment" || t[6] !== "-j") continue;
    if (t[5] !== comment || t[7] !== chain) continue;
    const src = parseCidr(t[1]!);
    if (src) out.push(src);
  }
  return out;
}

/**
 * Brings one tool's `nat` table to what `plan` asks for in as few processes as the state
 * allows: with `optimistic`, first the restore that fits the usual state (one process);
 * when that is refused (nothing applied), read the table and restore just the difference,
 * reading again and retrying once if the table changed in between.
 */
async function converge(
  cmd: IptablesCmd,
  plan: (snap: NatSnapshot | undefined) => string[],
  optimistic: boolean,
  run: ToolRunner,
): Promise<void> {
  if (optimistic && (await restoreNat(cmd, plan(undefined), { run })) === undefined) return;
  let failure: Error | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    const snap = await readNat(cmd, { run });
    failure = await restoreNat(cmd, plan(snap), { run });
    if (failure === undefined) return;
  }
  throw failure!;
}

async function setupIptables(
  cidrs: readonly string[],
  network: string,
  cid: string,
  run: ToolRunner,
): Promise<void> {
  const chain = ipMasqChainName(network, cid);
  const comment = ipMasqComment(network, cid);
  const results = await Promise.allSettled(
    iptablesJobs(cidrs).map((job) =>
      converge(job.cmd, (snap) => iptablesSetupLines(snap, chain, comment, job), true, run)
    ),
  );
  for (const r of results) if (r.status === "rejected") throw r.reason;
}

async function teardownIptables(
  cidrs: readonly string[],
  network: string,
  cid: string,
  options: { run: ToolRunner; optimistic: boolean },
): Promise<void> {
  const chain = ipMasqChainName(network, cid);
  const comment = ipMasqComment(network, cid);
  const jobs = iptablesJobs(cidrs);
  if (jobs.length === 0) {
    // The addresses are unknown (interface, lease and prevResult gone): find the jumps by the
    // chain and comment, which name the network and container, in each family's table.
    const plan = (snap: NatSnapshot | undefined) =>
      iptablesTeardownLines(snap!, chain, comment, iptablesJumpSources(snap!, chain, comment));
    const results = await Promise.allSettled(
      (["iptables", "ip6tables"] as const).map((cmd) => converge(cmd, plan, false, options.run)),
    );
    const errors = results.flatMap((r) => r.status === "rejected" ? [errText(r.reason)] : []);
    if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
    return;
  }
  const results = await Promise.allSettled(
    jobs.map((job) =>
      converge(
        job.cmd,
        (snap) => iptablesTeardownLines(snap, chain, comment, job.cidrs),
        options.optimistic,
        options.run,
      )
    ),
  );
  const errors = results.flatMap((r) => r.status === "rejected" ? [errText(r.reason)] : []);
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One rule of `masq_checks` as `nft -j` lists it. */
interface NftRule {
  handle: number;
  comment?: string;
}

const NFT_LIST_MASQ = ["-j", "list", "chain", "inet", NFT_MASQ_TABLE, NFT_MASQ_CHAIN];

/** The `masq_checks` rules whose comment starts with `prefix`: one `nft -j list chain`. */
async function nftMasqRules(prefix: string, run: ToolRunner): Promise<NftRule[]> {
  const out = await run("nft", NFT_LIST_MASQ);
  if (out.code !== 0) {
    if (/No such file or directory|does not exist/i.test(out.stderr)) return [];
    throw new ToolError(["nft", ...NFT_LIST_MASQ], out.code, out.stderr);
  }
  const parsed = JSON.parse(out.stdout) as { nftables?: { rule?: NftRule }[] };
  return (parsed.nftables ?? []).flatMap((e) =>
    e.rule && typeof e.rule.comment === "string" && e.rule.comment.startsWith(prefix)
      ? [e.rule]
      : []
  );
}

/**
 * The `nft -f -` transaction the reference (knftables) sends for one attachment's ADD.
 *
 * @param cidrs Container addresses with prefix (`10.22.0.5/16`).
 * @param comment The attachment's comment.
 * @param staleHandles Handles of the attachment's old rules, deleted in the same transaction.
 * @returns The transaction text.
 */
export function nftMasqSetupScript(
  cidrs: readonly string[],
  comment: string,
  staleHandles: readonly number[],
): string {
  const t = `inet ${NFT_MASQ_TABLE}`;
  const lines = [
    `add table ${t} { comment "Masquerading for plugins from github.com/containernetworking/plugins" ; }`,
    `add chain ${t} ${NFT_MASQ_CHAIN} { comment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet" ; }`,
    `add chain ${t} postrouting { type nat hook postrouting priority srcnat ; }`,
    `flush chain ${t} postrouting`,
    `add rule ${t} postrouting ip daddr == 224.0.0.0/4  return`,
    `add rule ${t} postrouting ip6 daddr == ff00::/8  return`,
    `add rule ${t} postrouting goto ${NFT_MASQ_CHAIN}`,
  ];
  for (const h of staleHandles) lines.push(`delete rule ${t} ${NFT_MASQ_CHAIN} handle ${h}`);
  for (const cidr of cidrs) {
    const p = parseCidr(cidr);
    if (!p) continue;
    const fam = p.family === 4 ? "ip" : "ip6";
    lines.push(
      `add rule ${t} ${NFT_MASQ_CHAIN} ${fam} saddr == ${formatIp(p)} ${fam} daddr != ${
        formatCidr(networkOf(p))
      } masquerade comment ${JSON.stringify(comment)}`,
    );
  }
  return lines.join("\n") + "\n";
}

async function setupNft(
  cidrs: readonly string[],
  ids: { network: string; ifName: string; containerId: string },
  run: ToolRunner,
): Promise<void> {
  const { network, ifName, containerId } = ids;
  const stale = await nftMasqRules(nftInstanceHash(network, ifName, containerId), run);
  const script = nftMasqSetupScript(
    cidrs,
    nftInstanceComment(network, ifName, containerId),
    stale.map((r) => r.handle),
  );
  await runOk(run, "nft", ["-f", "-"], script);
}

/** Deletes rules of `masq_checks` by handle: one `nft -f -`, none when there are none. */
async function deleteNftRules(rules: readonly NftRule[], run: ToolRunner): Promise<void> {
  if (rules.length === 0) return;
  const script =
    rules.map((r) => `delete rule inet ${NFT_MASQ_TABLE} ${NFT_MASQ_CHAIN} handle ${r.handle}`)
      .join("\n") + "\n";
  await runOk(run, "nft", ["-f", "-"], script);
}

async function runOk(run: ToolRunner, cmd: string, args: string[], stdin: string): Promise<void> {
  const out = await run(cmd, args, { stdin });
  if (out.code !== 0) throw new ToolError([cmd, ...args], out.code, out.stderr);
}

let iptablesSupported: Promise<boolean> | undefined;
let nftSupported: Promise<boolean> | undefined;

/**
 * Whether iptables works here (`utils.SupportsIPTables`: it can list `filter INPUT`).
 *
 * @returns True when usable; the answer is remembered for the process.
 */
export function supportsIptables(): Promise<boolean> {
  iptablesSupported ??= runTool("iptables", ["--wait", "-t", "filter", "-S", "INPUT", "1"])
    .then((o) => o.code === 0, () => false);
  return iptablesSupported;
}

/**
 * Whether nftables works here (an `nft --check` of a table add succeeds).
 *
 * @returns True when usable; the answer is remembered for the process.
 */
export function supportsNftables(): Promise<boolean> {
  nftSupported ??= runTool("nft", ["--check", "-f", "-"], {
    stdin: "add table inet cni_supports_nftables_test\n",
  }).then((o) => o.code === 0, () => false);
  return nftSupported;
}

/**
 * Picks the backend as the reference does: the configured one, else iptables unless iptables
 * is unusable and nftables usable.
 *
 * @param backend The configured backend, if any.
 * @returns The backend to use.
 */
export async function resolveIPMasqBackend(
  backend: IPMasqBackend | undefined,
): Promise<IPMasqBackend> {
  if (backend) return backend;
  if (!(await supportsIptables()) && (await supportsNftables())) return "nftables";
  return "iptables";
}

/**
 * Installs masquerade for an attachment's addresses (`SetupIPMasqForNetworks`).
 *
 * iptables: one `iptables-restore --noflush` per address family when the container has no
 * rules yet; otherwise that restore is refused as a whole and the table is read
 * (`iptables -S`) and only the missing rules are restored (nothing when all are there).
 * nftables: one `nft -j list chain` for the attachment's old rules and one `nft -f -`.
 * With no backend configured, iptables is tried first and the reference's support checks
 * only run when it fails.
 *
 * @param backend Configured backend (`undefined`: automatic).
 * @param cidrs Container addresses with prefix, as in the result (`10.22.0.5/16`).
 * @param ids Network name, container interface name and container ID.
 * @param options `run`: the tool runner.
 * @returns When the rules are in place.
 * @throws {ToolError} Code 999 naming the tool command that failed.
 */
export async function setupIPMasq(
  backend: IPMasqBackend | undefined,
  cidrs: readonly string[],
  ids: { network: string; ifName: string; containerId: string },
  options: IPMasqOptions = {},
): Promise<void> {
  const run = options.run ?? runTool;
  if (backend === "nftables") return await setupNft(cidrs, ids, run);
  if (backend === "iptables" || iptablesSupported !== undefined) {
    if ((await resolveIPMasqBackend(backend)) === "nftables") {
      return await setupNft(cidrs, ids, run);
    }
    return await setupIptables(cidrs, ids.network, ids.containerId, run);
  }
  try {
    await setupIptables(cidrs, ids.network, ids.containerId, run);
  } catch (err) {
    if ((await resolveIPMasqBackend(undefined)) === "iptables") throw err;
    await setupNft(cidrs, ids, run);
  }
}

/**
 * Removes an attachment's masquerade with both backends at once
 * (`TeardownIPMasqForNetworks`). Missing rules are fine; errors of a backend the host does
 * not support are ignored.
 *
 * iptables: one `iptables-restore --noflush` per address family deleting the jumps and the
 * chain ADD made; when refused (something is missing or differs), one `iptables -S` and a
 * restore of what is there. nftables: one `nft -j list chain` and, when the attachment has
 * rules, one `nft -f -`.
 *
 * When `cidrs` is empty (the interface, the lease and `prevResult` are gone), the iptables
 * side reads both families' `nat` tables (`iptables -S`, `ip6tables -S`) and removes every
 * POSTROUTING jump to the container's chain that carries its comment, then the chain: one
 * read and at most one restore per family. (All of the container's jumps on that network go,
 * also those of another interface of the same container on it, which shares the chain.)
 *
 * @param cidrs Container addresses with prefix (needed by iptables only; may be empty).
 * @param ids Network name, container interface name and container ID.
 * @param options `run`: the tool runner; `backend`: the configured backend, a hint that
 * lets the iptables side read first instead of guessing when it is `"nftables"`.
 * @returns When done.
 * @throws {CniError} Code 999 with the supported backends' errors, joined.
 */
export async function teardownIPMasq(
  cidrs: readonly string[],
  ids: { network: string; ifName: string; containerId: string },
  options: IPMasqOptions & { backend?: IPMasqBackend | undefined } = {},
): Promise<void> {
  const run = options.run ?? runTool;
  const [ipt, nft] = await Promise.allSettled([
    teardownIptables(cidrs, ids.network, ids.containerId, {
      run,
      optimistic: options.backend !== "nftables",
    }),
    nftMasqRules(nftInstanceHash(ids.network, ids.ifName, ids.containerId), run)
      .then((rules) => deleteNftRules(rules, run)),
  ]);
  const errors: string[] = [];
  if (ipt.status === "rejected" && (await supportsIptables())) errors.push(errText(ipt.reason));
  if (nft.status === "rejected" && (await supportsNftables())) errors.push(errText(nft.reason));
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}

const IPT_COMMENT_REGEXP = /^name: ("(?:[^"\\]|\\.)*") id: ("(?:[^"\\]|\\.)*")$/;

/**
 * The POSTROUTING jumps of `network` whose container is not kept, by container ID: the jump
 * must carry the reference comment and go to that container's chain.
 */
function staleJumps(
  snap: NatSnapshot,
  network: string,
  keepIds: ReadonlySet<string>,
): Map<string, IpCidr[]> {
  const stale = new Map<string, IpCidr[]>();
  for (const key of snap.rules.get("POSTROUTING") ?? []) {
    const t = ruleTokens(key);
    if (t.length !== 8 || t[0] !== "-s" || t[4] !== "--comment" || t[6] !== "-j") continue;
    const m = IPT_COMMENT_REGEXP.exec(t[5]!);
    if (!m) continue;
    let net: unknown, cid: unknown;
    try {
      net = JSON.parse(m[1]!);
      cid = JSON.parse(m[2]!);
    } catch {
      continue;
    }
    if (net !== network || typeof cid !== "string" || keepIds.has(cid)) continue;
    if (t[7] !== ipMasqChainName(network, cid)) continue;
    const src = parseCidr(t[1]!);
    if (!src) continue;
    stale.set(cid, [...(stale.get(cid) ?? []), src]);
  }
  return stale;
}

/**
 * Removes masquerade rules of a network whose attachments are not in `valid` (GC). For nft
 * the comment names the attachment; for iptables the POSTROUTING jump's comment names the
 * container, and its chain is removed when no valid attachment has that container ID (one
 * read and one restore per address family).
 *
 * @param network Network name.
 * @param valid The valid attachments (`cni.dev/valid-attachments`).
 * @param options `run`: the tool runner.
 * @returns When done.
 * @throws {CniError} Code 999 with the tool failures of supported backends, joined.
 */
export async function gcIPMasq(
  network: string,
  valid: readonly { containerID: string; ifname: string }[],
  options: IPMasqOptions = {},
): Promise<void> {
  const run = options.run ?? runTool;
  const errors: string[] = [];
  if (await supportsNftables()) {
    try {
      const keep = new Set(valid.map((a) => nftInstanceComment(network, a.ifname, a.containerID)));
      const rules = await nftMasqRules(nftNetworkHash(network) + "-", run);
      await deleteNftRules(rules.filter((r) => !keep.has(r.comment ?? "")), run);
    } catch (err) {
      errors.push(errText(err));
    }
  }
  if (await supportsIptables()) {
    const keepIds = new Set(valid.map((a) => a.containerID));
    const plan = (snap: NatSnapshot | undefined) =>
      [...staleJumps(snap!, network, keepIds)].flatMap(([cid, sources]) =>
        iptablesTeardownLines(
          snap,
          ipMasqChainName(network, cid),
          ipMasqComment(network, cid),
          sources,
        )
      );
    for (const cmd of ["iptables", "ip6tables"] as const) {
      try {
        await converge(cmd, plan, false, run);
      } catch (err) {
        errors.push(errText(err));
      }
    }
  }
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}
