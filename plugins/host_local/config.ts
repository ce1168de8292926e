/**
 * host-local configuration: the `ipam` section, requested addresses (`CNI_ARGS IP=`,
 * `args.cni.ips`, `runtimeConfig.ips`) and range sets (`runtimeConfig.ipRanges`, the legacy
 * single range, `ranges`). Ranges are `range.ts`, `CNI_ARGS` `env_args.ts`, `resolvConf`
 * text `resolv_conf.ts`.
 *
 * Everything here is pure: no file system access.
 *
 * @module
 */
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import { CNI_STATE_DIR } from "../../cni/defaults.ts";
import type { NetConf, Route } from "../../cni/types.ts";
import { parseWith } from "../../cni/validate.ts";
import { type Cidr, formatCidr, formatIp, type IpAddr, parseCidr, parseIp } from "../../ip/mod.ts";
import { parseEnvArgs, parseIpMaybeCidr } from "./env_args.ts";
import {
  canonicalizeLegacy,
  canonicalizeSet,
  configError,
  optionalIP,
  parseSubnet,
  type RangeSet,
  rangesOverlap,
  type RawRange,
} from "./range.ts";

/** The reference's default state root, `/var/lib/cni/networks`. */
export const DEFAULT_DATA_DIR: string = `${CNI_STATE_DIR}/networks`;

const NAME_REGEXP = /^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$/;

/** The loaded host-local configuration. */
export interface IpamConfig {
  /** Network name (names the state directory). */
  name: string;
  /** The config's `cniVersion`. */
  cniVersion: string;
  /** Range sets in final order; the index is the range ID. */
  ranges: RangeSet[];
  /** Routes for the result, as configured. */
  routes: Route[];
  /** State root (default `/var/lib/cni/networks`). */
  dataDir: string;
  /** Path of a resolv.conf to report as DNS, if any. */
  resolvConf?: string;
  /** Requested addresses, in precedence order (`CNI_ARGS`, `args.cni.ips`, `runtimeConfig.ips`). */
  requestedIps: IpAddr[];
}

function ipText(what: string) {
  return z.string().check(
    z.refine((v) => v === "" || parseIp(v) !== undefined, {
      error: `invalid ${what}: expected an IP address`,
    }),
  );
}

function cidrText(what: string, parse: (text: string) => Cidr | undefined) {
  return z.string().check(
    z.refine((v) => parse(v) !== undefined, { error: `invalid ${what}: expected a CIDR` }),
  );
}

function rangeFields() {
  return {
    subnet: cidrText("subnet", parseSubnet),
    rangeStart: z.optional(ipText("rangeStart")),
    rangeEnd: z.optional(ipText("rangeEnd")),
    gateway: z.optional(ipText("gateway")),
  };
}

function rangeSchema(fields: ReturnType<typeof rangeFields>) {
  return z.object(fields);
}

/** The whole config as host-local reads it (built on first use, not at import). */
const netSchema = lazy(() => {
  const ipMaybeCidr = z.string().check(
    z.refine((v) => parseIpMaybeCidr(v) !== undefined, {
      error: "invalid IP: expected an address or address/prefix",
    }),
  );
  // Instances shared between fields (zod schemas are immutable): fewer constructions.
  const range = rangeFields();
  const rangeSets = z.array(z.array(rangeSchema(range)));
  const requestedIps = z.optional(z.array(ipMaybeCidr));
  const optInt = z.optional(z.int());
  const optString = z.optional(z.string());
  const route = z.object({
    dst: cidrText("dst", parseCidr),
    gw: z.optional(ipText("gw")),
    mtu: optInt,
    advmss: optInt,
    priority: optInt,
    table: optInt,
    scope: optInt,
  });
  const ipam = z.object({
    type: optString,
    subnet: optString,
    rangeStart: range.rangeStart,
    rangeEnd: range.rangeEnd,
    gateway: range.gateway,
    ranges: z.optional(rangeSets),
    routes: z.optional(z.array(route)),
    dataDir: optString,
    resolvConf: optString,
  });
  return z.object({
    name: z.string().check(
      z.refine((v) => NAME_REGEXP.test(v), {
        error: "invalid network name: must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$",
      }),
    ),
    cniVersion: optString,
    ipam: z.optional(ipam),
    runtimeConfig: z.optional(z.object({
      ipRanges: z.optional(rangeSets),
      ips: requestedIps,
    })),
    args: z.optional(z.object({
      cni: z.optional(z.object({ ips: requestedIps })),
    })),
  });
});

