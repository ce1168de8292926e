/**
 * What `ipam.ConfigureIface` does in the container before a plugin's first IPv6 address:
 * IPv6 switched on for `lo` and the interface where it is off, and `keep_addr_on_down=1` on
 * the interface (newest reference) so the addresses survive a down/up. Shared by the interface
 * plugins (macvlan, ipvlan, vlan, dummy through `attach`, ptp, host-device) and the bridge
 * (after its DAD options, in the same namespace switch).
 *
 * @module
 */
import { CniError, ErrorCode, errorText, toCniError } from "../../cni/errors.ts";
import { type NetnsHandle, sysctlGet, sysctlSet, withNetns } from "../../netns/mod.ts";

/**
 * Switches IPv6 on for `lo` and `ifName` in the namespace the thread is in.
 *
 * @param ifName The interface.
 * @throws {CniError} Code 999 when a sysctl cannot be written (fatal in the reference).
 */
export function enableIpv6Here(ifName: string): void {
  for (const iface of ["lo", ifName]) {
    const key = `net/ipv6/conf/${iface}/disable_ipv6`;
    let value: string;
    try {
      value = sysctlGet(key);
    } catch {
      continue;
    }
    if (value.trim() === "0") continue;
    try {
      sysctlSet(key, "0");
    } catch (err) {
      throw new CniError(
        ErrorCode.Internal,
        `failed to enable IPv6 for interface "${iface}" (${key}=${value}): ${errorText(err)}`,
        { cause: err },
      );
    }
  }
  const key = `net/ipv6/conf/${ifName}/keep_addr_on_down`;
  try {
    sysctlSet(key, "1");
  } catch (err) {
    throw toCniError(err, `failed to set sysctl "${key}"`);
  }
}

/**
 * Switches IPv6 on in a container for `lo` and `ifName`, in one namespace switch.
 *
 * @param containerNs The container namespace.
 * @param ifName The interface.
 * @param returnTo A handle of the calling thread's namespace, to return to.
 * @returns When done.
 * @throws {CniError} Code 999 when a sysctl cannot be written (fatal in the reference).
 */
export function enableContainerIpv6(
  containerNs: NetnsHandle,
  ifName: string,
  returnTo?: NetnsHandle,
): void {
  withNetns(containerNs, () => enableIpv6Here(ifName), returnTo ? { returnTo } : {});
}
