/**
 * macvlan configuration (reference `plugins/main/macvlan`): `master` (default: the device of
 * the default route), `mode` (`bridge` by default, `private`, `vepa`, `passthru`), `mtu` (0 to
 * the master's, checked once the master is known), `mac` with the `mac` capability
 * (`runtimeConfig.mac`) and `CNI_ARGS` `MAC=` (runtimeConfig beats CNI_ARGS beats `mac`),
 * `linkInContainer` (the master lives in the container namespace), `bcqueuelen` (the
 * broadcast queue length asked for), `ipam` (none or `{}`: L2 only) and `dns`.
 *
 * The kernel's `source` mode is not offered: it needs a list of source MACs no CNI key
 * carries, and the reference refuses it the same way. Errors keep the reference's code (999).
 *
 * @module
 */
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import { loadPluginArgs } from "../../cni/args.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { DNS, NetConf } from "../../cni/types.ts";
import type { MacvlanMode } from "../../netlink/mod.ts";
import { ifaceConf, ifaceShape, parseIfaceConf } from "../_iface/config.ts";
import { parseLinkMac } from "../_iface/mac.ts";

/** The validated macvlan configuration. */
export interface MacvlanConf {
  /** `master`; empty means the default route's device, found at run time. */
  master: string;
  /** The mode. */
  mode: Exclude<MacvlanMode, "source">;
  /** MTU; 0 leaves the kernel's (the master's). */
  mtu: number;
  /** The container interface's MAC (normalised), when one is given. */
  mac?: string;
  /** The master lives in the container namespace. */
  linkInContainer: boolean;
  /** `bcqueuelen`, when given. */
  bcQueueLen?: number;
  /** The IPAM type; empty means L2 only. */
  ipamType: string;
  /** The netconf `dns` (what the result carries). */
  dns: DNS;
}

const MODES: Readonly<Record<string, MacvlanConf["mode"]>> = {
  "": "bridge",
  bridge: "bridge",
  private: "private",
  vepa: "vepa",
  passthru: "passthru",
};

/** The keys macvlan reads (built on first use, never at import). */
const macvlanSchema = lazy(() => {
  const optString = z.optional(z.nullable(z.string()));
  return z.looseObject({
    ...ifaceShape(),
    mode: optString,
    mac: optString,
    bcqueuelen: z.optional(z.nullable(
      z.int().check(
        z.refine((n) => n >= 0 && n <= 0xffffffff, "must be between 0 and 4294967295"),
      ),
    )),
    runtimeConfig: z.optional(z.nullable(z.looseObject({ mac: optString }))),
  });
});

/**
 * The mode for a configured `mode` string.
 *
 * @param mode The configured text (empty: the default).
 * @returns The mode.
 * @throws {CniError} Code 999 `unknown macvlan mode: "<mode>"`.
 */
export function macvlanMode(mode: string): MacvlanConf["mode"] {
  const m = Object.hasOwn(MODES, mode) ? MODES[mode] : undefined;
  if (!m) throw new CniError(ErrorCode.Internal, `unknown macvlan mode: ${JSON.stringify(mode)}`);
  return m;
}

/**
 * Loads the macvlan configuration (everything that needs no kernel; the master and the MTU
 * against it are checked when the plugin runs).
 *
 * @example MAC precedence
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadMacvlanConf } from "./config.ts";
 * const conf = loadMacvlanConf({
 *   cniVersion: "1.0.0", name: "n", type: "macvlan", master: "eth0", mac: "c2:00:00:00:00:01",
 *   runtimeConfig: { mac: "c2:00:00:00:00:03" },
 * }, "MAC=c2:00:00:00:00:02");
 * assert.deepEqual([conf.mac, conf.mode], ["c2:00:00:00:00:03", "bridge"]);
 * ```
 *
 * @param config The netconf.
 * @param cniArgs `CNI_ARGS` (`MAC`, `IgnoreUnknown`).
 * @param options `lenient`: for DEL, drop what does not validate instead of failing.
 * @returns The configuration.
 * @throws {CniError} Code 999 naming a bad field, an unknown mode or a bad MAC; code 7 for
 *   the `ARGS: ...` errors of `CNI_ARGS`.
 */
export function loadMacvlanConf(
  config: NetConf,
  cniArgs: string,
  options: { lenient?: boolean } = {},
): MacvlanConf {
  const lenient = options.lenient ?? false;
  const c = parseIfaceConf(macvlanSchema(), config, lenient);
  let mode: MacvlanConf["mode"] = "bridge";
  let mac = c.mac ?? "";
  try {
    mode = macvlanMode(c.mode ?? "");
    const env = loadPluginArgs(cniArgs, ["MAC"]);
    if (env.MAC) mac = env.MAC;
    if (c.runtimeConfig?.mac) mac = c.runtimeConfig.mac;
    if (mac !== "") mac = parseLinkMac(mac);
  } catch (err) {
    if (!lenient) throw err;
    mac = "";
  }
  const out: MacvlanConf = { ...ifaceConf(c), mode };
  if (mac !== "") out.mac = mac;
  if (c.bcqueuelen !== undefined && c.bcqueuelen !== null && c.bcqueuelen > 0) {
    out.bcQueueLen = c.bcqueuelen;
  }
  return out;
}
