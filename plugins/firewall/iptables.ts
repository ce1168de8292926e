/**
 * The firewall plugin's iptables backend (`filter` table, `iptables` and `ip6tables`), with
 * the reference's chains and rules: `FORWARD` jumps first to `CNI-FORWARD`, which jumps first
 * to the admin chain (`CNI-ADMIN`), then accepts per container address
 * (`-d <ip> ... RELATED,ESTABLISHED -j ACCEPT` and `-s <ip> -j ACCEPT`); and for
 * `ingressPolicy` `same-bridge` / `isolated` the `CNI-ISOLATION-STAGE-1` / `-STAGE-2` chains
 * with the newest reference's comments.
 *
 * One deliberate difference: the per-container rules carry an owner comment,
 * `firewall name: "<net>" id: "<id>"`, so that DEL without `prevResult` and GC find them (the
 * reference's rules have no comment and leak in both cases). DEL also removes the reference's
 * uncommented form for the addresses of `prevResult`.
 *
 * @module
 */
import {
  type ChainRule,
  restoreLine,
  ruleComment,
  ruleKey,
  type RuleSpec,
  type TableSnapshot,
} from "../../firewall/iptables.ts";
import { isStaleOwner, type Owner, ownerComment, parseOwnerComment } from "../../firewall/owner.ts";
import type { IngressPolicy } from "./config.ts";

/** The chain `FORWARD` jumps to. */
export const FORWARD_CHAIN = "CNI-FORWARD";
/** Isolation, first stage (left a policed bridge). */
export const STAGE_1 = "CNI-ISOLATION-STAGE-1";
/** Isolation, second stage (entering a policed bridge). */
export const STAGE_2 = "CNI-ISOLATION-STAGE-2";
/** The comment prefix of the per-container rules. */
export const OWNER_PREFIX = "firewall ";

const FORWARD_JUMP: RuleSpec = [
  "-m",
  "comment",
  "--comment",
  "CNI firewall plugin rules",
  "-j",
  FORWARD_CHAIN,
];
const ISOLATION_COMMENT = "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)";

/** A rule and how the reference adds it when missing. */
export interface PlacedRule extends ChainRule {
  /** `insert`: at position 1; `append`: at the end. */
  place: "insert" | "append";
}

/** What one family of one container needs. */
export interface FirewallRules {
  /** The chains the rules live in (created when missing), in creation order. */
  chains: string[];
  /** Shared rules: the jumps and the isolation rules, in the reference's order. */
  shared: PlacedRule[];
  /** The container's rules in `CNI-FORWARD`. */
  container: RuleSpec[];
}

/**
 * The admin jump in `CNI-FORWARD`.
 *
 * @param admin The admin chain.
 * @returns The rule spec.
 */
export function adminJump(admin: string): RuleSpec {
  return ["-m", "comment", "--comment", "CNI firewall plugin admin overrides", "-j", admin];
}

/**
 * The per-container rules of one address, as `iptables -S` prints them.
 *
 * @param ip The address (no prefix).
 * @param family 4 or 6.
 * @param comment The owner comment, or `undefined` for the reference's uncommented form.
 * @returns The inbound (established) and outbound accept rules.
 */
