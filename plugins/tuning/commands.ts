/**
 * tuning's verbs. ADD writes net sysctls and changes link attributes of `CNI_IFNAME` inside
 * the container's namespace, keeping the originals in a backup file, and passes `prevResult`
 * on (with the new MAC); DEL puts the originals back; CHECK compares the namespace with the
 * configuration. All of a call's namespace work runs on this thread inside one namespace
 * switch, over one netlink socket opened there.
 *
 * Beyond the reference:
 * - every input is checked before anything changes (sysctl keys, MAC, MTU against the
 *   device's own limits), and a failure half-way undoes what the call changed (sysctls, link
 *   attributes, the backup file);
 * - the backup keeps the first originals: a repeated ADD does not overwrite them with the
 *   values the first ADD set, so DEL restores the real originals;
 * - DEL removes the backup when the namespace or the link is gone (nothing left to restore),
 *   reads the config leniently, and reports restore failures instead of hiding them (the
 *   file is then kept for a retry);
 * - ADD and DEL refuse the plugin's own namespace unless `CNI_NETNS_OVERRIDE` is set;
 * - CHECK compares sysctl values with whitespace runs collapsed (the kernel separates
 *   multi-value sysctls with tabs), compares MACs by value, and prints booleans, not
 *   pointers.
 *
 * @module
 */
import { syncVerb } from "../_sync_verb.ts";
import { openContainerNs } from "../_iface/sockets.ts";
import { CniError, ErrorCode, errorText, toCniError } from "../../cni/errors.ts";
import { prevResultAsGiven } from "../../cni/prev_result.ts";
import type { CmdArgs, PluginFns } from "../../cni/plugin.ts";
import type { Interface, Result } from "../../cni/types.ts";
import {
  type Link,
  linkFind,
  linkSetAllmulti,
  linkSetMac,
  linkSetMtu,
  linkSetPromisc,
  linkSetTxQLen,
  type NetlinkSocket,
  openNetlink,
} from "../../netlink/mod.ts";
import {
  isOwnNetns,
  type NetnsHandle,
  openNetns,
  sysctlGet,
  sysctlSet,
  withNetns,
} from "../../netns/mod.ts";
import { ALLOWLIST_PATH, checkAllowlist, readAllowlist } from "./allowlist.ts";
import {
  type Backup,
  backupPath,
  type BackupRead,
  encodeBackup,
  readBackup,
  removeBackup,
  writeBackup,
} from "./backup.ts";
import {
  changesLink,
  checkDuplicateSysctls,
  dataDirOf,
  loadTuningConf,
  sysctlKeyPath,
  type TuningConf,
} from "./config.ts";
import { builtinAbout } from "../about.ts";

/** Options of the verbs (tests point the allowlist elsewhere; the plugin never does). */
export interface TuningOptions {
  /** The sysctl allowlist file (default `/etc/cni/tuning/allowlist.conf`). */
  allowlistPath?: string;
}

function refuseOwnNetns(ns: NetnsHandle, args: CmdArgs): void {
  const override = (args.netnsOverride ?? "").toLowerCase();
  if (override === "1" || override === "true") return;
  if (isOwnNetns(ns)) {
    throw new CniError(8, "plugin's netns and netns from CNI_NETNS should not be the same");
  }
}

function checkIfName(ifName: string): void {
  if (ifName.includes("/")) {
    throw new CniError(
      ErrorCode.InvalidEnvironmentVariables,
      `Interface name (${ifName}) contains an invalid character /`,
    );
  }
}

/** Sysctls as `[key, path under /proc/sys, value]`, every key checked. */
function sysctlPaths(conf: TuningConf, ifName: string): [string, string, string][] {
  return conf.sysctl.map(([key, value]) => [key, sysctlKeyPath(key, ifName), value]);
}

function requirePrevResult(args: CmdArgs): Result {
  const prev = args.config.prevResult as Result | undefined | null;
  if (prev === undefined || prev === null) {
    throw new CniError(ErrorCode.Internal, "Required prevResult missing");
  }
  return prev;
}

