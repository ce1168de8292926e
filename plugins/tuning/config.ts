/**
 * tuning configuration: `sysctl` (net sysctls in the container), `mac`, `mtu`, `promisc`,
 * `allmulti`, `txQLen`, `dataDir`, the `mac` capability (`runtimeConfig.mac`), `CNI_ARGS`
 * `MAC=` and `args.cni.{sysctl,mac,promisc,mtu,allmulti,txQLen}`, with the reference's
 * precedence: `mac` < `CNI_ARGS MAC` < `runtimeConfig.mac` < `args.cni.mac`; every other
 * `args.cni` value overrides its top-level key; `args.cni.sysctl` entries are merged in.
 *
 * Beyond the reference, every value is checked before the plugin acts: a MAC must be a
 * unicast, non-zero Ethernet address, `mtu` and `txQLen` non-negative integers, and sysctl
 * keys must name a file under `/proc/sys/net/` without `..`, empty or absolute parts
 * (`args.cni.sysctl` with no top-level `sysctl` works instead of crashing the plugin).
 * Errors are code 7 (the reference answers 999).
 *
 * @module
 */
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import { loadPluginArgs } from "../../cni/args.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { NetConf } from "../../cni/types.ts";
import { parseWith } from "../../cni/validate.ts";
import { DEFAULT_DATA_DIR } from "./backup.ts";
import { duplicateKeyAt } from "./duplicate_keys.ts";
import { parseLinkMac } from "../_iface/mac.ts";

/** The validated tuning configuration. */
export interface TuningConf {
  /** Backup directory (`dataDir`, default `/run/cni/tuning`). */
  dataDir: string;
  /** Sysctls as configured (raw keys), top-level first, then new keys of `args.cni.sysctl`. */
  sysctl: [key: string, value: string][];
  /** MAC to set, normalised to `aa:bb:cc:dd:ee:ff`; absent when not changing it. */
  mac?: string;
  /** MTU to set; 0 leaves it. */
  mtu: number;
  /** Turn promiscuous mode on (false leaves it, but CHECK then expects it off). */
  promisc: boolean;
  /** All-multicast on or off; absent leaves it. */
  allmulti?: boolean;
  /** Transmit queue length; absent leaves it. */
  txQLen?: number;
}

/**
 * Parses a MAC in the 6-byte forms Go's `net.ParseMAC` accepts (`aa:bb:cc:dd:ee:ff`,
 * `aa-bb-cc-dd-ee-ff`, `aabb.ccdd.eeff`, any case) and requires what the kernel requires of
 * a device address: unicast and not all zeros.
 *
 * @example Normalising
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTuningMac } from "./config.ts";
 * assert.equal(parseTuningMac("C2-11-22-33-44-55"), "c2:11:22:33:44:55");
 * ```
 *
 * @param text The MAC text.
 * @returns The MAC as `aa:bb:cc:dd:ee:ff`.
 * @throws {CniError} Code 7 `invalid args <mac> for MAC addr: ...`.
 */
export function parseTuningMac(text: string): string {
  return parseLinkMac(text, ErrorCode.InvalidNetworkConfig);
}

/**
 * Turns a configured sysctl key into its path under `/proc/sys`, as the newest reference
 * does: every `.` becomes `/`, then the first `IFNAME` becomes `CNI_IFNAME` (so interface
 * names with dots work through `IFNAME`). The result must be `net/...` with no empty, `.` or
 * `..` part and no leading `/` (the reference cleans such paths; here they are refused).
 *
 * @example Keys and paths
 * ```ts
 * import assert from "node:assert/strict";
 * import { sysctlKeyPath } from "./config.ts";
 * assert.equal(
 *   sysctlKeyPath("net.ipv4.conf.IFNAME.arp_notify", "eth0.100"),
 *   "net/ipv4/conf/eth0.100/arp_notify",
 * );
 * ```
 *
 * @param key The key as configured (`net.ipv4.ip_forward`, `net/ipv4/ip_forward`).
 * @param ifName `CNI_IFNAME`.
 * @returns The path relative to `/proc/sys`.
 * @throws {CniError} Code 7 `invalid net sysctl key: "<key with slashes>"`.
 */
export function sysctlKeyPath(key: string, ifName: string): string {
  const path = key.replaceAll(".", "/").replace("IFNAME", ifName);
  const parts = path.split("/");
  if (
    parts.length < 2 || parts[0] !== "net" || path.includes("\0") ||
    parts.some((p) => p === "" || p === "." || p === "..")
  ) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `invalid net sysctl key: ${JSON.stringify(path)}`,
    );
  }
  return path;
}

