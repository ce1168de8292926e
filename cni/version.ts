/**
 * CNI spec versions: parsing and comparison (`pkg/version`), per-command version gates
 * (skel), VERSION answers and their decoding, and result parsing and conversion between
 * every spec version (`pkg/types/{020,040,100}`, `pkg/types/internal/convert.go`).
 *
 * Converted results are plain objects whose key order is what Go prints: struct field order
 * for 0.1.0 - 0.4.0 results, sorted keys for 1.x results (Go's `types100.Result.MarshalJSON`
 * round-trips through a map, which sorts keys and drops an empty `dns`). Addresses are
 * re-printed the way Go prints them after parsing (`fd00:0::2/64` becomes `fd00::2/64`, host
 * bits kept).
 *
 * @module
 */
import type * as z from "./_zod.ts";
import { goMarshal } from "./_json.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { unmap } from "../ip/addr.ts";
import { formatCidr, parseCidr } from "../ip/cidr.ts";
import { parseIp } from "../ip/parse.ts";
import { formatIp } from "../ip/print.ts";
import {
  type dnsSchema,
  result020Schema,
  resultSchema,
  type routeSchema,
  versionInfoSchema,
} from "./schema.ts";
import type { CniCommand, Result } from "./types.ts";
import { CURRENT_VERSION, SUPPORTED_VERSIONS } from "./types.ts";
import { formatPath, parseWith } from "./validate.ts";

// ---------------------------------------------------------------------------------------
// Version strings
// ---------------------------------------------------------------------------------------

const INT_REGEXP = /^[+-]?[0-9]+$/;

/** The legacy versions (`version.Legacy`): results in the `ip4`/`ip6` shape. */
export const LEGACY_VERSIONS: readonly string[] = ["0.1.0", "0.2.0"];

/**
 * Parses a version like Go's `version.ParseVersion`: `""` is 0.1.0; one to three
 * dot-separated integers (`"1"` is 1.0.0, `"1.1"` is 1.1.0).
 *
 * @param s The version text.
 * @returns `[major, minor, micro]`.
 * @throws {CniError} Code 1 (incompatible CNI version) when the text is not a version.
 * @example Parsing
 * ```ts
 * import { parseVersion } from "./version.ts";
 * console.log(parseVersion("1.1.0")); // [1, 1, 0]
 * ```
 */
export function parseVersion(s: string): [number, number, number] {
  if (s === "") return [0, 1, 0];
  const parts = s.split(".");
  if (parts.length >= 4) {
    throw new CniError(ErrorCode.IncompatibleCniVersion, `invalid version "${s}": too many parts`);
  }
  const names = ["major", "minor", "micro"];
  const out: [number, number, number] = [0, 0, 0];
  parts.forEach((part, i) => {
    if (!INT_REGEXP.test(part)) {
      throw new CniError(
        ErrorCode.IncompatibleCniVersion,
        `invalid version "${s}": failed to convert ${names[i]} version part "${part}"`,
      );
    }
    out[i] = Number(part);
  });
  return out;
}

/**
 * Compares two versions numerically.
 *
 * @param a A version.
 * @param b Another version.
 * @returns Negative when `a < b`, 0 when equal, positive when `a > b`.
 * @throws {CniError} Code 1 when either does not parse.
 */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) {
    if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  }
  return 0;
}

/**
 * `a >= b` (Go `version.GreaterThanOrEqualTo`).
 *
 * @param a A version.
 * @param b Another version.
 * @returns Whether `a` is at least `b`.
 * @throws {CniError} Code 1 when either does not parse.
 */
export function versionGte(a: string, b: string): boolean {
  return compareVersions(a, b) >= 0;
}

/**
 * `a > b` (Go `version.GreaterThan`).
 *
 * @param a A version.
 * @param b Another version.
 * @returns Whether `a` is newer than `b`.
 * @throws {CniError} Code 1 when either does not parse.
 */
