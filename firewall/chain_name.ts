/**
 * iptables chain names: the per-container chains the reference derives from the network name
 * and container ID (`CNI-<hash>`, `CNI-DN-<hash>`), and the check of chain names taken from a
 * configuration (firewall's `iptablesAdminChainName`, portmap's `externalSetMarkChain`): what
 * `iptables` accepts as a user chain name, and nothing that could end an `iptables-restore`
 * line or the token it is written in.
 *
 * @module
 */
import { hashWithPrefix } from "../cni/sha512.ts";
import type { Owner } from "./owner.ts";

/** iptables chain names are at most this long (`XT_EXTENSION_MAXNAMELEN` 29 with the NUL). */
export const MAX_CHAIN_NAME = 28;

/**
 * The chain of one container on one network (`utils.MustFormatChainNameWithPrefix`): `CNI-`,
 * the prefix, then the hex SHA-512 of network name and container ID, 28 characters in all.
 *
 * @example The bridge masquerade's and portmap's chains
 * ```ts
 * import assert from "node:assert/strict";
 * import { ownerChainName } from "./chain_name.ts";
 * assert.equal(
 *   await ownerChainName("", { network: "mynet", containerId: "abc123" }),
 *   "CNI-70a29d9dc18bc4d652ea5d59",
 * );
 * assert.equal(
 *   await ownerChainName("DN-", { network: "rnnet", containerId: "rnc1" }),
 *   "CNI-DN-cb4af05a74fc644b48978",
 * );
 * ```
 *
 * @param prefix Text after `CNI-` (`""` for the masquerade, `"DN-"`, `"SN-"` for portmap).
 * @param owner Network and container.
 * @returns The chain name.
 */
export function ownerChainName(prefix: string, owner: Owner): Promise<string> {
  return hashWithPrefix(MAX_CHAIN_NAME, `CNI-${prefix}`, owner.network + owner.containerId);
}

/** One to 28 characters, no blanks or quotes, not starting with `-` or `!`. */
const CHAIN_NAME_REGEXP = /^[^\s!\-"'][^\s"']{0,27}$/;

/**
 * Whether `name` can be a user chain in an `iptables-restore` script: 1-28 characters, no
 * blanks, quotes or control characters, not starting with `-` or `!`.
 *
 * @example Names
 * ```ts
 * import assert from "node:assert/strict";
 * import { isChainName } from "./chain_name.ts";
 * assert.deepEqual(
 *   [isChainName("CNI-ADMIN"), isChainName("A B"), isChainName("X\n-A INPUT")],
 *   [true, false, false],
 * );
 * ```
 *
 * @param name The chain name.
 * @returns True when it is usable.
 */
export function isChainName(name: string): boolean {
  return CHAIN_NAME_REGEXP.test(name) && !hasControlCharacter(name);
}

/**
 * Whether `text` holds a control character (U+0000-U+001F or U+007F): a line break in a token
 * would end an `iptables-restore` or `nft -f` line and start another command.
 *
 * @example Tokens
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasControlCharacter } from "./chain_name.ts";
 * assert.equal(hasControlCharacter("10.0.0.0/8"), false);
 * assert.equal(hasControlCharacter("x\n-A INPUT -j DROP"), true);
 * ```
 *
 * @param text A token.
 * @returns True when it holds one.
 */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
