/**
 * The firewall plugin's nftables backend (the reference has none; `backend: "nftables"`).
 * One table holds both families:
 *
 * ```
 * table inet cni_firewall {                       # comment "CNI firewall plugin"
 *   set containers_v4 { type ipv4_addr }          # one element per container address,
 *   set containers_v6 { type ipv6_addr }          #   commented "firewall net: <net>, id: <id>"
 *   set isolated_bridges { type ifname }          # bridges with ingressPolicy same-bridge/isolated
 *   set isolated_pairs { type ifname . ifname }   #   and "<br> . <br>" for each of them
 *   set self_isolated_pairs { type ifname . ifname }  # "<br> . <br>" for ingressPolicy isolated
 *   chain forward { type filter hook forward priority filter; policy accept;
 *     jump CNI-ISOLATION
 *     jump CNI-FORWARD }
 *   chain CNI-ISOLATION {
 *     iifname . oifname @self_isolated_pairs drop     # isolated: not even within the bridge
 *     iifname . oifname @isolated_pairs return        # within one bridge: fine
 *     iifname @isolated_bridges oifname @isolated_bridges drop }  # between policed bridges
 *   chain CNI-FORWARD {
 *     jump CNI-ADMIN                                  # iptablesAdminChainName; the user's chain
 *     ip daddr @containers_v4 ct state established,related accept
 *     ip saddr @containers_v4 accept
 *     ip6 daddr @containers_v6 ct state established,related accept
 *     ip6 saddr @containers_v6 accept }
 *   chain CNI-ADMIN { }                               # created empty, never flushed
 * }
 * ```
 *
 * The fixed chains are flushed and refilled by every ADD (so the admin chain of the most
 * recent ADD is the one jumped to) and the per-container state is set elements, so an ADD is
 * one `nft -f -` that needs no reading: adding an element that exists is no error, and the
 * element is deleted and added again to carry this container's comment. As with iptables, the
 * isolation of a bridge is never undone.
 *
 * nftables semantics to know: an `accept` ends the packet's path through this table only;
 * the base chains of other tables (a host firewall's `forward` chain with policy drop,
 * firewalld's tables) still see it, and a drop anywhere wins. The isolation drops therefore
 * always hold, while the accepts only help where nothing else drops.
 *
 * @module
 */
import { type NftElement, nftOwnedElementLines, type NftTable } from "../../firewall/nft.ts";
import { nftOwnerComment, type Owner, staleOwnerTest } from "../../firewall/owner.ts";
import type { IngressPolicy } from "./config.ts";
import { FORWARD_CHAIN, OWNER_PREFIX } from "./iptables.ts";

/** The table (family `inet`). */
export const NFT_TABLE = "cni_firewall";
const T = `inet ${NFT_TABLE}`;
const ISOLATION_CHAIN = "CNI-ISOLATION";
const SET_V4 = "containers_v4";
const SET_V6 = "containers_v6";

/**
 * The set holding a family's container addresses.
 *
 * @param family 4 or 6.
 * @returns The set name.
 */
export function containerSet(family: 4 | 6): string {
  return family === 4 ? SET_V4 : SET_V6;
}

function q(text: string): string {
  return `"${text.replaceAll('"', "")}"`;
}

/**
 * The ADD transaction.
 *
 * @param ips The container's addresses by family.
 * @param options Admin chain, owner, and the bridge and policy when isolating.
 * @returns `nft -f -` lines.
 */
export function nftSetupLines(
  ips: { v4: readonly string[]; v6: readonly string[] },
  options: { admin: string; owner: Owner; isolation?: { bridge: string; policy: IngressPolicy } },
): string[] {
  const comment = q(nftOwnerComment(OWNER_PREFIX, options.owner));
  const lines = [
    `add table ${T} { comment "CNI firewall plugin" ; }`,
    `add set ${T} ${SET_V4} { type ipv4_addr ; }`,
    `add set ${T} ${SET_V6} { type ipv6_addr ; }`,
    `add set ${T} isolated_bridges { type ifname ; }`,
    `add set ${T} isolated_pairs { type ifname . ifname ; }`,
    `add set ${T} self_isolated_pairs { type ifname . ifname ; }`,
    `add chain ${T} forward { type filter hook forward priority filter ; policy accept ; }`,
    `add chain ${T} ${ISOLATION_CHAIN}`,
    `add chain ${T} ${FORWARD_CHAIN}`,
    `add chain ${T} ${options.admin}`,
    `flush chain ${T} forward`,
    `add rule ${T} forward jump ${ISOLATION_CHAIN}`,
    `add rule ${T} forward jump ${FORWARD_CHAIN}`,
    `flush chain ${T} ${ISOLATION_CHAIN}`,
    `add rule ${T} ${ISOLATION_CHAIN} iifname . oifname @self_isolated_pairs drop`,
    `add rule ${T} ${ISOLATION_CHAIN} iifname . oifname @isolated_pairs return`,
    `add rule ${T} ${ISOLATION_CHAIN} iifname @isolated_bridges oifname @isolated_bridges drop`,
    `flush chain ${T} ${FORWARD_CHAIN}`,
    `add rule ${T} ${FORWARD_CHAIN} jump ${options.admin}`,
    `add rule ${T} ${FORWARD_CHAIN} ip daddr @${SET_V4} ct state established,related accept`,
    `add rule ${T} ${FORWARD_CHAIN} ip saddr @${SET_V4} accept`,
    `add rule ${T} ${FORWARD_CHAIN} ip6 daddr @${SET_V6} ct state established,related accept`,
    `add rule ${T} ${FORWARD_CHAIN} ip6 saddr @${SET_V6} accept`,
  ];
  for (const [set, list] of [[SET_V4, ips.v4], [SET_V6, ips.v6]] as const) {
    for (const ip of list) {
      lines.push(...nftOwnedElementLines(`${T} ${set}`, ip, comment));
    }
  }
  if (options.isolation) {
    const br = q(options.isolation.bridge);
    lines.push(
      `add element ${T} isolated_bridges { ${br} }`,
      `add element ${T} isolated_pairs { ${br} . ${br} }`,
    );
    if (options.isolation.policy === "isolated") {
      lines.push(`add element ${T} self_isolated_pairs { ${br} . ${br} }`);
    }
  }
  return lines;
}

