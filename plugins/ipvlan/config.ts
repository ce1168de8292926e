/**
 * ipvlan configuration (reference `plugins/main/ipvlan`): `master` (default: the device of the
 * default route; in a chain with no `master`, the previous result's single named interface),
 * `mode` (`l2` by default, `l3`, `l3s`), `mtu` (not checked against the master, as the
 * reference), `linkInContainer`, `ipam` and `dns`. There is no MAC option: an ipvlan shares its
 * master's MAC.
 *
 * Addresses come from IPAM, or, in a chain with an empty `ipam.type`, from the previous
 * result's `ips` (with its routes). Without either there is nothing to configure and the
 * IPAM call fails (`no plugin name provided`), as in the reference. Errors keep the
 * reference's code (999).
 *
 * @module
 */
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import type { DNS, NetConf, Result } from "../../cni/types.ts";
import { toCurrentResult } from "../../cni/results/mod.ts";
import type { IpvlanMode } from "../../netlink/mod.ts";
import { ifaceConf, ifaceShape, parseIfaceConf } from "../_iface/config.ts";

/** The validated ipvlan configuration. */
export interface IpvlanConf {
  /** `master`; empty means the default route's device, found at run time. */
  master: string;
  /** The mode. */
  mode: IpvlanMode;
  /** MTU; 0 leaves the kernel's. */
  mtu: number;
  /** The master lives in the container namespace. */
  linkInContainer: boolean;
  /** The IPAM type; empty means the previous result's addresses (chained) or none. */
  ipamType: string;
  /** The netconf `dns` (what the result carries). */
  dns: DNS;
  /** The previous result in the current shape, when chained. */
  prevResult?: Result;
}

const MODES: Readonly<Record<string, IpvlanMode>> = { "": "l2", l2: "l2", l3: "l3", l3s: "l3s" };

/** The keys ipvlan reads (built on first use, never at import). */
const ipvlanSchema = lazy(() =>
  z.looseObject({ ...ifaceShape(), mode: z.optional(z.nullable(z.string())) })
);

/**
 * The mode for a configured `mode` string.
 *
 * @param mode The configured text (empty: the default).
 * @returns The mode.
 * @throws {CniError} Code 999 `unknown ipvlan mode: "<mode>"`.
 */
export function ipvlanMode(mode: string): IpvlanMode {
  const m = Object.hasOwn(MODES, mode) ? MODES[mode] : undefined;
  if (!m) throw new CniError(ErrorCode.Internal, `unknown ipvlan mode: ${JSON.stringify(mode)}`);
  return m;
}

/**
 * Loads the ipvlan configuration. A chained call without `master` takes the previous result's
 * single named interface as the master.
 *
 * @example Chained after a plugin that made one interface
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadIpvlanConf } from "./config.ts";
 * const conf = loadIpvlanConf({
 *   cniVersion: "1.0.0", name: "n", type: "ipvlan", mode: "l3",
 *   prevResult: { cniVersion: "1.0.0", interfaces: [{ name: "ens5" }] },
 * });
 * assert.deepEqual([conf.master, conf.mode], ["ens5", "l3"]);
 * ```
 *
 * @param config The netconf (skel has already converted `prevResult` to the current shape).
 * @param options `lenient`: for DEL, drop what does not validate instead of failing.
 * @returns The configuration.
 * @throws {CniError} Code 999 naming a bad field, an unknown mode, or `chained master failure.
 *   PrevResult lacks a single named interface`.
 */
export function loadIpvlanConf(config: NetConf, options: { lenient?: boolean } = {}): IpvlanConf {
  const lenient = options.lenient ?? false;
  const c = parseIfaceConf(ipvlanSchema(), config, lenient);
  let mode: IpvlanMode = "l2";
  try {
    mode = ipvlanMode(c.mode ?? "");
  } catch (err) {
    if (!lenient) throw err;
  }
  const out: IpvlanConf = { ...ifaceConf(c), mode };
  if (config.prevResult) {
    try {
      out.prevResult = toCurrentResult(config.prevResult);
    } catch (err) {
      if (!lenient) {
        throw new CniError(
          ErrorCode.Internal,
          `could not convert result to current version: ${errorText(err)}`,
          { cause: err },
        );
      }
    }
  }
  if (out.master === "" && out.prevResult && !lenient) {
    const ifs = out.prevResult.interfaces ?? [];
    if (ifs.length === 1 && ifs[0]!.name) out.master = ifs[0]!.name;
    else {
      throw new CniError(
        ErrorCode.Internal,
        "chained master failure. PrevResult lacks a single named interface",
      );
    }
  }
  return out;
}
