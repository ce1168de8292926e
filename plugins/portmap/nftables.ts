/**
 * portmap's nftables backend, as the newest reference (v1.6.0+, knftables) builds it: table
 * `ip cni_hostport` for IPv4 and `ip6 cni_hostport` for IPv6 (comment `CNI portmap plugin`),
 * chains `hostports`, `hostip_hostports` (legacy, empty), `hostports_all`, base chains
 * `prerouting` and `output` (nat, priority dstnat: `fib daddr type local` jumps to
 * `hostports_all`, after the family's conditions) and `masquerading` (nat postrouting, priority
 * srcnat). Per container: one `dnat` rule per mapping in `hostports` and the hairpin and
 * localhost `masquerade` rules, each commented with the raw container ID.
 *
 * One `nft -f -` carries both families of an ADD (the reference sends one per family); text
 * syntax, since `conditionsV4`/`conditionsV6` are nft text. DEL lists each family's table once
 * and deletes the container's rules in one transaction; unlike the reference, when the
 * container's addresses are known it deletes only rules aimed at them, so a container on two
 * portmap networks keeps the other network's rules.
 *
 * Beyond the reference, ownership: the rules name the container but no network, so a GC of
 * one network could not tell a stale container's rules from those of a container valid on
 * another. Each table therefore also holds a set `containers` (`ipv4_addr` in `ip`,
 * `ipv6_addr` in `ip6`) with one element per container address, commented with its owner as
 * the firewall plugin comments its elements (`portmap net: <network>, id: <container ID>`,
 * {@linkcode nftOwnerComment}), added in the ADD's transaction. The rules and their comments
 * stay the reference's, so the reference's DEL (rules whose comment is the container ID) still
 * removes them; it leaves the element, which a later GC of the network removes. One element
 * per address: when two networks give a container the same address, the latest ADD owns it.
 *
 * @module
 */
import {
  nftComment,
  nftDeleteLines,
  nftOwnedElementLines,
  type NftRule,
  type NftTable,
} from "../../firewall/nft.ts";
import { nftOwnerComment, type Owner, staleOwnerTest } from "../../firewall/owner.ts";
import type { PortmapConf } from "./config.ts";

/** The table name (in families `ip` and `ip6`). */
export const NFT_TABLE = "cni_hostport";
/** The chains whose rules belong to containers. */
export const CONTAINER_CHAINS: readonly string[] = [
  "hostports",
  "hostip_hostports",
  "masquerading",
];

/** The set of container addresses, each element commented with its owner (both tables). */
export const OWNER_SET = "containers";
/** What the element comment starts with, before `net: <network>, id: <container ID>`. */
export const OWNER_PREFIX = "portmap ";

/**
 * The element comment of an owner, as nft stores it (quotes dropped, cut to nft's limit), so
 * what is written and what is compared with a listing are the same text.
 *
 * @param owner Network and container.
 * @returns The comment text, unquoted.
 *
 * @example
 * ```ts
 * import { elementComment } from "./nftables.ts";
 * elementComment({ network: "n", containerId: "c1" }); // "portmap net: n, id: c1"
 * ```
 */
export function elementComment(owner: Owner): string {
  return nftComment(nftOwnerComment(OWNER_PREFIX, owner)).slice(1, -1);
}

/** `ip` or `ip6`. */
export type NftFamily = "ip" | "ip6";

/**
 * The nft table family of an address family.
 *
 * @param family 4 or 6.
 * @returns `ip` or `ip6`.
 */
export function nftFamily(family: 4 | 6): NftFamily {
  return family === 4 ? "ip" : "ip6";
}

/**
 * The transaction lines for one family of a container's ADD, in the reference's order.
 *
 * @param conf The configuration.
 * @param family 4 or 6.
 * @param containerIp The container address of that family (no prefix).
 * @param owner The network (the owner element) and the container ID (the rule comment).
 * @returns `nft -f -` lines: the reference's, then the owner element.
 */
