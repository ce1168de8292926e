/**
 * The 1.0.0 / 1.1.0 result family (Go's `pkg/types/100`): interfaces (with the 1.1.0 `mtu`,
 * `socketPath` and `pciID`), addresses without `version`, routes and `dns`, printed with
 * sorted keys and no empty `dns` (Go's `MarshalJSON` round-trips through a map); and the
 * conversions to and from the 0.3.x / 0.4.0 family (`convertFrom04x`, `convertTo04x`).
 *
 * @module
 */
import {
  dnsEmpty,
  dnsJson,
  type DnsModel,
  familyOfAddress,
  type IfaceModel,
  pickDefined,
  routeJson,
  type RouteModel,
} from "./common.ts";
import type { Ip040Model, Model040 } from "./types_040.ts";
import { convertParts, type IpPart, parseResultParts } from "./family_parts.ts";

/** The spec versions of this family. */
export const VERSIONS_100: readonly string[] = ["1.0.0", "1.1.0"];

/** An address (`ips[]`) of this family: the part both families share. */
export type Ip100Model = IpPart;

/** A 1.0.0 / 1.1.0 result. */
export interface Model100 {
  /** Family tag. */
  family: "100";
  /** Its version. */
  cniVersion: string;
  /** Interfaces. */
  interfaces?: IfaceModel[];
  /** Addresses. */
  ips?: Ip100Model[];
  /** Routes. */
  routes?: RouteModel[];
  /** DNS. */
  dns: DnsModel;
}

/**
 * Validates a 1.0.0 / 1.1.0 result and builds its model.
 *
 * @param value The parsed JSON object.
 * @param version Its version.
 * @returns The model.
 * @throws {CniError} Code 6 naming a bad field.
 */
export function parse100(value: unknown, version: string): Model100 {
  const parts = parseResultParts(
    value,
    ["mac", "mtu", "sandbox", "socketPath", "pciID"],
    (ip): Ip100Model => ip,
  );
  return { family: "100", cniVersion: version, ...parts };
}

/**
 * The JSON of a 1.0.0 / 1.1.0 result: keys sorted at every level, `dns` left out when empty.
 *
 * @param m The model.
 * @returns The object.
 */
export function json100(m: Model100): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (m.cniVersion) out.cniVersion = m.cniVersion;
  if (!dnsEmpty(m.dns)) out.dns = dnsJson(m.dns, true);
  if (m.interfaces?.length) {
    out.interfaces = m.interfaces.map((i) =>
      pickDefined(i, ["mac", "mtu", "name", "pciID", "sandbox", "socketPath"])
    );
  }
  if (m.ips?.length) {
    out.ips = m.ips.map((i) => pickDefined(i, ["address", "gateway", "interface"]));
  }
  if (m.routes?.length) out.routes = m.routes.map((r) => routeJson(r, true));
  return out;
}

/**
 * 0.3.x / 0.4.0 to this family (`types100.convertFrom04x`): the same fields, `version` dropped.
 *
 * @param m The 0.3.x / 0.4.0 model.
 * @param to The target version.
 * @returns The model.
 */
export function from040(m: Model040, to: string): Model100 {
  return {
    family: "100",
    cniVersion: to,
    ...convertParts(m, (address): Ip100Model => ({ address })),
  };
}

/**
 * This family to 0.3.x / 0.4.0 (`types100.convertTo04x`): the same fields, each address's
 * `version` derived from it, the 1.1.0 interface fields dropped.
 *
 * @param m The model.
 * @param to The target version.
 * @returns The 0.3.x / 0.4.0 model.
 */
export function to040(m: Model100, to: string): Model040 {
  const ip = (address: string): Ip040Model => ({ version: familyOfAddress(address), address });
  return { family: "040", cniVersion: to, ...convertParts(m, ip) };
}