export function versionGt(a: string, b: string): boolean {
  return compareVersions(a, b) > 0;
}

/**
 * The supported versions from `min` on (Go `version.VersionsStartingFrom`).
 *
 * @param min The first version to include (must be one of `SUPPORTED_VERSIONS`).
 * @returns The tail of `SUPPORTED_VERSIONS`, or an empty list when `min` is not in it.
 */
export function versionsStartingFrom(min: string): string[] {
  const i = SUPPORTED_VERSIONS.indexOf(min);
  return i < 0 ? [] : SUPPORTED_VERSIONS.slice(i);
}

function toJsonValue(input: unknown, what: string): unknown {
  if (input instanceof Uint8Array) input = new TextDecoder().decode(input);
  if (typeof input !== "string") return input;
  try {
    return JSON.parse(input);
  } catch (err) {
    const why = input.trim() === "" ? "unexpected end of JSON input" : (err as Error).message;
    throw new CniError(ErrorCode.DecodingFailure, `${what}: ${why}`, { cause: err });
  }
}

function describeJsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/**
 * Reads `cniVersion` from a config or result (Go `create.DecodeVersion`): missing or empty
 * means `"0.1.0"`.
 *
 * @param json The JSON text, its bytes, or the parsed value.
 * @returns The version.
 * @throws {CniError} Code 6 when the text is not JSON, not an object, or `cniVersion` is not
 *   a string.
 * @example Default version
 * ```ts
 * import { decodeVersion } from "./version.ts";
 * console.log(decodeVersion('{"name":"x"}')); // 0.1.0
 * ```
 */
export function decodeVersion(json: unknown): string {
  const what = "decoding version from network config";
  const value = toJsonValue(json, what);
  if (value === null) return "0.1.0";
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `${what}: expected a JSON object, got ${describeJsonType(value)}`,
    );
  }
  const v = (value as Record<string, unknown>).cniVersion;
  if (v === undefined || v === null || v === "") return "0.1.0";
  if (typeof v !== "string") {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `${what}: field "cniVersion": expected string, got ${describeJsonType(v)}`,
    );
  }
  return v;
}

// ---------------------------------------------------------------------------------------
// Version gates and VERSION answers
// ---------------------------------------------------------------------------------------

/** Go's `%q` of a string (close to JSON for printable text). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/**
 * The oldest config version that allows `command`: CHECK 0.4.0, GC and STATUS 1.1.0,
 * ADD/DEL/VERSION none.
 *
 * @param command The verb.
 * @returns The minimum version, or `undefined` when every version allows it.
 */
export function commandMinVersion(command: CniCommand): string | undefined {
  switch (command) {
    case "CHECK":
      return "0.4.0";
    case "GC":
    case "STATUS":
      return "1.1.0";
    default:
      return undefined;
  }
}

/**
 * Checks that a plugin supporting `supported` can serve a config of `version`: an exact
 * string match (Go `version.Reconciler.CheckRaw`).
 *
 * @param version The config version (already defaulted to 0.1.0 when missing).
 * @param supported The plugin's supported versions.
 * @throws {CniError} Code 1, msg `incompatible CNI versions`, details
 *   `config is "X", plugin supports ["a" "b"]`.
 */
export function checkCompatible(version: string, supported: readonly string[]): void {
  if (supported.includes(version)) return;
  throw new CniError(ErrorCode.IncompatibleCniVersion, "incompatible CNI versions", {
    details: `config is ${goQuote(version)}, plugin supports [${supported.map(goQuote).join(" ")}]`,
  });
}

