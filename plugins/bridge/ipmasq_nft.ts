/**
 * The masquerade's nftables backend, as the reference `pkg/ip/ipmasq_nftables_linux.go`
 * (knftables) leaves it: table `inet cni_plugins_masquerade` with a `postrouting` nat chain
 * that skips multicast and goes to `masq_checks`, and there one rule per container address
 * commented `<h16(net)>-<h16(if:id)>, net: <net>, if: <if>, id: <id>`, so an attachment's
 * rules are found by the comment's hash prefix.
 *
 * Process cost: ADD is one `nft -j list chain` (the attachment's old rules) and one `nft -f -`
 * transaction; DEL is the listing and, when there are rules, one transaction deleting them.
 *
 * @module
 */
import { sha512Hex } from "../../cni/sha512.ts";
import type { ToolRunner } from "../../firewall/exec.ts";
import { nftApply, nftDeleteLines, nftListRules, type NftRule } from "../../firewall/nft.ts";
import { NFT_MAX_COMMENT } from "../../firewall/owner.ts";
import { formatCidr, formatIp, networkOf, parseCidr } from "../../ip/mod.ts";

/** The nftables table of the masquerade backend. */
export const NFT_MASQ_TABLE = "cni_plugins_masquerade";
/** The regular chain holding the per-address rules. */
export const NFT_MASQ_CHAIN = "masq_checks";

/** The attachment an nft rule belongs to. */
export interface NftMasqIds {
  /** Network name. */
  network: string;
  /** Container interface name. */
  ifName: string;
  /** Container ID. */
  containerId: string;
}

/**
 * First 16 hex digits of sha512 of the network name (the comment's prefix for a network).
 *
 * @param network Network name.
 * @returns 16 hex digits.
 */
export async function nftNetworkHash(network: string): Promise<string> {
  return (await sha512Hex(network)).slice(0, 16);
}

/**
 * The per-attachment hash `<h16(net)>-<h16(ifname:id)>` (the comment's prefix).
 *
 * @param ids Network name, interface name, container ID.
 * @returns The hash text.
 */
export async function nftInstanceHash(ids: NftMasqIds): Promise<string> {
  const instance = (await sha512Hex(`${ids.ifName}:${ids.containerId}`)).slice(0, 16);
  return `${await nftNetworkHash(ids.network)}-${instance}`;
}

/**
 * The rule comment of one attachment, quotes dropped, cut to 128 characters.
 *
 * @param ids Network name, interface name, container ID.
 * @returns The comment.
 *
 * @example Reference test vector
 * ```ts
 * import { nftInstanceComment } from "./ipmasq_nft.ts";
 * await nftInstanceComment({ network: "mynet", ifName: "eth0", containerId: "abc123" });
 * // "d23676b4f2d9fe04-ebce0e3dd4dafae3, net: mynet, if: eth0, id: abc123"
 * ```
 */
export async function nftInstanceComment(ids: NftMasqIds): Promise<string> {
  const strip = (s: string) => s.replaceAll('"', "");
  const comment = `${await nftInstanceHash(ids)}, net: ${strip(ids.network)}, if: ${
    strip(ids.ifName)
  }, id: ${strip(ids.containerId)}`;
  return comment.slice(0, NFT_MAX_COMMENT);
}

/**
 * The `nft -f -` transaction the reference (knftables) sends for one attachment's ADD.
 *
 * @param cidrs Container addresses with prefix (`10.22.0.5/16`).
 * @param comment The attachment's comment ({@linkcode nftInstanceComment}).
 * @param stale The attachment's old rules, deleted in the same transaction.
 * @returns The transaction's lines.
 */
export function nftMasqSetupLines(
  cidrs: readonly string[],
  comment: string,
  stale: readonly NftRule[],
): string[] {
  const t = `inet ${NFT_MASQ_TABLE}`;
  const lines = [
    `add table ${t} { comment "Masquerading for plugins from github.com/containernetworking/plugins" ; }`,
    `add chain ${t} ${NFT_MASQ_CHAIN} { comment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet" ; }`,
    `add chain ${t} postrouting { type nat hook postrouting priority srcnat ; }`,
    `flush chain ${t} postrouting`,
    `add rule ${t} postrouting ip daddr == 224.0.0.0/4  return`,
    `add rule ${t} postrouting ip6 daddr == ff00::/8  return`,
    `add rule ${t} postrouting goto ${NFT_MASQ_CHAIN}`,
    ...nftDeleteLines(stale),
  ];
  for (const text of cidrs) {
    const c = parseCidr(text);
    if (!c) continue;
    const fam = c.ip.family === 4 ? "ip" : "ip6";
    lines.push(
      `add rule ${t} ${NFT_MASQ_CHAIN} ${fam} saddr == ${formatIp(c.ip)} ${fam} daddr != ${
        formatCidr(networkOf(c))
      } masquerade comment ${JSON.stringify(comment)}`,
    );
  }
  return lines;
}

/** The `masq_checks` rules whose comment starts with `prefix`: one `nft -j list chain`. */
async function masqRules(prefix: string, run: ToolRunner): Promise<NftRule[]> {
  const rules = await nftListRules("inet", NFT_MASQ_TABLE, { chain: NFT_MASQ_CHAIN, run });
  return rules.filter((r) => r.comment?.startsWith(prefix));
}

/**
 * Installs an attachment's masquerade, replacing its old rules in the same transaction.
 *
 * @param cidrs Container addresses with prefix.
 * @param ids The attachment.
 * @param run The tool runner.
 * @returns When in place.
 * @throws {ToolError} When `nft` fails.
 */
export async function setupNftMasq(
  cidrs: readonly string[],
  ids: NftMasqIds,
  run: ToolRunner,
): Promise<void> {
  const stale = await masqRules(await nftInstanceHash(ids), run);
  await nftApply(nftMasqSetupLines(cidrs, await nftInstanceComment(ids), stale), { run });
}

/**
 * Removes an attachment's masquerade rules (found by the comment's hash, no address needed).
 *
 * @param ids The attachment.
 * @param run The tool runner.
 * @returns When removed (nothing to do is fine).
 * @throws {ToolError} When `nft` fails otherwise.
 */
export async function teardownNftMasq(ids: NftMasqIds, run: ToolRunner): Promise<void> {
  const rules = await masqRules(await nftInstanceHash(ids), run);
  await nftApply(nftDeleteLines(rules), { run });
}

/**
 * Removes a network's rules whose attachment is not among `valid` (GC).
 *
 * @param network Network name.
 * @param valid The valid attachments.
 * @param run The tool runner.
 * @returns When done.
 * @throws {ToolError} When `nft` fails.
 */
export async function gcNftMasq(
  network: string,
  valid: readonly { containerID: string; ifname: string }[],
  run: ToolRunner,
): Promise<void> {
  const keep = new Set(
    await Promise.all(
      valid.map((a) =>
        nftInstanceComment({ network, ifName: a.ifname, containerId: a.containerID })
      ),
    ),
  );
  const rules = await masqRules((await nftNetworkHash(network)) + "-", run);
  await nftApply(nftDeleteLines(rules.filter((r) => !keep.has(r.comment ?? ""))), { run });
}
