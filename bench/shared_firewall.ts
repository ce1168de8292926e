/**
 * What a benchmark run leaves in the host's firewall, and its removal. The bridge masquerade,
 * portmap and firewall add rules per container (their DEL removes them) and shared chains
 * with their jumps from the built-in chains (`CNI-HOSTPORT-DNAT`, `-SETMARK`, `-MASQ` from
 * `PREROUTING`, `OUTPUT`, `POSTROUTING`; `CNI-FORWARD` and `CNI-ADMIN` from `FORWARD`), which
 * stay after the last DEL, as the reference keeps them. A run snapshots the user chains of
 * both families' `nat` and `filter` tables and the nft tables first ({@linkcode firewallBefore});
 * its cleanup ({@linkcode sweepFirewall}) removes, through the product's firewall layer (one
 * read and one `iptables-restore` per family and table):
 *
 * - rules owned by the run's networks (owner comment) or naming an address in its subnets
 *   (the reference firewall plugin's rules have no comment), wherever they are;
 * - the per-container chains those rules jump to (`CNI-DN-*`, masquerade chains), when the
 *   run created them;
 * - the shared chains the run created, with their jumps from built-in chains, when nothing
 *   of anybody else is in them (a rule with an owner comment or a host address, a jump to a
 *   per-container chain): such a chain is kept and reported;
 * - the nft tables the run created (iptables-nft's `ip filter` and the like) left empty.
 *
 * A chain that existed before the run is never flushed or deleted.
 *
 * @module
 */
import {
  converge,
  type IptablesCmd,
  type IptablesTable,
  parseOwnerComment,
  readTable,
  restoreLine,
  ruleComment,
  rulesTargeting,
  ruleTokens,
  type TableSnapshot,
} from "../firewall/mod.ts";
import { errorText } from "../cni/errors.ts";
import { type Cidr, cidrContains, parseCidr } from "../ip/mod.ts";
import {
  dropNewEmptyTables,
  FIREWALL_TABLES,
  type FirewallTable,
  firewallTables,
} from "../tests/helpers/firewall_oracle.ts";

/** The chains portmap and firewall share between containers and keep after the last DEL. */
export const SHARED_CHAINS: ReadonlySet<string> = new Set([
  "CNI-HOSTPORT-DNAT",
  "CNI-HOSTPORT-SETMARK",
  "CNI-HOSTPORT-MASQ",
  "CNI-FORWARD",
  "CNI-ADMIN",
]);

const CMDS: readonly IptablesCmd[] = ["iptables", "ip6tables"];
const TABLES: readonly IptablesTable[] = ["nat", "filter"];

/** nft tables a run may create: the masquerade ones, iptables-nft's, portmap's and firewall's. */
const NFT_TABLES: readonly FirewallTable[] = [
  ...FIREWALL_TABLES,
  ["ip", "filter", undefined],
  ["ip6", "filter", undefined],
  ["ip", "cni_hostport", undefined],
  ["ip6", "cni_hostport", undefined],
  ["inet", "cni_firewall", undefined],
];

/** The host's firewall before a run. */
export interface FirewallBefore {
  /** User chains by `<cmd> <table>` (`iptables nat`, ...). */
  chains: Map<string, Set<string>>;
  /** nft tables, `family name`. */
  tables: Set<string>;
}

/** What belongs to a run. */
export interface RunOwnership {
  /** Its network names. */
  networks: ReadonlySet<string>;
  /** Its subnets. */
  subnets: readonly Cidr[];
}

/** What a sweep of one table plans, or of the host did (lines prefixed `<cmd> <table>`). */
export interface Sweep {
  /** Left by a DEL that did not run or failed: the run's rules and per-container chains. */
  leftovers: string[];
  /** The shared chains the run created, as reference plugins leave them after the last DEL. */
  shared: string[];
  /** Chains the run created but left in place, and why. */
  kept: string[];
}

/**
 * Snapshots the user chains of both families' `nat` and `filter` tables and the nft tables.
 *
 * @returns The snapshot.
 */
export async function firewallBefore(): Promise<FirewallBefore> {
  const chains = new Map<string, Set<string>>();
  for (const cmd of CMDS) {
    for (const table of TABLES) {
      // A family whose tool does not work here holds nothing.
      const snap = await readTable(cmd, table).catch(() => undefined);
      chains.set(`${cmd} ${table}`, snap?.chains ?? new Set());
    }
  }
  return { chains, tables: await firewallTables() };
}

function tokenInSubnets(token: string, subnets: readonly Cidr[]): boolean {
  const c = parseCidr(token);
  return c !== undefined &&
    subnets.some((s) =>
      s.ip.family === c.ip.family && c.prefix >= s.prefix && cidrContains(s, c.ip)
    );
}

function ownerNetwork(spec: readonly string[]): string | undefined {
  const comment = ruleComment(spec);
  const at = comment?.indexOf('name: "') ?? -1;
  if (comment === undefined || at < 0) return undefined;
  return parseOwnerComment(comment.slice(0, at), comment)?.network;
}

function addressTokens(spec: readonly string[]): string[] {
  return spec.filter((_, i) => spec[i - 1] === "-s" || spec[i - 1] === "-d");
}

function jumpTarget(spec: readonly string[]): string | undefined {
  const i = spec.findIndex((t) => t === "-j" || t === "-g");
  return i >= 0 ? spec[i + 1] : undefined;
}

