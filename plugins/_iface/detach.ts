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
import type { CmdArgs, PluginContext } from "../../cni/plugin.ts";
import { linkDelBackground, openNetlink } from "../../netlink/mod.ts";
import { type NetnsHandle, NetnsNotFoundError, NotNetnsError, openNetns } from "../../netns/mod.ts";
import { refuseOwnNetns } from "./sockets.ts";

/**
 * Deletes `CNI_IFNAME` in the container namespace, if both are there.
 *
 * @param args The call.
 * @returns When the link is gone.
 * @throws {CniError} Code 8 for the plugin's own namespace; code 999 when the namespace
 *   exists but cannot be opened, or the kernel refuses the deletion.
 */
export async function deleteContainerLink(args: CmdArgs): Promise<void> {
  if (args.netns === "") return;
  let ns: NetnsHandle;
  try {
    ns = openNetns(args.netns);
  } catch (err) {
    // Gone, or not a namespace at all: nothing of ours can be in it.
    if (err instanceof NetnsNotFoundError) return;
    if (err instanceof NotNetnsError && !err.message.includes("cannot open it")) return;
    throw new CniError(ErrorCode.Internal, errorText(err), { cause: err });
  }
  try {
    refuseOwnNetns(ns, args);
    using sock = openNetlink({ netns: ns });
    try {
      await linkDelBackground(sock, { name: args.ifName });
    } catch (err) {
      throw new CniError(
        ErrorCode.Internal,
        `failed to delete "${args.ifName}": ${errorText(err)}`,
        { cause: err },
      );
    }
  } finally {
    ns.close();
  }
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
  const errors: string[] = [];
  try {
    await deleteContainerLink(args);
  } catch (err) {
    if (err instanceof CniError && err.code === 8) throw err;
    errors.push(errorText(err));
  }
  if (ipamType !== "") {
    try {
      await ctx.delegate.del(ipamType, args.stdinData, args);
    } catch (err) {
      errors.push(errorText(err));
    }
  }
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}
