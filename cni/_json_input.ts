/**
 * JSON input as the CNI decoders take it: text, its bytes, or an already parsed value, with
 * Go's `encoding/json` wording for the errors.
 *
 * @module
 */
import { CniError, ErrorCode } from "./errors.ts";

/**
 * Parses `input` when it is text or bytes; returns any other value as is.
 *
 * @param input JSON text, its UTF-8 bytes, or a parsed value.
 * @param what What is being decoded, for the message (`"decoding CNI result"`).
 * @returns The parsed value.
 * @throws {CniError} Code 6 `<what>: <why>` when the text is not JSON.
 */
export function toJsonValue(input: unknown, what: string): unknown {
  if (input instanceof Uint8Array) input = new TextDecoder().decode(input);
  if (typeof input !== "string") return input;
  try {
    return JSON.parse(input);
  } catch (err) {
    const why = input.trim() === "" ? "unexpected end of JSON input" : (err as Error).message;
    throw new CniError(ErrorCode.DecodingFailure, `${what}: ${why}`, { cause: err });
  }
}

/**
 * The JSON type of a value, for messages: `null`, `array`, `object`, `string`, ...
 *
 * @param v A parsed JSON value.
 * @returns Its type name.
 */
export function describeJsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}
