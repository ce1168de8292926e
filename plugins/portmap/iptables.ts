/**
 * portmap's iptables backend (`nat` table; `iptables` for IPv4, `ip6tables` for IPv6), with
 * the reference's chains, rules and comments, so that rules made by the reference plugin and
 * by this one are interchangeable:
 *
 * - `CNI-HOSTPORT-DNAT`, jumped to from `PREROUTING` and `OUTPUT` for local destinations;
 *   per container one entry rule per protocol and 15 ports, commented
 *   `dnat name: "<net>" id: "<id>"`, jumping to the container's `CNI-DN-<hash>` chain;
 * - `CNI-DN-<21 hex of sha512(net+id)>`: per mapping the hairpin and localhost mark rules
 *   and the `DNAT`;
 * - `CNI-HOSTPORT-SETMARK` (mark `1<<markMasqBit`) and `CNI-HOSTPORT-MASQ` (masquerade
 *   what is marked), jumped to first from `POSTROUTING`.
 *
 * Rules are written in the token order `iptables -S` prints them, so a listing compares to
 * them directly. Each ADD, DEL and CHECK is one `iptables-restore` per family in the usual
 * case ({@linkcode converge} reads the table only when the restore is refused).
 *
 * @module
 */
import {
  type ChainRule,
  restoreLine,
  ruleKey,
  type RuleSpec,
  rulesTargeting,
  type TableSnapshot,
} from "../../firewall/iptables.ts";
import { ownerChainName } from "../../firewall/chain_name.ts";
import { isStaleOwner, ownerComment, parseOwnerComment } from "../../firewall/owner.ts";
import { formatCidr, networkOf, parseCidr } from "../../ip/mod.ts";
import type { PortmapConf, PortMapping } from "./config.ts";

/** The shared top-level chain. */
export const DNAT_CHAIN = "CNI-HOSTPORT-DNAT";
/** The shared chain that marks packets for masquerade. */
export const SETMARK_CHAIN = "CNI-HOSTPORT-SETMARK";
/** The shared chain that masquerades marked packets. */
export const MASQ_CHAIN = "CNI-HOSTPORT-MASQ";
/** multiport takes at most 15 ports per rule. */
const MULTIPORT_MAX = 15;

const LOCAL_JUMP: RuleSpec = ["-m", "addrtype", "--dst-type", "LOCAL", "-j", DNAT_CHAIN];
const MASQ_JUMP: RuleSpec = [
  "-m",
  "comment",
  "--comment",
  "CNI portfwd requiring masquerade",
  "-j",
  MASQ_CHAIN,
];

/**
 * The per-container chain (`utils.MustFormatChainNameWithPrefix(name, id, "DN-")`).
 *
 * @param network Network name.
 * @param containerId Container ID.
 * @returns `CNI-DN-` plus 21 hex digits.
 *
 * @example Reference test vector
 * ```ts
 * import { dnChainName } from "./iptables.ts";
 * await dnChainName("rnnet", "rnc1"); // "CNI-DN-cb4af05a74fc644b48978"
 * ```
 */
export function dnChainName(network: string, containerId: string): Promise<string> {
  return ownerChainName("DN-", { network, containerId });
}

/**
 * The obsolete per-container SNAT chain of old plugin versions (only ever torn down).
 *
 * @param network Network name.
 * @param containerId Container ID.
 * @returns `CNI-SN-` plus 21 hex digits.
 */
export function snChainName(network: string, containerId: string): Promise<string> {
  return ownerChainName("SN-", { network, containerId });
}

/**
 * The entry-rule comment: `dnat name: "<net>" id: "<id>"`, at most 255 characters.
 *
 * @param network Network name.
 * @param containerId Container ID.
 * @returns The comment.
 */
export function dnatComment(network: string, containerId: string): string {
  return ownerComment("dnat ", { network, containerId });
}

/**
 * The mark as the reference prints it (`%#x/%#x` of `1<<bit`).
 *
 * @param bit 0-31.
 * @returns E.g. `0x2000/0x2000`.
 */
export function markText(bit: number): string {
  const hex = `0x${(2 ** bit).toString(16)}`;
  return `${hex}/${hex}`;
}

/** Everything one family of one container needs, as rules. */
export interface PortmapRules {
  /** `iptables` or `ip6tables`. */
  cmd: "iptables" | "ip6tables";
  /** The container's chain. */
  dnChain: string;
  /** The obsolete SNAT chain name (teardown only). */
  snChain: string;
  /** Shared rules that must exist (jumps, the mark and masquerade rules), in creation order. */
  shared: ChainRule[];
  /** Shared chains those rules live in (created when missing). */
  sharedChains: string[];
  /** The container chain's rules. */
  dnRules: RuleSpec[];
  /** The entry rules in `CNI-HOSTPORT-DNAT`. */
  entries: RuleSpec[];
}

