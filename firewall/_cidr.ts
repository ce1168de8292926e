/**
 * The one address form iptables prints after `-s` / `-d`: the network address (host bits
 * cleared by the kernel) and the prefix, `/32` or `/128` for a bare address. Pure.
 *
 * @module
 */
import { bitsOf } from "../ip/addr.ts";
import { networkOf, parsePrefixLength } from "../ip/cidr.ts";
import { parseIpLiteral } from "../ip/parse.ts";
import { formatIPv4, formatIPv6 } from "../ip/print.ts";

/**
 * The text iptables prints for an address match, e.g. `10.1.0.2/16` → `10.1.0.0/16`,
 * `10.1.0.2` → `10.1.0.2/32`, `fd00:0::5/64` → `fd00::/64`.
 *
 * @example Normalising a container address
 * ```ts
 * import { iptablesCidr } from "./_cidr.ts";
 * iptablesCidr("10.22.0.5/16"); // "10.22.0.0/16"
 * ```
 *
 * @param text An address or `address/prefix`.
 * @returns The normalised text, or `undefined` when `text` is neither.
 */
export function iptablesCidr(text: string): string | undefined {
  const slash = text.indexOf("/");
  // The family as written: iptables takes ::ffff:a.b.c.d as IPv6, as the kernel does.
  const ip = parseIpLiteral(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const prefix = slash < 0
    ? bitsOf(ip.family)
    : parsePrefixLength(text.slice(slash + 1), bitsOf(ip.family));
  if (prefix === undefined) return undefined;
  const net = networkOf({ ip, prefix }).ip;
  const shown = net.family === 4 ? formatIPv4(net.bytes) : formatIPv6(net.bytes);
  return `${shown}/${prefix}`;
}
