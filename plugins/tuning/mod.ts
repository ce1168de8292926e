/**
 * The tuning meta plugin (reference `plugins/meta/tuning`): net sysctls and link attributes
 * (MAC, MTU, promiscuous and all-multicast mode, txqueuelen) of the container interface,
 * set after the main plugin in a chain, restored on DEL, compared on CHECK.
 *
 * @example A chain entry
 * ```json
 * { "type": "tuning", "mtu": 1400, "sysctl": { "net.ipv4.conf.IFNAME.arp_notify": "1" } }
 * ```
 *
 * @example In-process ADD (root, a namespace holding eth0, a prevResult)
 * ```ts ignore
 * import { plugin } from "./mod.ts";
 * const result = await plugin.add(args, ctx); // args.config.prevResult with eth0's new MAC
 * ```
 *
 * @module
 */
export { cmdAdd, cmdCheck, cmdDel, plugin } from "./commands.ts";
export type { TuningOptions } from "./commands.ts";
export {
  changesLink,
  checkDuplicateSysctls,
  dataDirOf,
  loadTuningConf,
  parseTuningMac,
  sysctlKeyPath,
} from "./config.ts";
export type { TuningConf } from "./config.ts";
export { ALLOWLIST_PATH, checkAllowlist, parseAllowlist, readAllowlist } from "./allowlist.ts";
export type { AllowlistEntry } from "./allowlist.ts";
export {
  backupPath,
  decodeBackup,
  DEFAULT_DATA_DIR,
  encodeBackup,
  readBackup,
  removeBackup,
  writeBackup,
} from "./backup.ts";
export type { Backup, BackupRead } from "./backup.ts";
export { duplicateKeyAt } from "./duplicate_keys.ts";
