/**
 * The bridge plugin's DEL: best effort and idempotent, and beyond the reference it removes the
 * masquerade rules without the namespace (from the `prevResult`, or by the rule comments).
 *
 * @module
 */
import { CniError, ErrorCode, errorText, toCniError } from "../../cni/errors.ts";
import type { CmdArgs, PluginContext } from "../../cni/plugin.ts";
import type { Result } from "../../cni/types.ts";
import { toCurrentResult } from "../../cni/results/mod.ts";
import { addrList, linkDelBackground, linkFind, openNetlink } from "../../netlink/mod.ts";
import { isGlobalUnicast, parseCidr, parseIp } from "../../ip/mod.ts";
import { openNetnsIfPresent } from "../_iface/sockets.ts";
import { loadBridgeConf } from "./config.ts";
import { teardownIPMasq } from "./ipmasq.ts";
import { teardownSpoofCheck } from "./spoofcheck.ts";

/**
 * Container addresses from the prevResult, for teardown without the netns; none when there is
 * no prevResult or it does not parse (DEL goes on without it).
 */
function prevResultCidrs(args: CmdArgs): string[] {
  let prev: Result;
  try {
    const raw = args.config.prevResult;
    if (!raw) return [];
    prev = toCurrentResult(raw);
  } catch {
    return [];
  }
  return (prev.ips ?? []).map((ip) => ip.address).filter((a) => parseCidr(a) !== undefined);
}

/**
 * DEL: best effort and idempotent. The container's link goes (with its addresses noted first),
 * the masquerade rules (by those addresses, the `prevResult`'s, or the comments naming the
 * network and container) and the spoof-check rules go in parallel, and the IPAM lease is
 * released; the errors are reported together at the end.
 *
 * @param args The call's arguments.
 * @param ctx The IPAM delegate.
 * @returns When done.
 * @throws {CniError} Code 999 with every step's error joined by `; `.
 */
export async function cmdDel(args: CmdArgs, ctx: PluginContext): Promise<void> {
  // Best effort (beyond the reference, which fails on a config it cannot fully load): what
  // does not validate reads as not given, and everything else is still removed.
  const conf = loadBridgeConf(args.config, args.args, { lenient: true });
  const isL3 = conf.ipamType !== "";
  const errors: string[] = [];
  let cidrs: string[] = [];
  // The firewall teardown runs other programs (iptables-restore, nft) that spend most of their
  // time waiting for the kernel: start it as soon as the addresses are known and let it overlap
  // the link and IPAM work.
  const firewall: Promise<void>[] = [];
  if (conf.macSpoofChk) {
    firewall.push(
      teardownSpoofCheck(args.containerId, args.ifName).catch((err) => ctx.log(errorText(err))),
    );
  }
  let masqStarted = false;
  const startMasqTeardown = () => {
    if (!isL3 || !conf.ipMasq || masqStarted) return;
    masqStarted = true;
    // Beyond the reference (plugins#810): without the link, use the cached/prev result; with
    // neither, the rules are found by the network name and container ID in their comments.
    if (cidrs.length === 0) cidrs = prevResultCidrs(args);
    firewall.push(
      teardownIPMasq(
        cidrs,
        { network: conf.name, ifName: args.ifName, containerId: args.containerId },
        { backend: conf.ipMasqBackend },
      ).catch((err) => {
        errors.push(errorText(err));
      }),
    );
  };
  // The link delete waits on the kernel (about 1 ms until the link is unlisted) with the
  // JavaScript thread free: the lease is released meanwhile (the reference releases it first).
  let linkError: string | undefined;
  const linkGone = args.netns === "" ? undefined : deleteContainerLink(args, (found) => {
    cidrs = found;
    startMasqTeardown();
  }).catch((err) => {
    linkError = errorText(err); // reported at the end; the lease and the rules still go
  });
  startMasqTeardown();
  let ipamError: string | undefined;
  if (isL3) {
    try {
      await ctx.delegate.del(conf.ipamType, args.stdinData, args);
    } catch (err) {
      ipamError = errorText(err);
    }
  }
  await linkGone;
  await Promise.all(firewall);
  // Reported in the order of the steps: link, lease, then the firewall's.
  const all = [linkError, ipamError, ...errors].filter((e) => e !== undefined);
  if (all.length > 0) throw new CniError(ErrorCode.Internal, all.join("; "));
}

/**
 * Deletes the container's interface (and so its veth peer), telling `onAddresses` its global
 * unicast addresses first. A namespace that is gone, or a path that is not a namespace, has
 * nothing to delete.
 */
async function deleteContainerLink(
  args: CmdArgs,
  onAddresses: (cidrs: string[]) => void,
): Promise<void> {
  // Gone, or not a namespace at all (a regular file, another kind of namespace): nothing of
  // ours can be in it. A path that exists but cannot be opened is reported.
  const ns = openNetnsIfPresent(args.netns);
  if (!ns) return;
  try {
    using sock = openNetlink({ netns: ns });
    const link = linkFind(sock, { name: args.ifName });
    if (!link) return;
    onAddresses(
      addrList(sock, { link: { index: link.index } })
        .filter((a) => {
          const ip = parseIp(a.ip);
          return ip !== undefined && isGlobalUnicast(ip);
        })
        .map((a) => a.address),
    );
    try {
      // Returns once the veth pair is gone; the kernel's last cleanup of it goes on in the
      // background (pendingKernelWork() waits for it).
      await linkDelBackground(sock, { index: link.index });
    } catch (err) {
      throw toCniError(err, `failed to delete "${args.ifName}"`);
    }
  } finally {
    ns.close();
  }
}
