/**
 * The 0.3.0 / 0.3.1 / 0.4.0 result family (Go's `pkg/types/040`): interfaces, addresses with
 * a `version` ("4"/"6"), routes and `dns`, printed in struct order; and the conversions to
 * and from the 0.1.0 / 0.2.0 family (`convertFrom02x`, `convertTo02x`).
 *
 * @module
 */
import { CniError, ErrorCode } from "../errors.ts";
import {
  copyDns,
  copyRoute,
  dnsJson,
  type DnsModel,
  familyOfAddress,
  type IfaceModel,
  pickDefined,
  routeJson,
  type RouteModel,
  setIf,
} from "./common.ts";
import type { Model020 } from "./types_020.ts";
import { parseResultParts } from "./family_parts.ts";

/** The spec versions of this family. */
export const VERSIONS_040: readonly string[] = ["0.3.0", "0.3.1", "0.4.0"];

/** An address (`ips[]`) of this family. */
export interface Ip040Model {
  /** `"4"` or `"6"` (as given; empty when absent). */
  version: string;
  /** Index into `interfaces`. */
  interface?: number;
  /** Address and prefix, canonical. */
  address: string;
  /** Gateway, canonical. */
  gateway?: string;
}

/** A 0.3.x / 0.4.0 result. */
export interface Model040 {
  /** Family tag. */
  family: "040";
  /** Its version. */
  cniVersion: string;
  /** Interfaces (name, mac, sandbox). */
  interfaces?: IfaceModel[];
  /** Addresses. */
  ips?: Ip040Model[];
  /** Routes. */
  routes?: RouteModel[];
  /** DNS. */
  dns: DnsModel;
}

/**
 * Validates a 0.3.x / 0.4.0 result and builds its model (1.1.0-only interface fields ignored).
 *
 * @param value The parsed JSON object.
 * @param version Its version.
 * @returns The model.
 * @throws {CniError} Code 6 naming a bad field.
 */
export function parse040(value: unknown, version: string): Model040 {
  const parts = parseResultParts(
    value,
    ["mac", "sandbox"],
    (ip, v): Ip040Model => ({ ...ip, version: v }),
  );
  return { family: "040", cniVersion: version, ...parts };
}

/**
 * The JSON of a 0.3.x / 0.4.0 result, in Go's struct order (`dns` always present, last).
 *
 * @param m The model.
 * @returns The object.
 */
export function json040(m: Model040): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (m.cniVersion) out.cniVersion = m.cniVersion;
  if (m.interfaces?.length) {
    out.interfaces = m.interfaces.map((i) => pickDefined(i, ["name", "mac", "sandbox"]));
  }
  if (m.ips?.length) {
    out.ips = m.ips.map((i) => pickDefined(i, ["version", "interface", "address", "gateway"]));
  }
  if (m.routes?.length) out.routes = m.routes.map((r) => routeJson(r, false));
  out.dns = dnsJson(m.dns, false);
  return out;
}

/**
 * 0.1.0 / 0.2.0 to this family (`types040.convertFrom02x`): `ip4` then `ip6` become `ips`
 * with their `version`, their routes are concatenated.
 *
 * @param m The 0.1.0 / 0.2.0 model.
 * @param to The target version.
 * @returns The model.
 */
export function from020(m: Model020, to: string): Model040 {
  const out: Model040 = { family: "040", cniVersion: to, dns: copyDns(m.dns), routes: [] };
  const ips: Ip040Model[] = [];
  for (const [ipc, v] of [[m.ip4, "4"], [m.ip6, "6"]] as const) {
    if (!ipc) continue;
    const ip: Ip040Model = { version: v, address: ipc.ip };
    setIf(ip, "gateway", ipc.gateway);
    ips.push(ip);
    for (const r of ipc.routes ?? []) out.routes!.push(copyRoute(r));
  }
  if (ips.length) out.ips = ips;
  return out;
}

/**
 * This family to 0.1.0 / 0.2.0 (`types040.convertTo02x`): the first address of each
 * `version` kept, routes split by the family of their destination.
 *
 * @param m The model.
 * @param to The target version.
 * @returns The 0.1.0 / 0.2.0 model.
 * @throws {CniError} Code 1 `cannot convert: no valid IP addresses` when none is left.
 */
export function to020(m: Model040, to: string): Model020 {
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
