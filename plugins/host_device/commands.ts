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
import { CniError, ErrorCode, errorText, toCniError } from "../../cni/errors.ts";
import type { CmdArgs, PluginContext, PluginFns } from "../../cni/plugin.ts";
import { CURRENT_VERSION, type Result } from "../../cni/types.ts";
import { parseCidr } from "../../ip/mod.ts";
import { configureIface } from "../_iface/configure.ts";
import { checkContainerIn, requirePrevResult } from "../_iface/check.ts";
import { ipamStatus } from "../_iface/status.ts";
import { enableContainerIpv6 } from "../_iface/ipv6.ts";
import {
  openContainerNs,
  openNetnsIfPresent,
  openSockets,
  openSocketsIn,
} from "../_iface/sockets.ts";
import { loadHostDeviceConf } from "./config.ts";
import { deviceSelector, findHostDevice, hasDpdkDriver } from "./find.ts";
import { moveLinkIn, moveLinkOut } from "./move.ts";
import { addWithUndo, releaseIpam } from "../_iface/undo.ts";
import { ipamDel } from "../_iface/detach.ts";
import { runBestEffort } from "../../cni/best_effort.ts";
import { builtinAbout } from "../about.ts";

/** Where sysfs is (the reference reads `/sys`). */
const SYSFS = "/sys";

function fail(msg: string, cause?: unknown): CniError {
  return new CniError(ErrorCode.Internal, msg, cause === undefined ? {} : { cause });
}

async function cmdAdd(args: CmdArgs, ctx: PluginContext): Promise<Result> {
  const conf = loadHostDeviceConf(args.config);
  const sel = deviceSelector(conf, SYSFS);
  using sides = openSockets(args.netns);
  let dpdk = false;
  if (sel.pciBusID !== "") dpdk = hasDpdkDriver(sel.pciBusID, SYSFS);
  return await addWithUndo(ctx.log, (err) => toCniError(err), async (undo) => {
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
        if (result.ips.some((ip) => parseCidr(ip.address)?.ip.family === 6)) {
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
    return result;
  });
}

async function cmdDel(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadHostDeviceConf(args.config, { lenient: true });
  await runBestEffort([
    () => {
      if (args.netns !== "") moveOut(args, conf);
    },
    // Beyond the reference, which skips it without a namespace: the lease is released anyway.
    ipamDel(ctx, conf.ipamType, args),
  ]);
}

/** Whether the configured device is a PCI device bound to a DPDK driver (no netdev to move). */
function boundToDpdk(conf: ReturnType<typeof loadHostDeviceConf>): boolean {
  if (conf.pciBusID === "" && conf.deviceID === "") return false;
  try {
    const sel = deviceSelector(conf, SYSFS);
    return sel.pciBusID !== "" && hasDpdkDriver(sel.pciBusID, SYSFS);
  } catch {
    return false; // the device is gone from sysfs: whatever is in the container is still moved out
  }
}

function moveOut(args: CmdArgs, conf: ReturnType<typeof loadHostDeviceConf>): void {
  // Gone: a physical device went back to the initial namespace, a virtual one with it.
  const ns = openNetnsIfPresent(args.netns, `failed to open netns "${args.netns}"`);
  if (!ns) return;
  if (boundToDpdk(conf)) {
    ns.close();
    return;
  }
  using sides = openSocketsIn(ns);
  moveLinkOut(sides, args.ifName);
}

async function cmdCheck(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = loadHostDeviceConf(args.config);
  const sel = deviceSelector(conf, SYSFS);
  const dpdk = sel.pciBusID !== "" && hasDpdkDriver(sel.pciBusID, SYSFS);
  using ns = openContainerNs(args.netns);
  if (conf.ipamType !== "") await ctx.delegate.check(conf.ipamType, args.stdinData, args);
  const prev = requirePrevResult(args, "Required prevResult missing");
  if (!dpdk) checkContainerIn(ns, args, prev, undefined);
}

async function cmdStatus(args: CmdArgs, ctx: PluginContext): Promise<void> {
  await ipamStatus(args, ctx, loadHostDeviceConf(args.config, { lenient: true }).ipamType, "ready");
}

/** The host-device plugin's functions (ADD, CHECK, DEL, STATUS). */
export const plugin: PluginFns = {
  add: cmdAdd,
  check: cmdCheck,
  del: cmdDel,
  status: cmdStatus,
  ...builtinAbout("host-device"),
};
