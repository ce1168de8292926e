/**
 * The vrf plugin's verbs (reference `plugins/meta/vrf`), all inside the container namespace:
 *
 * - ADD: the VRF `vrfname` is found, or created (up, on `table` or the lowest table no other
 *   VRF uses); `CNI_IFNAME` is enslaved to it; the interface's global IPv6 addresses, which the
 *   kernel drops when the master changes unless `keep_addr_on_down` is set, are put back; its
 *   main-table routes with a source (not the connected ones) are re-added in the VRF's table.
 *   `prevResult` is passed on.
 * - DEL: the interface leaves the VRF; the VRF is deleted with its last interface.
 * - CHECK: the VRF exists and the interface is one of its slaves.
 *
 * A kernel without VRF support (module `vrf`, `CONFIG_NET_VRF`) refuses to create one with
 * `EOPNOTSUPP`: ADD then fails with an error naming the missing feature.
 *
 * Beyond the reference: a failed ADD undoes what it did (the interface leaves the VRF with its
 * addresses and routes restored; a VRF it created is deleted); DEL succeeds when the namespace
 * or the interface is gone, and releases the interface only from this VRF; CHECK reports what
 * it finds (the reference's CHECK always succeeds).
 *
 * @module
 */
import { openContainerNs, openNetnsIfPresent } from "../_iface/sockets.ts";
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import { prevResultAsGiven } from "../../cni/prev_result.ts";
import type { CmdArgs, PluginFns } from "../../cni/plugin.ts";
import type { Result } from "../../cni/types.ts";
import {
  addrAdd,
  addrList,
  type Link,
  linkAddVrf,
  linkDel,
  linkFind,
  linkList,
  linkSetMaster,
  linkSetNoMaster,
  NetlinkError,
  type NetlinkSocket,
  openNetlink,
  type RouteInfo,
  routeList,
  routePrepend,
  routeReplace,
} from "../../netlink/mod.ts";
import { freeVrfTable, loadVrfConf, type VrfConf } from "./config.ts";
import { builtinAbout } from "../about.ts";

/** What the kernel lacks when it refuses a VRF device. */
export const NO_VRF_SUPPORT = "the kernel has no vrf support (module vrf)";

/** `IFA_F_PERMANENT`-agnostic: the scope of global addresses (`RT_SCOPE_UNIVERSE`). */
const SCOPE_UNIVERSE = 0;

type Undo = () => void;

function fail(msg: string, cause?: unknown, details?: string): CniError {
  return new CniError(ErrorCode.Internal, msg, {
    ...(cause !== undefined && { cause }),
    ...(details !== undefined && { details }),
  });
}

