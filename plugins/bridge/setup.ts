/**
 * The kernel steps of the bridge plugin, each one a reference function re-done over one
 * netlink socket per namespace: `ensureBridge`, `setupVeth` (with the VLAN port steps),
 * `ensureAddr`, `ensureVlanInterface`, `ConfigureIface` (with the IPv6 settle) and the
 * bridge-port wait. Errors are `CniError`s with the reference's messages (code 999, as the
 * reference's plain Go errors are).
 *
 * @module
 */
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { IPConfig, Result, Route } from "../../cni/types.ts";
import {
  addrAdd,
  addrDel,
  addrList,
  bridgeVlanAdd,
  bridgeVlanDel,
  bridgeVlanList,
  IFA_F_DADFAILED,
  IFA_F_TENTATIVE,
  type Link,
  linkAddBridge,
  linkAddVeth,
  linkAddVethInBackground,
  linkFind,
  linkGet,
  linkSetBrportFlags,
  linkSetMac,
  linkSetPromisc,
  linkSetUp,
  NetlinkError,
  type NetlinkSocket,
  routePrepend,
  type VethOptions,
} from "../../netlink/mod.ts";
import { type NetnsHandle, sysctlGet, sysctlSet, withNetns } from "../../netns/mod.ts";
import { cidrContains, formatCidr, parseCidr, parseIp } from "../../ip/mod.ts";

function fail(msg: string, cause?: unknown): CniError {
  return new CniError(ErrorCode.Internal, msg, { cause });
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof NetlinkError && err.code === code;
}

/**
 * Makes sure the bridge exists and is up (`ensureBridge`): created with the MTU and
 * vlan_filtering when new, EEXIST tolerated (a concurrent ADD made it), promiscuous mode
 * turned on when asked, `accept_ra=0`, up.
 *
 * @param host Host-namespace socket.
 * @param opts Name, MTU, promiscuous mode, vlan_filtering for a new bridge.
 * @returns The bridge link as read after the changes.
 * @throws {CniError} Code 999 `failed to create bridge "<name>": ...`.
 */
export function ensureBridge(
  host: NetlinkSocket,
  opts: { name: string; mtu: number; promisc: boolean; vlanFiltering: boolean },
): Link {
  const wrap = (msg: string, cause?: unknown) =>
    fail(`failed to create bridge "${opts.name}": ${msg}`, cause);
  let existing = linkFind(host, { name: opts.name });
  if (!existing) {
    try {
      linkAddBridge(host, {
        name: opts.name,
        ...(opts.mtu > 0 && { mtu: opts.mtu }),
        ...(opts.vlanFiltering && { vlanFiltering: true }),
      });
    } catch (err) {
      if (!isErrno(err, "EEXIST")) throw wrap(`could not add "${opts.name}": ${errText(err)}`, err);
    }
    existing = linkFind(host, { name: opts.name });
    if (!existing) throw wrap(`could not lookup "${opts.name}": link not found`);
  }
  if (existing.kind !== "bridge") throw wrap(`"${opts.name}" already exists but is not a bridge`);
  try {
    if (opts.promisc && !existing.promisc) linkSetPromisc(host, { index: existing.index }, true);
  } catch (err) {
    throw wrap(`could not set promiscuous mode on "${opts.name}": ${errText(err)}`, err);
  }
  // A write costs less than a read here, and rewriting the same value changes nothing.
  trySysctlSet(`net/ipv6/conf/${opts.name}/accept_ra`, "0");
  const changed = (opts.promisc && !existing.promisc) || !existing.up;
  try {
    if (!existing.up) linkSetUp(host, { index: existing.index });
  } catch (err) {
    throw wrap(errText(err), err);
  }
  return changed ? linkGet(host, { index: existing.index }) : existing;
}

