/**
 * Privilege checks done before any command that changes the kernel: without CAP_NET_ADMIN and
 * CAP_SYS_ADMIN nothing is attempted, and one line says what is needed.
 *
 * @module
 */
import { CniError } from "../cni/errors.ts";

/** `CAP_NET_ADMIN` bit number from `<linux/capability.h>`. */
export const CAP_NET_ADMIN = 12;
/** `CAP_SYS_ADMIN` bit number from `<linux/capability.h>`. */
export const CAP_SYS_ADMIN = 21;

/**
 * Reads the effective capability set of this process from `/proc/self/status`.
 *
 * @param statusText The file's text (for tests); read from /proc when absent.
 * @returns The `CapEff` mask.
 */
export function effectiveCapabilities(statusText?: string): bigint {
  const text = statusText ?? Deno.readTextFileSync("/proc/self/status");
  const match = /^CapEff:\s*([0-9a-f]+)$/m.exec(text);
  return match ? BigInt(`0x${match[1]}`) : 0n;
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
