/**
 * The host-device plugin's verbs (reference `plugins/main/host-device`): an existing host
 * device is moved into the container under `CNI_IFNAME` and back to the host on DEL under its
 * original name.
 *
 * - ADD: find the device (by name, MAC, kernel path, PCI address or `deviceID`); with IPAM,
 *   get its addresses; move the device in (through a temporary namespace: rename, alias =
 *   original name, into the container, up); then the IPAM addresses and routes. A PCI device
 *   bound to a userspace (DPDK) driver has no netdev: nothing is moved.
 * - DEL: the device goes back to the host under its alias (the alias cleared, left down, its
 *   container addresses gone with the move) and the lease is released.
 * - CHECK: IPAM CHECK, then the container interface, addresses and routes of `prevResult`.
 * - STATUS: the IPAM plugin's STATUS when there is one.
 *
 * Beyond the reference: the device is found and the IPAM result obtained before anything
 * moves, and a failed ADD puts the device back (the reference leaves it in the container when
 * IPAM fails); DEL is idempotent (a device already gone from the container is success), and
 * releases the lease also without a namespace (the reference leaks it).
 *
 * @module
 */
import { asCniError, CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import type { CmdArgs, PluginContext, PluginFns } from "../../cni/plugin.ts";
import { CURRENT_VERSION, type Result, SUPPORTED_VERSIONS } from "../../cni/types.ts";
import { toCurrentResult } from "../../cni/results/mod.ts";
import { openNetlink } from "../../netlink/mod.ts";
import {
  type NetnsHandle,
  NetnsNotFoundError,
  NotNetnsError,
  openNetns,
  THREAD_NETNS_PATH,
} from "../../netns/mod.ts";
import { parseCidr } from "../bridge/ipaddr.ts";
import { configureIface } from "../bridge/setup.ts";
import {
  containerEntry,
  validateContainerInterface,
  validateInterfaceIps,
  validateRoutes,
} from "../ptp/check.ts";
import { enableContainerIpv6 } from "../ptp/ipv6.ts";
import { loadHostDeviceConf } from "./config.ts";
import { deviceSelector, findHostDevice, hasDpdkDriver } from "./find.ts";
import { moveLinkIn, moveLinkOut, type MoveSides } from "./move.ts";
import { releaseIpam, runUndo, type Undo } from "../_iface/undo.ts";

/** The about text. */
export const HOST_DEVICE_ABOUT = "CNI host-device plugin denocni";

/** Where sysfs is (the reference reads `/sys`). */
const SYSFS = "/sys";

function fail(msg: string, cause?: unknown): CniError {
  return new CniError(ErrorCode.Internal, msg, cause === undefined ? {} : { cause });
}

function openContainerNs(path: string): NetnsHandle {
  try {
    return openNetns(path);
  } catch (err) {
    throw fail(`failed to open netns "${path}": ${errorText(err)}`, err);
  }
}

/** Host and container handles and sockets, closed together. */
function openSides(containerNs: NetnsHandle): MoveSides & Disposable {
  const opened: { close(): void }[] = [];
  try {
    const hostNs = openNetns(THREAD_NETNS_PATH);
    opened.push(hostNs);
    const host = openNetlink();
    opened.push(host);
    const container = openNetlink({ netns: containerNs, returnTo: hostNs });
    opened.push(container);
    return {
      hostNs,
      host,
      containerNs,
      container,
      [Symbol.dispose]() {
        for (const h of opened.reverse()) h.close();
      },
    };
  } catch (err) {
    for (const h of opened.reverse()) h.close();
    throw asCniError(err, "failed to open netlink sockets");
  }
}

async function cmdAdd(args: CmdArgs, ctx: PluginContext): Promise<Result> {
  const conf = loadHostDeviceConf(args.config);
  const sel = deviceSelector(conf, SYSFS);
  using containerNs = openContainerNs(args.netns);
  let dpdk = false;
  if (sel.pciBusID !== "") dpdk = hasDpdkDriver(sel.pciBusID, SYSFS);
  using sides = openSides(containerNs);
  const undo: Undo[] = [];
  let success = false;
  try {
    const device = dpdk ? undefined : (() => {
      try {
        return findHostDevice(sides.host, sel, SYSFS);
      } catch (err) {
        throw fail(`failed to find host device: ${errorText(err)}`, err);
      }
    })();
    // Beyond the reference: the addresses are obtained before the device moves.
    let ipam: Result | undefined;
    if (conf.ipamType !== "") {
      ipam = await ctx.delegate.add(conf.ipamType, args.stdinData, args);
      undo.push(releaseIpam(ctx, conf.ipamType, args));
      if ((ipam.ips ?? []).length === 0) throw fail("IPAM plugin returned missing IP config");
    }
    const result: Result = { cniVersion: CURRENT_VERSION };
    if (device) {
      let moved;
      try {
        moved = moveLinkIn(sides, device, args.ifName);
      } catch (err) {
        throw fail(`failed to move link ${errorText(err)}`, err);
      }
      undo.push(() => {
        try {
          moveLinkOut(sides, args.ifName);
        } catch (err) {
          ctx.log(`rollback: ${errorText(err)}`);
        }
      });
      result.interfaces = [{ name: moved.name, mac: moved.mac, sandbox: args.netns }];
      if (ipam) {
        result.ips = (ipam.ips ?? []).map((ip) => ({ ...ip, interface: 0 }));
        if (ipam.routes && ipam.routes.length > 0) result.routes = ipam.routes;
        if (result.ips.some((ip) => parseCidr(ip.address)?.family === 6)) {
          enableContainerIpv6(sides.containerNs, args.ifName, sides.hostNs);
        }
        await configureIface(sides.container, moved, result);
      }
    } else if (ipam) {
      // DPDK: no netdev to configure; the addresses are only reported.
      result.ips = (ipam.ips ?? []).map((ip) => ({ ...ip, interface: 0 }));
      if (ipam.routes && ipam.routes.length > 0) result.routes = ipam.routes;
    }
    // As the reference: with IPAM the result's DNS is the netconf's (the IPAM plugin's is
    // dropped).
    if (ipam) result.dns = conf.dns ?? {};
    success = true;
    return result;
  } catch (err) {
    throw asCniError(err, errorText(err));
  } finally {
    if (!success) await runUndo(undo, ctx.log);
  }
}

async function cmdDel(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadHostDeviceConf(args.config, { lenient: true });
  const errors: string[] = [];
  if (args.netns !== "") {
    try {
      moveOut(args, conf);
    } catch (err) {
      errors.push(errorText(err));
    }
  }
  // Beyond the reference, which skips it without a namespace: the lease is released anyway.
  if (conf.ipamType !== "") {
    try {
      await ctx.delegate.del(conf.ipamType, args.stdinData, args);
    } catch (err) {
      errors.push(errorText(err));
    }
  }
  if (errors.length > 0) throw fail(errors.join("; "));
}

function moveOut(args: CmdArgs, conf: ReturnType<typeof loadHostDeviceConf>): void {
  let ns: NetnsHandle;
  try {
    ns = openNetns(args.netns);
  } catch (err) {
    // Gone: a physical device went back to the initial namespace, a virtual one with it.
    if (err instanceof NetnsNotFoundError) return;
    if (err instanceof NotNetnsError && !err.message.includes("cannot open it")) return;
    throw fail(`failed to open netns "${args.netns}": ${errorText(err)}`, err);
  }
  try {
    if (conf.pciBusID !== "" || conf.deviceID !== "") {
      try {
        const sel = deviceSelector(conf, SYSFS);
        if (sel.pciBusID !== "" && hasDpdkDriver(sel.pciBusID, SYSFS)) return;
      } catch {
        // the device is gone from sysfs: whatever is in the container is still moved out
      }
    }
    using sides = openSides(ns);
    moveLinkOut(sides, args.ifName);
  } finally {
    ns.close();
  }
}

async function cmdCheck(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadHostDeviceConf(args.config);
  const sel = deviceSelector(conf, SYSFS);
  const dpdk = sel.pciBusID !== "" && hasDpdkDriver(sel.pciBusID, SYSFS);
  using ns = openContainerNs(args.netns);
  if (conf.ipamType !== "") await ctx.delegate.check(conf.ipamType, args.stdinData, args);
  if (!args.config.prevResult) throw fail("Required prevResult missing");
  const prev = toCurrentResult(args.config.prevResult);
  if (dpdk) return;
  const entry = containerEntry(prev, args);
  using sock = openNetlink({ netns: ns });
  const link = validateContainerInterface(sock, entry);
  validateInterfaceIps(sock, link, prev.ips ?? []);
  validateRoutes(sock, prev.routes ?? []);
}

async function cmdStatus(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadHostDeviceConf(args.config, { lenient: true });
  if (conf.ipamType !== "" && ctx.delegate.status) {
    await ctx.delegate.status(conf.ipamType, args.stdinData, args);
  }
}

/** The host-device plugin's functions (ADD, CHECK, DEL, STATUS). */
export const plugin: PluginFns = {
  add: cmdAdd,
  check: cmdCheck,
  del: cmdDel,
  status: cmdStatus,
  supportedVersions: SUPPORTED_VERSIONS,
  about: HOST_DEVICE_ABOUT,
};
