/**
 * STATUS of the plugins that depend only on their IPAM plugin (macvlan, ipvlan, vlan, dummy,
 * ptp, host-device): the IPAM plugin's STATUS, with each plugin's rule for an empty IPAM type.
 *
 * @module
 */
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { CmdArgs, PluginContext } from "../../cni/plugin.ts";

/**
 * What an empty IPAM type means: `ready` (L2 or chained: nothing to ask), `fail` (code 999
 * `no plugin name provided`, as the reference's vlan), or `ask` (delegated anyway, which fails
 * the same way, as the newest reference's ptp and dummy).
 */
export type EmptyIpamStatus = "ready" | "fail" | "ask";

/**
 * Asks the IPAM plugin for its STATUS.
 *
 * @param args The call.
 * @param ctx The delegate.
 * @param ipamType The IPAM plugin type (may be empty).
 * @param empty What an empty type means.
 * @returns When ready.
 * @throws {CniError} The IPAM plugin's answer; code 999 `no plugin name provided`.
 */
export async function ipamStatus(
  args: CmdArgs,
  ctx: PluginContext,
  ipamType: string,
  empty: EmptyIpamStatus,
): Promise<void> {
  if (ipamType === "" && empty === "ready") return;
  if (ipamType === "" && empty === "fail") {
    throw new CniError(ErrorCode.Internal, "no plugin name provided");
  }
  if (ctx.delegate.status) await ctx.delegate.status(ipamType, args.stdinData, args);
}
