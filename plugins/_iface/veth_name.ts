/**
 * The random `vethXXXXXXXX` name the reference gives a new link before it has its final name
 * (the host end of a bridge or ptp veth pair, the temporary name of a macvlan, ipvlan or vlan
 * link): `ip.RandomVethName`.
 *
 * @module
 */

/**
 * Random `veth` + 8 lower-case hex digits (`ip.RandomVethName`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomVethName } from "./veth_name.ts";
 * assert.match(randomVethName(), /^veth[0-9a-f]{8}$/);
 * ```
 *
 * @returns A fresh name, 12 bytes.
 */
export function randomVethName(): string {
  const b = crypto.getRandomValues(new Uint8Array(4));
  return "veth" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
