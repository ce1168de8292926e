/**
 * The bandwidth plugin's kernel work, over netlink: finding the host end of the container's
 * veth, the ingress `tbf` on it, the egress path (an ifb device, the host veth's ingress qdisc
 * with a u32 filter redirecting everything to the ifb, a `tbf` on the ifb), and reading them
 * back for CHECK. Errors carry the reference's texts (`create qdisc: file exists`).
 *
 * Beyond the reference: one `mirred` action instead of the reference library's two (its second,
 * a `pass`, never runs); an ADD that fails removes what it made.
 *
 * @module
 */
import { CniError, ErrorCode, errorText, toCniError } from "../../cni/errors.ts";
import { readFileText } from "../../ffi/mod.ts";
import type { Interface } from "../../cni/types.ts";
import {
  filterAdd,
  filterList,
  INGRESS_HANDLE,
  type Link,
  linkAddIfb,
  linkDel,
  linkFind,
  linkGet,
  LinkNotFoundError,
  NetlinkError,
  type NetlinkSocket,
  openNetlink,
  parsePsched,
  type Psched,
  qdiscAdd,
  qdiscDel,
  qdiscList,
  redirectAllFilter,
  TC_H_INGRESS,
  TC_H_ROOT,
  TCA_EGRESS_REDIR,
  tcHandle,
} from "../../netlink/mod.ts";
import type { NetnsHandle } from "../../netns/mod.ts";
import type { TbfParams } from "./tbf_params.ts";

/** Where the kernel publishes its packet-scheduler clock. */
export const PSCHED_PATH = "/proc/net/psched";

/** The handle the reference gives its `tbf` qdiscs, `1:`. */
export const TBF_HANDLE: number = tcHandle(1, 0);

/** The class id of the redirect filter, `1:1`, as the reference sets it. */
const REDIRECT_CLASSID = tcHandle(1, 1);

let psched: Psched | undefined;

/**
 * The kernel's psched clock, read once per process from `/proc/net/psched` (through libc:
 * Deno's file API wants `--allow-all` for `/proc/net`, the plugins run with `--allow-ffi`).
 *
 * @returns The clock.
 * @throws {CniError} Code 999 when the file cannot be read or parsed.
 */
export function kernelPsched(): Psched {
  if (psched) return psched;
  try {
    psched = parsePsched(readFileText(PSCHED_PATH));
    return psched;
  } catch (err) {
    throw toCniError(err, `failed to read ${PSCHED_PATH}`);
  }
}

/** What a failed kernel step prints: the errno text as Go's `syscall.Errno` (`file exists`). */
function kernelText(err: unknown): string {
  if (err instanceof LinkNotFoundError) return "Link not found";
  if (err instanceof NetlinkError) return err.description;
  return errorText(err);
}

/**
 * Wraps a failed step as the reference words it: `<prefix>: <errno text>`, with the kernel's
 * extended-ack text (which the reference drops) as details.
 *
 * @param prefix E.g. `create qdisc`.
 * @param err What was thrown.
 * @returns Code 999.
 */
export function stepError(prefix: string, err: unknown): CniError {
  if (err instanceof CniError) return err;
  const extack = err instanceof NetlinkError ? err.extack : undefined;
  return new CniError(ErrorCode.Internal, `${prefix}: ${kernelText(err)}`, {
    ...(extack ? { details: extack } : {}),
    cause: err,
  });
}

/**
 * Finds the host end of the container interface's veth, as the reference's
 * `getHostInterface`: the peer index read inside the container namespace, that index looked up
 * in the host, and a `prevResult` interface of that name without a sandbox.
 *
 * @param host A socket in the host namespace.
 * @param containerNs The container namespace.
 * @param options The container interface name and the `prevResult` interfaces.
 * @returns The host veth.
 * @throws {CniError} Code 999: `no interfaces provided`, `container interface X has no veth
 *   peer: ...`, `veth peer with index N is not in host ns`, `no veth peer of container
 *   interface found in host ns`.
 */