/**
 * What ADD prints: `prevResult` as it came when the MAC is left alone (so every version
 * round-trips as in the reference), else its current-shape copy with the new MAC on every
 * interface named `ifName`.
 */
function resultOf(args: CmdArgs, mac: string | undefined): Result {
  if (mac === undefined) return prevResultAsGiven(args) ?? requirePrevResult(args);
  const prev = requirePrevResult(args);
  if (!prev.interfaces) return prev;
  const interfaces: Interface[] = prev.interfaces.map((i) =>
    i.name === args.ifName ? { ...i, mac } : i
  );
  return { ...prev, interfaces };
}

function linkOrFail(sock: NetlinkSocket, ifName: string): Link {
  const link = linkFind(sock, { name: ifName });
  if (!link) throw new CniError(ErrorCode.Internal, `failed to get "${ifName}": Link not found`);
  return link;
}

/** Refuses an MTU the device would refuse, before anything changed. */
function checkMtuRange(link: Link, mtu: number): void {
  const min = link.minMtu ?? 0;
  const max = link.maxMtu ?? 0;
  if (mtu < min || (max > 0 && mtu > max)) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `invalid MTU ${mtu} for "${link.name}": the device accepts ${min} to ${
        max > 0 ? max : "any size"
      }`,
    );
  }
}

/** The originals of what `conf` changes, added to what an earlier ADD recorded. */
function recordOriginals(conf: TuningConf, link: Link, earlier: Backup): Backup {
  const b: Backup = { ...earlier };
  if (conf.mac !== undefined && b.mac === undefined) b.mac = link.mac;
  if (conf.promisc && b.promisc === undefined) b.promisc = link.promisc;
  if (conf.mtu !== 0 && b.mtu === undefined) b.mtu = link.mtu;
  if (conf.allmulti !== undefined && b.allmulti === undefined) b.allmulti = link.allmulti;
  if (conf.txQLen !== undefined && b.txQLen === undefined && link.txQLen !== undefined) {
    b.txQLen = link.txQLen;
  }
  return b;
}

/** Undo steps of a failing ADD, run newest first. */
type Undo = () => void;

function writeBackupUndoable(file: string, text: string, before: BackupRead, undo: Undo[]): void {
  if (before.kind !== "none" && before.text === text) return;
  writeBackup(file, text);
  undo.push(() => before.kind === "none" ? removeBackup(file) : writeBackup(file, before.text));
}

/** ADD's namespace work; runs inside the container namespace. */
function addInNetns(
  conf: TuningConf,
  sysctls: [string, string, string][],
  ifName: string,
  file: string,
): void {
  using sock = openNetlink();
  const undo: Undo[] = [];
  try {
    const link = changesLink(conf) ? linkOrFail(sock, ifName) : undefined;
    if (link && conf.mtu !== 0) checkMtuRange(link, conf.mtu);
    const before = link ? readBackup(file) : undefined;
    for (const [key, path, value] of sysctls) {
      let old: string;
      try {
        old = sysctlGet(path);
        sysctlSet(path, value);
      } catch (err) {
        throw new CniError(
          ErrorCode.Internal,
          `failed to set sysctl ${JSON.stringify(key)}: ${errorText(err)}`,
          { cause: err },
        );
      }
      undo.push(() => sysctlSet(path, old));
    }
    if (!link || !before) return;
    const earlier = before.kind === "ok" ? before.backup : {};
    writeBackupUndoable(file, encodeBackup(recordOriginals(conf, link, earlier)), before, undo);
    const ref = { index: link.index };
    if (conf.mac !== undefined && conf.mac !== link.mac) {
      linkSetMac(sock, ref, conf.mac);
      undo.push(() => linkSetMac(sock, ref, link.mac));
    }
    if (conf.promisc && !link.promisc) {
      linkSetPromisc(sock, ref, true);
      undo.push(() => linkSetPromisc(sock, ref, false));
    }
    if (conf.mtu !== 0 && conf.mtu !== link.mtu) {
      linkSetMtu(sock, ref, conf.mtu);
      undo.push(() => linkSetMtu(sock, ref, link.mtu));
    }
    if (conf.allmulti !== undefined && conf.allmulti !== link.allmulti) {
      linkSetAllmulti(sock, ref, conf.allmulti);
      undo.push(() => linkSetAllmulti(sock, ref, link.allmulti));
    }
    if (conf.txQLen !== undefined && conf.txQLen !== link.txQLen) {
      linkSetTxQLen(sock, ref, conf.txQLen);
      const old = link.txQLen;
      if (old !== undefined) undo.push(() => linkSetTxQLen(sock, ref, old));
    }
  } catch (err) {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // best effort: the first error is the one reported
      }
    }
    throw toCniError(err);
  }
}

