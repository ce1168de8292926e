/**
 * The one place that talks to the firewall: the system `iptables` / `ip6tables` (through
 * `iptables-restore --noflush` transactions) and `nft` (through `nft -f -` / `nft -j -f -`
 * transactions), rule comments naming their owner (network and container) so rules are found
 * and garbage-collected by owner, and the reference's usability probes.
 *
 * The rule for every user: one transaction per address family per ADD or DEL, written for the
 * usual state and asserting it (`-C`, `-N` lines); only when the kernel refuses it (then
 * nothing was applied) is the table read and the difference applied.
 *
 * Layer: `plugins -> firewall -> cni`.
 *
 * @example Ensure a chain and its jump in one transaction
 * ```ts ignore
 * import { converge, restoreLine } from "./mod.ts";
 * await converge("iptables", "filter", (snap) => [
 *   ...(snap?.chains.has("CNI-FORWARD") ? [] : [restoreLine("-N", "CNI-FORWARD")]),
 * ]);
 * ```
 *
 * @module
 */
export { runTool, ToolError, toolErrorDetail } from "./exec.ts";
export type { ToolOutput, ToolRunner } from "./exec.ts";
export {
  converge,
  findMissingRule,
  hasRule,
  parseListing,
  quoteRestoreToken,
  readTable,
  RestoreError,
  restoreLine,
  restoreScript,
  restoreTable,
  ruleComment,
  ruleKey,
  rulesTargeting,
  ruleTokens,
  splitRuleLine,
} from "./iptables.ts";
export type {
  ChainRule,
  IptablesCmd,
  IptablesOptions,
  IptablesTable,
  RuleSpec,
  TableSnapshot,
} from "./iptables.ts";
export {
  isNftMissing,
  nftApply,
  nftApplyJson,
  nftComment,
  nftDeleteLines,
  nftListRules,
  nftListTable,
  nftOwnedElementLines,
  parseNftRules,
  parseNftTable,
} from "./nft.ts";
export type { NftElement, NftOptions, NftRule, NftSet, NftTable } from "./nft.ts";
export {
  IPTABLES_MAX_COMMENT,
  isStaleOwner,
  NFT_MAX_COMMENT,
  nftOwnerComment,
  ownerComment,
  parseNftOwnerComment,
  parseOwnerComment,
  quotedOwnerComment,
  staleOwnerTest,
} from "./owner.ts";
export type { Owner } from "./owner.ts";
export { hasControlCharacter, isChainName, MAX_CHAIN_NAME, ownerChainName } from "./chain_name.ts";
export { defaultBackend, iptablesUsable, nftUsable, withBackend } from "./support.ts";
export type { FirewallBackend } from "./support.ts";