/**
 * The plugin-side version gate for a verb, exactly as `pkg/skel` applies it: CHECK needs a
 * config version >= 0.4.0 (`config version does not allow CHECK`), GC and STATUS >= 1.1.0,
 * and, when `supported` is given, a supported version >= the config version
 * (`plugin version does not allow CHECK`) and an exact match (`incompatible CNI versions`).
 *
 * @param command The verb.
 * @param version The config version (as `decodeVersion` returns it).
 * @param options `supported`: the plugin's supported versions (checked when given).
 * @throws {CniError} Code 1 for a refused version, code 6 when a version does not parse.
 * @example CHECK on an old config
 * ```ts
 * import { checkCommandVersion } from "./version.ts";
 * try {
 *   checkCommandVersion("CHECK", "0.3.1");
 * } catch (err) {
 *   console.log((err as Error).message); // config version does not allow CHECK
 * }
 * ```
 */
export function checkCommandVersion(
  command: CniCommand,
  version: string,
  options: { supported?: readonly string[] } = {},
): void {
  if (command === "VERSION") return;
  const min = commandMinVersion(command);
  const gte = (a: string, b: string): boolean => {
    try {
      return versionGte(a, b);
    } catch (err) {
      throw new CniError(ErrorCode.DecodingFailure, (err as CniError).msg, { cause: err });
    }
  };
  if (min !== undefined) {
    if (!gte(version, min)) {
      throw new CniError(
        ErrorCode.IncompatibleCniVersion,
        `config version does not allow ${command}`,
      );
    }
    if (options.supported) {
      if (!options.supported.some((v) => gte(v, version))) {
        throw new CniError(
          ErrorCode.IncompatibleCniVersion,
          `plugin version does not allow ${command}`,
        );
      }
    }
  }
  if (options.supported) checkCompatible(version, options.supported);
}

/** The VERSION answer (`pkg/version.PluginInfo`). */
export interface VersionInfo {
  /** The answering library's version (Go skel: always its own, `1.1.0`). */
  cniVersion: string;
  /** Versions the plugin supports. */
  supportedVersions: string[];
}

/**
 * The VERSION result object. Go's skel writes its own library version as `cniVersion`
 * whatever the request said; pass `cniVersion` to echo a different one.
 *
 * @param supported The supported versions.
 * @param cniVersion The version to report (default `CURRENT_VERSION`).
 * @returns `{cniVersion, supportedVersions}` in Go's key order.
 */
export function versionInfoJson(
  supported: readonly string[],
  cniVersion: string = CURRENT_VERSION,
): VersionInfo {
  return { cniVersion, supportedVersions: [...supported] };
}

/**
 * Decodes a plugin's VERSION answer like Go's `version.PluginDecoder`: `cniVersion` is
 * required; a missing or empty `supportedVersions` is accepted only for `0.2.0` (meaning
 * 0.1.0 and 0.2.0).
 *
 * @param json The plugin's stdout (text, bytes or parsed value).
 * @returns The version info.
 * @throws {CniError} Code 6 `decoding version info: ...`.
 */
export function decodeVersionInfo(json: unknown): VersionInfo {
  const what = "decoding version info";
  const value = toJsonValue(json, what);
  const info = parseWith(versionInfoSchema(), value ?? {}, {
    what,
    code: ErrorCode.DecodingFailure,
  });
  if (!info.cniVersion) {
    throw new CniError(ErrorCode.DecodingFailure, `${what}: missing field cniVersion`);
  }
  if (!info.supportedVersions || info.supportedVersions.length === 0) {
    if (info.cniVersion === "0.2.0") return versionInfoJson(LEGACY_VERSIONS);
    throw new CniError(ErrorCode.DecodingFailure, `${what}: missing field supportedVersions`);
  }
  return { cniVersion: info.cniVersion, supportedVersions: info.supportedVersions };
}

/**
 * Whether a plugin's VERSION answer lists `version` (exact string match, as libcni's
 * `ValidateNetworkList` checks; an empty version means 0.1.0).
 *
 * @param info The plugin's version info.
 * @param version The config version.
 * @returns Whether it is supported.
 */
export function pluginSupports(info: VersionInfo, version: string): boolean {
  return info.supportedVersions.includes(version === "" ? "0.1.0" : version);
}

