/**
 * The 1.0.0 / 1.1.0 result family (Go's `pkg/types/100`): interfaces (with the 1.1.0 `mtu`,
 * `socketPath` and `pciID`), addresses without `version`, routes and `dns`, printed with
 * sorted keys and no empty `dns` (Go's `MarshalJSON` round-trips through a map); and the
 * conversions to and from the 0.3.x / 0.4.0 family (`convertFrom04x`, `convertTo04x`).
 *
 * @module
 */
import { resultSchema } from "../schema.ts";
import { parseWith } from "../validate.ts";
import {
  cidrField,
  copyDns,
  copyRoute,
  dnsEmpty,
  dnsJson,
  type DnsModel,
  dnsModel,
  familyOfAddress,
  type IfaceModel,
  ipField,
  pickDefined,
  routeJson,
  type RouteModel,
  routeModel,
  setIf,
  WHAT_RESULT,
} from "./common.ts";
import type { Ip040Model, Model040 } from "./types_040.ts";

/** The spec versions of this family. */
export const VERSIONS_100: readonly string[] = ["1.0.0", "1.1.0"];

/** An address (`ips[]`) of this family. */
export interface Ip100Model {
  /** Index into `interfaces`. */
  interface?: number;
  /** Address and prefix, canonical. */
  address: string;
  /** Gateway, canonical. */
  gateway?: string;
}

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
  const r = parseWith(resultSchema(), value, { what: WHAT_RESULT, code: 6 });
  const m: Model100 = { family: "100", cniVersion: version, dns: dnsModel(r.dns) };
  if (r.interfaces) {
    m.interfaces = r.interfaces.map((i) => {
      const out: IfaceModel = { name: i.name ?? "" };
      if (i.mac) out.mac = i.mac;
      if (i.mtu) out.mtu = i.mtu;
      if (i.sandbox) out.sandbox = i.sandbox;
      if (i.socketPath) out.socketPath = i.socketPath;
      if (i.pciID) out.pciID = i.pciID;
      return out;
    });
  }
  if (r.ips) {
    m.ips = r.ips.map((ipc, n) => {
      const out: Ip100Model = { address: cidrField(ipc.address, ["ips", n, "address"]) };
      if (ipc.interface !== undefined && ipc.interface !== null) out.interface = ipc.interface;
      setIf(out, "gateway", ipField(ipc.gateway, ["ips", n, "gateway"]));
      return out;
    });
  }
  if (r.routes) m.routes = r.routes.map((rt, i) => routeModel(rt, ["routes", i]));
  return m;
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

/** Interfaces copied field by field: name, mac and sandbox (the shape both families share). */
function copyInterfaces(interfaces: IfaceModel[] | undefined): IfaceModel[] | undefined {
  return interfaces?.map((i) => {
    const o: IfaceModel = { name: i.name };
    setIf(o, "mac", i.mac);
    setIf(o, "sandbox", i.sandbox);
    return o;
  });
}

/**
 * 0.3.x / 0.4.0 to this family (`types100.convertFrom04x`): the same fields, `version` dropped.
 *
 * @param m The 0.3.x / 0.4.0 model.
 * @param to The target version.
 * @returns The model.
 */
export function from040(m: Model040, to: string): Model100 {
  const out: Model100 = { family: "100", cniVersion: to, dns: copyDns(m.dns), routes: [] };
  const interfaces = copyInterfaces(m.interfaces);
  if (interfaces) out.interfaces = interfaces;
  if (m.ips) {
    out.ips = m.ips.map((ip) => {
      const o: Ip100Model = { address: ip.address };
      setIf(o, "interface", ip.interface);
      setIf(o, "gateway", ip.gateway);
      return o;
    });
  }
  for (const r of m.routes ?? []) out.routes!.push(copyRoute(r));
  return out;
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
  const out: Model040 = { family: "040", cniVersion: to, dns: copyDns(m.dns), routes: [] };
  const interfaces = copyInterfaces(m.interfaces);
  if (interfaces) out.interfaces = interfaces;
  if (m.ips) {
    out.ips = m.ips.map((ip) => {
      const o: Ip040Model = { version: familyOfAddress(ip.address), address: ip.address };
      setIf(o, "interface", ip.interface);
      setIf(o, "gateway", ip.gateway);
      return o;
    });
  }
  for (const r of m.routes ?? []) out.routes!.push(copyRoute(r));
  return out;
}