export function nftSetupLines(
  conf: PortmapConf,
  family: 4 | 6,
  containerIp: string,
  owner: Owner,
): string[] {
  const containerId = owner.containerId;
  const fam = nftFamily(family);
  const t = `${fam} ${NFT_TABLE}`;
  const conditions = (family === 4 ? conf.conditionsV4 : conf.conditionsV6).join(" ");
  const guard = `${conditions ? conditions + " " : ""}fib daddr type local jump hostports_all`;
  const comment = `comment "${containerId.replaceAll('"', "")}"`;
  const lines = [
    `add table ${t} { comment "CNI portmap plugin" ; }`,
    `add chain ${t} hostports`,
    `add chain ${t} hostip_hostports`,
    `add chain ${t} hostports_all`,
    `flush chain ${t} hostports_all`,
    `add rule ${t} hostports_all jump hostip_hostports`,
    `add rule ${t} hostports_all jump hostports`,
    `add chain ${t} prerouting { type nat hook prerouting priority dstnat ; }`,
    `flush chain ${t} prerouting`,
    `add rule ${t} prerouting ${guard}`,
    // The reference says `priority dstnat`: the same -100, but nft before 1.0.7 accepts that
    // name for the prerouting hook only.
    `add chain ${t} output { type nat hook output priority -100 ; }`,
    `flush chain ${t} output`,
    `add rule ${t} output ${guard}`,
  ];
  if (conf.snat) {
    lines.push(`add chain ${t} masquerading { type nat hook postrouting priority srcnat ; }`);
  }
  const target = family === 4 ? containerIp : `[${containerIp}]`;
  for (const m of conf.mappings) {
    if (m.hostFamily !== undefined && m.hostFamily !== family) continue;
    const daddr = m.hostIP === "" ? "" : `${fam} daddr ${m.hostIP} `;
    lines.push(
      `add rule ${t} hostports ${daddr}${m.protocol} dport ${m.hostPort} dnat to ${target}:${m.containerPort} ${comment}`,
    );
  }
  if (conf.snat) {
    if (conf.masqAll) {
      const any = family === 4 ? "0.0.0.0/0" : "::/0";
      lines.push(
        `add rule ${t} masquerading ${fam} saddr ${any} ${fam} daddr ${containerIp} masquerade ${comment}`,
      );
    } else {
      lines.push(
        `add rule ${t} masquerading ${fam} saddr ${containerIp} ${fam} daddr ${containerIp} masquerade ${comment}`,
      );
      if (family === 4) {
        lines.push(
          `add rule ${t} masquerading ip saddr 127.0.0.1 ip daddr ${containerIp} masquerade ${comment}`,
        );
      }
    }
  }
  // The owner element, with this owner's comment.
  const set = `${t} ${OWNER_SET}`;
  lines.push(
    `add set ${set} { type ${family === 4 ? "ipv4_addr" : "ipv6_addr"} ; }`,
    ...nftOwnedElementLines(set, containerIp, `"${elementComment(owner)}"`),
  );
  return lines;
}

/** Whether an nft JSON expression list aims at `ip` (a `dnat` to it, or `daddr` equal to it). */
export function aimsAt(expr: readonly unknown[], ip: string): boolean {
  for (const e of expr) {
    if (e === null || typeof e !== "object") continue;
    const rec = e as Record<string, Record<string, unknown> | undefined>;
    if (rec.dnat && rec.dnat.addr === ip) return true;
    const match = rec.match as
      | { left?: { payload?: { field?: string } }; right?: unknown }
      | undefined;
    if (match?.left?.payload?.field === "daddr" && match.right === ip) return true;
  }
  return false;
}

/**
 * The container's rules among a table's rules: in the per-container chains, commented with
 * the container ID, and (when addresses are given) aimed at one of them.
 *
 * @param rules A family's table rules.
 * @param containerId The container ID.
 * @param ips The container addresses of that family, when known.
 * @returns The rules to delete.
 */
export function containerRules(
  rules: readonly NftRule[],
  containerId: string,
  ips: readonly string[] | undefined,
): NftRule[] {
  return rules.filter((r) =>
    CONTAINER_CHAINS.includes(r.chain) && r.comment === containerId &&
    (ips === undefined || ips.some((ip) => aimsAt(r.expr, ip)))
  );
}

/** The commented elements of the owner set: each address with its owner comment. */
function ownerElements(table: NftTable): { ip: string; comment: string }[] {
  const set = table.sets.find((s) => s.name === OWNER_SET);
  return (set?.elements ?? []).flatMap((e) =>
    e.comment !== undefined && typeof e.val === "string" ? [{ ip: e.val, comment: e.comment }] : []
  );
}

function deleteElementLines(family: 4 | 6, ips: readonly string[]): string[] {
  const set = `${nftFamily(family)} ${NFT_TABLE} ${OWNER_SET}`;
  return ips.map((ip) => `delete element ${set} { ${ip} }`);
}