export function addressRules(ip: string, family: 4 | 6, comment?: string): RuleSpec[] {
  const host = `${ip}/${family === 4 ? 32 : 128}`;
  const c = comment === undefined ? [] : ["-m", "comment", "--comment", comment];
  return [
    ["-d", host, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", ...c, "-j", "ACCEPT"],
    ["-s", host, ...c, "-j", "ACCEPT"],
  ];
}

/**
 * The isolation rules of one bridge, in the order the reference adds them.
 *
 * @param bridge The bridge name.
 * @param policy `same-bridge` or `isolated`.
 * @returns The rules with their placement.
 */
export function isolationRules(bridge: string, policy: IngressPolicy): PlacedRule[] {
  const mine = `CNI firewall plugin rules (ingressPolicy: ${policy})`;
  const c = (text: string) => ["-m", "comment", "--comment", text];
  const rules: PlacedRule[] = [
    { chain: "FORWARD", place: "insert", spec: [...c(ISOLATION_COMMENT), "-j", STAGE_1] },
    {
      chain: STAGE_1,
      place: "insert",
      spec: ["-i", bridge, "!", "-o", bridge, ...c(mine), "-j", STAGE_2],
    },
  ];
  if (policy === "isolated") {
    rules.push({
      chain: STAGE_1,
      place: "insert",
      spec: ["-i", bridge, "-o", bridge, ...c(mine), "-j", "DROP"],
    });
  }
  rules.push(
    { chain: STAGE_1, place: "append", spec: [...c(ISOLATION_COMMENT), "-j", "RETURN"] },
    {
      chain: STAGE_2,
      place: "insert",
      spec: ["-o", bridge, ...c(ISOLATION_COMMENT), "-j", "DROP"],
    },
    { chain: STAGE_2, place: "append", spec: [...c(ISOLATION_COMMENT), "-j", "RETURN"] },
  );
  return rules;
}

/**
 * Everything one family of a container needs.
 *
 * @param ips The container's addresses of this family.
 * @param family 4 or 6.
 * @param options Admin chain, owner, and the bridge and policy when isolating.
 * @returns Chains and rules.
 */
export function firewallRules(
  ips: readonly string[],
  family: 4 | 6,
  options: { admin: string; owner: Owner; isolation?: { bridge: string; policy: IngressPolicy } },
): FirewallRules {
  const comment = ownerComment(OWNER_PREFIX, options.owner);
  const chains = [FORWARD_CHAIN, options.admin];
  const shared: PlacedRule[] = [
    { chain: "FORWARD", place: "insert", spec: FORWARD_JUMP },
    { chain: FORWARD_CHAIN, place: "insert", spec: adminJump(options.admin) },
  ];
  if (options.isolation) {
    chains.push(STAGE_1, STAGE_2);
    shared.push(...isolationRules(options.isolation.bridge, options.isolation.policy));
  }
  return { chains, shared, container: ips.flatMap((ip) => addressRules(ip, family, comment)) };
}

/**
 * The restore lines of an ADD for one family.
 *
 * With no snapshot (the usual state: the shared chains and jumps exist, the container has no
 * rules, as the spec guarantees for ADD) the lines assert the shared rules with `-C` and
 * append the container's rules; the kernel refuses the whole restore when a shared rule is
 * missing. With a snapshot they follow the reference: create missing chains, insert or
 * append each missing shared rule, append each missing container rule.
 *
 * @param snap The `filter` table, or `undefined` for the usual state.
 * @param rules What the container needs.
 * @returns `iptables-restore` lines.
 */
export function setupLines(snap: TableSnapshot | undefined, rules: FirewallRules): string[] {
  if (!snap) {
    return [
      ...rules.shared.map((r) => restoreLine("-C", r.chain, r.spec)),
      ...rules.container.map((spec) => restoreLine("-A", FORWARD_CHAIN, spec)),
    ];
  }
  const lines: string[] = [];
  for (const chain of rules.chains) {
    if (!snap.chains.has(chain)) lines.push(restoreLine("-N", chain));
  }
  const present = (chain: string) => new Set(snap.rules.get(chain) ?? []);
  const seen = new Map<string, Set<string>>();
  const has = (chain: string, spec: RuleSpec) => {
    let set = seen.get(chain);
    if (!set) seen.set(chain, set = present(chain));
    const key = ruleKey(spec);
    if (set.has(key)) return true;
    set.add(key);
    return false;
  };
  // The reference adds the container's rules before the isolation rules.
  const [jumps, isolation] = [rules.shared.slice(0, 2), rules.shared.slice(2)];
  for (const r of jumps) {
    if (!has(r.chain, r.spec)) lines.push(placedLine(r));
  }
  for (const spec of rules.container) {
    if (!has(FORWARD_CHAIN, spec)) lines.push(restoreLine("-A", FORWARD_CHAIN, spec));
  }
  for (const r of isolation) {
    if (!has(r.chain, r.spec)) lines.push(placedLine(r));
  }
  return lines;
}

function placedLine(r: PlacedRule): string {
  return r.place === "insert"
    ? restoreLine("-I", r.chain, ["1", ...r.spec])
    : restoreLine("-A", r.chain, r.spec);
}

/**
 * The restore lines of a DEL for one family.
 *
 * With no snapshot: delete the container's rules for the addresses of `prevResult` (the state
 * ADD leaves; refused when any is missing). With a snapshot: delete every `CNI-FORWARD` rule
 * whose owner comment names this container (any address) and the reference's uncommented
 * rules of the given addresses.
 *
 * @param snap The `filter` table, or `undefined` for the state ADD leaves.
 * @param owner The container.
 * @param ips Its addresses of this family, when known.
 * @param family 4 or 6.
 * @returns `iptables-restore` lines.
 */
export function teardownLines(
  snap: TableSnapshot | undefined,
  owner: Owner,
  ips: readonly string[],
  family: 4 | 6,
): string[] {
  const comment = ownerComment(OWNER_PREFIX, owner);
  if (!snap) {
    return ips.flatMap((ip) =>
      addressRules(ip, family, comment).map((spec) => restoreLine("-D", FORWARD_CHAIN, spec))
    );
  }
  const reference = new Set(ips.flatMap((ip) => addressRules(ip, family).map(ruleKey)));
  const lines: string[] = [];
  for (const key of snap.rules.get(FORWARD_CHAIN) ?? []) {
    const spec = key.split("\0");
    const c = ruleComment(spec);
    const mine = c === comment ||
      (c !== undefined && sameOwner(parseOwnerComment(OWNER_PREFIX, c), owner));
    if (mine || reference.has(key)) lines.push(restoreLine("-D", FORWARD_CHAIN, spec));
  }
  return lines;
}

function sameOwner(a: Owner | undefined, b: Owner): boolean {
  return a !== undefined && a.network === b.network && a.containerId === b.containerId;
}

/**
 * The restore lines of a GC of `network` for one family: the `CNI-FORWARD` rules whose owner
 * comment names this network and a container that is not valid.
 *
 * @param snap The `filter` table.
 * @param network The network collected.
 * @param validIds Container IDs of the valid attachments.
 * @returns `iptables-restore` lines.
 */
export function gcLines(
  snap: TableSnapshot,
  network: string,
  validIds: ReadonlySet<string>,
): string[] {
  const lines: string[] = [];
  for (const key of snap.rules.get(FORWARD_CHAIN) ?? []) {
    const spec = key.split("\0");
    const c = ruleComment(spec);
    const owner = c === undefined ? undefined : parseOwnerComment(OWNER_PREFIX, c);
    if (isStaleOwner(owner, network, validIds)) {
      lines.push(restoreLine("-D", FORWARD_CHAIN, spec));
    }
  }
  return lines;
}

/**
 * The rules a CHECK looks for: the jumps, the isolation rules, the container's rules.
 *
 * @param rules What the container needs.
 * @returns The rules in check order.
 */
export function checkRules(rules: FirewallRules): ChainRule[] {
  return [
    ...rules.shared.map(({ chain, spec }) => ({ chain, spec })),
    ...rules.container.map((spec) => ({ chain: FORWARD_CHAIN, spec })),
  ];
}
