/**
 * The bandwidth plugin's verbs (reference `plugins/meta/bandwidth`), a chained plugin that
 * limits a veth attachment's traffic with `tbf` qdiscs:
 *
 * - ADD needs `prevResult` and prints it back, with the ifb device added when egress is
 *   limited. Ingress (toward the container): a `tbf` on the host veth. Egress (from the
 *   container): an ifb device `bwp<hash>`, the host veth's ingress traffic redirected to it, a
 *   `tbf` on it. Nothing limited: `prevResult` unchanged, nothing touched.
 * - CHECK finds the host veth again and compares the `tbf` qdiscs with the config.
 * - DEL removes the ifb device (the host veth's qdiscs go with the veth); it needs neither
 *   `prevResult` nor the namespace, and a missing device is success.
 * - STATUS: success (the reference has no handler). No GC: the ifb name is a hash of network
 *   and container ID, so a device cannot be tied to its network to tell whether it is stale.
 *
 * `unshapedSubnets` / `shapedSubnets` are not implemented: they existed only in reference
 * v1.5.0-v1.5.1 (HTB with per-subnet u32 filters) and were reverted in v1.6.0; like the
 * reference at 1.1.1 and HEAD, the keys are ignored.
 *
 * Beyond the reference: a failed ADD removes what it made; ADD without `prevResult` and with
 * nothing to limit fails cleanly (1.1.1 crashes); CHECK needs the `tbf` to be there and checks
 * the redirect to the ifb; the netns error names the path; DEL removes only an ifb device.
 *
 * @module
 */
import { openContainerNs } from "../_iface/sockets.ts";
import { CniError, ErrorCode, errorText, toCniError } from "../../cni/errors.ts";
import type { CmdArgs, PluginContext, PluginFns } from "../../cni/plugin.ts";
import { CURRENT_VERSION, type Result } from "../../cni/types.ts";
import { toCurrentResult } from "../../cni/results/mod.ts";
import {
  linkDelBackground,
  linkFind,
  LinkNotFoundError,
  type NetlinkSocket,
  openNetlink,
} from "../../netlink/mod.ts";
import { type BandwidthConf, ifbDeviceName, isZero, loadBandwidthConf } from "./config.ts";
import {
  addEgressLimit,
  addIngressLimit,
  checkRedirect,
  checkTbf,
  findHostVeth,
  kernelPsched,
  stepError,
  type Undo,
} from "./shaping.ts";
import { tbfParams } from "./tbf_params.ts";
import { builtinAbout } from "../about.ts";

/**
 * `prevResult` in the current shape: skel hands it over converted; a caller building `CmdArgs`
 * itself may pass it in the config's version.
 */
function prevResultOf(args: CmdArgs): Result | undefined {
  const prev = args.config.prevResult as unknown;
  if (prev === undefined || prev === null) return undefined;
  if (typeof prev !== "object" || Array.isArray(prev)) {
    throw new CniError(ErrorCode.DecodingFailure, "could not parse prevResult", {
      details: "expected a JSON object",
    });
  }
  const p = prev as Record<string, unknown>;
  if (p.cniVersion === CURRENT_VERSION) return p as unknown as Result;
  try {
    return toCurrentResult(p.cniVersion ? p : { ...p, cniVersion: args.config.cniVersion });
  } catch (err) {
    throw new CniError(ErrorCode.DecodingFailure, "could not parse prevResult", {
      details: errorText(err),
      cause: err,
    });
  }
}

function openHost(): NetlinkSocket {
  try {
    return openNetlink();
  } catch (err) {
    throw stepError("open netlink socket", err);
  }
}

