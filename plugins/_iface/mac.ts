/**
 * A MAC address given to macvlan or tuning (`mac`, `runtimeConfig.mac`, `CNI_ARGS` `MAC=`), read as Go's
 * `net.ParseMAC` reads the 6-byte forms, and checked as the kernel will check it.
 *
 * @module
 */
import { CniError, ErrorCode } from "../../cni/errors.ts";

const MAC_COLON_REGEXP = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(?:\1[0-9a-fA-F]{2}){4}$/;
const MAC_DOTTED_REGEXP = /^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$/;

/**
 * Parses a MAC (`aa:bb:cc:dd:ee:ff`, `aa-bb-cc-dd-ee-ff` or `aabb.ccdd.eeff`, any case) that
 * a link can take: unicast and not all zeros (the kernel refuses others after the link is
 * half made).
 *
 * @example Normalising
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLinkMac } from "./mac.ts";
 * assert.equal(parseLinkMac("C2-11-22-33-44-55"), "c2:11:22:33:44:55");
 * ```
 *
 * @param text The MAC text.
 * @param code The error code (999 by default, as macvlan's reference; tuning says 7).
 * @returns The MAC as `aa:bb:cc:dd:ee:ff`.
 * @throws {CniError} Code `code` `invalid args <mac> for MAC addr: address <mac>: invalid MAC
 *   address` (the reference's words), or `...: not a unicast address ...`.
 */
export function parseLinkMac(text: string, code: number = ErrorCode.Internal): string {
  let hex: string;
  if (MAC_COLON_REGEXP.test(text)) hex = text.replace(/[:-]/g, "");
  else if (MAC_DOTTED_REGEXP.test(text)) hex = text.replaceAll(".", "");
  else {
    throw new CniError(
      code,
      `invalid args ${text} for MAC addr: address ${text}: invalid MAC address`,
    );
  }
  hex = hex.toLowerCase();
  if ((parseInt(hex.slice(0, 2), 16) & 1) !== 0 || /^0+$/.test(hex)) {
    throw new CniError(
      code,
      `invalid args ${text} for MAC addr: not a unicast address (the kernel refuses ` +
        `multicast and all-zero device addresses)`,
    );
  }
  return hex.match(/../g)!.join(":");
}
