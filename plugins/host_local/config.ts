/**
 * host-local configuration: the `ipam` section, requested addresses (`CNI_ARGS IP=`,
 * `args.cni.ips`, `runtimeConfig.ips`), range sets (`runtimeConfig.ipRanges`, the legacy single
 * range, `ranges`) with the reference's defaults plus stricter checks, and `resolvConf` parsing.
 *
 * Everything here is pure: no file system access.
 *
 * @module
 */
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import { CNI_STATE_DIR } from "../../cni/defaults.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { DNS, NetConf, Route } from "../../cni/types.ts";
import { parseWith } from "../../cni/validate.ts";
import {
  addIp,
  bitsOf,
  type Cidr,
  cidrContains,
  compareIp,
  formatCidr,
  formatIp,
  type IpAddr,
  ipEquals,
  lastOf,
  networkOf,
  parseCidr,
  parseCidrLiteral,
  parseIp,
  unmapCidr,
} from "../../ip/mod.ts";

/** The reference's default state root, `/var/lib/cni/networks`. */
export const DEFAULT_DATA_DIR: string = `${CNI_STATE_DIR}/networks`;

const NAME_REGEXP = /^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$/;

/**
 * A subnet as `ip/`'s `parseCidr` reads it, except IPv4-mapped text with a 128-bit mask, which
 * the reference accepts at parse time and then fails (`IPNet IP and Mask version mismatch`).
 */
function parseSubnet(text: string): Cidr | undefined {
  const c = parseCidrLiteral(text);
  return c && unmapCidr(c) === c ? c : undefined;
}

/**
 * A requested address: `ip` or `ip/prefix`, the prefix dropped (the reference's `ip.ParseIP`
 * from `pkg/ip`: `net.ParseCIDR` when there is a `/`, else `net.ParseIP`).
 */
function parseIpMaybeCidr(text: string): IpAddr | undefined {
  return text.includes("/") ? parseCidr(text)?.ip : parseIp(text);
}

/** One canonical range: every bound filled in and checked. */
export interface Range {
  /** The subnet, network address (host bits cleared) and prefix. */
  subnet: Cidr;
  /** First allocatable address, inclusive. */
  rangeStart: IpAddr;
  /** Last allocatable address, inclusive. */
  rangeEnd: IpAddr;
  /** Gateway (skipped by the allocator); absent only for /31, /32, /127, /128 subnets. */
  gateway?: IpAddr;
}

/** A range set: one address per ADD comes from each set. */
export type RangeSet = Range[];

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

type RawRange = z.infer<ReturnType<typeof rangeSchema>>;

function configError(msg: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg);
}

/**
 * Parses `CNI_ARGS` the way the reference's `types.LoadArgs` does for host-local's
 * `IPAMEnvArgs` (keys `IgnoreUnknown` and `IP`, matched case-sensitively).
 *
 * @param args Raw `CNI_ARGS` (`K=V;K2=V2`).
 * @returns The requested IP, if `IP=` was given and non-empty.
 * @throws {CniError} Code 6 with the reference's `ARGS: ...` messages.
 * @example Requesting an address
 * ```ts
 * import { parseEnvArgs } from "./config.ts";
 * console.log(parseEnvArgs("IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.0.0.9")); // {family:4,...}
 * ```
 */