/**
 * ADD: checks everything, then inside `CNI_NETNS` writes the sysctls, records the originals
 * of the link attributes it changes and changes them (MAC, promiscuous on, MTU,
 * all-multicast, txqueuelen); prints `prevResult` with the new MAC.
 *
 * @param args The call's arguments.
 * @param options The allowlist location.
 * @returns `prevResult` (current shape), the MAC updated.
 * @throws {CniError} Code 7 for bad configuration or a refused sysctl, 8 for the plugin's
 *   own namespace, 999 `Required prevResult missing` and kernel failures (after undoing).
 */
export function cmdAdd(args: CmdArgs, options: TuningOptions = {}): Result {
  checkDuplicateSysctls(args.stdinData);
  const conf = loadTuningConf(args.config, args.args);
  const allowlist = readAllowlist(options.allowlistPath ?? ALLOWLIST_PATH);
  if (allowlist) checkAllowlist(conf.sysctl.map(([key]) => key), allowlist);
  checkIfName(args.ifName);
  const sysctls = sysctlPaths(conf, args.ifName);
  const result = resultOf(args, conf.mac); // before acting: a bad prevResult changes nothing
  const file = backupPath(conf.dataDir, args);
  {
    using ns = openContainerNs(args.netns);
    refuseOwnNetns(ns, args);
    withNetns(ns, () => addInNetns(conf, sysctls, args.ifName, file));
  }
  return result;
}

function collapse(value: string): string {
  return value.trim().split(/\s+/).join(" ");
}

function checkFail(msg: string): CniError {
  return new CniError(ErrorCode.Internal, msg);
}

/** CHECK's namespace work; runs inside the container namespace. */
function checkInNetns(conf: TuningConf, sysctls: [string, string, string][], ifName: string) {
  for (const [, path, want] of sysctls) {
    let got: string;
    try {
      got = sysctlGet(path);
    } catch (err) {
      throw toCniError(err);
    }
    if (collapse(got) !== collapse(want)) {
      throw checkFail(
        `Error: Tuning configured value of /proc/sys/${path} is ${want}, current value is ${got}`,
      );
    }
  }
  using sock = openNetlink();
  const link = linkFind(sock, { name: ifName });
  if (!link) throw checkFail(`Cannot find container link ${ifName}`);
  if (conf.mac !== undefined && conf.mac !== link.mac) {
    throw checkFail(
      `Error: Tuning configured Ethernet of ${ifName} is ${conf.mac}, current value is ${link.mac}`,
    );
  }
  if (conf.promisc !== link.promisc) {
    throw checkFail(
      `Error: Tuning link ${ifName} configured promisc is ${conf.promisc}, current value is ${
        link.promisc ? 1 : 0
      }`,
    );
  }
  if (conf.mtu !== 0 && conf.mtu !== link.mtu) {
    throw checkFail(
      `Error: Tuning configured MTU of ${ifName} is ${conf.mtu}, current value is ${link.mtu}`,
    );
  }
  if (conf.allmulti !== undefined && conf.allmulti !== link.allmulti) {
    throw checkFail(
      `Error: Tuning configured all-multicast mode of ${ifName} is ${conf.allmulti}, ` +
        `current value is ${link.allmulti}`,
    );
  }
  if (conf.txQLen !== undefined && conf.txQLen !== link.txQLen) {
    throw checkFail(
      `Error: Tuning configured Transmit Queue Length of ${ifName} is ${conf.txQLen}, ` +
        `current value is ${link.txQLen}`,
    );
  }
}

