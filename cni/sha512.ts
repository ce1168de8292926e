/**
 * SHA-512 through Web Crypto (`crypto.subtle.digest`, no `node:crypto` at plugin start-up), for
 * the short strings the reference hashes into names: iptables chains (`CNI-<hash>`), nft
 * comments, the bandwidth ifb device, cnitool's container IDs.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * The lowercase hex SHA-512 of a string's UTF-8 bytes (Go's `%x` of `sha512.Sum512`).
 *
 * @example The FIPS 180-4 "abc" vector
 * ```ts
 * import { sha512Hex } from "./sha512.ts";
 * (await sha512Hex("abc")).slice(0, 16); // "ddaf35a193617aba"
 * ```
 *
 * @param text The text.
 * @returns 128 hex digits.
 */
export async function sha512Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-512", encoder.encode(text)));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/**
 * `prefix` followed by the hex SHA-512 of `toHash`, cut to `length` characters: the
 * reference's `utils.MustFormatHashWithPrefix` (chain names, the ifb device name).
 *
 * @example The bridge masquerade chain of the reference's test
 * ```ts
 * import { hashWithPrefix } from "./sha512.ts";
 * await hashWithPrefix(28, "CNI-", "mynetabc123"); // "CNI-70a29d9dc18bc4d652ea5d59"
 * ```
 *
 * @param length The length of the result (longer than `prefix`, at most 128).
 * @param prefix The text before the hash.
 * @param toHash The hashed text.
 * @returns The name.
 * @throws {RangeError} When `length` cannot hold the prefix and some hash, or exceeds 128.
 */
export async function hashWithPrefix(
  length: number,
  prefix: string,
  toHash: string,
): Promise<string> {
  if (prefix.length >= length || length > 128) {
    throw new RangeError(`invalid length ${length} for prefix ${JSON.stringify(prefix)}`);
  }
  return (prefix + (await sha512Hex(toHash))).slice(0, length);
}
