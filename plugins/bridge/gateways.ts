/**
 * The reference's `calcGateways`, pure: gateway defaults, default routes and the per-family
 * gateway lists the bridge gets.
 *
 * @module
 */
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { IPConfig, Result } from "../../cni/types.ts";
import type { BridgeConf } from "./config.ts";
import { formatIp, isUnspecified, networkOf, nextIp, parseCidr } from "../../ip/mod.ts";

/** Gateways of one family (`gwInfo`). */
export interface GatewayInfo {
  /** 4 or 6. */
  family: 4 | 6;
  /** `gw/prefix` entries for the bridge. */
  gws: string[];
  /** Whether a default route with a gateway is in the result. */
  defaultRouteFound: boolean;
}

/**
 * The reference's `calcGateways`: every IP gets `interface: 2`, a missing gateway becomes
 * network+1 when the bridge is a gateway, a default route per family is appended for
 * `isDefaultGateway` unless one with a `gw` exists, and each family's gateways are collected
 * as `gw/prefix-of-the-ip`.
 *
 * @param result The result being built (changed in place).
 * @param conf The bridge configuration.
 * @returns The IPv4 and IPv6 gateway lists.
 * @throws {CniError} Code 999 for an address that is not an IP.
 */
export function calcGateways(
  result: Result,
  conf: Pick<BridgeConf, "isGateway" | "isDefaultGateway">,
): { v4: GatewayInfo; v6: GatewayInfo } {
  const v4: GatewayInfo = { family: 4, gws: [], defaultRouteFound: false };
  const v6: GatewayInfo = { family: 6, gws: [], defaultRouteFound: false };
  const routes = result.routes ?? [];
  result.ips = (result.ips ?? []).map((orig) => {
    const addr = parseCidr(orig.address);
    if (!addr) throw new CniError(ErrorCode.Internal, `Unknown IP object: ${JSON.stringify(orig)}`);
    const family = addr.ip.family;
    const info = family === 4 ? v4 : v6;
    const defaultDst = family === 4 ? "0.0.0.0/0" : "::/0";
    const ipc: IPConfig = { interface: 2, address: orig.address };
    let gateway = orig.gateway;
    if (gateway === undefined && conf.isGateway) gateway = formatIp(nextIp(networkOf(addr).ip));
    if (gateway !== undefined) ipc.gateway = gateway;
    if (conf.isDefaultGateway && !info.defaultRouteFound) {
      info.defaultRouteFound = routes.some((r) => {
        const dst = parseCidr(r.dst);
        return r.gw !== undefined && dst !== undefined && dst.ip.family === family &&
          dst.prefix === 0 && isUnspecified(dst.ip);
      });
      if (!info.defaultRouteFound) {
        routes.push(gateway === undefined ? { dst: defaultDst } : { dst: defaultDst, gw: gateway });
        info.defaultRouteFound = true;
      }
    }
    if (conf.isGateway && gateway !== undefined) info.gws.push(`${gateway}/${addr.prefix}`);
    return ipc;
  });
  if (routes.length > 0) result.routes = routes;
  return { v4, v6 };
}
