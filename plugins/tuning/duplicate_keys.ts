/**
 * Duplicate keys in one object of a JSON text. `JSON.parse` keeps the last of two equal keys
 * without a word; for a `sysctl` map that silently drops a setting, so tuning refuses such a
 * config as the reference does (`duplicated sysctl keys are not allowed`, v1.2.0). Pure.
 *
 * @module
 */

const WS_REGEXP = /[ \t\n\r]*/y;

function skipWs(text: string, i: number): number {
  WS_REGEXP.lastIndex = i;
  WS_REGEXP.test(text);
  return WS_REGEXP.lastIndex;
}

/** Index just after the string token starting at `i` (which must be `"`). */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x5c) j++; // backslash: skip the escaped character
    else if (c === 0x22) return j + 1;
  }
  return text.length;
}

/** Index just after the value starting at `i` (iterative: no recursion on deep input). */
function valueEnd(text: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < text.length) {
    const c = text[j]!;
    if (c === '"') j = stringEnd(text, j);
    else if (c === "{" || c === "[") {
      depth++;
      j++;
    } else if (c === "}" || c === "]") {
      if (depth === 0) return j;
      depth--;
      j++;
    } else if (c === "," && depth === 0) return j;
    else j++;
    if (depth === 0 && (c === '"' || c === "}" || c === "]")) return j;
  }
  return j;
}

/**
 * The first key that occurs more than once in the object reached by following `path` from
 * the root of `text` (the last of equal keys is followed, as `JSON.parse` would).
 *
 * @example A sysctl written twice
 * ```ts
 * import assert from "node:assert/strict";
 * import { duplicateKeyAt } from "./duplicate_keys.ts";
 * const text = '{"sysctl":{"net.a":"1","net.b":"2","net.a":"3"}}';
 * assert.equal(duplicateKeyAt(text, ["sysctl"]), "net.a");
 * ```
 *
 * @param text A JSON document (already known to parse).
 * @param path Object keys from the root; `[]` checks the root object itself.
 * @returns The duplicated key, or `undefined` when there is none or the path leads to no object.
 */
export function duplicateKeyAt(text: string, path: readonly string[]): string | undefined {
  let i = skipWs(text, 0);
  for (let depth = 0;; depth++) {
    if (text[i] !== "{") return undefined;
    const want = path[depth];
    const seen = new Set<string>();
    let next: number | undefined;
    i = skipWs(text, i + 1);
    while (text[i] === '"') {
      const end = stringEnd(text, i);
      let key: string;
      try {
        key = JSON.parse(text.slice(i, end)) as string;
      } catch {
        return undefined; // broken text: JSON.parse rejects it elsewhere
      }
      if (want === undefined) {
        if (seen.has(key)) return key;
        seen.add(key);
      }
      i = skipWs(text, skipWs(text, end) + 1); // past ':'
      if (key === want) next = i;
      i = skipWs(text, valueEnd(text, i));
      if (text[i] !== ",") break;
      i = skipWs(text, i + 1);
    }
    if (want === undefined || next === undefined) return undefined;
    i = next;
  }
}
