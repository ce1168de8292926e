/**
 * static IPAM configuration: `ipam.addresses` (each `address` in CIDR notation, host bits
 * kept, with an optional `gateway`), `ipam.routes` and `ipam.dns` copied to the result, the
 * `IP` / `GATEWAY` keys of `CNI_ARGS`, `args.cni.ips` and the `ips` capability
 * (`runtimeConfig.ips`), with the reference's precedence and messages:
 *
 * 1. `CNI_ARGS` `IP=<cidr>[,<cidr>...]` is **appended** to the configured addresses;
 *    `GATEWAY=<ip>[,<ip>...]` sets the gateway of each `IP=` address whose subnet holds it
 *    (the last match wins; configured addresses keep their own `gateway`).
 * 2. `args.cni.ips` **replaces** all of that, then `runtimeConfig.ips` replaces again; both
 *    carry no gateways.
 * 3. Below cniVersion 0.3.0 at most one address per family.
 *
 * Everything is validated before a result is built; errors are `CniError` code 7 (the
 * reference answers 999 for all of them).
 *
 * @module
 */
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import { loadPluginArgs } from "../../cni/args.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import { dnsSchema, routeSchema } from "../../cni/schema.ts";
import type { DNS, NetConf, Route } from "../../cni/types.ts";
import { parseWith } from "../../cni/validate.ts";
import { versionGte } from "../../cni/version.ts";
import {
  type Cidr,
  cidrContains,
  formatCidr,
  formatIp,
  type IpAddr,
  parseCidr,
  parseIp,
} from "../../ip/mod.ts";

/** One address of the result. */
export interface StaticAddress {
  /** The address with its prefix, host bits kept (`10.10.0.1/24`). */
  cidr: Cidr;
  /** The gateway, if any. */
  gateway?: IpAddr;
}

/** The loaded static IPAM configuration. */
export interface StaticConf {
  /** The config's `cniVersion`. */
  cniVersion: string;
  /** The addresses, in result order, after CNI_ARGS / args / runtimeConfig. */
  addresses: StaticAddress[];
  /** Routes for the result (canonical text, the 1.1.0 extras kept). */
  routes: Route[];
  /** DNS for the result (only the fields that are set). */
  dns: DNS;
}

/** The part of the netconf static reads (built on first use, never at import). */
const staticSchema = lazy(() => {
  const optString = z.optional(z.nullable(z.string()));
  const ips = z.optional(z.nullable(z.array(z.string())));
  return z.looseObject({
    ipam: z.optional(z.nullable(z.looseObject({
      type: optString,
      addresses: z.optional(z.nullable(z.array(z.looseObject({
        address: optString,
        gateway: optString,
      })))),
      routes: z.optional(z.nullable(z.array(routeSchema()))),
      dns: z.optional(z.nullable(dnsSchema())),
    }))),
    runtimeConfig: z.optional(z.nullable(z.looseObject({ ips }))),
    args: z.optional(z.nullable(z.looseObject({
      cni: z.optional(z.nullable(z.looseObject({ ips }))),
    }))),
  });
});

function configError(msg: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg);
}

/** A gateway or route `gw` as Go's `net.IP` JSON decoding reads it ("" is no address). */
function optionalIp(text: string | null | undefined): IpAddr | undefined {
  if (text === undefined || text === null || text === "") return undefined;
  const ip = parseIp(text);
  if (!ip) throw configError(`invalid IP address: ${text}`);
  return ip;
}

function canonicalRoute(r: z.infer<ReturnType<typeof routeSchema>>): Route {
  const dst = parseCidr(r.dst);
  if (!dst) throw configError(`invalid CIDR address: ${r.dst}`);
  const out: Route = { dst: formatCidr(dst) };
  const gw = optionalIp(r.gw);
  if (gw) out.gw = formatIp(gw);
  for (const key of ["mtu", "advmss", "priority", "table", "scope"] as const) {
    const v = r[key];
    if (v !== undefined && v !== null) out[key] = v;
  }
  return out;
}

function canonicalDns(d: z.infer<ReturnType<typeof dnsSchema>> | null | undefined): DNS {
  const out: DNS = {};
  if (!d) return out;
  if (d.nameservers && d.nameservers.length > 0) out.nameservers = d.nameservers;
  if (d.domain) out.domain = d.domain;
  if (d.search && d.search.length > 0) out.search = d.search;
  if (d.options && d.options.length > 0) out.options = d.options;
  return out;
}

