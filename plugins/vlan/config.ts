/**
 * vlan configuration (reference `plugins/main/vlan`): `master` (required), `vlanId` (0-4094),
 * `mtu` (0 to the master's, checked once the master is known), `linkInContainer`, `ipam`
 * (required) and `dns`. Errors keep the reference's code (999); the VLAN id message says
 * what is accepted (the reference's says "0 and 4095 inclusive" and refuses 4095).
 *
 * @module
 */
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { DNS, NetConf } from "../../cni/types.ts";
import { ifaceConf, ifaceShape, parseIfaceConf } from "../_iface/config.ts";

/** The validated vlan configuration. */
export interface VlanConf {
  /** `master`: the device to tag on. */
  master: string;
  /** The VLAN id. */
  vlanId: number;
  /** MTU; 0 leaves the kernel's (the master's). */
  mtu: number;
  /** The master lives in the container namespace. */
  linkInContainer: boolean;
  /** The IPAM type (required for ADD). */
  ipamType: string;
  /** The netconf `dns` (what the result carries). */
  dns: DNS;
}

/** The keys vlan reads (built on first use, never at import). */
const vlanSchema = lazy(() =>
  z.looseObject({
    ...ifaceShape(),
    vlanId: z.optional(z.nullable(
      z.int().check(
        z.refine((n) => n >= -0x80000000 && n <= 0x7fffffff, "must be a 32-bit integer"),
      ),
    )),
  })
);

/**
 * Loads the vlan configuration (everything that needs no kernel; the master and the MTU
 * against it are checked when the plugin runs).
 *
 * @example A VLAN on eth0
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadVlanConf } from "./config.ts";
 * const conf = loadVlanConf({
 *   cniVersion: "1.0.0", name: "n", type: "vlan", master: "eth0", vlanId: 100,
 *   ipam: { type: "host-local" },
 * });
 * assert.deepEqual([conf.master, conf.vlanId], ["eth0", 100]);
 * ```
 *
 * @param config The netconf.
 * @param options `lenient`: for DEL, drop what does not validate instead of failing.
 * @returns The configuration.
 * @throws {CniError} Code 999: a bad field, `"master" field is required. It specifies the host
 *   interface name to create the VLAN for`, `invalid VLAN ID <n> (must be between 0 and 4094
 *   inclusive)`.
 */
export function loadVlanConf(config: NetConf, options: { lenient?: boolean } = {}): VlanConf {
  const lenient = options.lenient ?? false;
  const c = parseIfaceConf(vlanSchema(), config, lenient);
  const out: VlanConf = { ...ifaceConf(c), vlanId: c.vlanId ?? 0 };
  if (lenient) return out;
  if (out.master === "") {
    throw new CniError(
      ErrorCode.Internal,
      '"master" field is required. It specifies the host interface name to create the VLAN for',
    );
  }
  if (out.vlanId < 0 || out.vlanId > 4094) {
    throw new CniError(
      ErrorCode.Internal,
      `invalid VLAN ID ${out.vlanId} (must be between 0 and 4094 inclusive)`,
    );
  }
  return out;
}
