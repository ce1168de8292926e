/**
 * The one address form iptables prints after `-s` / `-d`: the network address (host bits
 * cleared by the kernel) and the prefix, `/32` or `/128` for a bare address. Pure.
 *
 * @module
 */
import { formatIPv6, parseIPv4Bytes, parseIPv6Bytes } from "../netlink/ip_text.ts";

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
  const addr = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseIPv4Bytes(addr) ?? parseIPv6Bytes(addr);
  if (!bytes) return undefined;
  const bits = bytes.length * 8;
  let prefix = bits;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) return undefined;
    prefix = Number(lenText);
    if (prefix > bits) return undefined;
  }
  const net = bytes.slice();
  for (let i = 0; i < net.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    net[i]! &= (0xff << (8 - keep)) & 0xff;
  }
  const shown = net.length === 4 ? net.join(".") : formatIPv6(net);
  return `${shown}/${prefix}`;
}