/** Random `veth` + 8 lower-case hex digits (`ip.RandomVethName`). */
export function randomVethName(): string {
  const b = crypto.getRandomValues(new Uint8Array(4));
  return "veth" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** What {@linkcode setupVeth} made. */
export interface VethPair {
  /** Host end (a port of the bridge). */
  host: Link;
  /** Container end. */
  container: Link;
}

/** Options of {@linkcode setupVeth}. */
export interface SetupVethOptions {
  /** Container-side name (`CNI_IFNAME`). */
  ifName: string;
  /** MTU for both ends (0: kernel default). */
  mtu: number;
  /** Container-side MAC. */
  mac?: string | undefined;
  /** Hairpin flag on the host port. */
  hairpin: boolean;
  /** Isolated flag on the host port. */
  isolated: boolean;
  /** Access VLAN (0: none). */
  vlan: number;
  /** Tagged trunk VIDs. */
  trunk: readonly number[];
  /** Keep existing VLAN entries of the port. */
  preserveDefaultVlan: boolean;
  /**
   * Create the pair from a worker thread, leaving the JavaScript thread to other calls of
   * this process meanwhile (worth it only when there are some: the hand-off costs a wake-up).
   */
  inBackground?: boolean;
}

/**
 * Creates the veth pair (`setupVeth` + `ip.SetupVeth`) in one request from the host side: the
 * host end with a random name, up and a port of the bridge, the container end (`ifName`, the
 * MAC if given) straight in the container namespace, both with the MTU. Then `accept_ra=0` on
 * the host end, the hairpin and isolation flags when either is on (a new port has both off),
 * and the VLAN settings. A random host name that already exists is retried (up to 10 names).
 *
 * @param sockets Host and container sockets, container netns handle and the bridge.
 * @param opts Names, MTU, MAC, port settings.
 * @returns Both ends: the host end as created (its MAC is read again by the caller once the
 *   port is up), the container end as read after creation.
 * @throws {CniError} Code 999 with the reference's messages.
 */
export async function setupVeth(
  sockets: {
    host: NetlinkSocket;
    container: NetlinkSocket;
    containerNs: NetnsHandle;
    bridge: Link;
  },
  opts: SetupVethOptions,
): Promise<VethPair> {
  const { host, container, containerNs, bridge } = sockets;
  let peerName = "";
  let hostLink: Link | undefined;
  for (let attempt = 0; attempt < 10; attempt++) {
    peerName = randomVethName();
    try {
      const veth: VethOptions = {
        name: peerName,
        peerName: opts.ifName,
        peerNetnsFd: containerNs.fd,
        up: true,
        master: { index: bridge.index },
        ...(opts.mtu > 0 && { mtu: opts.mtu }),
        ...(opts.mac && { peerMac: opts.mac }),
      };
      // The kernel takes most of a millisecond over it: from a worker thread, other calls of
      // this process run meanwhile.
      hostLink = opts.inBackground
        ? await linkAddVethInBackground(host, veth)
        : linkAddVeth(host, veth);
      break;
    } catch (err) {
      if (isErrno(err, "EEXIST")) {
        if (linkFind(host, { name: peerName }) && !linkFind(container, { name: opts.ifName })) {
          if (attempt < 9) continue;
        }
        throw fail(
          `container veth name ("${opts.ifName}") peer provided ("${peerName}") already exists`,
          err,
        );
      }
      throw fail(`failed to make veth pair: ${errText(err)}`, err);
    }
  }
  if (!hostLink) {
    try {
      hostLink = linkGet(host, { name: peerName });
    } catch (err) {
      throw fail(`failed to lookup "${peerName}": ${errText(err)}`, err);
    }
  }
  const hostRef = { index: hostLink.index };
  trySysctlSet(`net/ipv6/conf/${peerName}/accept_ra`, "0");
  if (opts.hairpin || opts.isolated) {
    try {
      linkSetBrportFlags(host, hostRef, { hairpin: opts.hairpin, isolated: opts.isolated });
    } catch (err) {
      throw fail(`failed to setup hairpin mode / isolation for ${peerName}: ${errText(err)}`, err);
    }
  }
  setupPortVlans(host, hostLink, opts);
  let containerLink: Link;
  try {
    containerLink = linkGet(
      container,
      hostLink.parentIndex ? { index: hostLink.parentIndex } : { name: opts.ifName },
    );
  } catch (err) {
    throw fail(`failed to lookup "${opts.ifName}": ${errText(err)}`, err);
  }
  return { host: hostLink, container: containerLink };
}

function trySysctlSet(key: string, value: string): void {
  try {
    sysctlSet(key, value);
  } catch {
    // ignored, as in the reference
  }
}

function setupPortVlans(host: NetlinkSocket, port: Link, opts: SetupVethOptions): void {
  const ref = { index: port.index };
  if ((opts.vlan !== 0 || opts.trunk.length > 0) && !opts.preserveDefaultVlan) {
    try {
      const entries = bridgeVlanList(host, ref);
      for (const v of entries) bridgeVlanDel(host, ref, { vid: v.vid });
    } catch (err) {
      throw fail(`failed to remove default vlan on interface "${port.name}": ${errText(err)}`, err);
    }
  }
  try {
    if (opts.vlan !== 0) bridgeVlanAdd(host, ref, { vid: opts.vlan, pvid: true, untagged: true });
    for (const vid of opts.trunk) bridgeVlanAdd(host, ref, { vid });
    if (opts.vlan === 0 && opts.trunk.length > 0) {
      bridgeVlanAdd(host, ref, { vid: 1, pvid: true, untagged: true });
    }
  } catch (err) {
    throw fail(`failed to setup vlan tag on interface "${port.name}": ${errText(err)}`, err);
  }
}

/**
 * Puts a gateway address on the bridge or VLAN interface (`ensureAddr`): nothing when it is
 * already there; a conflicting address (any other IPv4 one, an overlapping IPv6 one) is
 * removed with `forceAddress` or is an error saying what to do; EEXIST is tolerated; when an
 * address was added the link's MAC is pinned to its current value.
 *
 * @param host Host-namespace socket.
 * @param link The bridge (or `<bridge>.<vlan>`), as read before ports changed its MAC.
 * @param gateway `gw/prefix`.
 * @param forceAddress Replace conflicting addresses.
 * @returns When done.
 * @throws {CniError} Code 999.
 */
export function ensureAddr(
  host: NetlinkSocket,
  link: Link,
  gateway: string,
  forceAddress: boolean,
): void {
  const gw = parseCidr(gateway)!;
  const ref = { index: link.index };
  const addrs = addrList(host, { link: ref, family: gw.ip.family });
  for (const a of addrs) {
    if (a.address === gateway) return;
    const other = parseCidr(a.address);
    if (!other) continue;
    if (gw.ip.family === 4 || cidrContains(other, gw.ip) || cidrContains(gw, other.ip)) {
      if (forceAddress) {
        try {
          addrDel(host, ref, { address: a.address });
        } catch (err) {
          throw fail(`could not remove IP address from "${link.name}": ${errText(err)}`, err);
        }
      } else {
        throw conflictError(link.name, gateway, a.address);
      }
    }
  }
  try {
    addrAdd(host, ref, addrSpec(gateway));
  } catch (err) {
    if (!isErrno(err, "EEXIST")) {
      throw fail(`could not add IP address ${gateway} to "${link.name}": ${errText(err)}`, err);
    }
  }
  try {
    // A bridge whose last port went away reads 00:00:00:00:00:00 until a port joins; pin the
    // MAC it has now instead (the reference fails here with EADDRNOTAVAIL).
    const mac = validMac(link.mac) ? link.mac : linkGet(host, ref).mac;
    if (validMac(mac)) linkSetMac(host, ref, mac);
  } catch (err) {
    throw fail(`could not set bridge's mac: ${errText(err)}`, err);
  }
}

function validMac(mac: string): boolean {
  return mac !== "" && mac !== "00:00:00:00:00:00" && (parseInt(mac.slice(0, 2), 16) & 1) === 0;
}

/** As the Go netlink library: IPv4 addresses get the derived broadcast (below /31). */
function addrSpec(address: string): { address: string; broadcast?: true } {
  return parseCidr(address)?.ip.family === 4 ? { address, broadcast: true } : { address };
}

function conflictError(name: string, gateway: string, existing: string): CniError {
  return new CniError(
    ErrorCode.Internal,
    `"${name}" already has an IP address different from ${gateway}`,
    {
      details: `"${name}" has ${existing}; set "forceAddress": true to replace it, ` +
        `or change the network's subnet or bridge name to match`,
    },
  );
}

/**
 * Makes sure `<bridge>.<vlan>` exists: a veth pair in the host whose random peer is an
 * untagged port of the VLAN (`ensureVlanInterface`).
 *
 * @param sockets Host socket, host netns handle and the bridge.
 * @param opts VLAN, MTU, preserveDefaultVlan.
 * @returns The `<bridge>.<vlan>` link.
 * @throws {CniError} Code 999.
 */
export async function ensureVlanInterface(
  sockets: { host: NetlinkSocket; hostNs: NetnsHandle; bridge: Link },
  opts: { vlan: number; preserveDefaultVlan: boolean },
): Promise<Link> {
  const name = `${sockets.bridge.name}.${opts.vlan}`;
  const found = linkFind(sockets.host, { name });
  if (found) return found;
  let pair: VethPair;
  try {
    pair = await setupVeth({
      host: sockets.host,
      container: sockets.host,
      containerNs: sockets.hostNs,
      bridge: sockets.bridge,
    }, {
      ifName: name,
      mtu: sockets.bridge.mtu,
      hairpin: false,
      isolated: false,
      vlan: opts.vlan,
      trunk: [],
      preserveDefaultVlan: opts.preserveDefaultVlan,
    });
  } catch (err) {
    throw fail(`faild to create vlan gateway "${name}": ${errText(err)}`, err);
  }
  try {
    linkSetUp(sockets.host, { index: pair.container.index });
  } catch (err) {
    throw fail(`failed to up "${name}": ${errText(err)}`, err);
  }
  return linkGet(sockets.host, { index: pair.container.index });
}

/**
 * The container-side sysctls of the L3 branch: DAD (`enabledad`) and `arp_notify`, errors
 * ignored, plus the IPv6 enabling `ConfigureIface` does on the first IPv6 address. One
 * namespace switch for all of them.
 *
 * @param ns Container namespace.
 * @param opts Interface name, whether DAD is enabled, whether IPv6 addresses follow, and a
 *   handle of the calling thread's namespace to return to, if the caller holds one.
 * @returns When done.
 * @throws {CniError} When IPv6 cannot be enabled (fatal in the reference).
 */
export function containerSysctls(
  ns: NetnsHandle,
  opts: { ifName: string; enableDad: boolean; hasV6: boolean; returnTo?: NetnsHandle },
): void {
  withNetns(ns, () => {
    // Plain writes, as the reference: a new interface rarely has these values already, and a
    // write costs less than a read.
    const conf = `net/ipv6/conf/${opts.ifName}`;
    if (opts.enableDad) {
      trySysctlSet(`${conf}/enhanced_dad`, "1");
      trySysctlSet(`${conf}/accept_dad`, "1");
    } else {
      trySysctlSet(`${conf}/accept_dad`, "0");
    }
    trySysctlSet(`net/ipv4/conf/${opts.ifName}/arp_notify`, "1");
    if (!opts.hasV6) return;
    for (const iface of ["lo", opts.ifName]) {
      const key = `net/ipv6/conf/${iface}/disable_ipv6`;
      let value: string;
      try {
        value = sysctlGet(key);
      } catch {
        continue;
      }
      if (value.trim() === "0") continue;
      try {
        sysctlSet(key, "0");
      } catch (err) {
        throw fail(
          `failed to enable IPv6 for interface "${iface}" (${key}=${value}): ${errText(err)}`,
          err,
        );
      }
    }
    try {
      sysctlSet(`${conf}/keep_addr_on_down`, "1");
    } catch (err) {
      throw fail(`failed to set sysctl "${conf}/keep_addr_on_down": ${errText(err)}`, err);
    }
  }, opts.returnTo ? { returnTo: opts.returnTo } : {});
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function ipcText(ipc: IPConfig): string {
  return JSON.stringify(ipc);
}

/**
 * Adds the result's addresses to the container interface, sets it up, waits for IPv6 DAD when
 * there is an IPv6 gateway, then adds the routes (`ipam.ConfigureIface`). The sysctl part is
 * {@linkcode containerSysctls}.
 *
 * @param container Container-namespace socket.
 * @param link The container interface, as read after its creation.
 * @param result The result (interfaces and ips with indexes).
 * @returns When done.
 * @throws {CniError} Code 999 with the reference's messages.
 */
export async function configureIface(
  container: NetlinkSocket,
  link: Link,
  result: Result,
): Promise<void> {
  const interfaces = result.interfaces ?? [];
  if (interfaces.length === 0) throw fail("no interfaces to configure");
  const ifName = link.name;
  const ref = { index: link.index };
  let v4gw: string | undefined;
  let v6gw: string | undefined;
  for (const ipc of result.ips ?? []) {
    if (ipc.interface === undefined) continue;
    const idx = ipc.interface;
    if (idx < 0 || idx >= interfaces.length || interfaces[idx]!.name !== ifName) {
      throw fail(`failed to add IP addr ${ipcText(ipc)} to "${ifName}": invalid interface index`);
    }
    try {
      addrAdd(container, ref, addrSpec(ipc.address));
    } catch (err) {
      throw fail(`failed to add IP addr ${ipcText(ipc)} to "${ifName}": ${errText(err)}`, err);
    }
    const gw = ipc.gateway ? parseIp(ipc.gateway) : undefined;
    if (gw?.family === 4) v4gw ??= ipc.gateway;
    else if (gw?.family === 6) v6gw ??= ipc.gateway;
  }
  try {
    linkSetUp(container, ref);
  } catch (err) {
    throw fail(`failed to set "${ifName}" UP: ${errText(err)}`, err);
  }
  if (v6gw !== undefined) await settleAddresses(container, link, 5000);
  const added = new Set<string>();
  for (const r of result.routes ?? []) {
    const dst = parseCidr(r.dst);
    if (!dst) throw fail(`failed to add route '${r.dst}': invalid destination`);
    const gw = r.gw ?? (dst.ip.family === 4 ? v4gw : v6gw);
    const key = JSON.stringify([formatCidr(dst), gw, r.priority, r.table, r.scope]);
    if (added.has(key)) continue; // a byte-identical route is already there (see plugins.md §1.12)
    added.add(key);
    try {
      // Not exclusive, as the reference (`RouteAddEcmp`): a default route of another network
      // on another device of this namespace is no conflict; an identical route still is.
      routePrepend(container, routeSpec(r, link.index, gw));
    } catch (err) {
      throw fail(
        `failed to add route '${r.dst} via ${gw ?? "<nil>"} dev ${ifName} metric ${
          r.priority ?? 0
        } (Scope: ${r.scope ?? 0}, Table: ${r.table ?? 0})': ${errText(err)}`,
        err,
      );
    }
  }
}

function routeSpec(r: Route, linkIndex: number, gw: string | undefined) {
  return {
    dst: r.dst,
    link: { index: linkIndex },
    ...(gw !== undefined && { gw }),
    ...(r.priority !== undefined && r.priority !== 0 && { metric: r.priority }),
    ...(r.table !== undefined && { table: r.table }),
    // The Go netlink library leaves scope at universe unless the route gives one.
    scope: r.scope ?? 0,
    ...(r.mtu !== undefined && r.mtu !== 0 && { mtu: r.mtu }),
    ...(r.advmss !== undefined && r.advmss !== 0 && { advmss: r.advmss }),
  };
}

/**
 * Waits until no IPv6 address of the link is tentative (`ip.SettleAddresses`): every 50 ms,
 * failing at once on DADFAILED, and at the deadline only if the link is oper-up.
 *
 * @param sock The link's namespace socket.
 * @param link The link.
 * @param timeoutMs Deadline.
 * @returns When settled.
 * @throws {CniError} Code 999.
 */
export async function settleAddresses(
  sock: NetlinkSocket,
  link: Link,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const addrs = addrList(sock, { link: { index: link.index }, family: 6 });
    let tentative = false;
    for (const a of addrs) {
      if (a.flags & IFA_F_DADFAILED) {
        throw fail(`link ${link.name} has address ${a.address} in DADFAILED state`);
      }
      if (a.flags & IFA_F_TENTATIVE) tentative = true;
    }
    if (!tentative) return;
    if (Date.now() >= deadline) {
      const now = linkGet(sock, { index: link.index });
      if (now.operState === "UP") {
        throw fail(`link ${link.name} still has tentative addresses after ${timeoutMs / 1000}s`);
      }
      return;
    }
    await sleep(50);
  }
}

/**
 * Waits for the host port to be oper-up: looks after 0, 50, 500, 1000 and 1000 ms, as the
 * reference does.
 *
 * @param host Host socket.
 * @param port The host veth.
 * @returns The port as last read.
 * @throws {CniError} Code 999 `bridge port in error state: <state>`.
 */
export async function waitPortUp(host: NetlinkSocket, port: Link): Promise<Link> {
  const retries = [0, 50, 500, 1000, 1000];
  let last = port;
  for (const ms of retries) {
    if (ms > 0) await sleep(ms);
    last = linkGet(host, { index: port.index });
    if (last.operState === "UP") return last;
  }
  throw fail(`bridge port in error state: ${(last.operState ?? "unknown").toLowerCase()}`);
}
