/**
 * What the 0.3.x / 0.4.0 and the 1.0.0 / 1.1.0 result families share: reading a result's
 * parts (`dns`, interfaces, addresses, routes) from JSON, and copying them from one family to
 * the other. `types_040.ts` and `types_100.ts` add what differs (each address's `version`, the
 * 1.1.0 interface fields, the JSON key order).
 *
 * @module
 */
import { resultSchema } from "../schema.ts";
import { parseWith } from "../validate.ts";
import {
  cidrField,
  copyDns,
  copyRoute,
  type DnsModel,
  dnsModel,
  type IfaceModel,
  ipField,
  type RouteModel,
  routeModel,
  setIf,
  WHAT_RESULT,
} from "./common.ts";

/** An address as both families hold it (0.3.x / 0.4.0 add a `version`). */
export interface IpPart {
  /** Index into `interfaces`. */
  interface?: number;
  /** Address and prefix, canonical. */
  address: string;
  /** Gateway, canonical. */
  gateway?: string;
}

/** The optional interface fields a family reads (`name` is always read). */
export type IfaceField = Exclude<keyof IfaceModel, "name">;

/** A result's parts, with the addresses of type `I`. */
export interface ResultParts<I> {
  /** DNS. */
  dns: DnsModel;
  /** Interfaces. */
  interfaces?: IfaceModel[];
  /** Addresses. */
  ips?: I[];
  /** Routes. */
  routes?: RouteModel[];
}

/**
 * Validates a 0.3.0 - 1.1.0 result and reads its parts.
 *
 * @param value The parsed JSON object.
 * @param ifaceFields The interface fields the family knows (others are ignored).
 * @param ip Makes the family's address from the common part and the given `version` (`""`
 *   when absent).
 * @returns The parts.
 * @throws {CniError} Code 6 naming a bad field.
 */
export function parseResultParts<I>(
  value: unknown,
  ifaceFields: readonly IfaceField[],
  ip: (common: IpPart, version: string) => I,
): ResultParts<I> {
  const r = parseWith(resultSchema(), value, { what: WHAT_RESULT, code: 6 });
  const parts: ResultParts<I> = { dns: dnsModel(r.dns) };
  if (r.interfaces) {
    parts.interfaces = r.interfaces.map((i) => {
      const out: IfaceModel = { name: i.name ?? "" };
      for (const f of ifaceFields) if (i[f]) Object.assign(out, { [f]: i[f] });
      return out;
    });
  }
  if (r.ips) {
    parts.ips = r.ips.map((ipc, n) => {
      const out: IpPart = { address: cidrField(ipc.address, ["ips", n, "address"]) };
      if (ipc.interface !== undefined && ipc.interface !== null) out.interface = ipc.interface;
      setIf(out, "gateway", ipField(ipc.gateway, ["ips", n, "gateway"]));
      return ip(out, ipc.version ?? "");
    });
  }
  if (r.routes) parts.routes = r.routes.map((rt, i) => routeModel(rt, ["routes", i]));
  return parts;
}

/**
 * Copies a result's parts to the other family: `dns` and routes as they are, interfaces
 * reduced to name, mac and sandbox (the shape both families share), each address made by
 * `ip` and given its interface and gateway.
 *
 * @param m The result of one family.
 * @param ip Makes the other family's address from the address text.
 * @returns The parts (`routes` always present, maybe empty, as the reference converts).
 */
export function convertParts<O extends Omit<IpPart, "address">>(
  m: ResultParts<IpPart>,
  ip: (address: string) => O,
): ResultParts<O> & { routes: RouteModel[] } {
  const out: ResultParts<O> & { routes: RouteModel[] } = {
    dns: copyDns(m.dns),
    routes: (m.routes ?? []).map(copyRoute),
  };
  if (m.interfaces) {
    out.interfaces = m.interfaces.map((i) => {
      const o: IfaceModel = { name: i.name };
      setIf(o, "mac", i.mac);
      setIf(o, "sandbox", i.sandbox);
      return o;
    });
  }
  if (m.ips) {
    out.ips = m.ips.map((i) => {
      const o = ip(i.address);
      setIf(o, "interface", i.interface);
      setIf(o, "gateway", i.gateway);
      return o;
    });
  }
  return out;
}
