/**
 * Moving a host device into a container and back, as the newest reference does it: through a
 * temporary namespace, where the device is renamed and its alias (the original name) set or
 * cleared without racing udev or NetworkManager and without colliding with a name in the host
 * or the container. Every step is undone when a later one fails, so the device ends where it
 * started, with its name, and up again if it was.
 *
 * A namespace move takes the device down and drops its addresses and routes; on the way out
 * the device is left down (its old state is not known), as the reference leaves it. Beyond
 * the reference, a failed move in gives the device back exactly: its host addresses (global;
 * IPv6 only the permanent ones) and its non-kernel main-table routes are put back too.
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import {
  addrAdd,
  addrList,
  IFA_F_PERMANENT,
  type Link,
  linkFind,
  linkGet,
  linkSetAlias,
  linkSetName,
  linkSetNsFd,
  linkSetUp,
  type NetlinkSocket,
  openNetlink,
  routeAdd,
  type RouteInfo,
  routeList,
  RTPROT_KERNEL,
  RTPROT_RA,
} from "../../netlink/mod.ts";
import { type NetnsHandle, tempNetns } from "../../netns/mod.ts";

function fail(msg: string, cause?: unknown): CniError {
  return new CniError(ErrorCode.Internal, msg, cause === undefined ? {} : { cause });
}

/** Runs undo steps newest first, ignoring their errors (the original error is what counts). */
function unwind(steps: (() => void)[]): void {
  for (const step of steps.reverse()) {
    try {
      step();
    } catch {
      // best effort
    }
  }
}

/** Routes the kernel makes again (`RTPROT_KERNEL`, `RTPROT_RA`). */
const KERNEL_MADE = new Set([RTPROT_KERNEL, RTPROT_RA]);

/** What a device had in the host, to give back on a failed move. */
interface HostL3 {
  addrs: string[];
  routes: RouteInfo[];
}

function captureL3(host: NetlinkSocket, device: Link): HostL3 {
  const addrs = addrList(host, { link: { index: device.index } })
    .filter((a) => a.scope === 0 && (a.family === 4 || (a.flags & IFA_F_PERMANENT) !== 0))
    .map((a) => a.address);
  const routes = routeList(host, { link: { index: device.index } })
    .filter((r) => !KERNEL_MADE.has(r.protocol) && !r.dst.startsWith("fe80:"))
    // Link-scope routes first: a gateway route needs its next hop reachable.
    .sort((a, b) => b.scope - a.scope);
  return { addrs, routes };
}

function restoreL3(host: NetlinkSocket, index: number, saved: HostL3): void {
  for (const address of saved.addrs) {
    try {
      addrAdd(host, { index }, {
        address,
        ...(!address.includes(":") && { broadcast: true as const }),
      });
    } catch {
      // already there
    }
  }
  for (const r of saved.routes) {
    try {
      routeAdd(host, {
        dst: r.dst,
        link: { index },
        scope: r.scope,
        protocol: r.protocol,
        ...(r.gw !== undefined && { gw: r.gw }),
        ...(r.metric !== undefined && { metric: r.metric }),
        ...(r.src !== undefined && { src: r.src }),
      });
    } catch {
      // already there, or no longer possible
    }
  }
}

/** The temporary namespace of a move and a socket in it. */
interface Temp {
  temp: NetnsHandle;
  tsock: NetlinkSocket;
}

/**
 * Moves a device into the temporary namespace and finds it there; the undo step moves it back
 * to `backFd`. The holder's `link` is where the device is now: a later undo step that brings
 * it back to the temporary namespace updates it.
 */
function intoTemp(
  t: Temp,
  from: NetlinkSocket,
  device: { index: number; name: string },
  backFd: number,
  undo: (() => void)[],
): { link: Link } {
  try {
    linkSetNsFd(from, { index: device.index }, t.temp.fd);
  } catch (err) {
    throw fail(`failed to move "${device.name}" to tempNS: ${errorText(err)}`, err);
  }
  let link: Link;
  try {
    link = linkGet(t.tsock, { name: device.name });
  } catch (err) {
    throw fail(`failed to find "${device.name}" in tempNS: ${errorText(err)}`, err);
  }
  const held = { link };
  undo.push(() => linkSetNsFd(t.tsock, { index: held.link.index }, backFd));
  return held;
}

/** Renames the device in the temporary namespace (`what`: how the message names it). */
function renameInTemp(
  t: Temp,
  held: { link: Link },
  names: { from: string; to: string; what: string },
  undo: (() => void)[],
): void {
  if (names.from === names.to) return;
  try {
    linkSetName(t.tsock, { index: held.link.index }, names.to);
  } catch (err) {
    throw fail(
      `failed to rename ${names.what} "${names.from}" to "${names.to}": ${errorText(err)}`,
      err,
    );
  }
  undo.push(() => linkSetName(t.tsock, { index: held.link.index }, names.from));
}

