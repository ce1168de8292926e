/**
 * host-device configuration: which host device to hand to the container — `device` (name),
 * `hwaddr` (MAC), `kernelpath` (a `/sys/devices/...` directory with a `net/` entry) or
 * `pciBusID` (also from the `deviceID` capability, `runtimeConfig.deviceID`) — and the usual
 * `ipam` and `dns`, as the newest reference `plugins/main/host-device` reads them. Pure: the
 * sysfs lookups are in `find.ts`.
 *
 * @module
 */
import { setDns } from "../_iface/config.ts";
import { confDnsSchema, confIpamSchema } from "../../cni/schema.ts";
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { DNS } from "../../cni/types.ts";
import { parseNetconf } from "../../cni/validate.ts";

/** The validated host-device configuration. */
export interface HostDeviceConf {
  /** Network name. */
  name: string;
  /** The config's `cniVersion`. */
  cniVersion: string;
  /** `device`: the host device's name. */
  device: string;
  /** `hwaddr`: the host device's MAC. */
  hwaddr: string;
  /** `kernelpath`: its sysfs device directory. */
  kernelpath: string;
  /** `pciBusID`: its PCI address. */
  pciBusID: string;
  /** `runtimeConfig.deviceID`: a PCI address or an auxiliary device (overrides `pciBusID`). */
  deviceID: string;
  /** IPAM plugin type; empty: the device is moved without addresses. */
  ipamType: string;
  /** The netconf `dns`, when any field is set. */
  dns: DNS | undefined;
}

const schema = lazy(() => {
  const str = z.optional(z.nullable(z.string()));
  return z.looseObject({
    cniVersion: z.string(),
    name: z.string(),
    device: str,
    hwaddr: str,
    kernelpath: str,
    pciBusID: str,
    runtimeConfig: z.optional(z.nullable(z.looseObject({ deviceID: str }))),
    ipam: confIpamSchema(),
    dns: confDnsSchema(),
  });
});

/**
 * Loads and validates a host-device configuration. Nothing is read from sysfs or the kernel.
 *
 * @example By name
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadHostDeviceConf } from "./config.ts";
 * const conf = loadHostDeviceConf({
 *   cniVersion: "1.0.0", name: "n", type: "host-device", device: "eth1",
 * });
 * assert.deepEqual([conf.device, conf.ipamType], ["eth1", ""]);
 * ```
 *
 * @param config The parsed stdin JSON.
 * @param options `lenient`: drop what does not validate and do not require a device (DEL,
 *   which finds the device by its alias).
 * @returns The configuration.
 * @throws {CniError} Code 7 naming a bad field; code 999 `specify either "device", "hwaddr",
 *   "kernelpath" or "pciBusID"` (the reference's text and code) when none is set.
 */
export function loadHostDeviceConf(
  config: unknown,
  options: { lenient?: boolean } = {},
): HostDeviceConf {
  const what = "failed to load netconf";
  const raw = parseNetconf(schema(), config, { what, lenient: options.lenient });
  const conf: HostDeviceConf = {
    name: raw.name,
    cniVersion: raw.cniVersion,
    device: raw.device ?? "",
    hwaddr: raw.hwaddr ?? "",
    kernelpath: raw.kernelpath ?? "",
    pciBusID: raw.pciBusID ?? "",
    deviceID: raw.runtimeConfig?.deviceID ?? "",
    ipamType: raw.ipam?.type ?? "",
    dns: setDns(raw.dns),
  };
  const none = conf.device === "" && conf.hwaddr === "" && conf.kernelpath === "" &&
    conf.pciBusID === "" && conf.deviceID === "";
  if (none && !options.lenient) {
    throw new CniError(
      ErrorCode.Internal,
      `specify either "device", "hwaddr", "kernelpath" or "pciBusID"`,
    );
  }
  return conf;
}
