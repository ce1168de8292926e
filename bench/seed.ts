/**
 * The networks of the benchmarks: the seed list (bridge, gateway, ipMasq on or off, with
 * host-local IPAM in a /16 and a default route, then loopback) and Podman 4.3's default
 * network (its `87-podman-bridge.conflist`: the same bridge with hairpin mode and an explicit
 * gateway, then portmap with the `portMappings` capability, firewall and tuning).
 *
 * @module
 */
import { type NetworkConfigList, parseConfList } from "../cni/conf.ts";
import { formatIp, networkOf, nextIp, parseCidr } from "../ip/mod.ts";

/** What differs between two seed networks. */
export interface SeedOptions {
  /** Network name. */
  name: string;
  /** Bridge name. */
  bridge: string;
  /** The /16 to allocate from, e.g. `10.231.0.0/16`. */
  subnet: string;
  /** host-local's data dir. */
  dataDir: string;
  /** Whether the bridge masquerades. */
  ipMasq: boolean;
  /**
   * `podman`: Podman 4.3's default list (cniVersion 0.4.0) instead of the seed list; its
   * name, bridge, subnet, data dir and ipMasq are still these.
   */
  shape?: "seed" | "podman";
  /** The seed list's plugins after the bridge (default: loopback alone). */
  chained?: readonly Record<string, unknown>[];
}

/**
 * The seed network list, or Podman's default one.
 *
 * @param o Name, bridge, subnet, data dir, ipMasq, shape, the plugins after the bridge.
 * @returns The parsed list.
 * @throws {Error} When the subnet is not a CIDR.
 */
export function seedList(o: SeedOptions): NetworkConfigList {
  const podman = o.shape === "podman";
  const cidr = parseCidr(o.subnet);
  if (!cidr) throw new Error(`seed subnet ${JSON.stringify(o.subnet)} is not a CIDR`);
  return parseConfList(JSON.stringify({
    // Podman 4.3's 87-podman-bridge.conflist (its 10.88.0.0/16 and cni-podman0 replaced) has
    // hairpin mode, ranges before routes with an explicit gateway, and its three chained plugins.
    cniVersion: podman ? "0.4.0" : "1.0.0",
    name: o.name,
    plugins: [
      {
        type: "bridge",
        bridge: o.bridge,
        isGateway: true,
        ipMasq: o.ipMasq,
        ...(podman && { hairpinMode: true }),
        ipam: podman
          ? {
            type: "host-local",
            routes: [{ dst: "0.0.0.0/0" }],
            ranges: [[{ subnet: o.subnet, gateway: formatIp(nextIp(networkOf(cidr).ip)) }]],
            dataDir: o.dataDir,
          }
          : {
            type: "host-local",
            ranges: [[{ subnet: o.subnet }]],
            routes: [{ dst: "0.0.0.0/0" }],
            dataDir: o.dataDir,
          },
      },
      ...(podman
        ? [
          { type: "portmap", capabilities: { portMappings: true } },
          { type: "firewall" },
          { type: "tuning" },
        ]
        : o.chained ?? [{ type: "loopback" }]),
    ],
  }));
}

/**
 * The capability arguments Podman passes with its default list for one published port
 * (`podman run -p <hostPort>:80`).
 *
 * @param hostPort The host port.
 * @returns `{ portMappings: [...] }`.
 */
export function podmanCapabilityArgs(hostPort: number): Record<string, unknown> {
  return { portMappings: [{ hostPort, containerPort: 80, protocol: "tcp", hostIP: "" }] };
}
