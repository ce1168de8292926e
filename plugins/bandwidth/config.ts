/**
 * bandwidth plugin configuration: the four limits (`ingressRate`, `ingressBurst`, `egressRate`,
 * `egressBurst`, in bits/s and bits) from the top level or from the `bandwidth` capability
 * (`runtimeConfig.bandwidth`), checked as the reference checks them, and the ifb device name.
 *
 * The reference decodes these fields as Go `uint64`s and reports every problem as code 999;
 * this file does the same, with the same texts (`if rate is set, burst must also be set`,
 * `failed to parse network configuration: json: cannot unmarshal ...`). It is hand-written
 * rather than a zod schema: four integers do not need one, and the messages must read as Go's.
 *
 * Precedence, as the reference: when **any** of the four keys appears at the top level (even
 * `0` or `null`), `runtimeConfig.bandwidth` is ignored.
 *
 * Everything here is pure.
 *
 * @module
 */
import { CniError, ErrorCode } from "../../cni/errors.ts";
import { hashWithPrefix } from "../../cni/sha512.ts";
import type { NetConf } from "../../cni/types.ts";

/** The limits of one attachment (0: no limit). */
export interface BandwidthEntry {
  /** Rate of traffic into the container, bits/s. */
  ingressRate: number;
  /** Burst of traffic into the container, bits. */
  ingressBurst: number;
  /** Rate of traffic from the container, bits/s. */
  egressRate: number;
  /** Burst of traffic from the container, bits. */
  egressBurst: number;
}

/** The loaded configuration. */
export interface BandwidthConf {
  /** Network name (names the ifb device with the container ID). */
  name: string;
  /** The config's `cniVersion`. */
  cniVersion: string;
  /** The limits in force (top level or capability), or `undefined` when none was given. */
  bandwidth: BandwidthEntry | undefined;
}

const KEYS = ["ingressRate", "ingressBurst", "egressRate", "egressBurst"] as const;

/** 2^64: uint64 values are below it. */
const TWO_64 = 2 ** 64;
/** `math.MaxUint32`. */
const MAX_UINT32 = 0xffffffff;

function goType(value: unknown): string {
  if (typeof value === "number") return `number ${value}`;
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (Array.isArray(value)) return "array";
  return "object";
}

function decodeError(field: string, value: unknown, type: string): CniError {
  return new CniError(
    ErrorCode.Internal,
    `failed to parse network configuration: json: cannot unmarshal ${
      goType(value)
    } into Go struct field ${field} of type ${type}`,
  );
}

function readEntry(obj: Record<string, unknown>, structName: string): BandwidthEntry {
  const out: BandwidthEntry = { ingressRate: 0, ingressBurst: 0, egressRate: 0, egressBurst: 0 };
  for (const k of KEYS) {
    const v = obj[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= TWO_64) {
      throw decodeError(`${structName}.${k}`, v, "uint64");
    }
    out[k] = v;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function validateRateAndBurst(rate: number, burst: number): void {
  let msg: string | undefined;
  if (burst === 0 && rate !== 0) msg = "if rate is set, burst must also be set";
  else if (rate === 0 && burst !== 0) msg = "if burst is set, rate must also be set";
  else if (Math.floor(burst / 8) >= MAX_UINT32) msg = "burst cannot be more than 4GB";
  if (msg) throw new CniError(ErrorCode.Internal, msg);
}

/**
 * Reads the limits from a plugin config, as the reference's `parseConfig` and
 * `getBandwidth` do.
 *
 * @example Top-level keys mask the capability
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadBandwidthConf } from "./config.ts";
 * const conf = loadBandwidthConf({
 *   cniVersion: "1.0.0", name: "n", type: "bandwidth", ingressRate: 0,
 *   runtimeConfig: { bandwidth: { ingressRate: 1000, ingressBurst: 100 } },
 * });
 * assert.equal(conf.bandwidth?.ingressRate, 0);
 * ```
 *
 * @param config The parsed stdin config.
 * @returns Name, version and the limits in force.
 * @throws {CniError} Code 999 for a value that is not a uint64, a rate without a burst (or
 *   the reverse), or a burst of 4 GB or more, with the reference's text.
 */
export function loadBandwidthConf(config: NetConf): BandwidthConf {
  const rc = config.runtimeConfig as unknown;
  let runtime: BandwidthEntry | undefined;
  if (rc !== undefined && rc !== null) {
    if (!isObject(rc)) throw decodeError("PluginConf.runtimeConfig", rc, "struct");
    const bw = rc.bandwidth;
    if (bw !== undefined && bw !== null) {
      if (!isObject(bw)) {
        throw decodeError("BandwidthEntry.runtimeConfig.bandwidth", bw, "main.BandwidthEntry");
      }
      runtime = readEntry(bw, "BandwidthEntry.runtimeConfig.bandwidth");
    }
  }
  const topLevel = KEYS.some((k) => k in config);
  const top = readEntry(config, "PluginConf");
  const bandwidth = topLevel ? top : runtime;
  if (bandwidth) {
    validateRateAndBurst(bandwidth.ingressRate, bandwidth.ingressBurst);
    validateRateAndBurst(bandwidth.egressRate, bandwidth.egressBurst);
  }
  return { name: config.name, cniVersion: config.cniVersion, bandwidth };
}

/**
 * Whether no limit is set at all (every field 0).
 *
 * @param bw The limits.
 * @returns True when nothing is to be shaped.
 */
export function isZero(bw: BandwidthEntry): boolean {
  return bw.ingressRate === 0 && bw.ingressBurst === 0 && bw.egressRate === 0 &&
    bw.egressBurst === 0;
}

/** The ifb name's prefix. */
export const IFB_PREFIX = "bwp";

/**
 * The ifb device of an attachment: `bwp` and the first 12 hex digits of SHA-512 of the network
 * name followed by the container ID (15 characters, the interface name limit), as the
 * reference names it. The interface name is not part of it (nor in the reference).
 *
 * @example The reference's own example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ifbDeviceName } from "./config.ts";
 * assert.equal(await ifbDeviceName("rnnet", "rnc1"), "bwpcb4af05a74fc");
 * ```
 *
 * @param network The network name.
 * @param containerId The container ID.
 * @returns The device name.
 */
export function ifbDeviceName(network: string, containerId: string): Promise<string> {
  return hashWithPrefix(15, IFB_PREFIX, network + containerId);
}
