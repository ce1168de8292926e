/**
 * static IPAM's verbs: ADD reports the configured addresses, routes and DNS; DEL has nothing
 * to release; CHECK validates the configuration and compares it with `prevResult`. No state
 * on disk, no locks, no kernel objects.
 *
 * @module
 */
import { syncVerb } from "../_sync_verb.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { CmdArgs, PluginContext, PluginFns } from "../../cni/plugin.ts";

import { CURRENT_VERSION, type IPConfig, type Result } from "../../cni/types.ts";
import { formatCidr, formatIp, ipEquals, parseCidr, parseIp } from "../../ip/mod.ts";
import { loadStaticConf } from "./config.ts";
import { builtinAbout } from "../about.ts";

/**
 * ADD: `{cniVersion, ips: [{address, gateway?}], routes, dns}` (no `interface` index on the
 * addresses; the consuming plugin assigns it). Zero addresses is a valid result, as in the
 * reference.
 *
 * @param args The call's arguments.
 * @returns The result in the current (1.1.0) shape.
 * @throws {CniError} Code 7 for a bad configuration or `CNI_ARGS` (see `loadStaticConf`).
 */
export function cmdAdd(args: CmdArgs): Result {
  const conf = loadStaticConf(args.config, args.args);
  const result: Result = { cniVersion: CURRENT_VERSION };
  if (conf.addresses.length > 0) {
    result.ips = conf.addresses.map((a) => {
      const ip: IPConfig = { address: formatCidr(a.cidr) };
      if (a.gateway) ip.gateway = formatIp(a.gateway);
      return ip;
    });
  }
  if (conf.routes.length > 0) result.routes = conf.routes;
  result.dns = conf.dns;
  return result;
}

/**
 * CHECK: the configuration must load, `prevResult` must be present, and every configured
 * address found in `prevResult` with a configured gateway must carry that gateway
 * (`static: Failed to match addr <ip> on interface <ifname>`). A configured address absent
 * from `prevResult` passes, as in the reference.
 *
 * @param args The call's arguments.
 * @throws {CniError} Code 7 for a bad configuration, 999 for a missing `prevResult` or a
 *   mismatch.
 */
export function cmdCheck(args: CmdArgs): void {
  const conf = loadStaticConf(args.config, args.args);
  const prev = args.config.prevResult as Result | undefined;
  if (prev === undefined || prev === null) {
    throw new CniError(ErrorCode.Internal, "Required prevResult missing");
  }
  const found = (prev.ips ?? []).flatMap((ip) => {
    const cidr = parseCidr(ip.address);
    if (!cidr) return [];
    const gw = ip.gateway ? parseIp(ip.gateway) : undefined;
    return [{ cidr, gw }];
  });
  for (const want of conf.addresses) {
    for (const have of found) {
      if (!ipEquals(want.cidr.ip, have.cidr.ip)) continue;
      if (!want.gateway) break;
      if (have.gw && ipEquals(want.gateway, have.gw)) break;
      throw new CniError(
        ErrorCode.Internal,
        `static: Failed to match addr ${formatIp(have.cidr.ip)} on interface ${args.ifName}`,
      );
    }
  }
}

/**
 * The static plugin's functions. DEL releases nothing (and reads nothing: the dispatcher
 * has already checked the JSON); STATUS and GC are left to the dispatcher's no-op success,
 * as at the reference HEAD.
 */
export const plugin: PluginFns = {
  add: syncVerb(cmdAdd),
  check: syncVerb(cmdCheck),
  del: (_args: CmdArgs, _ctx: PluginContext) => Promise.resolve(),
  ...builtinAbout("static"),
};
