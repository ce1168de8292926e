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
 * @module
 */
import { sha512Hex } from "../../cni/_sha512.ts";
import { runTool, runToolOk, ToolError } from "./exec.ts";
import { formatCidr, formatIp, networkOf, parseCidr } from "./ipaddr.ts";

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

function isNotExist(out: { code: number; stderr: string }): boolean {
  return out.code !== 0 &&
    /does a matching rule exist|No chain\/target\/match|does not exist|No such file/i.test(
      out.stderr,
    );
}

function iptablesFor(cidr: string): { cmd: string; multicast: string } {
  return parseCidr(cidr)?.family === 6
    ? { cmd: "ip6tables", multicast: "ff00::/8" }
    : { cmd: "iptables", multicast: "224.0.0.0/4" };
}

async function iptables(cmd: string, args: string[]) {
  return await runTool(cmd, ["--wait", ...args]);
}

async function appendUnique(cmd: string, chain: string, rule: string[]): Promise<void> {
  const check = await iptables(cmd, ["-t", "nat", "-C", chain, ...rule]);
  if (check.code === 0) return;
  const out = await iptables(cmd, ["-t", "nat", "-A", chain, ...rule]);
  if (out.code !== 0) {
    throw new ToolError([cmd, "--wait", "-t", "nat", "-A", chain, ...rule], out.code, out.stderr);
  }
}

/** Chains of the nat table per tool, listed once per process when needed. */
async function natChains(cmd: string): Promise<Set<string>> {
  const text = await runToolOk(cmd, ["--wait", "-t", "nat", "-S"]);
  const chains = new Set<string>();
  for (const line of text.split("\n")) {
    const m = /^-[NP] (\S+)/.exec(line);
    if (m) chains.add(m[1]!);
  }
  return chains;
}

async function setupIptables(cidrs: readonly string[], network: string, cid: string) {
  const chain = ipMasqChainName(network, cid);
  const comment = ipMasqComment(network, cid);
  for (const cidr of cidrs) {
    const { cmd, multicast } = iptablesFor(cidr);
    const parsed = parseCidr(cidr)!;
    let chains: Set<string>;
    try {
      chains = await natChains(cmd);
    } catch (err) {
      throw new Error(`failed to list chains: ${(err as Error).message}`, { cause: err });
    }
    if (!chains.has(chain)) {
      const out = await iptables(cmd, ["-t", "nat", "-N", chain]);
      if (out.code !== 0 && !/already exists/i.test(out.stderr)) {
        throw new ToolError([cmd, "--wait", "-t", "nat", "-N", chain], out.code, out.stderr);
      }
    }
    const c = ["-m", "comment", "--comment", comment];
    await appendUnique(cmd, chain, ["-d", cidr, "-j", "ACCEPT", ...c]);
    await appendUnique(cmd, chain, ["!", "-d", multicast, "-j", "MASQUERADE", ...c]);
    await appendUnique(cmd, "POSTROUTING", ["-s", formatIp(parsed), "-j", chain, ...c]);
  }
}

async function teardownIptables(cidrs: readonly string[], network: string, cid: string) {
  const chain = ipMasqChainName(network, cid);
  const comment = ipMasqComment(network, cid);
  const c = ["-m", "comment", "--comment", comment];
  const errors: string[] = [];
  const run = async (cmd: string, args: string[]) => {
    const out = await iptables(cmd, args);
    if (out.code !== 0 && !isNotExist(out)) {
      errors.push(new ToolError([cmd, "--wait", ...args], out.code, out.stderr).message);
    }
  };
  const tools = new Set<string>();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (!parsed) continue;
    const { cmd } = iptablesFor(cidr);
    tools.add(cmd);
    await run(cmd, ["-t", "nat", "-D", "POSTROUTING", "-s", formatIp(parsed), "-j", chain, ...c]);
    await run(cmd, ["-t", "nat", "-D", "POSTROUTING", "-s", cidr, "-j", chain, ...c]);
  }
  for (const cmd of tools) {
    await run(cmd, ["-t", "nat", "-F", chain]);
    await run(cmd, ["-t", "nat", "-X", chain]);
  }
  if (errors.length > 0) throw new Error(errors.join("; "));
}

/** One rule of `masq_checks` as `nft -j` lists it. */
interface NftRule {
  handle: number;
  comment?: string;
}

