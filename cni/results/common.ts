/**
 * What every result family shares (Go's `pkg/types/types.go`): routes, DNS and interface
 * models, their parsing with canonical addresses and field-naming errors, and their JSON in
 * struct order (0.x) or sorted (1.x).
 *
 * @module
 */
import type * as z from "../_zod.ts";
import { unmap } from "../../ip/addr.ts";
import { formatCidr, parseCidr } from "../../ip/cidr.ts";
import { parseIp } from "../../ip/parse.ts";
import { formatIp } from "../../ip/print.ts";
import { CniError, ErrorCode } from "../errors.ts";
import type { dnsSchema, routeSchema } from "../schema.ts";
import { formatPath } from "../validate.ts";

/** The message prefix of a result that does not validate. */
export const WHAT_RESULT = "invalid CNI result";

/** A route (`types.Route`). */
export interface RouteModel {
  /** Destination CIDR, canonical. */
  dst: string;
  /** Gateway, canonical. */
  gw?: string;
  /** MTU (1.1.0). */
  mtu?: number;
  /** Advertised MSS (1.1.0). */
  advmss?: number;
  /** Metric (1.1.0). */
  priority?: number;
  /** Table (1.1.0). */
  table?: number;
  /** Scope (1.1.0). */
  scope?: number;
}

/** DNS settings (`types.DNS`). */
export interface DnsModel {
  /** Name servers. */
  nameservers?: string[];
  /** Local domain. */
  domain?: string;
  /** Search domains. */
  search?: string[];
  /** Resolver options. */
  options?: string[];
}

/** An interface (0.3.x-1.x; the 1.1.0 extras only in the 1.x family). */
export interface IfaceModel {
  /** Name. */
  name: string;
  /** MAC address. */
  mac?: string;
  /** MTU (1.1.0). */
  mtu?: number;
  /** Namespace path. */
  sandbox?: string;
  /** Socket path (1.1.0). */
  socketPath?: string;
  /** PCI ID (1.1.0). */
  pciID?: string;
}

/** The path of a field in a result, for messages. */
export type FieldPath = (string | number)[];

/**
 * The error for a bad field.
 *
 * @param path The field path.
 * @param text What is wrong.
 * @returns Code 6 `invalid CNI result: field "<path>": <text>`.
 */
export function badField(path: FieldPath, text: string): CniError {
  return new CniError(
    ErrorCode.DecodingFailure,
    `${WHAT_RESULT}: field "${formatPath(path)}": ${text}`,
  );
}

/**
 * A CIDR field re-printed as Go prints it after parsing (host bits kept).
 *
 * @param value The text.
 * @param path The field path.
 * @returns The canonical text.
 * @throws {CniError} Code 6 `invalid CIDR address: <value>`.
 */
export function cidrField(value: string, path: FieldPath): string {
  const c = parseCidr(value);
  if (c === undefined) throw badField(path, `invalid CIDR address: ${value}`);
  return formatCidr(c);
}

/**
 * An optional IP field re-printed as Go prints it; empty means absent.
 *
 * @param value The text, if any.
 * @param path The field path.
 * @returns The canonical text, or `undefined`.
 * @throws {CniError} Code 6 `invalid IP address: <value>`.
 */
export function ipField(value: string | null | undefined, path: FieldPath): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const ip = parseIp(value);
  if (ip === undefined) throw badField(path, `invalid IP address: ${value}`);
  return formatIp(ip);
}

/**
 * Sets `obj[key]` when `value` is defined.
 *
 * @param obj The object.
 * @param key The key.
 * @param value The value, if any.
 */
export function setIf<T extends object, K extends keyof T>(
  obj: T,
  key: K,
  value: T[K] | undefined,
): void {
  if (value !== undefined) obj[key] = value;
}

/**
 * The DNS model of a parsed `dns` object (empty fields dropped).
 *
 * @param d The parsed object, if any.
 * @returns The model.
 */
export function dnsModel(d: z.infer<ReturnType<typeof dnsSchema>> | null | undefined): DnsModel {
  const out: DnsModel = {};
  if (!d) return out;
  setIf(out, "nameservers", d.nameservers ?? undefined);
  if (d.domain) out.domain = d.domain;
  setIf(out, "search", d.search ?? undefined);
  setIf(out, "options", d.options ?? undefined);
  return out;
}

/**
 * The route model of a parsed route (canonical addresses, zero 1.1.0 numbers dropped except
 * `table` and `scope`).
 *
 * @param r The parsed route.
 * @param path Its field path.
 * @returns The model.
 * @throws {CniError} Code 6 for a bad `dst` or `gw`.
 */
export function routeModel(
  r: z.infer<ReturnType<typeof routeSchema>>,
  path: FieldPath,
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

// Models are built fresh by a parse and only read after a conversion, so copies need not be
// deep; plain copies also keep structuredClone (a runtime module loaded on first use) off the
// plugin path.

/**
 * Copies a DNS model.
 *
 * @param d The model.
 * @returns A copy.
 */
export function copyDns(d: DnsModel): DnsModel {
  const out: DnsModel = {};
  if (d.nameservers) out.nameservers = [...d.nameservers];
  if (d.domain !== undefined) out.domain = d.domain;
  if (d.search) out.search = [...d.search];
  if (d.options) out.options = [...d.options];
  return out;
}

/**
 * Copies a route model.
 *
 * @param r The model.
 * @returns A copy.
 */
export function copyRoute(r: RouteModel): RouteModel {
  return { ...r };
}

/**
 * The family of a canonical CIDR as the 0.x `version` field says it (Go: `IP.To4() != nil`).
 *
 * @param address The CIDR text.
 * @returns `"4"` or `"6"`.
 */
export function familyOfAddress(address: string): "4" | "6" {
  const c = parseCidr(address);
  return c && unmap(c.ip).family === 4 ? "4" : "6";
}

/**
 * The JSON of a DNS model: empty fields left out, struct order or sorted.
 *
 * @param d The model.
 * @param sorted Sorted keys (1.x) instead of struct order.
 * @returns The object.
 */
export function dnsJson(d: DnsModel, sorted: boolean): Record<string, unknown> {
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

/**
 * Whether a DNS model prints as `{}`.
 *
 * @param d The model.
 * @returns True when every field is empty.
 */
export function dnsEmpty(d: DnsModel): boolean {
  return Object.keys(dnsJson(d, false)).length === 0;
}

/**
 * The JSON of a route model, struct order or sorted.
 *
 * @param r The model.
 * @param sorted Sorted keys (1.x) instead of struct order.
 * @returns The object.
 */
export function routeJson(r: RouteModel, sorted: boolean): Record<string, unknown> {
  const keys = sorted
    ? (["advmss", "dst", "gw", "mtu", "priority", "scope", "table"] as const)
    : (["dst", "gw", "mtu", "advmss", "priority", "table", "scope"] as const);
  const out: Record<string, unknown> = {};
  for (const k of keys) if (r[k] !== undefined) out[k] = r[k];
  return out;
}

/**
 * The defined fields of an object, in the given key order.
 *
 * @param obj The object.
 * @param keys The keys to keep, in order.
 * @returns A new object.
 */
export function pickDefined<T extends object>(
  obj: T,
  keys: readonly (keyof T)[],
): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k of keys) if (obj[k] !== undefined) o[k as string] = obj[k];
  return o;
}
