/**
 * The bandwidth plugin: a chained plugin that limits a veth attachment's traffic into and out
 * of the container with `tbf` qdiscs (egress through an ifb device), as the reference
 * `plugins/meta/bandwidth` does, with the same kernel objects and error texts.
 *
 * @example A chain entry limiting both directions to 1 Mbit/s
 * ```json
 * { "type": "bandwidth", "ingressRate": 1000000, "ingressBurst": 200000,
 *   "egressRate": 1000000, "egressBurst": 200000 }
 * ```
 *
 * @example In-process ADD after the bridge plugin
 * ```ts ignore
 * import { plugin } from "./mod.ts";
 * const result = await plugin.add(args, ctx); // args.config.prevResult: the bridge's result
 * ```
 *
 * @module
 */
export { plugin } from "./commands.ts";
export { ifbDeviceName, isZero, loadBandwidthConf } from "./config.ts";
export type { BandwidthConf, BandwidthEntry } from "./config.ts";
export { LATENCY_MS, tbfParams } from "./tbf_params.ts";
export type { TbfParams } from "./tbf_params.ts";
