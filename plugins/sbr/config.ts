/**
 * sbr (source-based routing) configuration, as the newest reference `plugins/meta/sbr` reads
 * it: `table` (put every address's rule on this one table and touch no route), `gateways` (at
 * most one IPv4 and one IPv6 gateway to use instead of the addresses' own) and
 * `addSourceHints` (keep subnet routes in the main table, with the address as source hint).
 * Everything is checked before anything changes (the reference checks `gateways` half-way).
 *
 * @module
 */
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import { parseNetconf } from "../../cni/validate.ts";
import { formatIp, parseIp } from "../../ip/mod.ts";

/** The validated sbr configuration. */
export interface SbrConf {
  /** Network name. */
  name: string;
  /** The config's `cniVersion`. */
  cniVersion: string;
  /** `table`: one given table for every rule (no routes moved); undefined picks from 100. */
  table: number | undefined;
  /** The IPv4 gateway of `gateways`, if any. */
  gatewayV4: string | undefined;
  /** The IPv6 gateway of `gateways`, if any. */
  gatewayV6: string | undefined;
  /** `addSourceHints`. */
  addSourceHints: boolean;
}

const schema = lazy(() =>
  z.looseObject({
    cniVersion: z.string(),
    name: z.string(),
    table: z.optional(z.nullable(
      z.int().check(
        z.refine((n) => n >= 0 && n <= 0xffffffff, "must be a routing table id 0..4294967295"),
      ),
    )),
    gateways: z.optional(z.nullable(z.array(z.string()))),
    addSourceHints: z.optional(z.nullable(z.boolean())),
  })
);

function fail(msg: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg);
}

/**
 * Loads and validates an sbr configuration.
 *
 * @example Static gateways for both families
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSbrConf } from "./config.ts";
 * const conf = loadSbrConf({
 *   cniVersion: "1.0.0", name: "n", type: "sbr", gateways: ["10.0.0.1", "fd00::1"],
 * });
 * assert.deepEqual([conf.gatewayV4, conf.gatewayV6], ["10.0.0.1", "fd00::1"]);
 * ```
 *
 * @param config The parsed stdin JSON.
 * @param options `lenient`: drop what does not validate (DEL).
 * @returns The configuration.
 * @throws {CniError} Code 7 naming a bad field, or with the reference's `gateways` messages.
 */
export function loadSbrConf(config: unknown, options: { lenient?: boolean } = {}): SbrConf {
  const what = "failed to parse network configuration";
  const raw = parseNetconf(schema(), config, { what, lenient: options.lenient });
  let gatewayV4: string | undefined;
  let gatewayV6: string | undefined;
  const gws = raw.gateways ?? [];
  const problems: string[] = [];
  if (gws.length > 2) {
    problems.push("gateways list cannot contain more than 2 entries (one IPv4, one IPv6)");
  }
  for (const gw of gws) {
    const ip = parseIp(gw);
    if (!ip) {
      problems.push(`invalid static gateway IP address: ${gw}`);
    } else if (ip.family === 4) {
      if (gatewayV4 !== undefined) {
        problems.push(`gateways list contains multiple IPv4 addresses: ${gatewayV4} and ${gw}`);
      }
      gatewayV4 ??= formatIp(ip);
    } else {
      if (gatewayV6 !== undefined) {
        problems.push(`gateways list contains multiple IPv6 addresses: ${gatewayV6} and ${gw}`);
      }
      gatewayV6 ??= formatIp(ip);
    }
  }
  if (problems.length > 0 && !options.lenient) throw fail(problems.join("; "));
  return {
    name: raw.name,
    cniVersion: raw.cniVersion,
    table: raw.table ?? undefined,
    gatewayV4,
    gatewayV6,
    addSourceHints: raw.addSourceHints ?? false,
  };
}
