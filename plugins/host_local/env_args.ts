/**
 * host-local's `CNI_ARGS` (`IgnoreUnknown`, `IP`) and the text of a requested address
 * (`ip` or `ip/prefix`), as the reference reads them.
 *
 * @module
 */
import { CniError, ErrorCode } from "../../cni/errors.ts";
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
 * import { parseEnvArgs } from "./env_args.ts";
 * console.log(parseEnvArgs("IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.0.0.9")); // {family:4,...}
 * ```
 */
export function parseEnvArgs(args: string): IpAddr | undefined {
  if (args === "") return undefined;
  let ip: IpAddr | undefined;
  let ignoreUnknown = false;
  const unknown: string[] = [];
  for (const pair of args.split(";")) {
    const kv = pair.split("=");
    if (kv.length !== 2) {
      throw new CniError(ErrorCode.DecodingFailure, `ARGS: invalid pair ${JSON.stringify(pair)}`);
    }
    const [key, value] = kv as [string, string];
    if (key === "IP") {
      if (value === "") {
        ip = undefined;
        continue;
      }
      const parsed = parseIpMaybeCidr(value);
      if (!parsed) {
        throw new CniError(
          ErrorCode.DecodingFailure,
          `ARGS: error parsing value of pair ${JSON.stringify(pair)}: invalid IP address ${value}`,
        );
      }
      ip = parsed;
    } else if (key === "IgnoreUnknown") {
      const v = value.toLowerCase();
      if (v === "1" || v === "true") ignoreUnknown = true;
      else if (v === "0" || v === "false") ignoreUnknown = false;
      else {
        throw new CniError(
          ErrorCode.DecodingFailure,
          `ARGS: error parsing value of pair ${
            JSON.stringify(pair)
          }: boolean unmarshal error: invalid input ${value}`,
        );
      }
    } else {
      unknown.push(pair);
    }
  }
  if (unknown.length > 0 && !ignoreUnknown) {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `ARGS: unknown args [${unknown.map((u) => JSON.stringify(u)).join(" ")}]`,
    );
  }
  return ip;
}
