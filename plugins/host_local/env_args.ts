/**
 * host-local's `CNI_ARGS` (`IgnoreUnknown`, `IP`) and the text of a requested address
 * (`ip` or `ip/prefix`), as the reference reads them.
 *
 * @module
 */
import { loadArgsWith } from "../../cni/args.ts";
import { ErrorCode } from "../../cni/errors.ts";
import { type IpAddr, parseCidr, parseIp } from "../../ip/mod.ts";

/**
 * A requested address: `ip` or `ip/prefix`, the prefix dropped (the reference's `ip.ParseIP`
 * from `pkg/ip`: `net.ParseCIDR` when there is a `/`, else `net.ParseIP`).
 */
export function parseIpMaybeCidr(text: string): IpAddr | undefined {
  return text.includes("/") ? parseCidr(text)?.ip : parseIp(text);
}

/**
 * Parses `CNI_ARGS` the way the reference's `types.LoadArgs` does for host-local's
 * `IPAMEnvArgs` (keys `IgnoreUnknown` and `IP`, matched case-sensitively).
 *
 * @param args Raw `CNI_ARGS` (`K=V;K2=V2`).
 * @returns The requested IP, if `IP=` was given and non-empty.
 * @throws {CniError} Code 6 with the reference's `ARGS: ...` messages.
 * @example Requesting an address
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp } from "../../ip/mod.ts";
 * import { parseEnvArgs } from "./env_args.ts";
 * const ip = parseEnvArgs("IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.0.0.9");
 * assert.equal(ip && formatIp(ip), "10.0.0.9");
 * ```
 */
export function parseEnvArgs(args: string): IpAddr | undefined {
  return loadArgsWith(args, { IP: readIp }, ErrorCode.DecodingFailure).IP;
}

/** The value of `IP=`: none when empty, else an address (`ip` or `ip/prefix`). */
function readIp(value: string): IpAddr | undefined {
  if (value === "") return undefined;
  const ip = parseIpMaybeCidr(value);
  if (!ip) throw new Error(`invalid IP address ${value}`);
  return ip;
}
