/**
 * ptp configuration: `ipMasq`, `ipMasqBackend`, `mtu`, `ipam` and `dns`, as the newest
 * reference `plugins/main/ptp` reads them, validated before anything is touched (the reference
 * passes a bad MTU on to the kernel; here it is a code 7 naming the field).
 *
 * @module
 */
import { setDns } from "../_iface/config.ts";
import { confDnsSchema, confIpamSchema } from "../../cni/schema.ts";
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import type { DNS } from "../../cni/types.ts";
import { parseNetconf } from "../../cni/validate.ts";

/** The validated ptp configuration. */
export interface PtpConf {
  /** Network name. */
  name: string;
  /** The config's `cniVersion`. */
  cniVersion: string;
  /** Masquerade traffic of the container's addresses leaving their subnet. */
  ipMasq: boolean;
  /** Masquerade backend; `undefined` picks iptables unless it is unusable. */
  ipMasqBackend: "iptables" | "nftables" | undefined;
  /** MTU of both veth ends (0: kernel default). */
  mtu: number;
  /** IPAM plugin type (required: ADD, CHECK and STATUS fail with `no plugin name provided`). */
  ipamType: string;
  /** The netconf `dns` when any field is set: it replaces the IPAM plugin's. */
  dns: DNS | undefined;
}

const ptpSchema = lazy(() => {
  return z.looseObject({
    cniVersion: z.string(),
    name: z.string(),
    ipMasq: z.optional(z.nullable(z.boolean())),
    ipMasqBackend: z.optional(z.nullable(z.enum(["iptables", "nftables"]))),
    mtu: z.optional(z.nullable(
      z.int().check(
        z.refine(
          (n) => n === 0 || (n >= 68 && n <= 65535),
          "must be 0 (kernel default) or between 68 and 65535",
        ),
      ),
    )),
    ipam: confIpamSchema(),
    dns: confDnsSchema(),
  });
});

/**
 * Loads and validates a ptp configuration. Nothing in the kernel is touched.
 *
 * @example Defaults
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadPtpConf } from "./config.ts";
 * const conf = loadPtpConf({
 *   cniVersion: "1.0.0", name: "n", type: "ptp", ipam: { type: "host-local" },
 * });
 * assert.deepEqual([conf.mtu, conf.ipMasq, conf.ipamType], [0, false, "host-local"]);
 * ```
 *
 * @param config The parsed stdin JSON.
 * @param options `lenient`: drop what does not validate instead of failing (DEL).
 * @returns The defaulted configuration.
 * @throws {CniError} Code 7 naming each bad field (`failed to load netconf: field "mtu": ...`).
 */
export function loadPtpConf(config: unknown, options: { lenient?: boolean } = {}): PtpConf {
  const what = "failed to load netconf";
  const raw = parseNetconf(ptpSchema(), config, { what, lenient: options.lenient });
  return {
    name: raw.name,
    cniVersion: raw.cniVersion,
    ipMasq: raw.ipMasq ?? false,
    ipMasqBackend: raw.ipMasqBackend ?? undefined,
    mtu: raw.mtu ?? 0,
    ipamType: raw.ipam?.type ?? "",
    dns: setDns(raw.dns),
  };
}
