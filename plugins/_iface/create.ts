/**
 * Making the container's interface of macvlan, ipvlan and vlan the way the reference does:
 * created under a temporary `vethXXXXXXXX` name straight in the container namespace (from the
 * master's namespace, or inside the container with `linkInContainer`), then renamed to
 * `CNI_IFNAME` there; a failed rename deletes it. A kernel without the link kind is named
 * plainly instead of answering "operation not supported".
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import {
  type Link,
  linkDel,
  linkGet,
  linkSetName,
  NetlinkError,
  type NetlinkSocket,
} from "../../netlink/mod.ts";
import { randomVethName } from "./veth_name.ts";
import type { IfaceSockets } from "./sockets.ts";

/** The kernel module behind each link kind, for the "no support" message. */
const KIND_MODULES: Readonly<Record<string, string>> = {
  macvlan: "macvlan",
  ipvlan: "ipvlan",
  vlan: "8021q",
  dummy: "dummy",
};

/** What the kernel's text (`Unknown device type`) says when no driver registered the kind. */
const UNKNOWN_KIND_REGEXP = /unknown device type/i;

/**
 * Words a failed link creation: a kernel without the link kind (`EOPNOTSUPP`, "Unknown device
 * type") becomes `the kernel has no <kind> support (module <m>)`; anything else
 * `failed to create <kind>: <reason>` (the reference's words).
 *
 * @example The kernel lacks vlan
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetlinkError } from "../../netlink/mod.ts";
 * import { linkCreateError } from "./create.ts";
 * const err = new NetlinkError({
 *   op: "link add", target: "veth0", errno: 95, code: "EOPNOTSUPP",
 *   description: "operation not supported", extack: "Unknown device type",
 * });
 * assert.equal(linkCreateError("vlan", err).msg, "the kernel has no vlan support (module 8021q)");
 * ```
 *
 * @param kind The link kind.
 * @param err What the creation threw.
 * @returns The error to report (code 999).
 */
export function linkCreateError(kind: string, err: unknown): CniError {
  if (err instanceof CniError) return err;
  if (
    err instanceof NetlinkError && err.code === "EOPNOTSUPP" &&
    (err.extack === undefined || UNKNOWN_KIND_REGEXP.test(err.extack))
  ) {
    const module = KIND_MODULES[kind] ?? kind;
    return new CniError(
      ErrorCode.Internal,
      `the kernel has no ${kind} support (module ${module})`,
      {
        details: `load it with "modprobe ${module}" or use a kernel built with it; ` +
          `the kernel said: ${err.message}`,
        cause: err,
      },
    );
  }
  return new CniError(ErrorCode.Internal, `failed to create ${kind}: ${reason(err)}`, {
    cause: err,
  });
}

/** The kernel's reason, as the reference prints it (errno text, then the extended ack). */
function reason(err: unknown): string {
  if (err instanceof NetlinkError) {
    return err.extack ? `${err.description}: ${err.extack}` : err.description;
  }
  return errorText(err);
}

/** Options of {@linkcode createRenamed}. */
export interface CreateRenamedOptions {
  /** The link kind (for messages). */
  kind: string;
  /** `CNI_IFNAME`. */
  ifName: string;
  /** Create from inside the container (`linkInContainer`: the master lives there). */
  inContainer: boolean;
  /**
   * Sends the creation request on `sock` for a link named `name`, to be created straight in
   * the namespace `netnsFd` when given.
   */
  add(sock: NetlinkSocket, name: string, netnsFd: number | undefined): void;
}

/**
 * Creates the link under a temporary name in the container namespace and renames it to
 * `ifName` there. Nothing is left behind when a step fails.
 *
 * @param s The call's sockets.
 * @param opts Kind, names and the creation request.
 * @returns The container's link as read after the rename.
 * @throws {CniError} Code 999: {@linkcode linkCreateError}'s messages, or
 *   `failed to rename <kind> to "<ifName>": ...`.
 */
export function createRenamed(s: IfaceSockets, opts: CreateRenamedOptions): Link {
  let tmpName = "";
  for (let attempt = 0;; attempt++) {
    tmpName = randomVethName();
    try {
      if (opts.inContainer) opts.add(s.container, tmpName, undefined);
      else opts.add(s.host, tmpName, s.containerNs.fd);
      break;
    } catch (err) {
      // A random name already taken in either namespace: try another (rare: 32 random bits).
      if (err instanceof NetlinkError && err.code === "EEXIST" && attempt < 9) continue;
      throw linkCreateError(opts.kind, err);
    }
  }
  try {
    linkSetName(s.container, { name: tmpName }, opts.ifName);
  } catch (err) {
    try {
      linkDel(s.container, { name: tmpName });
    } catch {
      // already gone
    }
    throw new CniError(
      ErrorCode.Internal,
      `failed to rename ${opts.kind} to "${opts.ifName}": ${reason(err)}`,
      { cause: err },
    );
  }
  try {
    return linkGet(s.container, { name: opts.ifName });
  } catch (err) {
    try {
      linkDel(s.container, { name: opts.ifName });
    } catch {
      // already gone
    }
    throw new CniError(
      ErrorCode.Internal,
      `failed to refetch ${opts.kind} "${opts.ifName}": ${reason(err)}`,
      { cause: err },
    );
  }
}
