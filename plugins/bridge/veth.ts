/**
 * The veth pair of an attachment (`setupVeth` of the reference, with the VLAN port steps):
 * the host end a port of the bridge, the container end straight in the container namespace;
 * and the `<bridge>.<vlan>` gateway interface, a veth pair inside the host
 * (`ensureVlanInterface`). Errors are `CniError`s with the reference's messages (code 999, as
 * the reference's plain Go errors are).
 *
 * @module
 */
import { CniError, ErrorCode, errorText, toCniError } from "../../cni/errors.ts";
import {
  bridgeVlanAdd,
  bridgeVlanDel,
  bridgeVlanList,
  type Link,
  linkAddVeth,
  linkAddVethInBackground,
  linkFind,
  linkGet,
  linkSetBrportFlags,
  linkSetUp,
  NetlinkError,
  type NetlinkSocket,
  type VethOptions,
} from "../../netlink/mod.ts";
import type { NetnsHandle } from "../../netns/mod.ts";
import { randomVethName } from "../_iface/veth_name.ts";
import { trySysctlSet } from "./sysctls.ts";

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
      if (err instanceof NetlinkError && err.code === "EEXIST") {
        if (linkFind(host, { name: peerName }) && !linkFind(container, { name: opts.ifName })) {
          if (attempt < 9) continue;
        }
        throw new CniError(
          ErrorCode.Internal,
          `container veth name ("${opts.ifName}") peer provided ("${peerName}") already exists`,
          { cause: err },
        );
      }
      throw toCniError(err, "failed to make veth pair");
    }
  }
  if (!hostLink) {
    try {
      hostLink = linkGet(host, { name: peerName });
    } catch (err) {
      throw toCniError(err, `failed to lookup "${peerName}"`);
    }
  }
  const hostRef = { index: hostLink.index };
  trySysctlSet(`net/ipv6/conf/${peerName}/accept_ra`, "0");
  if (opts.hairpin || opts.isolated) {
    try {
      linkSetBrportFlags(host, hostRef, { hairpin: opts.hairpin, isolated: opts.isolated });
    } catch (err) {
      throw toCniError(err, `failed to setup hairpin mode / isolation for ${peerName}`);
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
    throw toCniError(err, `failed to lookup "${opts.ifName}"`);
  }
  return { host: hostLink, container: containerLink };
}

function setupPortVlans(host: NetlinkSocket, port: Link, opts: SetupVethOptions): void {
  const ref = { index: port.index };
  if ((opts.vlan !== 0 || opts.trunk.length > 0) && !opts.preserveDefaultVlan) {
    try {
      const entries = bridgeVlanList(host, ref);
      for (const v of entries) bridgeVlanDel(host, ref, { vid: v.vid });
    } catch (err) {
      throw toCniError(err, `failed to remove default vlan on interface "${port.name}"`);
    }
  }
  try {
    if (opts.vlan !== 0) bridgeVlanAdd(host, ref, { vid: opts.vlan, pvid: true, untagged: true });
    for (const vid of opts.trunk) bridgeVlanAdd(host, ref, { vid });
    if (opts.vlan === 0 && opts.trunk.length > 0) {
      bridgeVlanAdd(host, ref, { vid: 1, pvid: true, untagged: true });
    }
  } catch (err) {
    throw toCniError(err, `failed to setup vlan tag on interface "${port.name}"`);
  }
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
    throw new CniError(
      ErrorCode.Internal,
      `faild to create vlan gateway "${name}": ${errorText(err)}`,
      { cause: err },
    );
  }
  try {
    linkSetUp(sockets.host, { index: pair.container.index });
  } catch (err) {
    throw toCniError(err, `failed to up "${name}"`);
  }
  return linkGet(sockets.host, { index: pair.container.index });
}