/**
 * CHECK: the sysctls hold the configured values and the link has the configured MAC,
 * promiscuous mode (both ways), MTU, all-multicast mode and txqueuelen.
 *
 * @param args The call's arguments.
 * @throws {CniError} Code 7 for bad configuration, 999 for a missing `prevResult` or a
 *   difference (the reference's messages).
 */
export function cmdCheck(args: CmdArgs): void {
  checkDuplicateSysctls(args.stdinData);
  const conf = loadTuningConf(args.config, args.args);
  const sysctls = sysctlPaths(conf, args.ifName);
  requirePrevResult(args);
  using ns = openContainerNs(args.netns);
  withNetns(ns, () => checkInNetns(conf, sysctls, args.ifName));
}

/** Restores the recorded attributes (MTU, MAC, promisc, allmulti, txqueuelen). */
function restoreInNetns(b: Backup, ifName: string, file: string): string[] {
  using sock = openNetlink();
  const link = linkFind(sock, { name: ifName });
  if (!link) {
    removeBackup(file); // the link is gone: nothing left to restore
    return [];
  }
  const ref = { index: link.index };
  const errors: string[] = [];
  const step = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      errors.push(`failed to restore ${what}: ${errorText(err)}`);
    }
  };
  if (b.mtu !== undefined && b.mtu !== link.mtu) step("MTU", () => linkSetMtu(sock, ref, b.mtu!));
  if (b.mac !== undefined && b.mac !== link.mac) {
    step("MAC address", () => linkSetMac(sock, ref, b.mac!));
  }
  if (b.promisc !== undefined && b.promisc !== link.promisc) {
    step("promiscuous mode", () => linkSetPromisc(sock, ref, b.promisc!));
  }
  if (b.allmulti !== undefined && b.allmulti !== link.allmulti) {
    step("all-multicast mode", () => linkSetAllmulti(sock, ref, b.allmulti!));
  }
  if (b.txQLen !== undefined && b.txQLen !== link.txQLen) {
    step("transmit queue length", () => linkSetTxQLen(sock, ref, b.txQLen!));
  }
  if (errors.length === 0) removeBackup(file);
  return errors;
}

/**
 * DEL: restores the link attributes ADD recorded and removes the backup. No backup, no
 * namespace (empty `CNI_NETNS`, or gone) or no link: nothing to restore, and the backup is
 * removed. Sysctls are not restored (as in the reference). Idempotent.
 *
 * @param args The call's arguments.
 * @throws {CniError} Code 8 for the plugin's own namespace; 999 naming every attribute that
 *   could not be restored (the backup is then kept for another DEL).
 */
export function cmdDel(args: CmdArgs): void {
  const file = backupPath(dataDirOf(args.config), args);
  let found: BackupRead;
  try {
    found = readBackup(file);
  } catch {
    return; // not a readable file: not ours to restore from
  }
  if (found.kind === "none") return;
  if (found.kind === "corrupt" || args.netns === "") {
    removeBackup(file);
    return;
  }
  const backup = found.backup;
  let ns: NetnsHandle;
  try {
    ns = openNetns(args.netns);
  } catch {
    removeBackup(file); // the namespace is gone, and the link with it
    return;
  }
  let errors: string[];
  try {
    refuseOwnNetns(ns, args);
    errors = withNetns(ns, () => restoreInNetns(backup, args.ifName, file));
  } catch (err) {
    throw toCniError(err);
  } finally {
    ns.close();
  }
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}

/**
 * The tuning plugin's functions (STATUS and GC are left to the dispatcher's no-op success,
 * as at the reference HEAD).
 */
export const plugin: PluginFns = {
  add: syncVerb((args) => cmdAdd(args)),
  check: syncVerb((args) => cmdCheck(args)),
  del: syncVerb((args) => cmdDel(args)),
  ...builtinAbout("tuning"),
};
