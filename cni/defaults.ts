/**
 * The host paths and names CNI tools fall back to, in one place: where configurations, plugins
 * and state live, and the container's interface name. Each is the reference's (libcni,
 * cnitool, the plugins) and is overridden the same way (`NETCONFPATH`, `CNI_PATH`,
 * `CNI_IFNAME`, `--cache-dir`, `ipam.dataDir`, ...).
 *
 * @example Where the result cache lives
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_CACHE_DIR } from "./defaults.ts";
 * assert.equal(`${DEFAULT_CACHE_DIR}/results`, "/var/lib/cni/results");
 * ```
 *
 * @module
 */

/** Network configuration directory (cnitool's `NETCONFPATH` default). */
export const DEFAULT_NETCONFPATH = "/etc/cni/net.d";

/**
 * Plugin directory: `CNI_PATH` when the environment has none (the reference cnitool has no
 * default), and where `install` puts the launchers.
 */
export const DEFAULT_CNI_PATH = "/opt/cni/bin";

/** Interface name in the container (cnitool's `CNI_IFNAME` default). */
export const DEFAULT_IFNAME = "eth0";

/** Root of CNI state on the host: libcni's cache and the IPAM plugins' leases live below it. */
export const CNI_STATE_DIR = "/var/lib/cni";

/** libcni's result cache directory (`<dir>/results/<net>-<cid>-<ifname>`). */
export const DEFAULT_CACHE_DIR: string = CNI_STATE_DIR;
