/**
 * The DEL of the interface plugins (macvlan, ipvlan, vlan, dummy): delete `CNI_IFNAME` in the
 * container namespace and release the addresses, best effort and idempotent. A missing link,
 * a namespace that is gone or an empty `CNI_NETNS` are no error; a failed step does not stop
 * the others, and every failure is reported at the end.
 *
 * Beyond the reference: the master is never needed (the reference's vlan and ipvlan DEL fail
 * when it is gone, and then never release the addresses), the link goes even when IPAM DEL
 * fails, and the plugin's own namespace is refused instead of losing a host interface.
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import { type BestEffortStep, runBestEffort } from "../../cni/best_effort.ts";
import type { CmdArgs, PluginContext } from "../../cni/plugin.ts";
import { linkDelBackground } from "../../netlink/mod.ts";
import { openDelSocket } from "./sockets.ts";

/**
 * Deletes `CNI_IFNAME` in the container namespace, if both are there.
 *
 * @param args The call.
 * @returns When the link is gone.
 * @throws {CniError} Code 8 for the plugin's own namespace; code 999 when the namespace
 *   exists but cannot be opened, or the kernel refuses the deletion.
 */
export async function deleteContainerLink(args: CmdArgs): Promise<void> {
  // Gone, or not a namespace at all: nothing of ours can be in it.
  using del = openDelSocket(args);
  if (!del) return;
  try {
    await linkDelBackground(del.sock, { name: args.ifName });
  } catch (err) {
    throw new CniError(
      ErrorCode.Internal,
      `failed to delete "${args.ifName}": ${errorText(err)}`,
      { cause: err },
    );
  }
}

/**
 * The DEL step that releases the addresses: a delegated DEL, nothing without an IPAM type.
 *
 * @param ctx The delegate.
 * @param ipamType The IPAM plugin type (may be empty).
 * @param args The call.
 * @returns The step.
 */
export function ipamDel(ctx: PluginContext, ipamType: string, args: CmdArgs): BestEffortStep {
  return async () => {
    if (ipamType !== "") await ctx.delegate.del(ipamType, args.stdinData, args);
  };
}

/**
 * Runs an interface plugin's DEL.
 *
 * @param args The call.
 * @param ctx The delegate for IPAM.
 * @param ipamType The IPAM plugin to release from (empty: none).
 * @returns When done.
 * @throws {CniError} Code 8 for the plugin's own namespace (nothing done); otherwise code 999
 *   with every failure joined by `; `, after all steps ran.
 */
export async function detach(
  args: CmdArgs,
  ctx: PluginContext,
  ipamType: string,
): Promise<void> {
  await runBestEffort(
    [() => deleteContainerLink(args), ipamDel(ctx, ipamType, args)],
    (err) => err instanceof CniError && err.code === ErrorCode.InvalidNetNs,
  );
}
