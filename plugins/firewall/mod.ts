/**
 * The `firewall` plugin (reference `plugins/meta/firewall`): a chained plugin that lets a
 * container's traffic through the host's forward path and isolates bridges
 * (`ingressPolicy`), with the iptables backend (`CNI-FORWARD`, `CNI-ADMIN`,
 * `CNI-ISOLATION-STAGE-1/2`) or an nftables one (`inet cni_firewall`). `backend: "firewalld"`
 * is refused with an explanation. See `commands.ts` for where it goes beyond the reference.
 *
 * @example In-process ADD after bridge
 * ```ts ignore
 * import { plugin } from "./mod.ts";
 * const config = {
 *   cniVersion: "1.0.0", name: "mynet", type: "firewall", ingressPolicy: "same-bridge",
 *   prevResult: bridgeResult,
 * };
 * const result = await plugin.add(args, ctx); // prevResult, unchanged
 * ```
 *
 * @module
 */
export { firewalldUnsupported, plugin } from "./commands.ts";
export { bridgeOf, DEFAULT_ADMIN_CHAIN, loadFirewallConf, resultIps } from "./config.ts";
export type { FamilyIps, FirewallBackend, FirewallConf, IngressPolicy } from "./config.ts";
export {
  addressRules,
  adminJump,
  firewallRules,
  FORWARD_CHAIN,
  isolationRules,
  OWNER_PREFIX,
  STAGE_1,
  STAGE_2,
} from "./iptables.ts";
export type { FirewallRules, PlacedRule } from "./iptables.ts";
export { NFT_TABLE, nftSetupLines } from "./nftables.ts";
