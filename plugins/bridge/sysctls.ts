/**
 * The bridge plugin's sysctls: plain writes whose failure the reference ignores
 * (`accept_ra=0` on the bridge and the host port), and the container-side ones of the L3
 * branch (DAD, `arp_notify`, and the IPv6 enabling `ConfigureIface` does), in one namespace
 * switch.
 *
 * @module
 */
import { type NetnsHandle, sysctlSet, withNetns } from "../../netns/mod.ts";
import { enableIpv6Here } from "../_iface/ipv6.ts";

/**
 * Writes a sysctl of the current namespace, ignoring failure, as the reference does.
 *
 * @param key Path under `/proc/sys/` (`net/ipv6/conf/cni0/accept_ra`).
 * @param value The value.
 */
export function trySysctlSet(key: string, value: string): void {
  try {
    sysctlSet(key, value);
  } catch {
    // ignored, as in the reference
  }
}

/**
 * The container-side sysctls of the L3 branch: DAD (`enabledad`) and `arp_notify`, errors
 * ignored, plus the IPv6 enabling `ConfigureIface` does on the first IPv6 address. One
 * namespace switch for all of them.
 *
 * @param ns Container namespace.
 * @param opts Interface name, whether DAD is enabled, whether IPv6 addresses follow, and a
 *   handle of the calling thread's namespace to return to, if the caller holds one.
 * @returns When done.
 * @throws {CniError} When IPv6 cannot be enabled (fatal in the reference).
 */
export function containerSysctls(
  ns: NetnsHandle,
  opts: { ifName: string; enableDad: boolean; hasV6: boolean; returnTo?: NetnsHandle },
): void {
  withNetns(ns, () => {
    // Plain writes, as the reference: a new interface rarely has these values already, and a
    // write costs less than a read.
    const conf = `net/ipv6/conf/${opts.ifName}`;
    if (opts.enableDad) {
      trySysctlSet(`${conf}/enhanced_dad`, "1");
      trySysctlSet(`${conf}/accept_dad`, "1");
    } else {
      trySysctlSet(`${conf}/accept_dad`, "0");
    }
    trySysctlSet(`net/ipv4/conf/${opts.ifName}/arp_notify`, "1");
    if (!opts.hasV6) return;
    enableIpv6Here(opts.ifName);
  }, opts.returnTo ? { returnTo: opts.returnTo } : {});
}
