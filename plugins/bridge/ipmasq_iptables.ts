/**
 * The masquerade's iptables backend, as the reference `pkg/ip/ipmasq_iptables_linux.go` leaves
 * the `nat` table: a chain `CNI-<24 hex of sha512(net+id)>` per container holding, per
 * address, an ACCEPT for the container subnet and (once) a MASQUERADE for non-multicast
 * destinations, and a POSTROUTING jump `-s <ip>` per address, all commented
 * `name: "<net>" id: "<id>"`.
 *
 * The reference runs one tool process per rule; here an ADD or DEL is one `converge` per
 * address family (`firewall/iptables.ts`): one `iptables-restore --noflush` written for the
 * usual state (nothing yet on ADD, what ADD made on DEL), and only when the kernel refuses it
 * one `iptables -S` and a restore of the difference.
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import { ownerChainName } from "../../firewall/chain_name.ts";
import type { ToolRunner } from "../../firewall/exec.ts";
import {
  converge,
  type IptablesCmd,
  restoreLine,
  ruleKey,
  type RuleSpec,
  rulesTargeting,
  ruleTokens,
  type TableSnapshot,
} from "../../firewall/iptables.ts";
import {
  isStaleOwner,
  type Owner,
  parseOwnerComment,
  quotedOwnerComment,
} from "../../firewall/owner.ts";
import { bitsOf, type Cidr, formatCidr, formatIp, networkOf, parseCidr } from "../../ip/mod.ts";

/**
 * The iptables chain of a container on a network (`utils.FormatChainName`).
 *
 * @param network Network name.
 * @param containerId Container ID.
 * @returns `CNI-` plus 24 hex digits.
 *
 * @example Reference test vector
 * ```ts
 * import { ipMasqChainName } from "./ipmasq_iptables.ts";
 * await ipMasqChainName("mynet", "abc123"); // "CNI-70a29d9dc18bc4d652ea5d59"
 * ```
 */
export function ipMasqChainName(network: string, containerId: string): Promise<string> {
  return ownerChainName("", { network, containerId });
}

/**
 * The rule comment (`utils.FormatComment`): `name: "<net>" id: "<id>"`.
 *
 * @param network Network name.
 * @param containerId Container ID.
 * @returns The comment text.
 */
export function ipMasqComment(network: string, containerId: string): string {
  return quotedOwnerComment({ network, containerId });
}

/** What one tool (`iptables` or `ip6tables`) does for one container. */
export interface IptablesJob {
  /** The tool. */
  cmd: IptablesCmd;
  /** The family's multicast range, never masqueraded. */
  multicast: string;
  /** The container's addresses of that family, with their prefixes. */
  cidrs: Cidr[];
}