function quiet(fn: () => void): void {
  try {
    fn();
  } catch {
    // undo is best effort
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `findVRF`: the VRF link, undefined when there is no link of that name. */
function findVrf(sock: NetlinkSocket, name: string): Link | undefined {
  const link = linkFind(sock, { name });
  if (link && link.kind !== "vrf") throw fail(`Netlink ${name} is not a VRF`);
  return link;
}

/** `createVRF`: a new VRF, up, on the given table or the first one no VRF uses. */
function createVrf(sock: NetlinkSocket, conf: VrfConf): Link {
  let table = conf.table;
  if (table === 0) {
    const taken = linkList(sock).filter((l) => l.kind === "vrf").map((l) => l.vrfTable ?? 0);
    table = freeVrfTable(taken);
  }
  try {
    linkAddVrf(sock, { name: conf.vrfName, table, up: true });
  } catch (err) {
    if (err instanceof NetlinkError && err.code === "EOPNOTSUPP") {
      throw fail(
        `could not add VRF ${conf.vrfName}: ${NO_VRF_SUPPORT}: ${errorText(err)}`,
        err,
        "the kernel has no VRF device support (CONFIG_NET_VRF); load the module with `modprobe vrf`",
      );
    }
    throw fail(`could not add VRF ${conf.vrfName}: ${errorText(err)}`, err);
  }
  const vrf = linkFind(sock, { name: conf.vrfName });
  if (!vrf) throw fail(`could not add VRF ${conf.vrfName}: it is gone`);
  return vrf;
}

function globalV6(sock: NetlinkSocket, link: Link) {
  return addrList(sock, { link: { index: link.index }, family: 6 })
    .filter((a) => a.scope === SCOPE_UNIVERSE);
}

/** `addInterface`: enslaves the interface, then puts back its IPv6 addresses and routes. */
async function addInterface(
  sock: NetlinkSocket,
  vrf: Link,
  ifName: string,
  undo: Undo[],
): Promise<void> {
  const link = linkFind(sock, { name: ifName });
  if (!link) throw fail(`could not get link by name ${ifName}`);
  if (link.masterIndex) {
    const master = linkFind(sock, { index: link.masterIndex });
    if (!master) {
      throw fail(
        `interface ${ifName} has already a master set, could not retrieve the name: Link not found`,
      );
    }
    throw fail(`interface ${ifName} has already a master set: ${master.name}`);
  }
  const before = globalV6(sock, link);
  // Routes that are not local or connected: those with a preferred source.
  const saved: RouteInfo[] = routeList(sock, { link: { index: link.index } })
    .filter((r) => r.scope === SCOPE_UNIVERSE && r.src !== undefined);
  const table = vrf.vrfTable ?? 0;
  try {
    linkSetMaster(sock, { index: link.index }, { index: vrf.index });
  } catch (err) {
    throw fail(`could not set vrf ${vrf.name} as master of ${ifName}: ${errorText(err)}`, err);
  }
  undo.push(() => {
    quiet(() => linkSetNoMaster(sock, { index: link.index }));
    for (const a of before) {
      quiet(() => addrAdd(sock, { index: link.index }, { address: a.address }));
    }
    for (const r of saved) quiet(() => routePrepend(sock, routeSpec(r, link.index, r.table)));
  });
  const after = new Set(globalV6(sock, link).map((a) => a.address));
  for (const a of before) {
    if (after.has(a.address)) continue;
    try {
      addrAdd(sock, { index: link.index }, { address: a.address });
    } catch (err) {
      throw fail(
        `could not restore address ${a.address} to ${ifName} @ ${vrf.name}: ${errorText(err)}`,
        err,
      );
    }
    // The kernel adds the address's local route to the VRF's table a moment later.
    const dst = `${a.ip}/128`;
    for (let retry = 0;; retry++) {
      const found = routeList(sock, { table: 0, link: { index: link.index } })
        .some((r) => r.dst === dst && r.table === table);
      if (found) break;
      if (retry === 8) {
        throw fail(
          `failed getting local/host addresses for ${ifName} in table ${table} with dst ${a.address}`,
        );
      }
      await sleep(10 * 2 ** retry);
    }
  }
  for (const r of saved) {
    try {
      routeReplace(sock, routeSpec(r, link.index, table));
    } catch (err) {
      throw fail(`could not add route '${r.dst}': ${errorText(err)}`, err);
    }
  }
}

function routeSpec(r: RouteInfo, index: number, table: number) {
  return {
    dst: r.dst,
    link: { index },
    scope: r.scope,
    table,
    protocol: r.protocol,
    ...(r.gw !== undefined && { gw: r.gw }),
    ...(r.metric !== undefined && { metric: r.metric }),
    ...(r.src !== undefined && { src: r.src }),
  };
}

async function cmdAdd(args: CmdArgs): Promise<Result> {
  const conf = loadVrfConf(args.config);
  const passOn = prevResultAsGiven(args);
  if (!passOn) throw fail("missing prevResult from earlier plugin");
  using ns = openContainerNs(args.netns);
  using sock = openNetlink({ netns: ns });
  const undo: Undo[] = [];
  try {
    let vrf = findVrf(sock, conf.vrfName);
    if (vrf && conf.table !== 0 && vrf.vrfTable !== conf.table) {
      throw fail(
        `VRF ${conf.vrfName} already exist with different routing table ${vrf.vrfTable ?? 0}`,
      );
    }
    if (!vrf) {
      vrf = createVrf(sock, conf);
      const index = vrf.index;
      undo.push(() => quiet(() => linkDel(sock, { index })));
    }
    await addInterface(sock, vrf, args.ifName, undo);
  } catch (err) {
    for (const step of undo.reverse()) step();
    const inner = err instanceof CniError ? err : fail(errorText(err), err);
    throw new CniError(inner.code, `cmdAdd failed: ${inner.msg}`, {
      ...(inner.details !== undefined && { details: inner.details }),
      cause: err,
    });
  }
  return passOn;
}

function delSync(args: CmdArgs): void {
  const conf = loadVrfConf(args.config, { lenient: true });
  if (args.netns === "") return;
  // Gone: the VRF and the interface went with it.
  const ns = openNetnsIfPresent(args.netns, "cmdDel failed");
  if (!ns) return;
  try {
    using sock = openNetlink({ netns: ns });
    const vrf = linkFind(sock, { name: conf.vrfName });
    if (!vrf || vrf.kind !== "vrf") return;
    const link = linkFind(sock, { name: args.ifName });
    if (link && link.masterIndex === vrf.index) {
      try {
        linkSetNoMaster(sock, { index: link.index });
      } catch (err) {
        throw fail(`cmdDel failed: resetMaster: could not reset master to ${args.ifName}`, err);
      }
    }
    if (!linkList(sock).some((l) => l.masterIndex === vrf.index)) {
      try {
        linkDel(sock, { index: vrf.index });
      } catch (err) {
        throw fail(`cmdDel failed: ${errorText(err)}`, err);
      }
    }
  } finally {
    ns.close();
  }
}

function checkSync(args: CmdArgs): void {
  const conf = loadVrfConf(args.config);
  if (!args.config.prevResult) throw fail("missing prevResult from earlier plugin");
  using ns = openContainerNs(args.netns);
  using sock = openNetlink({ netns: ns });
  const vrf = linkFind(sock, { name: conf.vrfName });
  if (!vrf) throw fail(`VRF ${conf.vrfName} not found`);
  if (vrf.kind !== "vrf") throw fail(`Netlink ${conf.vrfName} is not a VRF`);
  const slaves = linkList(sock).filter((l) => l.masterIndex === vrf.index);
  if (!slaves.some((l) => l.name === args.ifName)) {
    throw fail(`Failed to find ${args.ifName} associated to vrf ${conf.vrfName}`);
  }
}

/** A synchronous verb as the promise-returning function `PluginFns` wants. */
function verb(fn: (args: CmdArgs) => void): (args: CmdArgs) => Promise<void> {
  return (args) => {
    try {
      fn(args);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  };
}

/** The vrf plugin's functions (ADD, CHECK, DEL; STATUS answers success). */
export const plugin: PluginFns = {
  add: cmdAdd,
  check: verb(checkSync),
  del: verb(delSync),
  ...builtinAbout("vrf"),
};