export function findHostVeth(
  host: NetlinkSocket,
  containerNs: NetnsHandle,
  options: { ifName: string; interfaces: readonly Interface[] },
): Link {
  const { ifName, interfaces } = options;
  if (interfaces.length === 0) throw new CniError(ErrorCode.Internal, "no interfaces provided");
  const noPeer = (why: string) =>
    new CniError(ErrorCode.Internal, `container interface ${ifName} has no veth peer: ${why}`);
  let peerIndex: number;
  {
    using sock = openNetlink({ netns: containerNs });
    let link: Link;
    try {
      link = linkGet(sock, { name: ifName });
    } catch (err) {
      if (err instanceof LinkNotFoundError) {
        throw noPeer(`could not look up "${ifName}": Link not found`);
      }
      throw noPeer(errorText(err));
    }
    if (link.kind !== "veth") throw noPeer(`interface "${ifName}" was not a veth interface`);
    peerIndex = link.parentIndex ?? 0;
    if (peerIndex <= 0) throw noPeer("<nil>");
  }
  const hostLink = linkFind(host, { index: peerIndex });
  if (!hostLink) {
    throw new CniError(ErrorCode.Internal, `veth peer with index ${peerIndex} is not in host ns`);
  }
  if (!interfaces.some((i) => !i.sandbox && i.name === hostLink.name)) {
    throw new CniError(
      ErrorCode.Internal,
      "no veth peer of container interface found in host ns",
    );
  }
  return hostLink;
}

/** An undo step of a failed ADD. */
export type Undo = () => void;

/**
 * Adds the ingress limit: a `tbf` as the root qdisc of the host veth (it shapes what the host
 * sends toward the container).
 *
 * Equivalent to: `tc qdisc add dev <hostveth> root handle 1: tbf rate R burst B latency 25ms`
 *
 * @param host A socket in the host namespace.
 * @param hostVeth The host veth.
 * @param params The tbf parameters.
 * @param undo Receives the step that removes it again.
 * @throws {CniError} Code 999 `create qdisc: <errno text>`.
 */
export function addIngressLimit(
  host: NetlinkSocket,
  hostVeth: Link,
  params: TbfParams,
  undo: Undo[],
): void {
  const ref = { index: hostVeth.index };
  try {
    qdiscAdd(host, ref, { kind: "tbf", handle: TBF_HANDLE, parent: TC_H_ROOT, tbf: params });
  } catch (err) {
    throw stepError("create qdisc", err);
  }
  undo.push(() => qdiscDel(host, ref, { parent: TC_H_ROOT, handle: TBF_HANDLE }));
}

/**
 * Adds the egress limit: an ifb device (up, the host veth's MTU, no transmit queue), the
 * ingress qdisc of the host veth with a u32 filter redirecting every packet to the ifb, and a
 * `tbf` as the ifb's root qdisc.
 *
 * Equivalent to: `ip link add <ifb> mtu M txqueuelen 0 up type ifb; tc qdisc add dev
 * <hostveth> handle ffff: ingress; tc filter add dev <hostveth> parent ffff: protocol all
 * prio 1 u32 match u32 0 0 flowid 1:1 action mirred egress redirect dev <ifb>; tc qdisc add
 * dev <ifb> root handle 1: tbf rate R burst B latency 25ms`
 *
 * @param host A socket in the host namespace.
 * @param hostVeth The host veth.
 * @param options The ifb name and the tbf parameters.
 * @param undo Receives the steps that remove what was made.
 * @returns The result entry of the ifb (`name`, `mac`).
 * @throws {CniError} Code 999 `adding link: ...`, `create ingress qdisc: ...`,
 *   `add filter: ...`, `create ifb qdisc: create qdisc: ...`.
 */