/**
 * The DEL transaction of one family: the container's rules and its owner elements. The rules
 * are those aimed at `ip` when it is known, else at the addresses of its owner elements, else
 * (rules made without an element, by the reference) every rule commented with its ID.
 *
 * @param family 4 or 6.
 * @param table The family's table as listed (`undefined`: it does not exist).
 * @param owner Network and container.
 * @param ip The container address of that family, when known (`prevResult`).
 * @returns `nft -f -` lines (empty when nothing is there).
 */
export function nftTeardownLines(
  family: 4 | 6,
  table: NftTable | undefined,
  owner: Owner,
  ip: string | undefined,
): string[] {
  if (!table) return [];
  const mine = elementComment(owner);
  const owned = ownerElements(table).filter((e) => e.comment === mine).map((e) => e.ip);
  const aims = ip !== undefined ? [ip] : owned.length > 0 ? owned : undefined;
  return [
    ...nftDeleteLines(containerRules(table.rules, owner.containerId, aims)),
    ...deleteElementLines(family, owned),
  ];
}

/**
 * The GC transaction of one family: for each owner element of `network` whose container is
 * not valid, the rules commented with that container's ID and aimed at the element's address,
 * and the element. Rules without an owner element (made by the reference) are left alone: they
 * may belong to a container valid on another network.
 *
 * @param family 4 or 6.
 * @param table The family's table as listed (`undefined`: it does not exist).
 * @param network The network collected.
 * @param validIds Container IDs of the valid attachments.
 * @returns `nft -f -` lines (empty when nothing is stale).
 */
export function nftGcLines(
  family: 4 | 6,
  table: NftTable | undefined,
  network: string,
  validIds: ReadonlySet<string>,
): string[] {
  if (!table) return [];
  const isStale = staleOwnerTest(OWNER_PREFIX, network, validIds, elementComment);
  const stale = ownerElements(table).filter((e) => isStale(e.comment));
  // A rule's comment is its container ID, so the element comment of its owner on this network
  // can be rebuilt and compared whole (also when nft cut it).
  const doomed = table.rules.filter((r) =>
    CONTAINER_CHAINS.includes(r.chain) && r.comment !== undefined &&
    stale.some((e) =>
      elementComment({ network, containerId: r.comment! }) === e.comment && aimsAt(r.expr, e.ip)
    )
  );
  return [...nftDeleteLines(doomed), ...deleteElementLines(family, stale.map((e) => e.ip))];
}

/** The `dport` a `hostports` rule matches, and its `dnat` target. */
function dnatOf(rule: NftRule): { dport?: unknown; addr?: unknown; port?: unknown } {
  const out: { dport?: unknown; addr?: unknown; port?: unknown } = {};
  for (const e of rule.expr) {
    if (e === null || typeof e !== "object") continue;
    const rec = e as Record<string, Record<string, unknown> | undefined>;
    if (rec.dnat) {
      out.addr = rec.dnat.addr;
      out.port = rec.dnat.port;
    }
    const match = rec.match as
      | { left?: { payload?: { field?: string } }; right?: unknown }
      | undefined;
    if (match?.left?.payload?.field === "dport") out.dport = match.right;
  }
  return out;
}

/**
 * What a CHECK of one family finds missing: each mapping needs its `dnat` rule in
 * `hostports`, and with `snat` the container needs its masquerade rules (2 for IPv4 without
 * `masqAll`, else 1). Stricter than the reference, which only counts rules.
 *
 * @param conf The configuration.
 * @param family 4 or 6.
 * @param ip The container address.
 * @param rules The family's table rules of the container ({@linkcode containerRules}).
 * @returns The reference's message for the first problem, or `undefined`.
 */
export function nftCheckProblem(
  conf: PortmapConf,
  family: 4 | 6,
  ip: string,
  rules: readonly NftRule[],
): string | undefined {
  const dnats = rules.filter((r) => r.chain === "hostports").map(dnatOf);
  for (const m of conf.mappings) {
    if (m.hostFamily !== undefined && m.hostFamily !== family) continue;
    const found = dnats.some((d) =>
      d.dport === m.hostPort && d.addr === ip && d.port === m.containerPort
    );
    if (!found) {
      return `missing hostport rules in "hostports" chain: ${m.protocol} dport ${m.hostPort} dnat to ${ip}:${m.containerPort}`;
    }
  }
  if (conf.snat) {
    const want = family === 4 && !conf.masqAll ? 2 : 1;
    if (rules.filter((r) => r.chain === "masquerading").length < want) {
      return `missing hostport rules in "masquerading" chain`;
    }
  }
  return undefined;
}