/** The host and container sides of a move. */
export interface MoveSides {
  /** The calling thread's namespace (the host). */
  hostNs: NetnsHandle;
  /** Host-namespace socket. */
  host: NetlinkSocket;
  /** The container namespace. */
  containerNs: NetnsHandle;
  /** Container-namespace socket. */
  container: NetlinkSocket;
}

/**
 * Moves a host device into the container as `ifName`, its original name kept as its alias,
 * and sets it up there (`moveLinkIn`).
 *
 * @param sides Host and container handles and sockets.
 * @param device The host device.
 * @param ifName The name in the container.
 * @returns The device as seen in the container.
 * @throws {CniError} Code 999 with the reference's step messages; the device is back in the
 *   host, named and up as before.
 */
export function moveLinkIn(sides: MoveSides, device: Link, ifName: string): Link {
  const undo: (() => void)[] = [];
  using temp = tempNetns();
  using tsock = openNetlink({ netns: temp, returnTo: sides.hostNs });
  const t: Temp = { temp, tsock };
  const hostName = device.name;
  const saved = captureL3(sides.host, device);
  try {
    // Undone last: the device is back in the host by then, under its name.
    undo.push(() => {
      const back = linkFind(sides.host, { name: hostName });
      if (!back) return;
      if (device.up) linkSetUp(sides.host, { index: back.index });
      restoreL3(sides.host, back.index, saved);
    });
    // Destroying the temporary namespace with the device in it would lose a virtual device
    // and send a physical one to the initial namespace: it goes back to the host instead.
    const inTemp = intoTemp(t, sides.host, device, sides.hostNs.fd, undo);
    renameInTemp(t, inTemp, { from: hostName, to: ifName, what: "host device" }, undo);
    try {
      linkSetAlias(tsock, { index: inTemp.link.index }, hostName);
    } catch (err) {
      throw fail(`failed to set alias to "${hostName}": ${errorText(err)}`, err);
    }
    undo.push(() => linkSetAlias(tsock, { index: inTemp.link.index }, ""));
    try {
      linkSetNsFd(tsock, { index: inTemp.link.index }, sides.containerNs.fd);
    } catch (err) {
      throw fail(
        `failed to move "${ifName}" (host: "${hostName}") to container NS: ${errorText(err)}`,
        err,
      );
    }
    let inContainer: Link;
    try {
      inContainer = linkGet(sides.container, { name: ifName });
    } catch (err) {
      throw fail(`failed to find "${ifName}" in container NS: ${errorText(err)}`, err);
    }
    // Back to the temporary namespace first; the steps above then run there.
    undo.push(() => {
      linkSetNsFd(sides.container, { index: inContainer.index }, temp.fd);
      inTemp.link = linkGet(tsock, { name: ifName });
    });
    try {
      linkSetUp(sides.container, { index: inContainer.index });
    } catch (err) {
      throw fail(`failed to set "${ifName}" up: ${errorText(err)}`, err);
    }
    return linkGet(sides.container, { index: inContainer.index });
  } catch (err) {
    unwind(undo);
    throw err;
  }
}

/**
 * Moves a device back from the container to the host under its original name (its alias),
 * clearing the alias (`moveLinkOut`). The device is left down.
 *
 * @param sides Host and container handles and sockets.
 * @param ifName The name in the container.
 * @returns The device's host name, or `undefined` when the container has no `ifName` (beyond
 *   the reference, which fails: DEL is idempotent).
 * @throws {CniError} Code 999 `failed to find original ifname for "<if>" (alias is not set)`
 *   for a device this plugin did not move in, or a step's message; the device is then back in
 *   the container, named and up as before.
 */
export function moveLinkOut(sides: MoveSides, ifName: string): string | undefined {
  const dev = linkFind(sides.container, { name: ifName });
  if (!dev) return undefined;
  if (!dev.alias) {
    throw fail(`failed to find original ifname for "${ifName}" (alias is not set)`);
  }
  const hostName = dev.alias;
  const undo: (() => void)[] = [];
  using temp = tempNetns();
  using tsock = openNetlink({ netns: temp, returnTo: sides.hostNs });
  const t: Temp = { temp, tsock };
  try {
    if (dev.up) {
      undo.push(() => {
        const back = linkFind(sides.container, { name: ifName });
        if (back) linkSetUp(sides.container, { index: back.index });
      });
    }
    const inTemp = intoTemp(t, sides.container, dev, sides.containerNs.fd, undo);
    renameInTemp(t, inTemp, { from: ifName, to: hostName, what: "device" }, undo);
    try {
      linkSetAlias(tsock, { index: inTemp.link.index }, "");
    } catch (err) {
      throw fail(`failed to unset alias of "${hostName}": ${errorText(err)}`, err);
    }
    undo.push(() => linkSetAlias(tsock, { index: inTemp.link.index }, hostName));
    try {
      linkSetNsFd(tsock, { index: inTemp.link.index }, sides.hostNs.fd);
    } catch (err) {
      throw fail(`failed to move "${hostName}" to hostNS: ${errorText(err)}`, err);
    }
    return hostName;
  } catch (err) {
    unwind(undo);
    throw err;
  }
}