export function addEgressLimit(
  host: NetlinkSocket,
  hostVeth: Link,
  options: { ifbName: string; params: TbfParams },
  undo: Undo[],
): Interface {
  let ifb: Link;
  try {
    ifb = linkAddIfb(host, { name: options.ifbName, mtu: hostVeth.mtu, txqlen: 0, up: true }) ??
      linkGet(host, { name: options.ifbName });
  } catch (err) {
    throw stepError("adding link", err);
  }
  undo.push(() => linkDel(host, { index: ifb.index }));
  const vethRef = { index: hostVeth.index };
  try {
    qdiscAdd(host, vethRef, { kind: "ingress", emptyOptions: true });
  } catch (err) {
    throw stepError("create ingress qdisc", err);
  }
  // Deleting the ingress qdisc takes its filters with it.
  undo.push(() => qdiscDel(host, vethRef, { parent: TC_H_INGRESS }));
  try {
    filterAdd(host, vethRef, redirectAllFilter(ifb.index, REDIRECT_CLASSID));
  } catch (err) {
    throw stepError("add filter", err);
  }
  try {
    qdiscAdd(host, { index: ifb.index }, {
      kind: "tbf",
      handle: TBF_HANDLE,
      parent: TC_H_ROOT,
      tbf: options.params,
    });
  } catch (err) {
    throw stepError("create ifb qdisc: create qdisc", err);
  }
  return { name: ifb.name, mac: ifb.mac };
}

/**
 * Checks that a device's root qdisc is the `tbf` with the given parameters. Stricter than the
 * reference, which walks the qdiscs until the first one that is not a `tbf` and so passes when
 * the `tbf` is gone; its texts are kept.
 *
 * @param host A socket in the host namespace.
 * @param index The device.
 * @param params The expected parameters.
 * @throws {CniError} Code 999 `Failed to find qdisc`, `Rate doesn't match`, `Limit doesn't
 *   match`, `Buffer doesn't match`.
 */
export function checkTbf(host: NetlinkSocket, index: number, params: TbfParams): void {
  let qdiscs;
  try {
    qdiscs = qdiscList(host, { link: { index } }).filter((q) => q.kind !== "pfifo_fast");
  } catch (err) {
    throw stepError("list qdiscs", err);
  }
  const tbf = qdiscs.find((q) => q.root && q.kind === "tbf")?.tbf;
  if (!tbf) throw new CniError(ErrorCode.Internal, "Failed to find qdisc");
  if (tbf.rate !== params.rate) throw new CniError(ErrorCode.Internal, "Rate doesn't match");
  if (tbf.limit !== params.limit) throw new CniError(ErrorCode.Internal, "Limit doesn't match");
  if (tbf.buffer !== params.buffer) {
    throw new CniError(ErrorCode.Internal, "Buffer doesn't match");
  }
}

/**
 * Checks that the host veth's ingress qdisc redirects to the ifb (not checked by the
 * reference).
 *
 * @param host A socket in the host namespace.
 * @param hostVeth The host veth.
 * @param ifb The ifb device.
 * @throws {CniError} Code 999 `Failed to find the redirect to "<ifb>" on "<veth>"`.
 */
export function checkRedirect(host: NetlinkSocket, hostVeth: Link, ifb: Link): void {
  let found = false;
  try {
    const ingress = qdiscList(host, { link: { index: hostVeth.index } })
      .some((q) => q.kind === "ingress" && q.handle === INGRESS_HANDLE);
    found = ingress &&
      filterList(host, { index: hostVeth.index }, { parent: INGRESS_HANDLE }).some((f) =>
        f.u32?.actions.some((a) =>
          a.mirred?.eaction === TCA_EGRESS_REDIR && a.mirred.ifindex === ifb.index
        )
      );
  } catch (err) {
    throw stepError("list filters", err);
  }
  if (!found) {
    throw new CniError(
      ErrorCode.Internal,
      `Failed to find the redirect to "${ifb.name}" on "${hostVeth.name}"`,
    );
  }
}
