/**
 * CNI spec types for the current result format (1.0.0 / 1.1.0) and network configuration.
 * Older result formats and conversions live in `version.ts`.
 *
 * @module
 */

/** The newest spec version this implementation speaks. */
export const CURRENT_VERSION = "1.1.0";

/** Every spec version this implementation accepts. */
export const SUPPORTED_VERSIONS: readonly string[] = [
  "0.1.0",
  "0.2.0",
  "0.3.0",
  "0.3.1",
  "0.4.0",
  "1.0.0",
  "1.1.0",
];

/** Container IDs and network names (`pkg/utils`): `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`. */
export const NAME_REGEXP: RegExp = /^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$/;

/** The CNI verbs. */
export type CniCommand = "ADD" | "DEL" | "CHECK" | "VERSION" | "GC" | "STATUS";

/** An interface in a result (`interfaces[]`). */
export interface Interface {
  /** Interface name. */
  name: string;
  /** Hardware address, if any. */
  mac?: string;
  /** MTU (1.1.0). */
  mtu?: number;
  /** Namespace path for container interfaces; absent (or empty) for host ones. */
  sandbox?: string;
  /** PCI id (1.1.0). */
  pciID?: string;
  /** Socket path (1.1.0). */
  socketPath?: string;
}

/** An address in a result (`ips[]`), 1.0.0 shape (no `version` field). */
export interface IPConfig {
  /** CIDR notation with the host address, e.g. `10.22.0.5/16`. */
  address: string;
  /** Gateway, if any. */
  gateway?: string;
  /** Index into `interfaces`. */
  interface?: number;
}

/** A route (`routes[]`). */
export interface Route {
  /** Destination CIDR. */
  dst: string;
  /** Next hop, if any. */
  gw?: string;
  /** Metric (1.1.0 in spec; carried through by all). */
  priority?: number;
  /** Route table (1.1.0). */
  table?: number;
  /** Route scope (1.1.0). */
  scope?: number;
  /** Route MTU (1.1.0). */
  mtu?: number;
  /** Advertised MSS (1.1.0). */
  advmss?: number;
}

/** DNS settings (`dns`). */
export interface DNS {
  /** Name servers. */
  nameservers?: string[];
  /** Local domain. */
  domain?: string;
  /** Search domains. */
  search?: string[];
  /** resolv.conf options. */
  options?: string[];
}

/** A result in the 1.0.0 / 1.1.0 format: what built-in plugins return. */
export interface Result {
  /** Version of this result. */
  cniVersion: string;
  /** Interfaces created or used. */
  interfaces?: Interface[];
  /** Addresses assigned. */
  ips?: IPConfig[];
  /** Routes. */
  routes?: Route[];
  /** DNS settings. */
  dns?: DNS;
}

/** A plugin configuration object as it arrives on a plugin's stdin. */
export interface NetConf {
  /** Spec version of the configuration. */
  cniVersion: string;
  /** Network name. */
  name: string;
  /** Plugin type (binary name). */
  type: string;
  /** Capabilities the plugin supports. */
  capabilities?: Record<string, boolean>;
  /** IPAM section for plugins that delegate addressing. */
  ipam?: { type: string; [key: string]: unknown };
  /** DNS settings. */
  dns?: DNS;
  /** Extra arguments from the runtime (`args.cni.*`). */
  args?: Record<string, unknown>;
  /** Capability arguments injected by the runtime. */
  runtimeConfig?: Record<string, unknown>;
  /** The previous plugin's result in a chain, in the config's version. */
  prevResult?: Record<string, unknown>;
  /** Plugin-specific keys. */
  [key: string]: unknown;
}

/**
 * Per-attachment runtime parameters (libcni `RuntimeConf`): what the runtime knows about
 * the container, passed to plugins as `CNI_*` variables and `runtimeConfig`.
 */
export interface RuntimeConf {
  /** `CNI_CONTAINERID`. */
  containerId: string;
  /** `CNI_NETNS` (may be empty on DEL). */
  netns: string;
  /** `CNI_IFNAME`. */
  ifName: string;
  /** `CNI_ARGS` pairs, stringified as `K=V;K2=V2`. */
  args?: [string, string][];
  /** Capability arguments; each plugin gets those it declares in `capabilities`. */
  capabilityArgs?: Record<string, unknown>;
  /** Result cache directory (deprecated in libcni; the engine's own setting wins). */
  cacheDir?: string;
}