function versionBelow030(version: string): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!m) return false;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj === 0 && min < 3;
}

/**
 * Loads and checks host-local's configuration from the whole network config and `CNI_ARGS`,
 * in the reference's order (`LoadIPAMConfig`).
 *
 * @param config The parsed stdin.
 * @param envArgs Raw `CNI_ARGS`.
 * @returns The canonical configuration.
 * @throws {CniError} Code 7 naming the field for bad config, code 6 for bad `CNI_ARGS`.
 * @example Loading a config
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadIpamConfig } from "./config.ts";
 * const conf = loadIpamConfig({
 *   cniVersion: "1.0.0", name: "n", type: "bridge",
 *   ipam: { type: "host-local", subnet: "10.9.0.0/29" },
 * }, "");
 * assert.equal(conf.ranges.length, 1);
 * ```
 */
export function loadIpamConfig(
  config: NetConf | Record<string, unknown>,
  envArgs: string,
): IpamConfig {
  const net = parseWith(netSchema(), config, { what: "invalid host-local configuration" });
  const ipam = net.ipam;
  if (!ipam) throw configError(`IPAM config missing 'ipam' key`);

  const requestedIps: IpAddr[] = [];
  const envIp = parseEnvArgs(envArgs);
  if (envIp) requestedIps.push(envIp);
  for (const text of net.args?.cni?.ips ?? []) requestedIps.push(parseIpMaybeCidr(text)!);
  for (const text of net.runtimeConfig?.ips ?? []) requestedIps.push(parseIpMaybeCidr(text)!);

  const rawSets: { raw: RawRange[]; field: string }[] = [];
  for (const [i, set] of (net.runtimeConfig?.ipRanges ?? []).entries()) {
    rawSets.push({ raw: set, field: `runtimeConfig.ipRanges[${i}]` });
  }
  if (ipam.subnet !== undefined && ipam.subnet !== "") {
    const single: RawRange = { subnet: ipam.subnet };
    if (ipam.rangeStart !== undefined) single.rangeStart = ipam.rangeStart;
    if (ipam.rangeEnd !== undefined) single.rangeEnd = ipam.rangeEnd;
    if (ipam.gateway !== undefined) single.gateway = ipam.gateway;
    rawSets.push({ raw: [single], field: "ipam" });
  }
  for (const [i, set] of (ipam.ranges ?? []).entries()) {
    rawSets.push({ raw: set, field: `ipam.ranges[${i}]` });
  }
  if (rawSets.length === 0) throw configError("no IP ranges specified");

  const ranges: RangeSet[] = [];
  for (const [i, { raw, field }] of rawSets.entries()) {
    // The legacy form's fields sit directly under `ipam`.
    const set = field === "ipam" ? canonicalizeLegacy(raw[0]!, i) : canonicalizeSet(raw, i, field);
    ranges.push(set);
  }

  const cniVersion = net.cniVersion ?? "0.1.0";
  const v4 = ranges.filter((s) => s[0]!.rangeStart.family === 4).length;
  const v6 = ranges.length - v4;
  if ((v4 > 1 || v6 > 1) && versionBelow030(cniVersion)) {
    throw configError(`CNI version ${cniVersion} does not support more than 1 address per family`);
  }
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      if (ranges[i]!.some((a) => ranges[j]!.some((b) => rangesOverlap(a, b)))) {
        throw configError(`range set ${i} overlaps with ${j}`);
      }
    }
  }

  const routes: Route[] = (ipam.routes ?? []).map((r) => {
    const dst = parseCidr(r.dst)!;
    const route: Route = { dst: formatCidr(dst) };
    const gw = optionalIP(r.gw);
    if (gw) route.gw = formatIp(gw);
    if (r.mtu) route.mtu = r.mtu;
    if (r.advmss) route.advmss = r.advmss;
    if (r.priority) route.priority = r.priority;
    if (r.table !== undefined) route.table = r.table;
    if (r.scope !== undefined) route.scope = r.scope;
    return route;
  });

  const out: IpamConfig = {
    name: net.name,
    cniVersion,
    ranges,
    routes,
    dataDir: ipam.dataDir || DEFAULT_DATA_DIR,
    requestedIps,
  };
  if (ipam.resolvConf) out.resolvConf = ipam.resolvConf;
  return out;
}
