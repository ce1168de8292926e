/**
 * The loopback plugin's verbs: ADD brings `lo` up and reports it (or hands the `prevResult`
 * on), DEL brings it down, CHECK verifies it is up; STATUS and GC are no-op successes.
 *
 * @module
 */
import { CniError, ErrorCode, errorText, toCniError } from "../../cni/errors.ts";
import type { CmdArgs, PluginFns } from "../../cni/plugin.ts";
import { CURRENT_VERSION, type IPConfig, type Result } from "../../cni/types.ts";
import { prevResultAsGiven } from "../../cni/prev_result.ts";
import { toCurrentResult } from "../../cni/results/mod.ts";
import {
  type Addr,
  addrList,
  linkGet,
  linkSetDown,
  linkSetUp,
  openNetlink,
} from "../../netlink/mod.ts";
import { type NetnsHandle, openNetns } from "../../netns/mod.ts";
import { openDelSocket, refuseOwnNetns } from "../_iface/sockets.ts";
import { builtinAbout } from "../about.ts";

/** The only interface this plugin touches, whatever `CNI_IFNAME` says. */
const LO = "lo";

/**
 * The `prevResult` as it came (to be handed on unchanged), or undefined; checked as the
 * reference's `parseNetConf` checks it, errors worded as its.
 */
function prevResultOf(args: CmdArgs): Result | undefined {
  let given: Result | undefined;
  try {
    given = prevResultAsGiven(args);
  } catch (err) {
    const e = err as CniError;
    throw new CniError(ErrorCode.Internal, `failed to parse prevResult: ${e.msg}: ${e.details}`, {
      cause: err,
    });
  }
  if (given === undefined) return undefined;
  try {
    toCurrentResult(given);
  } catch (err) {
    throw new CniError(
      ErrorCode.Internal,
      `failed to convert result to current version: ${errorText(err)}`,
      { cause: err },
    );
  }
  return given;
}

function isLoopbackAddr(a: Addr): boolean {
  return a.family === 4 ? a.ip.split(".")[0] === "127" : a.ip === "::1";
}

/** The first address of a family, after checking that every one is a loopback address. */
function firstLoopback(addrs: readonly Addr[]): string | undefined {
  for (const a of addrs) {
    if (!isLoopbackAddr(a)) {
      throw new CniError(
        ErrorCode.Internal,
        `loopback interface found with non-loopback address "${a.ip}"`,
      );
    }
  }
  return addrs[0]?.address;
}

function openTarget(path: string): NetnsHandle {
  try {
    return openNetns(path);
  } catch (err) {
    throw toCniError(err);
  }
}

function addSync(args: CmdArgs): Result {
  const prev = prevResultOf(args);
  const addresses: string[] = [];
  {
    using ns = openTarget(args.netns);
    refuseOwnNetns(ns, args);
    try {
      using sock = openNetlink({ netns: ns });
      // Three round trips: the link (its index), up unless it is, both families' addresses.
      const lo = linkGet(sock, { name: LO });
      if (!lo.up) linkSetUp(sock, { index: lo.index });
      const addrs = addrList(sock, { link: { index: lo.index } });
      const v4 = firstLoopback(addrs.filter((a) => a.family === 4));
      const v6 = firstLoopback(addrs.filter((a) => a.family === 6));
      if (v4 !== undefined) addresses.push(v4);
      if (v6 !== undefined) addresses.push(v6);
    } catch (err) {
      throw toCniError(err);
    }
  }
  // Handed on as it came (the reference prints `conf.PrevResult` in the config's version).
  if (prev) return prev;
  const ips: IPConfig[] = addresses.map((address) => ({ interface: 0, address }));
  return {
    cniVersion: CURRENT_VERSION,
    interfaces: [{ name: LO, mac: "00:00:00:00:00:00", sandbox: args.netns }],
    ...(ips.length > 0 ? { ips } : {}),
  };
}

function delSync(args: CmdArgs): void {
  // Deleted namespace, or a /proc/PID/ns/net whose process is gone: nothing to undo. Nor in a
  // path that is no network namespace at all (DEL is best effort; the reference fails here). A
  // path that exists but cannot be opened is reported.
  try {
    using del = openDelSocket(args);
    if (del) linkSetDown(del.sock, { name: LO });
  } catch (err) {
    throw toCniError(err);
  }
}

function checkSync(args: CmdArgs): void {
  using ns = openTarget(args.netns);
  let up: boolean;
  try {
    using sock = openNetlink({ netns: ns });
    up = linkGet(sock, { name: LO }).up;
  } catch (err) {
    throw toCniError(err);
  }
  if (!up) throw new CniError(ErrorCode.Internal, "loopback interface is down");
}

/** Runs synchronous namespace work as a plugin verb (all of it on this thread, no await). */
function verb<R>(fn: (args: CmdArgs) => R): (args: CmdArgs) => Promise<R> {
  return (args) => {
    try {
      return Promise.resolve(fn(args));
    } catch (err) {
      return Promise.reject(err);
    }
  };
}

/** The loopback plugin's functions (STATUS and GC are no-op successes, as at the reference HEAD). */
export const plugin: PluginFns = {
  add: verb(addSync),
  check: verb(checkSync),
  del: verb(delSync),
  status: () => Promise.resolve(),
  gc: () => Promise.resolve(),
  ...builtinAbout("loopback"),
};
