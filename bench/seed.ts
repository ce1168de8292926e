/**
 * The seed network of the benchmarks: bridge (gateway, ipMasq on or off) with host-local IPAM in
 * a /16 and a default route, then loopback.
 *
 * @module
 */
import { type NetworkConfigList, parseConfList } from "../cni/conf.ts";

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
}

/**
 * The seed network list.
 *
 * @param o Name, bridge, subnet, data dir, ipMasq.
 * @returns The parsed list.
 */
export function seedList(o: SeedOptions): NetworkConfigList {
  return parseConfList(JSON.stringify({
    cniVersion: "1.0.0",
    name: o.name,
    plugins: [
      {
        type: "bridge",
        bridge: o.bridge,
        isGateway: true,
        ipMasq: o.ipMasq,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: o.subnet }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: o.dataDir,
        },
      },
      { type: "loopback" },
    ],
  }));
}