/** The keys tuning reads (built on first use, never at import). */
const tuningSchema = lazy(() => {
  const optString = z.optional(z.nullable(z.string()));
  const optBool = z.optional(z.nullable(z.boolean()));
  const sysctl = z.optional(z.nullable(z.record(z.string(), z.string())));
  const mtu = z.optional(z.nullable(
    z.int().check(
      z.refine((n) => n >= 0 && n <= 0x7fffffff, "must be 0 (leave) or a positive MTU"),
    ),
  ));
  const txQLen = z.optional(z.nullable(
    z.int().check(z.refine((n) => n >= 0 && n <= 0xffffffff, "must be between 0 and 4294967295")),
  ));
  // The same fields at the top level and in `args.cni`.
  const tuned = { sysctl, mac: optString, promisc: optBool, mtu, allmulti: optBool, txQLen };
  return z.looseObject({
    dataDir: optString,
    ...tuned,
    runtimeConfig: z.optional(z.nullable(z.looseObject({ mac: optString }))),
    args: z.optional(z.nullable(z.looseObject({
      cni: z.optional(z.nullable(z.looseObject(tuned))),
    }))),
  });
});

const DUPLICATE_REGEXP = /"sysctl"/;

/**
 * Refuses a config whose `sysctl` object (or `args.cni.sysctl`) names a key twice: JSON
 * parsing would keep only the last value.
 *
 * @param stdin The raw config bytes.
 * @throws {CniError} Code 7 `duplicated sysctl keys are not allowed` (naming the key).
 */
export function checkDuplicateSysctls(stdin: Uint8Array): void {
  const text = new TextDecoder().decode(stdin);
  if (!DUPLICATE_REGEXP.test(text)) return;
  for (const path of [["sysctl"], ["args", "cni", "sysctl"]]) {
    const key = duplicateKeyAt(text, path);
    if (key !== undefined) {
      throw new CniError(
        ErrorCode.InvalidNetworkConfig,
        "duplicated sysctl keys are not allowed",
        { details: `${path.join(".")}: ${JSON.stringify(key)}` },
      );
    }
  }
}

/**
 * Loads the tuning configuration.
 *
 * @example MAC precedence
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTuningConf } from "./config.ts";
 * const conf = loadTuningConf({
 *   cniVersion: "1.0.0", name: "n", type: "tuning", mac: "c2:00:00:00:00:01",
 *   runtimeConfig: { mac: "c2:00:00:00:00:03" },
 * }, "MAC=c2:00:00:00:00:02");
 * assert.equal(conf.mac, "c2:00:00:00:00:03");
 * ```
 *
 * @param config The netconf.
 * @param cniArgs `CNI_ARGS` (`MAC`, `IgnoreUnknown`).
 * @returns The configuration.
 * @throws {CniError} Code 7 naming a bad field, a bad MAC, or the `ARGS: ...` errors.
 */
export function loadTuningConf(config: NetConf, cniArgs: string): TuningConf {
  const c = parseWith(tuningSchema(), config, { what: "failed to load netconf" });
  const env = loadPluginArgs(cniArgs, ["MAC"]);
  const a = c.args?.cni;
  const sysctl = new Map(Object.entries(c.sysctl ?? {}));
  for (const [k, v] of Object.entries(a?.sysctl ?? {})) sysctl.set(k, v);
  let mac = c.mac ?? "";
  if (env.MAC) mac = env.MAC;
  if (c.runtimeConfig?.mac) mac = c.runtimeConfig.mac;
  if (a?.mac !== undefined && a.mac !== null) mac = a.mac;
  const out: TuningConf = {
    dataDir: c.dataDir || DEFAULT_DATA_DIR,
    sysctl: [...sysctl],
    mtu: a?.mtu ?? c.mtu ?? 0,
    promisc: a?.promisc ?? c.promisc ?? false,
  };
  if (mac !== "") out.mac = parseTuningMac(mac);
  const allmulti = a?.allmulti ?? c.allmulti;
  if (allmulti !== undefined && allmulti !== null) out.allmulti = allmulti;
  const txQLen = a?.txQLen ?? c.txQLen;
  if (txQLen !== undefined && txQLen !== null) out.txQLen = txQLen;
  return out;
}

/**
 * The backup directory of a config read leniently, for DEL: `dataDir` when it is a
 * non-empty string, the default otherwise (DEL must clean up even after a config change
 * broke other keys).
 *
 * @param config The netconf.
 * @returns The directory.
 */
export function dataDirOf(config: NetConf): string {
  const d = (config as { dataDir?: unknown }).dataDir;
  return typeof d === "string" && d !== "" ? d : DEFAULT_DATA_DIR;
}

/**
 * Whether the configuration changes any link attribute (and so needs the link and a backup).
 *
 * @param conf The configuration.
 * @returns True when `mac`, `mtu`, `promisc`, `allmulti` or `txQLen` is set.
 */
export function changesLink(conf: TuningConf): boolean {
  return conf.mac !== undefined || conf.mtu !== 0 || conf.promisc ||
    conf.allmulti !== undefined || conf.txQLen !== undefined;
}
