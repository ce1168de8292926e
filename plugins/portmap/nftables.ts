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
 * @module
 */
import type { NftRule } from "../../firewall/nft.ts";
import type { PortmapConf } from "./config.ts";

/** The table name (in families `ip` and `ip6`). */
export const NFT_TABLE = "cni_hostport";
/** The chains whose rules belong to containers. */
export const CONTAINER_CHAINS: readonly string[] = [
  "hostports",
  "hostip_hostports",
  "masquerading",
];

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
 * @param containerId The container ID (the rule comment).
 * @returns `nft -f -` lines.
 */
export function nftSetupLines(
  conf: PortmapConf,
  family: 4 | 6,
  containerIp: string,
  containerId: string,
): string[] {
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
 * the container ID, and (when `ip` is given) aimed at that address.
 *
 * @param rules A family's table rules.
 * @param containerId The container ID.
 * @param ip The container address of that family, when known.
 * @returns The rules to delete.
 */
export function containerRules(
  rules: readonly NftRule[],
  containerId: string,
  ip: string | undefined,
): NftRule[] {
  return rules.filter((r) =>
    CONTAINER_CHAINS.includes(r.chain) && r.comment === containerId &&
    (ip === undefined || aimsAt(r.expr, ip))
  );
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
