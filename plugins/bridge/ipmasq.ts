/**
 * Masquerade for container addresses (bridge and ptp `ipMasq`), as the reference
 * `pkg/ip/ipmasq_*` does it: the same chains, tables, rule texts and comments, so rules made
 * by the reference plugin and by this one are interchangeable. This file picks the backend and
 * runs the operations; the backends are `ipmasq_iptables.ts` and `ipmasq_nft.ts`, both built
 * on `firewall/` (transactions, owner comments, chain names, usability probes).
 *
 * - iptables: a `nat` chain `CNI-<24 hex of sha512(net+id)>` with an ACCEPT for the
 *   container subnet and a MASQUERADE for non-multicast, and a POSTROUTING jump per address.
 * - nftables: table `inet cni_plugins_masquerade`, chains `masq_checks` and `postrouting`,
 *   one rule per address commented `<h16(net)>-<h16(if:id)>, net: ..., if: ..., id: ...`.
 *
 * @example Masquerade an attachment, then remove it
 * ```ts ignore
 * import { setupIPMasq, teardownIPMasq } from "./ipmasq.ts";
 * const ids = { network: "mynet", ifName: "eth0", containerId: "abc123" };
 * await setupIPMasq(undefined, ["10.22.0.5/16"], ids);
 * await teardownIPMasq(["10.22.0.5/16"], ids);
 * ```
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import { runTool, type ToolRunner } from "../../firewall/exec.ts";
import {
  type FirewallBackend,
  iptablesUsable,
  nftUsable,
  withBackend,
} from "../../firewall/support.ts";
import { gcIptablesMasq, setupIptablesMasq, teardownIptablesMasq } from "./ipmasq_iptables.ts";
import { gcNftMasq, type NftMasqIds, setupNftMasq, teardownNftMasq } from "./ipmasq_nft.ts";

export { ipMasqChainName, ipMasqComment } from "./ipmasq_iptables.ts";
export {
  NFT_MASQ_CHAIN,
  NFT_MASQ_TABLE,
  nftInstanceComment,
  nftInstanceHash,
  nftNetworkHash,
} from "./ipmasq_nft.ts";

/** A masquerade backend name. */
export type IPMasqBackend = FirewallBackend;

/** The attachment masqueraded: network name, container interface name, container ID. */
export type IPMasqIds = NftMasqIds;

/** Options of the masquerade operations. */
export interface IPMasqOptions {
  /** Runs each tool process (default: {@linkcode runTool}); tests wrap it to count or redirect. */
  run?: ToolRunner;
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
  ids: IPMasqIds,
  options: IPMasqOptions = {},
): Promise<void> {
  const run = options.run ?? runTool;
  await withBackend(
    backend,
    (chosen) =>
      chosen === "nftables"
        ? setupNftMasq(cidrs, ids, run)
        : setupIptablesMasq(cidrs, { network: ids.network, containerId: ids.containerId }, run),
  );
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
  ids: IPMasqIds,
  options: IPMasqOptions & { backend?: IPMasqBackend | undefined } = {},
): Promise<void> {
  const run = options.run ?? runTool;
  const owner = { network: ids.network, containerId: ids.containerId };
  const [ipt, nft] = await Promise.allSettled([
    teardownIptablesMasq(cidrs, owner, { run, optimistic: options.backend !== "nftables" }),
    teardownNftMasq(ids, run),
  ]);
  const errors: string[] = [];
  if (ipt.status === "rejected" && (await iptablesUsable())) errors.push(errorText(ipt.reason));
  if (nft.status === "rejected" && (await nftUsable())) errors.push(errorText(nft.reason));
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
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
  if (await nftUsable()) {
    try {
      await gcNftMasq(network, valid, run);
    } catch (err) {
      errors.push(errorText(err));
    }
  }
  if (await iptablesUsable()) {
    errors.push(...await gcIptablesMasq(network, new Set(valid.map((a) => a.containerID)), run));
  }
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}
