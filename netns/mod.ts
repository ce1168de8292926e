/**
 * Network namespaces: open, enter and always leave, create and delete named ones the way
 * `ip netns` does, read and write sysctls inside them, and start child processes in them.
 *
 * @example A throwaway namespace with forwarding on
 * ```ts ignore
 * import { netnsAdd, netnsDelete, sysctlSet, withNetns } from "./mod.ts";
 * const path = netnsAdd("demo");
 * try {
 *   sysctlSet("net.ipv4.ip_forward", "1", { netns: path });
 * } finally {
 *   netnsDelete("demo");
 * }
 * ```
 *
 * @module
 */
export {
  currentNetnsInode,
  isCurrentNetns,
  isOwnNetns,
  NetnsHandle,
  netnsInode,
  NetnsNotFoundError,
  NotNetnsError,
  openNetns,
  PROCESS_NETNS_PATH,
  returnToNetns,
  THREAD_NETNS_PATH,
  withNetns,
} from "./netns.ts";
export type { SyncOnly, Thenable, WithNetnsOptions } from "./netns.ts";
export {
  NETNS_RUN_DIR,
  netnsAdd,
  netnsCreateAt,
  netnsDelete,
  NetnsError,
  netnsList,
  netnsPath,
  netnsRemoveAt,
  validateNetnsName,
} from "./named.ts";
export {
  SYSCTL_ROOT,
  sysctlEnsure,
  SysctlError,
  sysctlGet,
  sysctlPath,
  sysctlSet,
} from "./sysctl.ts";
export type { SysctlOptions } from "./sysctl.ts";
export { outputInNetnsSync, spawnInNetns } from "./spawn.ts";
export { tempNetns } from "./temp.ts";
