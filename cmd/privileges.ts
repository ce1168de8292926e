/**
 * Privilege checks done before any command that changes the kernel: without CAP_NET_ADMIN and
 * CAP_SYS_ADMIN nothing is attempted, and one line says what is needed.
 *
 * @module
 */
import { CniError } from "../cni/errors.ts";
import { capgetEffective } from "../ffi/mod.ts";

/** `CAP_NET_ADMIN` bit number from `<linux/capability.h>`. */
export const CAP_NET_ADMIN = 12;
/** `CAP_SYS_ADMIN` bit number from `<linux/capability.h>`. */
export const CAP_SYS_ADMIN = 21;

/**
 * The effective capability set of the calling thread (`capget(2)`).
 *
 * @returns The mask.
 */
export function effectiveCapabilities(): bigint {
  return capgetEffective();
}

/**
 * Names the capabilities that are missing for kernel work, or returns an empty list.
 *
 * @param caps Capability mask (default: this process's).
 * @returns Missing capability names.
 */
export function missingCapabilities(caps: bigint = effectiveCapabilities()): string[] {
  const missing: string[] = [];
  if (((caps >> BigInt(CAP_NET_ADMIN)) & 1n) === 0n) missing.push("CAP_NET_ADMIN");
  if (((caps >> BigInt(CAP_SYS_ADMIN)) & 1n) === 0n) missing.push("CAP_SYS_ADMIN");
  return missing;
}

/**
 * Throws before anything is done when the process lacks what `what` needs.
 *
 * @param what The command, e.g. `"cnitool exec"`.
 * @param caps Capability mask (default: this process's).
 * @throws {CniError} Code 999 with one line naming what is missing.
 */
export function requirePrivileges(what: string, caps?: bigint): void {
  const missing = missingCapabilities(caps);
  if (missing.length > 0) {
    throw new CniError(
      999,
      `${what} needs root (${missing.join(" and ")} missing): run it with sudo`,
    );
  }
}