function commaList(value: string): string[] {
  return value.split(",");
}

function replacementIps(list: readonly string[]): StaticAddress[] {
  return list.map((text) => {
    const cidr = parseCidr(text);
    if (!cidr) {
      throw configError(`an entry in the 'ips' field is NOT in CIDR notation, got: '${text}'`);
    }
    return { cidr };
  });
}

/**
 * Loads the static IPAM configuration from a plugin's netconf and `CNI_ARGS`.
 *
 * @example Addresses from the config and from CNI_ARGS
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadStaticConf } from "./config.ts";
 * const conf = loadStaticConf({
 *   cniVersion: "1.0.0", name: "n", type: "bridge",
 *   ipam: { type: "static", addresses: [{ address: "10.10.0.1/24", gateway: "10.10.0.254" }] },
 * }, "IP=10.10.1.5/24;GATEWAY=10.10.1.1");
 * assert.equal(conf.addresses.length, 2);
 * ```
 *
 * @param config The netconf (the calling plugin's whole configuration).
 * @param cniArgs `CNI_ARGS` (`IP`, `GATEWAY`, `IgnoreUnknown`).
 * @returns The validated configuration.
 * @throws {CniError} Code 7: a field of the wrong type, `IPAM config missing 'ipam' key`,
 *   `invalid IP address: <gw>`, `invalid CIDR address: <dst>`, the `ARGS: ...` errors,
 *   `the 'ip' field is expected to be in CIDR notation, got: '<ip>'`,
 *   `invalid gateway address: <gw>`, `an entry in the 'ips' field is NOT in CIDR notation,
 *   got: '<ip>'`, `the 'address' field is expected to be in CIDR notation, got: '<address>'`,
 *   `CNI version <v> does not support more than 1 address per family`.
 */
export function loadStaticConf(config: NetConf, cniArgs: string): StaticConf {
  const n = parseWith(staticSchema(), config, { what: "invalid static IPAM config" });
  // What Go's JSON decoding rejects, before anything else.
  const configured = (n.ipam?.addresses ?? []).map((a) => ({
    text: a.address ?? "",
    gateway: optionalIp(a.gateway),
  }));
  const routes = (n.ipam?.routes ?? []).map(canonicalRoute);
  if (!n.ipam) throw configError("IPAM config missing 'ipam' key");

  const env = loadPluginArgs(cniArgs, ["IP", "GATEWAY"]);
  const fromArgs: StaticAddress[] = [];
  if (env.IP) {
    for (const item of commaList(env.IP)) {
      const text = item.trim();
      const cidr = parseCidr(text);
      if (!cidr) {
        throw configError(`the 'ip' field is expected to be in CIDR notation, got: '${text}'`);
      }
      fromArgs.push({ cidr });
    }
  }
  if (env.GATEWAY) {
    for (const item of commaList(env.GATEWAY)) {
      const gw = parseIp(item.trim());
      if (!gw) throw configError(`invalid gateway address: ${item}`);
      for (const a of fromArgs) if (cidrContains(a.cidr, gw)) a.gateway = gw;
    }
  }

  let addresses: StaticAddress[] | undefined;
  const argsIps = n.args?.cni?.ips ?? [];
  if (argsIps.length > 0) addresses = replacementIps(argsIps);
  const runtimeIps = n.runtimeConfig?.ips ?? [];
  if (runtimeIps.length > 0) addresses = replacementIps(runtimeIps);
  if (!addresses) {
    addresses = configured.map((a) => {
      const cidr = parseCidr(a.text);
      if (!cidr) {
        throw configError(
          `the 'address' field is expected to be in CIDR notation, got: '${a.text}'`,
        );
      }
      return a.gateway ? { cidr, gateway: a.gateway } : { cidr };
    });
    addresses.push(...fromArgs);
  }

  let v4 = 0;
  let v6 = 0;
  for (const a of addresses) {
    if (a.cidr.ip.family === 4) v4++;
    else v6++;
  }
  if ((v4 > 1 || v6 > 1) && !versionGte(config.cniVersion, "0.3.0")) {
    throw configError(
      `CNI version ${config.cniVersion} does not support more than 1 address per family`,
    );
  }
  return {
    cniVersion: config.cniVersion,
    addresses,
    routes,
    dns: canonicalDns(n.ipam.dns),
  };
}