/** The container's addresses grouped by tool, in their order (v4 job first when present). */
function iptablesJobs(cidrs: readonly string[]): IptablesJob[] {
  const v4: Cidr[] = [];
  const v6: Cidr[] = [];
  for (const text of cidrs) {
    const c = parseCidr(text);
    if (c) (c.ip.family === 6 ? v6 : v4).push(c);
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
function jumpSpec(c: Cidr, chain: string, comment: string): RuleSpec {
  return ["-s", `${formatIp(c.ip)}/${bitsOf(c.ip.family)}`, ...commentSpec(comment), "-j", chain];
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
 * @param job Multicast range and the addresses of one family.
 * @returns `iptables-restore` lines (empty when everything is in place).
 */
export function iptablesSetupLines(
  snap: TableSnapshot | undefined,
  chain: string,
  comment: string,
  job: Pick<IptablesJob, "multicast" | "cidrs">,
): string[] {
  const lines: string[] = [];
  if (!snap?.chains.has(chain)) lines.push(restoreLine("-N", chain));
  const present = new Map<string, Set<string>>([
    [chain, new Set(snap?.rules.get(chain))],
    ["POSTROUTING", new Set(snap?.rules.get("POSTROUTING"))],
  ]);
  const want = (target: string, spec: RuleSpec) => {
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
  snap: TableSnapshot | undefined,
  chain: string,
  comment: string,
  cidrs: readonly Cidr[],
): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  const once = (spec: RuleSpec) => !seen.has(ruleKey(spec)) && !!seen.add(ruleKey(spec));
  if (!snap) {
    for (const c of cidrs) {
      const spec = jumpSpec(c, chain, comment);
      if (once(spec)) lines.push(restoreLine("-D", "POSTROUTING", spec));
    }
    return [...lines, restoreLine("-F", chain), restoreLine("-X", chain)];
  }
  const post = snap.rules.get("POSTROUTING") ?? [];
  let deleted = 0;
  for (const c of cidrs) {
    const old = ["-s", formatCidr(networkOf(c)), ...commentSpec(comment), "-j", chain];
    for (const spec of [jumpSpec(c, chain, comment), old]) {
      if (!once(spec)) continue;
      for (const key of post) {
        if (key !== ruleKey(spec)) continue;
        lines.push(restoreLine("-D", "POSTROUTING", spec));
        deleted++;
      }
    }
  }
  if (snap.chains.has(chain) && rulesTargeting(snap, chain).length === deleted) {
    lines.push(restoreLine("-F", chain), restoreLine("-X", chain));
  }
  return lines;
}

/** A POSTROUTING jump of the shape ADD makes: `-s <addr> -m comment --comment <c> -j <chain>`. */
interface Jump {
  source: Cidr;
  comment: string;
  chain: string;
}

function jumps(snap: TableSnapshot): Jump[] {
  const out: Jump[] = [];
  for (const key of snap.rules.get("POSTROUTING") ?? []) {
    const t = ruleTokens(key);
    if (t.length !== 8 || t[0] !== "-s" || t[4] !== "--comment" || t[6] !== "-j") continue;
    const source = parseCidr(t[1]!);
    if (source) out.push({ source, comment: t[5]!, chain: t[7]! });
  }
  return out;
}

/**
 * The sources of the POSTROUTING jumps ADD made for a container, found by its chain and
 * comment (network name and container ID), so no address is needed.
 *
 * @param snap The table as read.
 * @param chain The container's chain ({@linkcode ipMasqChainName}).
 * @param comment The rule comment ({@linkcode ipMasqComment}).
 * @returns The jumps' source addresses.
 */
export function iptablesJumpSources(snap: TableSnapshot, chain: string, comment: string): Cidr[] {
  return jumps(snap).flatMap((j) => j.chain === chain && j.comment === comment ? [j.source] : []);
}

/** Runs one converge per job at once; the rejections' texts, joined, as one error. */
async function convergeAll(
  jobs: { cmd: IptablesCmd; plan: (snap: TableSnapshot | undefined) => string[] }[],
  options: { run: ToolRunner; optimistic: boolean; joined: boolean },
): Promise<void> {
  const results = await Promise.allSettled(
    jobs.map((j) => converge(j.cmd, "nat", j.plan, options)),
  );
  const failed = results.flatMap((r) => r.status === "rejected" ? [r.reason] : []);
  if (failed.length === 0) return;
  if (!options.joined) throw failed[0];
  throw new CniError(ErrorCode.Internal, failed.map(errorText).join("; "));
}

/**
 * Installs a container's masquerade: one converge per address family, at once.
 *
 * @param cidrs Container addresses with prefix (`10.22.0.5/16`).
 * @param owner Network name and container ID.
 * @param run The tool runner.
 * @returns When the rules are in place.
 * @throws {ToolError} The first family's failure, naming the command.
 */
export async function setupIptablesMasq(
  cidrs: readonly string[],
  owner: Owner,
  run: ToolRunner,
): Promise<void> {
  const chain = await ipMasqChainName(owner.network, owner.containerId);
  const comment = ipMasqComment(owner.network, owner.containerId);
  const jobs = iptablesJobs(cidrs).map((job) => ({
    cmd: job.cmd,
    plan: (snap: TableSnapshot | undefined) => iptablesSetupLines(snap, chain, comment, job),
  }));
  await convergeAll(jobs, { run, optimistic: true, joined: false });
}

/**
 * Removes a container's masquerade. With its addresses: one restore per family written for
 * the state ADD leaves (`optimistic`), else read first. Without (interface, lease and
 * `prevResult` gone): both families' tables are read and every POSTROUTING jump to the
 * container's chain carrying its comment goes, then the chain.
 *
 * @param cidrs Container addresses with prefix (may be empty).
 * @param owner Network name and container ID.
 * @param options `run`; `optimistic`: whether to try the usual state before reading.
 * @returns When done.
 * @throws {CniError} Code 999 with the families' errors, joined.
 */
export async function teardownIptablesMasq(
  cidrs: readonly string[],
  owner: Owner,
  options: { run: ToolRunner; optimistic: boolean },
): Promise<void> {
  const chain = await ipMasqChainName(owner.network, owner.containerId);
  const comment = ipMasqComment(owner.network, owner.containerId);
  const jobs = iptablesJobs(cidrs);
  if (jobs.length === 0) {
    const plan = (snap: TableSnapshot | undefined) =>
      iptablesTeardownLines(snap!, chain, comment, iptablesJumpSources(snap!, chain, comment));
    const all = (["iptables", "ip6tables"] as const).map((cmd) => ({ cmd, plan }));
    return await convergeAll(all, { run: options.run, optimistic: false, joined: true });
  }
  await convergeAll(
    jobs.map((job) => ({
      cmd: job.cmd,
      plan: (snap: TableSnapshot | undefined) =>
        iptablesTeardownLines(snap, chain, comment, job.cidrs),
    })),
    { ...options, joined: true },
  );
}

/**
 * The `nat` lines a GC of `network` sends: the teardown of every container whose POSTROUTING
 * jump names this network and a container not kept, and goes to that container's chain.
 *
 * @param snap The table as read.
 * @param network The network collected.
 * @param keepIds Container IDs of the valid attachments.
 * @returns `iptables-restore` lines (empty when nothing is stale).
 */
export async function iptablesGcLines(
  snap: TableSnapshot,
  network: string,
  keepIds: ReadonlySet<string>,
): Promise<string[]> {
  const stale = new Map<string, Cidr[]>();
  for (const j of jumps(snap)) {
    const owner = parseOwnerComment("", j.comment);
    if (!isStaleOwner(owner, network, keepIds)) continue;
    const cid = owner!.containerId;
    if (j.chain !== (await ipMasqChainName(network, cid))) continue;
    stale.set(cid, [...(stale.get(cid) ?? []), j.source]);
  }
  const lines: string[] = [];
  for (const [cid, sources] of stale) {
    const chain = await ipMasqChainName(network, cid);
    lines.push(...iptablesTeardownLines(snap, chain, ipMasqComment(network, cid), sources));
  }
  return lines;
}

/**
 * Collects a network's stale masquerade in both families' `nat` tables: one read and at
 * most one restore per family.
 *
 * @param network The network collected.
 * @param keepIds Container IDs of the valid attachments.
 * @param run The tool runner.
 * @returns The texts of the families' failures (none when all went well).
 */
export async function gcIptablesMasq(
  network: string,
  keepIds: ReadonlySet<string>,
  run: ToolRunner,
): Promise<string[]> {
  const errors: string[] = [];
  for (const cmd of ["iptables", "ip6tables"] as const) {
    try {
      await converge(cmd, "nat", (snap) => iptablesGcLines(snap!, network, keepIds), {
        run,
        optimistic: false,
      });
    } catch (err) {
      errors.push(errorText(err));
    }
  }
  return errors;
}