/** The ports of each protocol in mapping order, protocols sorted by name. */
function portsByProtocol(mappings: readonly PortMapping[]): [string, number[]][] {
  const by = new Map<string, number[]>();
  for (const m of mappings) by.set(m.protocol, [...(by.get(m.protocol) ?? []), m.hostPort]);
  return [...by].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The entry rules of a container (the reference's `fillDnatRules` entry part): per protocol
 * and chunk of 15 host ports, every mapping of the protocol (also host IPs of the other
 * family), then the family's conditions.
 *
 * @param conf The configuration.
 * @param family 4 or 6.
 * @param ids Network name and container ID.
 * @returns The rule specs, as `iptables -S` prints them (conditions aside).
 */
export async function entryRules(
  conf: Pick<PortmapConf, "mappings" | "conditionsV4" | "conditionsV6">,
  family: 4 | 6,
  ids: { network: string; containerId: string },
): Promise<RuleSpec[]> {
  const comment = dnatComment(ids.network, ids.containerId);
  const chain = await dnChainName(ids.network, ids.containerId);
  const conditions = family === 4 ? conf.conditionsV4 : conf.conditionsV6;
  const out: RuleSpec[] = [];
  for (const [proto, ports] of portsByProtocol(conf.mappings)) {
    for (let i = 0; i < ports.length; i += MULTIPORT_MAX) {
      out.push([
        "-p",
        proto,
        "-m",
        "comment",
        "--comment",
        comment,
        "-m",
        "multiport",
        "--dports",
        ports.slice(i, i + MULTIPORT_MAX).join(","),
        ...conditions,
        "-j",
        chain,
      ]);
    }
  }
  return out;
}

/**
 * The rules one family of a container needs.
 *
 * @param conf The configuration.
 * @param container The container address of this family with its prefix (`10.88.0.5/16`).
 * @param ids Network name and container ID.
 * @returns Chains and rules.
 */
export async function portmapRules(
  conf: PortmapConf,
  container: { ip: string; cidr: string },
  ids: { network: string; containerId: string },
): Promise<PortmapRules> {
  const c = parseCidr(container.cidr)!;
  const family = c.ip.family;
  const bits = family === 4 ? 32 : 128;
  const dnChain = await dnChainName(ids.network, ids.containerId);
  const markChain = conf.externalSetMarkChain ?? SETMARK_CHAIN;
  const shared: ChainRule[] = [];
  const sharedChains: string[] = [];
  if (conf.snat && conf.externalSetMarkChain === undefined) {
    const mark = markText(conf.markMasqBit);
    sharedChains.push(SETMARK_CHAIN, MASQ_CHAIN);
    shared.push(
      {
        chain: SETMARK_CHAIN,
        spec: ["-m", "comment", "--comment", "CNI portfwd masquerade mark", "-j", "MARK"]
          .concat(["--set-xmark", mark]),
      },
      { chain: MASQ_CHAIN, spec: ["-m", "mark", "--mark", mark, "-j", "MASQUERADE"] },
      { chain: "POSTROUTING", spec: MASQ_JUMP },
    );
  }
  sharedChains.push(DNAT_CHAIN);
  shared.push({ chain: "PREROUTING", spec: LOCAL_JUMP }, { chain: "OUTPUT", spec: LOCAL_JUMP });

  const subnet = conf.masqAll ? undefined : formatCidr(networkOf(c));
  const target = family === 4 ? `${container.ip}` : `[${container.ip}]`;
  const dnRules: RuleSpec[] = [];
  for (const m of conf.mappings) {
    if (m.hostFamily !== undefined && m.hostFamily !== family) continue;
    const dst = m.hostIP === "" ? [] : ["-d", `${m.hostIP}/${bits}`];
    const port = ["-p", m.protocol, "-m", m.protocol, "--dport", String(m.hostPort)];
    if (conf.snat) {
      // iptables prints no `-s` for 0.0.0.0/0 or ::/0 (masqAll).
      dnRules.push([...(subnet ? ["-s", subnet] : []), ...dst, ...port, "-j", markChain]);
      if (family === 4 && !conf.masqAll) {
        dnRules.push(["-s", "127.0.0.1/32", ...dst, ...port, "-j", markChain]);
      }
    }
    dnRules.push([
      ...dst,
      ...port,
      "-j",
      "DNAT",
      "--to-destination",
      `${target}:${m.containerPort}`,
    ]);
  }
  return {
    cmd: family === 4 ? "iptables" : "ip6tables",
    dnChain,
    snChain: await snChainName(ids.network, ids.containerId),
    shared,
    sharedChains,
    dnRules,
    entries: await entryRules(conf, family, ids),
  };
}

/**
 * The restore lines that set up one family of a container.
 *
 * With no snapshot (the usual state: another container already made the shared chains,
 * this one has nothing yet) the lines assert the shared rules with `-C`, create the
 * container's chain with `-N` (refused if it exists) and add its rules; the kernel refuses
 * the whole restore when any of that does not hold. With a snapshot they create what is
 * missing the reference's way (create-if-missing, append-if-missing, the masquerade jump
 * inserted first in `POSTROUTING`), give the container chain exactly its rules, and keep
 * only the wanted entry rules (an entry already there keeps its place).
 *
 * @param snap The `nat` table, or `undefined` for the usual state.
 * @param rules What the container needs ({@linkcode portmapRules}).
 * @returns `iptables-restore` lines.
 */
export function setupLines(snap: TableSnapshot | undefined, rules: PortmapRules): string[] {
  const lines: string[] = [];
  if (!snap) {
    for (const r of rules.shared) lines.push(restoreLine("-C", r.chain, r.spec));
    lines.push(restoreLine("-N", rules.dnChain));
    for (const r of rules.dnRules) lines.push(restoreLine("-A", rules.dnChain, r));
    for (const e of rules.entries) lines.push(restoreLine("-A", DNAT_CHAIN, e));
    return lines;
  }
  const made = new Set<string>();
  const ensureChain = (chain: string) => {
    if (snap.chains.has(chain) || made.has(chain)) return;
    made.add(chain);
    lines.push(restoreLine("-N", chain));
  };
  for (const r of rules.shared) {
    if (rules.sharedChains.includes(r.chain)) ensureChain(r.chain);
    // The jumps need their target chain.
    for (const c of rules.sharedChains) if (r.spec.at(-1) === c) ensureChain(c);
    if (snap.rules.get(r.chain)?.includes(ruleKey(r.spec))) continue;
    if (r.chain === "POSTROUTING") lines.push(restoreLine("-I", r.chain, ["1", ...r.spec]));
    else lines.push(restoreLine("-A", r.chain, r.spec));
  }
  lines.push(restoreLine(snap.chains.has(rules.dnChain) ? "-F" : "-N", rules.dnChain));
  for (const r of rules.dnRules) lines.push(restoreLine("-A", rules.dnChain, r));
  const wanted = new Set(rules.entries.map(ruleKey));
  const present = new Set<string>();
  for (const r of rulesTargeting(snap, rules.dnChain)) {
    const key = ruleKey(r.spec);
    if (r.chain === DNAT_CHAIN && wanted.has(key) && !present.has(key)) present.add(key);
    else lines.push(restoreLine("-D", r.chain, r.spec));
  }
  for (const e of rules.entries) {
    if (!present.has(ruleKey(e))) lines.push(restoreLine("-A", DNAT_CHAIN, e));
  }
  return lines;
}

/**
 * The restore lines that remove a container's rules of one family.
 *
 * With no snapshot (the state ADD leaves, entry rules known from the mappings): delete the
 * entry rules, flush and delete the chain; refused when anything differs. With a snapshot:
 * delete every rule that jumps to the container's chain (found by name, so the mappings are
 * not needed) and the chain, and the same for the obsolete `CNI-SN-` chain.
 *
 * @param snap The `nat` table, or `undefined` for the state ADD leaves.
 * @param chains The container chain and the obsolete SNAT chain.
 * @param entries The entry rules ADD made (only used without a snapshot).
 * @returns `iptables-restore` lines (empty when nothing is there).
 */
export function teardownLines(
  snap: TableSnapshot | undefined,
  chains: { dnChain: string; snChain: string },
  entries: readonly RuleSpec[] = [],
): string[] {
  if (!snap) {
    return [
      ...entries.map((e) => restoreLine("-D", DNAT_CHAIN, e)),
      restoreLine("-F", chains.dnChain),
      restoreLine("-X", chains.dnChain),
    ];
  }
  const lines: string[] = [];
  for (const chain of [chains.dnChain, chains.snChain]) {
    for (const r of rulesTargeting(snap, chain)) lines.push(restoreLine("-D", r.chain, r.spec));
    if (snap.chains.has(chain)) lines.push(restoreLine("-F", chain), restoreLine("-X", chain));
  }
  return lines;
}

/**
 * The restore lines a GC of `network` sends: the teardown of every container whose entry
 * rule comment names this network and a container that is not valid.
 *
 * @param snap The `nat` table.
 * @param network The network collected.
 * @param validIds Container IDs of the valid attachments.
 * @returns `iptables-restore` lines (empty when nothing is stale).
 */
export async function gcLines(
  snap: TableSnapshot,
  network: string,
  validIds: ReadonlySet<string>,
): Promise<string[]> {
  const stale = new Set<string>();
  for (const key of snap.rules.get(DNAT_CHAIN) ?? []) {
    const spec = key.split("\0");
    const i = spec.indexOf("--comment");
    const owner = i >= 0 ? parseOwnerComment("dnat ", spec[i + 1]!) : undefined;
    if (isStaleOwner(owner, network, validIds)) stale.add(owner!.containerId);
  }
  const lines: string[] = [];
  for (const cid of stale) {
    const chains = {
      dnChain: await dnChainName(network, cid),
      snChain: await snChainName(network, cid),
    };
    lines.push(...teardownLines(snap, chains));
  }
  return lines;
}

/**
 * The rules a CHECK looks for, shared ones first.
 *
 * @param rules What the container needs.
 * @returns The rules in check order.
 */
export function checkRules(rules: PortmapRules): ChainRule[] {
  return [
    ...rules.shared,
    ...rules.dnRules.map((spec) => ({ chain: rules.dnChain, spec })),
    ...rules.entries.map((spec) => ({ chain: DNAT_CHAIN, spec })),
  ];
}