/**
 * Picks the highest of `candidates` that `supported` lists (exact match). Unparsable
 * candidates are skipped.
 *
 * @param candidates Versions a config offers (`cniVersion` and `cniVersions`).
 * @param supported Versions the other side supports (default `SUPPORTED_VERSIONS`).
 * @returns The chosen version, or `undefined` when none is shared.
 */
export function negotiateVersion(
  candidates: readonly string[],
  supported: readonly string[] = SUPPORTED_VERSIONS,
): string | undefined {
  let best: string | undefined;
  for (const c of candidates) {
    if (!supported.includes(c)) continue;
    try {
      if (best === undefined || versionGt(c, best)) best = c;
    } catch {
      // not a version: skip
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------
// Results: internal model
// ---------------------------------------------------------------------------------------

interface RouteModel {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

interface DnsModel {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

interface Ip020Model {
  ip: string;
  gateway?: string;
  routes?: RouteModel[];
}

interface Model020 {
  family: "020";
  cniVersion: string;
  ip4?: Ip020Model;
  ip6?: Ip020Model;
  dns: DnsModel;
}

interface IfaceModel {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
  socketPath?: string;
  pciID?: string;
}

interface IpModel {
  version?: string;
  interface?: number;
  address: string;
  gateway?: string;
}

interface ModelRich {
  family: "040" | "100";
  cniVersion: string;
  interfaces?: IfaceModel[];
  ips?: IpModel[];
  routes?: RouteModel[];
  dns: DnsModel;
}

type Model = Model020 | ModelRich;

const FAMILY: Record<string, "020" | "040" | "100"> = {
  "": "020",
  "0.1.0": "020",
  "0.2.0": "020",
  "0.3.0": "040",
  "0.3.1": "040",
  "0.4.0": "040",
  "1.0.0": "100",
  "1.1.0": "100",
};

const WHAT_RESULT = "invalid CNI result";

/**
 * The versions whose results share `version`'s result type (libcni registers one result
 * creator per family: 0.1.0/0.2.0, 0.3.x/0.4.0, 1.x). libcni's `ParsePrevResult` reads a
 * `prevResult` as the config version's type, so a `prevResult` of another family is refused.
 *
 * @example The 0.3.x/0.4.0 family
 * ```ts
 * import { resultTypeVersions } from "./version.ts";
 * console.log(resultTypeVersions("0.3.1")); // ["0.3.0", "0.3.1", "0.4.0"]
 * ```
 *
 * @param version A spec version (`""` counts as 0.1.0).
 * @returns The versions of its family, oldest first; empty for an unknown version.
 */
export function resultTypeVersions(version: string): string[] {
  const family = FAMILY[version];
  if (family === undefined) return [];
  return Object.keys(FAMILY).filter((v) => v !== "" && FAMILY[v] === family);
}

function badField(path: (string | number)[], text: string): CniError {
  return new CniError(
    ErrorCode.DecodingFailure,
    `${WHAT_RESULT}: field "${formatPath(path)}": ${text}`,
  );
}

function cidrField(value: string, path: (string | number)[]): string {
  const c = parseCidr(value);
  if (c === undefined) throw badField(path, `invalid CIDR address: ${value}`);
  return formatCidr(c);
}

function ipField(value: string | null | undefined, path: (string | number)[]): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const ip = parseIp(value);
  if (ip === undefined) throw badField(path, `invalid IP address: ${value}`);
  return formatIp(ip);
}

function setIf<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) obj[key] = value;
}

function dnsModel(d: z.infer<ReturnType<typeof dnsSchema>> | null | undefined): DnsModel {
  const out: DnsModel = {};
  if (!d) return out;
  setIf(out, "nameservers", d.nameservers ?? undefined);
  if (d.domain) out.domain = d.domain;
  setIf(out, "search", d.search ?? undefined);
  setIf(out, "options", d.options ?? undefined);
  return out;
}

function routeModel(
  r: z.infer<ReturnType<typeof routeSchema>>,
  path: (string | number)[],
): RouteModel {
  const out: RouteModel = { dst: cidrField(r.dst, [...path, "dst"]) };
  setIf(out, "gw", ipField(r.gw, [...path, "gw"]));
  if (r.mtu) out.mtu = r.mtu;
  if (r.advmss) out.advmss = r.advmss;
  if (r.priority) out.priority = r.priority;
  if (r.table !== undefined && r.table !== null) out.table = r.table;
  if (r.scope !== undefined && r.scope !== null) out.scope = r.scope;
  return out;
}

function parseModel(value: unknown, version: string): Model {
  const family = FAMILY[version];
  if (family === undefined) {
    throw new CniError(
      ErrorCode.IncompatibleCniVersion,
      `unsupported CNI result version ${goQuote(version)}`,
    );
  }
  if (family === "020") {
    const r = parseWith(result020Schema(), value, { what: WHAT_RESULT, code: 6 });
    const ip = (
      c: z.infer<ReturnType<typeof result020Schema>>["ip4"],
      key: string,
    ): Ip020Model | undefined => {
      if (!c) return undefined;
      const out: Ip020Model = { ip: cidrField(c.ip, [key, "ip"]) };
      setIf(out, "gateway", ipField(c.gateway, [key, "gateway"]));
      if (c.routes) out.routes = c.routes.map((rt, i) => routeModel(rt, [key, "routes", i]));
      return out;
    };
    const m: Model020 = {
      family,
      cniVersion: version === "" ? "0.1.0" : version,
      dns: dnsModel(r.dns),
    };
    setIf(m, "ip4", ip(r.ip4, "ip4"));
    setIf(m, "ip6", ip(r.ip6, "ip6"));
    return m;
  }
  const r = parseWith(resultSchema(), value, { what: WHAT_RESULT, code: 6 });
  const m: ModelRich = { family, cniVersion: version, dns: dnsModel(r.dns) };
  if (r.interfaces) {
    m.interfaces = r.interfaces.map((i) => {
      const out: IfaceModel = { name: i.name ?? "" };
      if (i.mac) out.mac = i.mac;
      if (family === "100") {
        if (i.mtu) out.mtu = i.mtu;
        if (i.sandbox) out.sandbox = i.sandbox;
        if (i.socketPath) out.socketPath = i.socketPath;
        if (i.pciID) out.pciID = i.pciID;
      } else if (i.sandbox) out.sandbox = i.sandbox;
      return out;
    });
  }
  if (r.ips) {
    m.ips = r.ips.map((ipc, n) => {
      const out: IpModel = { address: cidrField(ipc.address, ["ips", n, "address"]) };
      if (family === "040") out.version = ipc.version ?? "";
      if (ipc.interface !== undefined && ipc.interface !== null) out.interface = ipc.interface;
      setIf(out, "gateway", ipField(ipc.gateway, ["ips", n, "gateway"]));
      return out;
    });
  }
  if (r.routes) m.routes = r.routes.map((rt, i) => routeModel(rt, ["routes", i]));
  return m;
}

// ---------------------------------------------------------------------------------------
// Results: conversions (pkg/types/{020,040,100})
// ---------------------------------------------------------------------------------------

// Models are built fresh by parseModel and only read after a conversion, so copies need not
// be deep; plain copies also keep structuredClone (a runtime module loaded on first use) off
// the plugin path.
function copyDns(d: DnsModel): DnsModel {
  const out: DnsModel = {};
  if (d.nameservers) out.nameservers = [...d.nameservers];
  if (d.domain !== undefined) out.domain = d.domain;
  if (d.search) out.search = [...d.search];
  if (d.options) out.options = [...d.options];
  return out;
}

function copyRoute(r: RouteModel): RouteModel {
  return { ...r };
}

function familyOfAddress(address: string): "4" | "6" {
  const c = parseCidr(address);
  return c && unmap(c.ip).family === 4 ? "4" : "6";
}

/** 0.1.0/0.2.0 -> 0.3.x/0.4.0 (`types040.convertFrom02x`). */
function from020To040(m: Model020, to: string): ModelRich {
  const out: ModelRich = { family: "040", cniVersion: to, dns: copyDns(m.dns), routes: [] };
  const ips: IpModel[] = [];
  for (const [ipc, v] of [[m.ip4, "4"], [m.ip6, "6"]] as const) {
    if (!ipc) continue;
    const ip: IpModel = { version: v, address: ipc.ip };
    setIf(ip, "gateway", ipc.gateway);
    ips.push(ip);
    for (const r of ipc.routes ?? []) out.routes!.push(copyRoute(r));
  }
  if (ips.length) out.ips = ips;
  return out;
}

/** 0.3.x/0.4.0 -> 0.1.0/0.2.0 (`types040.convertTo02x`). */
function from040To020(m: ModelRich, to: string): Model020 {
  const out: Model020 = { family: "020", cniVersion: to, dns: copyDns(m.dns) };
  for (const ipc of m.ips ?? []) {
    if (ipc.version === "4" && !out.ip4) {
      out.ip4 = { ip: ipc.address };
      setIf(out.ip4, "gateway", ipc.gateway);
    } else if (ipc.version === "6" && !out.ip6) {
      out.ip6 = { ip: ipc.address };
      setIf(out.ip6, "gateway", ipc.gateway);
    }
    if (out.ip4 && out.ip6) break;
  }
  for (const r of m.routes ?? []) {
    const target = familyOfAddress(r.dst) === "4" ? out.ip4 : out.ip6;
    if (!target) continue;
    const route: RouteModel = { dst: r.dst };
    setIf(route, "gw", r.gw);
    (target.routes ??= []).push(route);
  }
  if (!out.ip4 && !out.ip6) {
    throw new CniError(ErrorCode.IncompatibleCniVersion, "cannot convert: no valid IP addresses");
  }
  return out;
}

/** Interfaces copied field by field (the 0.3.x-1.x shape is the same for both). */
function copyInterfaces(m: ModelRich): IfaceModel[] | undefined {
  return m.interfaces?.map((i) => {
    const o: IfaceModel = { name: i.name };
    setIf(o, "mac", i.mac);
    setIf(o, "sandbox", i.sandbox);
    return o;
  });
}

/**
 * Between the 0.3.x/0.4.0 and 1.x families (`types100.convertFrom04x` / `convertTo04x`): the
 * same fields, except that 0.3.x/0.4.0 addresses carry a `version` ("4"/"6") and 1.x ones do not.
 */
function between040And100(m: ModelRich, to: string, family: "040" | "100"): ModelRich {
  const out: ModelRich = { family, cniVersion: to, dns: copyDns(m.dns), routes: [] };
  const interfaces = copyInterfaces(m);
  if (interfaces) out.interfaces = interfaces;
  if (m.ips) {
    out.ips = m.ips.map((ip) => {
      const o: IpModel = family === "040"
        ? { version: familyOfAddress(ip.address), address: ip.address }
        : { address: ip.address };
      setIf(o, "interface", ip.interface);
      setIf(o, "gateway", ip.gateway);
      return o;
    });
  }
  for (const r of m.routes ?? []) out.routes!.push(copyRoute(r));
  return out;
}

/** 0.3.x/0.4.0 -> 1.x (`types100.convertFrom04x`). */
function from040To100(m: ModelRich, to: string): ModelRich {
  return between040And100(m, to, "100");
}

/** 1.x -> 0.3.x/0.4.0 (`types100.convertTo04x`). */
function from100To040(m: ModelRich, to: string): ModelRich {
  return between040And100(m, to, "040");
}

function relabel<M extends Model>(m: M, to: string): M {
  return { ...m, cniVersion: to, dns: copyDns(m.dns) };
}

function convertModel(m: Model, toVersion: string): Model {
  const to = toVersion === "" ? "0.1.0" : toVersion;
  if (m.cniVersion === to) return m;
  const target = FAMILY[to];
  if (target === undefined || to === "") {
    throw new CniError(
      ErrorCode.IncompatibleCniVersion,
      `no converter for CNI result version ${m.cniVersion} to ${to}`,
    );
  }
  if (m.family === "020") {
    if (target === "020") return relabel(m, to);
    const m040 = from020To040(m, target === "040" ? to : "0.4.0");
    return target === "040" ? m040 : from040To100(m040, to);
  }
  if (m.family === "040") {
    if (target === "040") return relabel(m, to);
    if (target === "020") return from040To020(m, to);
    return from040To100(m, to);
  }
  if (target === "100") return relabel(m, to);
  const m040 = from100To040(m, target === "040" ? to : "0.4.0");
  return target === "040" ? m040 : from040To020(m040, to);
}

// ---------------------------------------------------------------------------------------
// Results: serialisation in Go's key order
// ---------------------------------------------------------------------------------------

function dnsJson(d: DnsModel, sorted: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = sorted
    ? (["domain", "nameservers", "options", "search"] as const)
    : (["nameservers", "domain", "search", "options"] as const);
  for (const k of keys) {
    const v = d[k];
    if (Array.isArray(v) ? v.length > 0 : v) out[k] = v;
  }
  return out;
}

function dnsEmpty(d: DnsModel): boolean {
  return Object.keys(dnsJson(d, false)).length === 0;
}

function routeJson(r: RouteModel, sorted: boolean): Record<string, unknown> {
  const keys = sorted
    ? (["advmss", "dst", "gw", "mtu", "priority", "scope", "table"] as const)
    : (["dst", "gw", "mtu", "advmss", "priority", "table", "scope"] as const);
  const out: Record<string, unknown> = {};
  for (const k of keys) if (r[k] !== undefined) out[k] = r[k];
  return out;
}

function modelJson(m: Model): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (m.family === "020") {
    if (m.cniVersion) out.cniVersion = m.cniVersion;
    for (const key of ["ip4", "ip6"] as const) {
      const ipc = m[key];
      if (!ipc) continue;
      const o: Record<string, unknown> = { ip: ipc.ip };
      if (ipc.gateway) o.gateway = ipc.gateway;
      if (ipc.routes && ipc.routes.length) o.routes = ipc.routes.map((r) => routeJson(r, false));
      out[key] = o;
    }
    out.dns = dnsJson(m.dns, false);
    return out;
  }
  const sorted = m.family === "100";
  const ifaceKeys = sorted
    ? (["mac", "mtu", "name", "pciID", "sandbox", "socketPath"] as const)
    : (["name", "mac", "sandbox"] as const);
  const ipKeys = sorted
    ? (["address", "gateway", "interface"] as const)
    : (["version", "interface", "address", "gateway"] as const);
  const pick = <T extends object>(obj: T, keys: readonly (keyof T)[]): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (const k of keys) if (obj[k] !== undefined) o[k as string] = obj[k];
    return o;
  };
  if (m.cniVersion) out.cniVersion = m.cniVersion;
  if (sorted && !dnsEmpty(m.dns)) out.dns = dnsJson(m.dns, true);
  if (m.interfaces?.length) {
    out.interfaces = m.interfaces.map((i) => pick(i, ifaceKeys as readonly (keyof IfaceModel)[]));
  }
  if (m.ips?.length) out.ips = m.ips.map((i) => pick(i, ipKeys as readonly (keyof IpModel)[]));
  if (m.routes?.length) out.routes = m.routes.map((r) => routeJson(r, sorted));
  if (!sorted) out.dns = dnsJson(m.dns, false);
  return out;
}

