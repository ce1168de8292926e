/**
 * The 0.1.0 / 0.2.0 result family (Go's `pkg/types/020`): one `ip4` and one `ip6` object,
 * each with its routes, and `dns`, printed in struct order.
 *
 * @module
 */
import type * as z from "../_zod.ts";
import { result020Schema } from "../schema.ts";
import { parseWith } from "../validate.ts";
import {
  cidrField,
  dnsJson,
  type DnsModel,
  dnsModel,
  ipField,
  routeJson,
  type RouteModel,
  routeModel,
  setIf,
  WHAT_RESULT,
} from "./common.ts";

/** The spec versions of this family (`""` also reads as 0.1.0). */
export const VERSIONS_020: readonly string[] = ["0.1.0", "0.2.0"];

/** An `ip4` / `ip6` object. */
export interface Ip020Model {
  /** Address and prefix, canonical. */
  ip: string;
  /** Gateway, canonical. */
  gateway?: string;
  /** Routes of this family. */
  routes?: RouteModel[];
}

/** A 0.1.0 / 0.2.0 result. */
export interface Model020 {
  /** Family tag. */
  family: "020";
  /** Its version. */
  cniVersion: string;
  /** The IPv4 configuration. */
  ip4?: Ip020Model;
  /** The IPv6 configuration. */
  ip6?: Ip020Model;
  /** DNS. */
  dns: DnsModel;
}

/**
 * Validates a 0.1.0 / 0.2.0 result and builds its model.
 *
 * @param value The parsed JSON object.
 * @param version Its version (`""` means 0.1.0).
 * @returns The model.
 * @throws {CniError} Code 6 naming a bad field.
 */
export function parse020(value: unknown, version: string): Model020 {
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
    family: "020",
    cniVersion: version === "" ? "0.1.0" : version,
    dns: dnsModel(r.dns),
  };
  setIf(m, "ip4", ip(r.ip4, "ip4"));
  setIf(m, "ip6", ip(r.ip6, "ip6"));
  return m;
}

/**
 * The JSON of a 0.1.0 / 0.2.0 result, in Go's struct order (`dns` always present).
 *
 * @param m The model.
 * @returns The object.
 */
export function json020(m: Model020): Record<string, unknown> {
  const out: Record<string, unknown> = {};
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