function addSync(
  args: CmdArgs,
  conf: BandwidthConf,
  ifbName: string,
  ctx: PluginContext,
): Result {
  const prev = prevResultOf(args);
  if (!prev) throw new CniError(ErrorCode.Internal, "must be called as chained plugin");
  const bw = conf.bandwidth;
  if (!bw || isZero(bw)) return prev;
  const result: Result = { ...prev, interfaces: [...(prev.interfaces ?? [])] };
  using containerNs = openContainerNs(args.netns);
  using host = openHost();
  const hostVeth = findHostVeth(host, containerNs, {
    ifName: args.ifName,
    interfaces: result.interfaces!,
  });
  const undo: Undo[] = [];
  let done = false;
  try {
    if (bw.ingressRate > 0 && bw.ingressBurst > 0) {
      addIngressLimit(
        host,
        hostVeth,
        tbfParams(bw.ingressRate, bw.ingressBurst, kernelPsched()),
        undo,
      );
    }
    if (bw.egressRate > 0 && bw.egressBurst > 0) {
      const params = tbfParams(bw.egressRate, bw.egressBurst, kernelPsched());
      result.interfaces!.push(addEgressLimit(host, hostVeth, { ifbName, params }, undo));
    }
    done = true;
    return result;
  } finally {
    if (!done) {
      for (const step of undo.reverse()) {
        try {
          step();
        } catch (err) {
          ctx.log(`rollback: ${errorText(err)}`);
        }
      }
    }
  }
}

function checkSync(args: CmdArgs, conf: BandwidthConf, ifbName: string): void {
  const prev = prevResultOf(args);
  if (!prev) throw new CniError(ErrorCode.Internal, "must be called as a chained plugin");
  using containerNs = openContainerNs(args.netns);
  using host = openHost();
  const hostVeth = findHostVeth(host, containerNs, {
    ifName: args.ifName,
    interfaces: prev.interfaces ?? [],
  });
  const bw = conf.bandwidth;
  if (!bw) return;
  if (bw.ingressRate > 0 && bw.ingressBurst > 0) {
    checkTbf(host, hostVeth.index, tbfParams(bw.ingressRate, bw.ingressBurst, kernelPsched()));
  }
  if (bw.egressRate > 0 && bw.egressBurst > 0) {
    const params = tbfParams(bw.egressRate, bw.egressBurst, kernelPsched());
    let ifb;
    try {
      ifb = linkFind(host, { name: ifbName });
    } catch (err) {
      throw stepError("get ifb device", err);
    }
    if (!ifb) throw new CniError(ErrorCode.Internal, "get ifb device: Link not found");
    checkTbf(host, ifb.index, params);
    checkRedirect(host, hostVeth, ifb);
  }
}

async function delIfb(network: string, containerId: string): Promise<void> {
  const name = await ifbDeviceName(network, containerId);
  using host = openHost();
  let link;
  try {
    link = linkFind(host, { name });
  } catch (err) {
    throw stepError(`failed to lookup "${name}"`, err);
  }
  // Only an ifb: a link of another kind that happens to carry the name is not ours.
  if (!link || link.kind !== "ifb") return;
  try {
    await linkDelBackground(host, { index: link.index });
  } catch (err) {
    if (err instanceof LinkNotFoundError) return;
    throw stepError(`failed to delete "${name}"`, err);
  }
}

// DEL is best effort: the ifb is named from the network name and container ID alone, so a
// config whose limits no longer validate still has its device removed (the reference fails).
function cmdDel(args: CmdArgs): Promise<void> {
  try {
    return delIfb(String(args.config.name), args.containerId).catch((err) => {
      throw toCniError(err);
    });
  } catch (err) {
    return Promise.reject(toCniError(err));
  }
}

/**
 * Runs synchronous work as a plugin verb (all of it on this thread, no await), given the
 * loaded config and, when there is an egress limit, the ifb device name (hashed first, the
 * only await).
 */
function verb<R>(
  fn: (args: CmdArgs, conf: BandwidthConf, ifbName: string, ctx: PluginContext) => R,
): (args: CmdArgs, ctx: PluginContext) => Promise<R> {
  return async (args, ctx) => {
    try {
      const conf = loadBandwidthConf(args.config);
      const bw = conf.bandwidth;
      const egress = bw !== undefined && bw.egressRate > 0 && bw.egressBurst > 0;
      const ifbName = egress ? await ifbDeviceName(conf.name, args.containerId) : "";
      return fn(args, conf, ifbName, ctx);
    } catch (err) {
      throw toCniError(err);
    }
  };
}

/** The bandwidth plugin's functions. */
export const plugin: PluginFns = {
  add: verb(addSync),
  check: verb(checkSync),
  del: cmdDel,
  status: () => Promise.resolve(),
  ...builtinAbout("bandwidth"),
};