// ---------------------------------------------------------------------------------------
// Results: public API
// ---------------------------------------------------------------------------------------

/** Options for {@linkcode parseResult}. */
export interface ParseResultOptions {
  /**
   * The version to assume when the result has no (or an empty) `cniVersion`, as libcni's
   * exec does with the config's version. Without it, a missing version means 0.1.0.
   */
  defaultVersion?: string;
}

function readModel(input: unknown, options: ParseResultOptions = {}): Model {
  let value = toJsonValue(input, "decoding CNI result");
  if (value === null) value = {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `${WHAT_RESULT}: expected a JSON object, got ${describeJsonType(value)}`,
    );
  }
  const obj = value as Record<string, unknown>;
  let version = decodeVersion(obj);
  if (
    options.defaultVersion !== undefined && (obj.cniVersion === undefined ||
      obj.cniVersion === null || obj.cniVersion === "")
  ) {
    version = options.defaultVersion === "" ? "0.1.0" : options.defaultVersion;
  }
  return parseModel(obj, version);
}

/**
 * Parses and validates a result of any spec version, returning it re-serialised in its own
 * version (Go key order, canonical addresses, empty fields dropped).
 *
 * @param input JSON text, its bytes, or a parsed object (`null` counts as `{}`).
 * @param options `defaultVersion` for results without `cniVersion`.
 * @returns The result object (its `cniVersion` set; a 0.1.0 result without one says 0.1.0).
 * @throws {CniError} Code 6 on bad JSON or a bad field (naming it), code 1 on an unknown
 *   result version.
 * @example Canonical addresses
 * ```ts
 * import { parseResult } from "./version.ts";
 * const r = parseResult('{"cniVersion":"1.0.0","ips":[{"address":"fd00:0::2/64"}]}');
 * console.log(JSON.stringify(r)); // {"cniVersion":"1.0.0","ips":[{"address":"fd00::2/64"}]}
 * ```
 */