async function nftMasqRules(prefix: string): Promise<NftRule[]> {
  const out = await runTool("nft", ["-j", "list", "chain", "inet", NFT_MASQ_TABLE, NFT_MASQ_CHAIN]);
  if (out.code !== 0) {
    if (/No such file or directory|does not exist/i.test(out.stderr)) return [];
    throw new ToolError(
      ["nft", "-j", "list", "chain", "inet", NFT_MASQ_TABLE, NFT_MASQ_CHAIN],
      out.code,
      out.stderr,
    );
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

async function setupNft(cidrs: readonly string[], network: string, ifName: string, cid: string) {
  const stale = await nftMasqRules(nftInstanceHash(network, ifName, cid));
  const script = nftMasqSetupScript(
    cidrs,
    nftInstanceComment(network, ifName, cid),
    stale.map((r) => r.handle),
  );
  await runToolOk("nft", ["-f", "-"], { stdin: script });
}

async function deleteNftRules(rules: readonly NftRule[]): Promise<void> {
  if (rules.length === 0) return;
  const script =
    rules.map((r) => `delete rule inet ${NFT_MASQ_TABLE} ${NFT_MASQ_CHAIN} handle ${r.handle}`)
      .join("\n") + "\n";
  await runToolOk("nft", ["-f", "-"], { stdin: script });
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
 * @param backend Configured backend (`undefined`: automatic).
 * @param cidrs Container addresses with prefix, as in the result (`10.22.0.5/16`).
 * @param ids Network name, container interface name and container ID.
 * @returns When the rules are in place.
 * @throws {ToolError} When a tool fails.
 */
export async function setupIPMasq(
  backend: IPMasqBackend | undefined,
  cidrs: readonly string[],
  ids: { network: string; ifName: string; containerId: string },
): Promise<void> {
  const which = await resolveIPMasqBackend(backend);
  if (which === "iptables") await setupIptables(cidrs, ids.network, ids.containerId);
  else await setupNft(cidrs, ids.network, ids.ifName, ids.containerId);
}

/**
 * Removes an attachment's masquerade with both backends (`TeardownIPMasqForNetworks`).
 * Missing rules are fine; errors of a backend the host does not support are ignored.
 *
 * @param cidrs Container addresses with prefix (needed by iptables only).
 * @param ids Network name, container interface name and container ID.
 * @returns When done.
 * @throws {Error} The supported backends' errors, joined.
 */
export async function teardownIPMasq(
  cidrs: readonly string[],
  ids: { network: string; ifName: string; containerId: string },
): Promise<void> {
  const errors: string[] = [];
  try {
    await teardownIptables(cidrs, ids.network, ids.containerId);
  } catch (err) {
    if (await supportsIptables()) errors.push((err as Error).message);
  }
  try {
    await deleteNftRules(
      await nftMasqRules(nftInstanceHash(ids.network, ids.ifName, ids.containerId)),
    );
  } catch (err) {
    if (await supportsNftables()) errors.push((err as Error).message);
  }
  if (errors.length > 0) throw new Error(errors.join("; "));
}

const IPT_JUMP_REGEXP =
  /^-A POSTROUTING -s (\S+) -m comment --comment "name: \\"(.*?)\\" id: \\"(.*?)\\"" -j (CNI-[0-9a-f]{24})$/;

/**
 * Removes masquerade rules of a network whose attachments are not in `valid` (GC). For nft
 * the comment names the attachment; for iptables the POSTROUTING jump's comment names the
 * container, and its chain is removed when no valid attachment has that container ID.
 *
 * @param network Network name.
 * @param valid The valid attachments (`cni.dev/valid-attachments`).
 * @returns When done.
 * @throws {Error} Tool failures of supported backends, joined.
 */
export async function gcIPMasq(
  network: string,
  valid: readonly { containerID: string; ifname: string }[],
): Promise<void> {
  const errors: string[] = [];
  if (await supportsNftables()) {
    try {
      const keep = new Set(valid.map((a) => nftInstanceComment(network, a.ifname, a.containerID)));
      const rules = await nftMasqRules(nftNetworkHash(network) + "-");
      await deleteNftRules(rules.filter((r) => !keep.has(r.comment ?? "")));
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (await supportsIptables()) {
    const keepIds = new Set(valid.map((a) => a.containerID));
    for (const cmd of ["iptables", "ip6tables"]) {
      try {
        const out = await runToolOk(cmd, ["--wait", "-t", "nat", "-S", "POSTROUTING"]);
        const stale = new Map<string, string[]>();
        for (const line of out.split("\n")) {
          const m = IPT_JUMP_REGEXP.exec(line.trim());
          if (!m || m[2] !== network || keepIds.has(m[3]!)) continue;
          if (m[4] !== ipMasqChainName(network, m[3]!)) continue;
          const list = stale.get(m[3]!) ?? [];
          list.push(m[1]!);
          stale.set(m[3]!, list);
        }
        for (const [cid, sources] of stale) {
          await teardownIptables(
            sources.map((s) => (s.includes("/") ? s : `${s}/32`)),
            network,
            cid,
          );
        }
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  }
  if (errors.length > 0) throw new Error(errors.join("; "));
}