export function parseEnvArgs(args: string): IpAddr | undefined {
  if (args === "") return undefined;
  let ip: IpAddr | undefined;
  let ignoreUnknown = false;
  const unknown: string[] = [];
  for (const pair of args.split(";")) {
    const kv = pair.split("=");
    if (kv.length !== 2) {
      throw new CniError(ErrorCode.DecodingFailure, `ARGS: invalid pair ${JSON.stringify(pair)}`);
    }
    const [key, value] = kv as [string, string];
    if (key === "IP") {
      if (value === "") {
        ip = undefined;
        continue;
      }
      const parsed = parseIpMaybeCidr(value);
      if (!parsed) {
        throw new CniError(
          ErrorCode.DecodingFailure,
          `ARGS: error parsing value of pair ${JSON.stringify(pair)}: invalid IP address ${value}`,
        );
      }
      ip = parsed;
    } else if (key === "IgnoreUnknown") {
      const v = value.toLowerCase();
      if (v === "1" || v === "true") ignoreUnknown = true;
      else if (v === "0" || v === "false") ignoreUnknown = false;
      else {
        throw new CniError(
          ErrorCode.DecodingFailure,
          `ARGS: error parsing value of pair ${
            JSON.stringify(pair)
          }: boolean unmarshal error: invalid input ${value}`,
        );
      }
    } else {
      unknown.push(pair);
    }
  }
  if (unknown.length > 0 && !ignoreUnknown) {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `ARGS: unknown args [${unknown.map((u) => JSON.stringify(u)).join(" ")}]`,
    );
  }
  return ip;
}

/**
 * Prints a range as the reference does in messages: `start-end`.
 *
 * @param r The range.
 * @returns `start-end`.
 */
export function rangeToString(r: Range): string {
  return `${formatIp(r.rangeStart)}-${formatIp(r.rangeEnd)}`;
}

/**
 * Prints a range set as the reference does: ranges joined with `,`.
 *
 * @param set The range set.
 * @returns The text.
 */
export function rangeSetToString(set: RangeSet): string {
  return set.map(rangeToString).join(",");
}

function optionalIP(text: string | undefined): IpAddr | undefined {
  return text === undefined || text === "" ? undefined : parseIp(text);
}

/**
 * Fills in a range's defaults as the reference does (`gateway` = network+1, `rangeStart` =
 * network+1, `rangeEnd` = last address, minus one for IPv4) and checks it more strictly than
 * the reference: bounds inside the subnet, `rangeStart <= rangeEnd`, network and broadcast
 * addresses refused (except in /31 and /32, where every address is usable and there is no
 * default gateway), gateway inside the subnet.
 *
 * @param raw The range as configured.
 * @param field The field path for messages, e.g. `ipam.ranges[0][1]`.
 * @returns The canonical range.
 * @throws {CniError} Code 7 naming the field.
 */
export function canonicalizeRange(raw: RawRange, field: string): Range {
  const parsed = parseSubnet(raw.subnet);
  if (!parsed) throw configError(`field "${field}.subnet": invalid CIDR ${raw.subnet}`);
  const family = parsed.ip.family;
  const bits = bitsOf(family);
  const subnet = networkOf(parsed);
  const subnetText = formatCidr(subnet);
  if (compareIp(subnet.ip, parsed.ip) !== 0) {
    throw configError(
      `field "${field}.subnet": Network has host bits set. For a subnet mask of length ${parsed.prefix} the network address is ${
        formatIp(subnet.ip)
      }`,
    );
  }
  const pointToPoint = parsed.prefix >= bits - 1;
  const first = subnet.ip;
  const last = lastOf(subnet);
  const check = (key: string, ip: IpAddr) => {
    const label = `field "${field}.${key}": ${key} ${formatIp(ip)}`;
    if (!cidrContains(subnet, ip)) throw configError(`${label} not in network ${subnetText}`);
    if (pointToPoint) return;
    if (ipEquals(ip, first)) throw configError(`${label} is the network address of ${subnetText}`);
    if (family === 4 && ipEquals(ip, last)) {
      throw configError(`${label} is the broadcast address of ${subnetText}`);
    }
  };
  let gateway = optionalIP(raw.gateway);
  if (gateway) check("gateway", gateway);
  else if (!pointToPoint) gateway = addIp(first, 1n);
  let rangeStart = optionalIP(raw.rangeStart);
  if (rangeStart) check("rangeStart", rangeStart);
  else rangeStart = pointToPoint ? first : addIp(first, 1n);
  let rangeEnd = optionalIP(raw.rangeEnd);
  if (rangeEnd) check("rangeEnd", rangeEnd);
  else rangeEnd = family === 4 && !pointToPoint ? addIp(last, -1n) : last;
  if (compareIp(rangeStart, rangeEnd) > 0) {
    throw configError(
      `field "${field}.rangeStart": rangeStart ${formatIp(rangeStart)} is after rangeEnd ${
        formatIp(rangeEnd)
      }`,
    );
  }
  const out: Range = { subnet, rangeStart, rangeEnd };
  if (gateway) out.gateway = gateway;
  return out;
}