export function parseResult(
  input: unknown,
  options: ParseResultOptions = {},
): Record<string, unknown> {
  return modelJson(readModel(input, options));
}

/**
 * Converts a result of any version (read from its own `cniVersion`; missing means 0.1.0) to
 * `toVersion`, as libcni's `GetAsVersion` does: 0.2.0 `ip4`/`ip6` <-> `ips`, `version` added
 * or dropped, 1.1.0-only interface fields dropped below 1.0.0, first address of each family
 * kept for 0.x, routes split by family.
 *
 * @param result The result (object, JSON text or bytes).
 * @param toVersion The target version (`""` means 0.1.0).
 * @returns The converted result, key order as Go prints it.
 * @throws {CniError} Code 6 on a malformed result; code 1 `no converter for CNI result version
 *   X to Y` for an unknown target, `cannot convert: no valid IP addresses` when a 0.2.0
 *   result would be empty.
 * @example 1.0.0 to 0.4.0
 * ```ts
 * import { convertResult } from "./version.ts";
 * const r = convertResult({ cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24" }] }, "0.4.0");
 * console.log(JSON.stringify(r));
 * // {"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24"}],"dns":{}}
 * ```
 */
export function convertResult(result: unknown, toVersion: string): Record<string, unknown> {
  return modelJson(convertModel(readModel(result), toVersion));
}

/**
 * Converts a result of any version to the current (1.1.0) shape.
 *
 * @param result The result (object, JSON text or bytes).
 * @returns The typed 1.1.0 result.
 * @throws {CniError} As {@linkcode convertResult}.
 */
export function toCurrentResult(result: unknown): Result {
  return convertResult(result, CURRENT_VERSION) as unknown as Result;
}

/**
 * Prints a result the way Go's `types.PrintResult(result, version)` does: converted to
 * `version`, JSON indented with 4 spaces, Go escaping, no trailing newline.
 *
 * @param result The result (any version).
 * @param version The version to print in (default: the result's own).
 * @returns The text to write to stdout.
 * @throws {CniError} As {@linkcode convertResult}.
 */
export function formatResult(result: unknown, version?: string): string {
  const obj = version === undefined ? parseResult(result) : convertResult(result, version);
  return goMarshal(obj, { indent: "    " });
}