/** The elements of the container sets whose comment passes `keep`. */
function elementsWhere(
  table: NftTable,
  pick: (comment: string | undefined) => boolean,
): { set: string; element: NftElement }[] {
  const out: { set: string; element: NftElement }[] = [];
  for (const s of table.sets) {
    if (s.name !== SET_V4 && s.name !== SET_V6) continue;
    for (const e of s.elements) if (pick(e.comment)) out.push({ set: s.name, element: e });
  }
  return out;
}

function deleteLines(found: { set: string; element: NftElement }[]): string[] {
  return found.map(({ set, element }) => `delete element ${T} ${set} { ${String(element.val)} }`);
}

/**
 * The DEL transaction: delete the set elements that carry this container's comment.
 *
 * @param table The table as listed (`undefined`: it does not exist).
 * @param owner The container.
 * @returns `nft -f -` lines (empty when nothing is there).
 */
export function nftTeardownLines(table: NftTable | undefined, owner: Owner): string[] {
  if (!table) return [];
  const comment = nftOwnerComment(OWNER_PREFIX, owner);
  return deleteLines(elementsWhere(table, (c) => c === comment));
}

/**
 * The GC transaction: delete the elements of this network's containers that are not valid.
 *
 * @param table The table as listed.
 * @param network The network collected.
 * @param validIds Container IDs of the valid attachments.
 * @returns `nft -f -` lines.
 */
export function nftGcLines(
  table: NftTable | undefined,
  network: string,
  validIds: ReadonlySet<string>,
): string[] {
  if (!table) return [];
  return deleteLines(elementsWhere(table, staleOwnerTest(OWNER_PREFIX, network, validIds)));
}

/** Whether a listed rule of `chain` is exactly a jump to `target`. */
function hasJump(table: NftTable, chain: string, target: string): boolean {
  return table.rules.some((r) =>
    r.chain === chain &&
    r.expr.some((e) => JSON.stringify(e) === JSON.stringify({ jump: { target } }))
  );
}

function hasElement(table: NftTable, set: string, val: unknown, comment?: string): boolean {
  const s = table.sets.find((x) => x.name === set);
  const want = JSON.stringify(val);
  return s?.elements.some((e) =>
    JSON.stringify(e.val) === want && (comment === undefined || e.comment === comment)
  ) ?? false;
}

/**
 * What a CHECK finds missing: the jumps, the container's elements with its comment, and the
 * bridge's isolation elements.
 *
 * @param table The table as listed (`undefined`: it does not exist).
 * @param ips The container's addresses by family.
 * @param options Admin chain, owner, and the bridge and policy when isolating.
 * @returns A message for the first problem, or `undefined`.
 */
export function nftCheckProblem(
  table: NftTable | undefined,
  ips: { v4: readonly string[]; v6: readonly string[] },
  options: { admin: string; owner: Owner; isolation?: { bridge: string; policy: IngressPolicy } },
): string | undefined {
  if (!table) return `table ${T} not found`;
  if (!hasJump(table, "forward", FORWARD_CHAIN)) {
    return `expected forward rule [jump ${FORWARD_CHAIN}] not found in table ${T}`;
  }
  if (!hasJump(table, FORWARD_CHAIN, options.admin)) {
    return `expected ${FORWARD_CHAIN} rule [jump ${options.admin}] not found in table ${T}`;
  }
  const comment = nftOwnerComment(OWNER_PREFIX, options.owner);
  for (const [family, list] of [[4, ips.v4], [6, ips.v6]] as const) {
    for (const ip of list) {
      if (!hasElement(table, containerSet(family), ip, comment)) {
        return `expected element ${ip} of set ${containerSet(family)} not found in table ${T}`;
      }
    }
  }
  if (options.isolation) {
    const br = options.isolation.bridge;
    if (!hasJump(table, "forward", ISOLATION_CHAIN) || !hasElement(table, "isolated_bridges", br)) {
      return `expected isolation of bridge "${br}" not found in table ${T}`;
    }
    if (
      options.isolation.policy === "isolated" &&
      !hasElement(table, "self_isolated_pairs", { concat: [br, br] })
    ) {
      return `expected isolation within bridge "${br}" not found in table ${T}`;
    }
  }
  return undefined;
}
