/**
 * The embedded default network that `cnitool exec` uses when the configuration directory has
 * none: the seed network of the original CNI README (bridge + host-local 10.22.0.0/16 with a
 * gateway and masquerade, plus loopback), on a bridge of its own so it never collides with a
 * runtime's `cni0`.
 *
 * @module
 */

/** Name of the embedded default network. */
export const DEFAULT_NETWORK_NAME = "denocni-default";

/** Bridge the default network uses. */
export const DEFAULT_BRIDGE = "denocni0";

/** Subnet the default network hands out addresses from. */
export const DEFAULT_SUBNET = "10.22.0.0/16";

/**
 * Returns the default network as a conflist object (a fresh copy each call).
 *
 * @returns The configuration list.
 */
export function defaultNetworkConfig(): Record<string, unknown> {
  return {
    cniVersion: "1.1.0",
    name: DEFAULT_NETWORK_NAME,
    plugins: [
      {
        type: "bridge",
        bridge: DEFAULT_BRIDGE,
        isGateway: true,
        ipMasq: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: DEFAULT_SUBNET }]],
          routes: [{ dst: "0.0.0.0/0" }],
        },
      },
      { type: "loopback" },
    ],
  };
}

/**
 * Returns the default network as the text of a `.conflist` file.
 *
 * @returns Pretty-printed JSON with a final newline.
 */
export function defaultNetworkText(): string {
  return JSON.stringify(defaultNetworkConfig(), null, 2) + "\n";
}