/**
 * Whether a rule is a container's (anybody's): an owner comment, a host address, or a jump to
 * a user chain other than the shared ones.
 */
function perContainer(spec: readonly string[], snap: TableSnapshot): boolean {
  if (ownerNetwork(spec) !== undefined) return true;
  if (addressTokens(spec).some((t) => /\/(32|128)$/.test(t))) return true;
  const target = jumpTarget(spec);
  return target !== undefined && snap.chains.has(target) && !SHARED_CHAINS.has(target);
}

/**
 * The restore lines that remove a run's leftovers from one table (pure).
 *
 * @param snap The table now.
 * @param before The user chains of the table before the run.
 * @param ours The run's networks and subnets.
 * @returns The restore lines (deletions, then flushes, then chain deletions) and the sweep.
 */
export function sweepPlan(
  snap: TableSnapshot,
  before: ReadonlySet<string>,
  ours: RunOwnership,
): Sweep & { lines: string[] } {
  const deleted = new Set<string>(); // `chain\0key` of the rules deleted
  const deletions: string[] = [];
  const leftovers: string[] = [];
  const del = (chain: string, spec: readonly string[], leftover: boolean) => {
    const id = `${chain}\0${spec.join("\0")}`;
    if (deleted.has(id)) return;
    deleted.add(id);
    deletions.push(restoreLine("-D", chain, spec));
    if (leftover) leftovers.push(restoreLine("-A", chain, spec));
  };
  const drop = new Set<string>();
  const perContainerChains = new Set<string>();
  for (const [chain, keys] of snap.rules) {
    for (const key of keys) {
      const spec = ruleTokens(key);
      const network = ownerNetwork(spec);
      const mine = network !== undefined
        ? ours.networks.has(network)
        : addressTokens(spec).some((t) => tokenInSubnets(t, ours.subnets));
      if (!mine) continue;
      del(chain, spec, true);
      const target = jumpTarget(spec);
      if (
        target !== undefined && snap.chains.has(target) && !before.has(target) &&
        !SHARED_CHAINS.has(target)
      ) {
        drop.add(target);
        perContainerChains.add(target);
      }
    }
  }
  const kept: string[] = [];
  const created = [...SHARED_CHAINS].filter((c) => snap.chains.has(c) && !before.has(c));
  for (const chain of created) {
    const foreign = (snap.rules.get(chain) ?? []).map(ruleTokens).filter((spec) =>
      !deleted.has(`${chain}\0${spec.join("\0")}`) && perContainer(spec, snap)
    );
    if (foreign.length > 0) {
      kept.push(`${chain}: holds ${foreign.length} rule(s) of other containers`);
      continue;
    }
    drop.add(chain);
  }
  // A chain is dropped only when every jump to it is in a built-in chain or a dropped one.
  for (let changed = true; changed;) {
    changed = false;
    for (const chain of drop) {
      const from = rulesTargeting(snap, chain)
        .filter((r) => !deleted.has(`${r.chain}\0${r.spec.join("\0")}`)).map((r) => r.chain)
        .filter((c) => snap.chains.has(c) && !drop.has(c));
      if (from.length === 0) continue;
      drop.delete(chain);
      kept.push(`${chain}: jumped to from ${[...new Set(from)].join(", ")}`);
      changed = true;
    }
  }
  for (const chain of drop) {
    for (const r of rulesTargeting(snap, chain)) {
      if (!drop.has(r.chain)) del(r.chain, r.spec, perContainerChains.has(chain));
    }
  }
  const dropped = [...drop];
  return {
    lines: [
      ...deletions,
      ...dropped.map((c) => restoreLine("-F", c)),
      ...dropped.map((c) => restoreLine("-X", c)),
    ],
    leftovers: [...leftovers, ...dropped.filter((c) => perContainerChains.has(c))],
    shared: dropped.filter((c) => !perContainerChains.has(c)),
    kept,
  };
}

/**
 * Removes a run's leftovers from the host's firewall (see the module text).
 *
 * @param before The snapshot from {@linkcode firewallBefore}.
 * @param ours The run's networks and subnets.
 * @returns What was removed and what was kept.
 */
export async function sweepFirewall(before: FirewallBefore, ours: RunOwnership): Promise<Sweep> {
  const out: Sweep = { leftovers: [], shared: [], kept: [] };
  for (const cmd of CMDS) {
    for (const table of TABLES) {
      const was = before.chains.get(`${cmd} ${table}`) ?? new Set<string>();
      let plan: Sweep = { leftovers: [], shared: [], kept: [] };
      const at = `${cmd} ${table}`;
      try {
        await converge(cmd, table, (snap) => {
          const p = sweepPlan(snap!, was, ours);
          plan = p;
          return p.lines;
        }, { optimistic: false });
      } catch (err) {
        out.kept.push(`${at}: ${errorText(err)}`);
        continue;
      }
      out.leftovers.push(...plan.leftovers.map((l) => `${at} ${l}`));
      out.shared.push(...plan.shared.map((c) => `${at} ${c}`));
      out.kept.push(...plan.kept.map((k) => `${at} ${k}`));
    }
  }
  await dropNewEmptyTables(before.tables, NFT_TABLES);
  return out;
}