/**
 * Whether a range contains an address (same family, inside the subnet, between the bounds).
 *
 * @param r The range.
 * @param ip The address.
 * @returns `true` when inside.
 */
export function rangeContains(r: Range, ip: IpAddr): boolean {
  return cidrContains(r.subnet, ip) && compareIp(ip, r.rangeStart) >= 0 &&
    compareIp(ip, r.rangeEnd) <= 0;
}

function rangesOverlap(a: Range, b: Range): boolean {
  if (a.rangeStart.family !== b.rangeStart.family) return false;
  return compareIp(a.rangeStart, b.rangeEnd) <= 0 && compareIp(b.rangeStart, a.rangeEnd) <= 0;
}

function canonicalizeSet(raw: RawRange[], index: number, field: string): RangeSet {
  const fail = (msg: string) => configError(`invalid range set ${index}: ${msg}`);
  if (raw.length === 0) throw fail(`field "${field}": empty range set`);
  const set: RangeSet = [];
  for (const [i, r] of raw.entries()) {
    try {
      set.push(canonicalizeRange(r, `${field}[${i}]`));
    } catch (err) {
      if (err instanceof CniError) throw fail(err.msg);
      throw err;
    }
    if (set[i]!.rangeStart.family !== set[0]!.rangeStart.family) {
      throw fail(`field "${field}[${i}]": mixed address families`);
    }
  }
  for (let i = 0; i < set.length; i++) {
    for (let j = i + 1; j < set.length; j++) {
      if (rangesOverlap(set[i]!, set[j]!)) {
        throw fail(
          `field "${field}[${j}]": subnets ${rangeToString(set[i]!)} and ${
            rangeToString(set[j]!)
          } overlap`,
        );
      }
    }
  }
  return set;
}

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
 * import { loadIpamConfig } from "./config.ts";
 * const conf = loadIpamConfig({
 *   cniVersion: "1.0.0", name: "n", type: "bridge",
 *   ipam: { type: "host-local", subnet: "10.9.0.0/29" },
 * }, "");
 * console.log(conf.ranges.length); // 1
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

function canonicalizeLegacy(raw: RawRange, index: number): RangeSet {
  try {
    return [canonicalizeRange(raw, "ipam")];
  } catch (err) {
    if (err instanceof CniError) {
      throw configError(`invalid range set ${index}: ${err.msg}`);
    }
    throw err;
  }
}

/**
 * Parses resolv.conf text into CNI DNS settings exactly as the reference's `parseResolvConf`:
 * `nameserver` (first field), `domain` (last wins), `search` and `options` (all fields);
 * blank lines, `#`/`;` comments and one-word lines are skipped.
 *
 * @param text The file contents.
 * @returns The DNS settings (empty fields omitted).
 * @example Parsing
 * ```ts
 * import { parseResolvConf } from "./config.ts";
 * console.log(parseResolvConf("nameserver 1.1.1.1\nsearch a b\n")); // {nameservers:[...],search:[...]}
 * ```
 */
export function parseResolvConf(text: string): DNS {
  const dns: DNS = {};
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const fields = line.split(/\s+/);
    if (fields.length < 2) continue;
    const [key, ...rest] = fields as [string, ...string[]];
    switch (key) {
      case "nameserver":
        (dns.nameservers ??= []).push(rest[0]!);
        break;
      case "domain":
        dns.domain = rest[0]!;
        break;
      case "search":
        (dns.search ??= []).push(...rest);
        break;
      case "options":
        (dns.options ??= []).push(...rest);
        break;
    }
  }
  return dns;
}
