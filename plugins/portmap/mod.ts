/**
 * The `portmap` plugin (reference `plugins/meta/portmap`): a chained plugin that forwards
 * host ports to the container from the `portMappings` capability, with the iptables backend
 * (`CNI-HOSTPORT-DNAT`, `CNI-DN-<hash>`, `CNI-HOSTPORT-SETMARK`, `CNI-HOSTPORT-MASQ`) or the
 * nftables one (`ip`/`ip6` table `cni_hostport`), hairpin and localhost masquerade, and UDP
 * conntrack cleanup. See `commands.ts` for where it goes beyond the reference.
 *
 * @example In-process ADD after bridge
 * ```ts ignore
 * import { plugin } from "./mod.ts";
 * const config = {
 *   cniVersion: "1.0.0", name: "mynet", type: "portmap",
 *   runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] },
 *   prevResult: bridgeResult,
 * };
 * const result = await plugin.add(args, ctx); // prevResult, unchanged
 * ```
 *
 * @module
 */
export { plugin } from "./commands.ts";
export { containerIps, DEFAULT_MARK_BIT, loadPortmapConf } from "./config.ts";
export type { ContainerIps, PortmapBackend, PortmapConf, PortMapping } from "./config.ts";
export { dnatComment, dnChainName, entryRules, markText, portmapRules } from "./iptables.ts";
export type { PortmapRules } from "./iptables.ts";
export { NFT_TABLE, nftSetupLines } from "./nftables.ts";
