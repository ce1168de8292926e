/**
 * Owner comments: the `name: "<network>" id: "<container ID>"` text the reference plugins put
 * on their iptables rules (the bridge masquerade as is, portmap after `dnat `), read back so
 * that rules can be found by owner when nothing else is known (DEL without `prevResult`) and
 * collected when their owner is no longer valid (GC). Pure.
 *
 * @module
 */

/** Who a rule belongs to. */
export interface Owner {
  /** Network name. */
  network: string;
  /** Container ID. */
  containerId: string;
}

/** iptables refuses comments longer than this (`XT_MAX_COMMENT_LEN` 256 with the NUL). */
export const IPTABLES_MAX_COMMENT = 255;

/**
 * The owner comment: `<prefix>name: "<network>" id: "<containerId>"` with the values as is
 * (the reference's `%s` inside quotes), cut to 255 characters ending in `...` when longer.
 * The reference cuts to 253 plus `...`, 256 characters, which iptables refuses.
 *
 * @param prefix Text before `name:` (`"dnat "` for portmap, `""` for none).
 * @param owner Network and container.
 * @returns The comment.
 *
 * @example portmap's comment
 * ```ts
 * import { ownerComment } from "./owner.ts";
 * ownerComment("dnat ", { network: "rnnet", containerId: "rnc1" });
 * // 'dnat name: "rnnet" id: "rnc1"'
 * ```
 */
export function ownerComment(prefix: string, owner: Owner): string {
  const text = `${prefix}name: "${owner.network}" id: "${owner.containerId}"`;
  if (text.length <= IPTABLES_MAX_COMMENT) return text;
  return text.slice(0, IPTABLES_MAX_COMMENT - 3) + "...";
}

/**
 * The owner comment the bridge masquerade writes (`utils.FormatComment`, Go's
 * `name: %q id: %q`): the values quoted with their quotes and backslashes escaped, not cut.
 * Names and IDs the spec allows read the same as {@linkcode ownerComment}`("", owner)`; a
 * control character, where Go's and this quoting differ, cannot be written to iptables anyway.
 *
 * @param owner Network and container.
 * @returns The comment.
 *
 * @example The reference's test vector
 * ```ts
 * import { quotedOwnerComment } from "./owner.ts";
 * quotedOwnerComment({ network: "mynet", containerId: "abc123" }); // 'name: "mynet" id: "abc123"'
 * ```
 */
export function quotedOwnerComment(owner: Owner): string {
  return `name: ${JSON.stringify(owner.network)} id: ${JSON.stringify(owner.containerId)}`;
}

const OWNER_REGEXP = /^name: "((?:[^"\\]|\\.)*)" id: "((?:[^"\\]|\\.)*)"$/;

function unquote(text: string): string {
  if (!text.includes("\\")) return text;
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    return text;
  }
}

/**
 * Reads an owner comment back (also the Go `%q` form with escapes that the bridge writes).
 * A comment cut short (ending in `...`) names no owner.
 *
 * @param prefix The prefix the comment must start with.
 * @param comment The comment text.
 * @returns The owner, or `undefined` when the comment is not one.
 */
export function parseOwnerComment(prefix: string, comment: string): Owner | undefined {
  if (!comment.startsWith(prefix)) return undefined;
  const m = OWNER_REGEXP.exec(comment.slice(prefix.length));
  if (!m) return undefined;
  return { network: unquote(m[1]!), containerId: unquote(m[2]!) };
}

/**
 * Whether an owner is stale for a GC of `network`: it belongs to that network and its
 * container is not among the valid ones.
 *
 * @param owner The rule's owner.
 * @param network The network being collected.
 * @param validIds Container IDs of the valid attachments.
 * @returns True when the rule should go.
 */
export function isStaleOwner(
  owner: Owner | undefined,
  network: string,
  validIds: ReadonlySet<string>,
): boolean {
  return owner !== undefined && owner.network === network && !validIds.has(owner.containerId);
}

/** nft refuses comments longer than this. */
export const NFT_MAX_COMMENT = 128;

/**
 * The owner comment for nft rules and set elements, where quotes are not allowed:
 * `<prefix>net: <network>, id: <containerId>` (the bridge masquerade's nft wording), cut to
 * 128 characters.
 *
 * @param prefix Text before `net:`.
 * @param owner Network and container.
 * @returns The comment.
 *
 * @example The firewall plugin's element comment
 * ```ts
 * import { nftOwnerComment } from "./owner.ts";
 * nftOwnerComment("firewall ", { network: "n", containerId: "c1" }); // "firewall net: n, id: c1"
 * ```
 */
export function nftOwnerComment(prefix: string, owner: Owner): string {
  const strip = (s: string) => s.replaceAll('"', "");
  return `${prefix}net: ${strip(owner.network)}, id: ${strip(owner.containerId)}`.slice(
    0,
    NFT_MAX_COMMENT,
  );
}

const NFT_OWNER_REGEXP = /^net: (.*), id: (.*)$/;

/**
 * Reads an nft owner comment back. A comment cut at 128 characters reads as its cut ID, so
 * callers compare with {@linkcode nftOwnerComment} of the owner they look for when possible.
 *
 * @param prefix The prefix the comment must start with.
 * @param comment The comment text.
 * @returns The owner, or `undefined` when the comment is not one.
 */
export function parseNftOwnerComment(prefix: string, comment: string): Owner | undefined {
  if (!comment.startsWith(prefix)) return undefined;
  const m = NFT_OWNER_REGEXP.exec(comment.slice(prefix.length));
  return m ? { network: m[1]!, containerId: m[2]! } : undefined;
}

/**
 * What GC of one network removes among nft elements commented by
 * {@linkcode nftOwnerComment}: an element whose owner {@linkcode isStaleOwner} says is. A valid
 * container's comment is rebuilt and compared whole, so a comment nft cut still matches its
 * valid owner.
 *
 * @param prefix The comments' prefix.
 * @param network The network collected.
 * @param validIds Container IDs of the valid attachments.
 * @param commentOf How the elements' comments were made from their owners (default
 *   {@linkcode nftOwnerComment} with `prefix`).
 * @returns A test of one element comment (`undefined`: the element has none).
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { staleOwnerTest } from "./owner.ts";
 * const stale = staleOwnerTest("fw ", "n", new Set(["c1"]));
 * assertEquals(["fw net: n, id: c1", "fw net: n, id: c2", "fw net: m, id: c2"].map(stale), [
 *   false,
 *   true,
 *   false,
 * ]);
 * ```
 */
export function staleOwnerTest(
  prefix: string,
  network: string,
  validIds: ReadonlySet<string>,
  commentOf: (owner: Owner) => string = (owner) => nftOwnerComment(prefix, owner),
): (comment: string | undefined) => boolean {
  const keep = new Set([...validIds].map((containerId) => commentOf({ network, containerId })));
  return (comment) =>
    comment !== undefined && !keep.has(comment) &&
    isStaleOwner(parseNftOwnerComment(prefix, comment), network, validIds);
}
