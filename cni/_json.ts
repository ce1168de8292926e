/**
 * JSON text the way Go's `encoding/json` writes it, for byte-compatible files and output:
 * `<`, `>`, `&`, U+2028 and U+2029 escaped; map keys optionally sorted (Go sorts map keys,
 * structs keep field order).
 *
 * @module
 */

const GO_ESCAPE_REGEXP = /[<>&\u2028\u2029]/g;

function goEscape(text: string): string {
  return text.replace(
    GO_ESCAPE_REGEXP,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Copies `value` with object keys sorted recursively, as Go writes maps.
 *
 * @param value Any JSON value.
 * @returns The sorted copy.
 */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (typeof (obj as { toJSON?: unknown }).toJSON === "function") {
      return sortKeysDeep((obj as { toJSON(): unknown }).toJSON());
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(obj).sort(compareBytes)) out[key] = sortKeysDeep(obj[key]);
    return out;
  }
  return value;
}

function compareBytes(a: string, b: string): number {
  // Go sorts map keys by byte order of their UTF-8 encoding; for the BMP without surrogates
  // code-unit order agrees, which covers config keys.
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Serialises `value` like Go's `json.Marshal` (compact) or `json.MarshalIndent` (with
 * `indent`).
 *
 * @param value The value.
 * @param options `sortKeys` sorts object keys recursively (Go maps); `indent` pretty-prints.
 * @returns The JSON text, without a trailing newline.
 */
export function goMarshal(
  value: unknown,
  options: { sortKeys?: boolean; indent?: string } = {},
): string {
  const v = options.sortKeys ? sortKeysDeep(value) : value;
  return goEscape(JSON.stringify(v, null, options.indent) ?? "null");
}
