/**
 * Text helpers shared by the configuration modules (`conf.ts`, `conf_files.ts`,
 * `conf_inject.ts`): a JSON object parsed with CNI error codes, and Go's byte order of
 * strings (file names, map keys).
 *
 * @module
 */
import { CniError, ErrorCode } from "./errors.ts";

const ENCODER = new TextEncoder();

/**
 * Parses `text` as a JSON object.
 *
 * @param text The text.
 * @param what The message prefix.
 * @returns The object.
 * @throws {CniError} Code 6 when it is not JSON or not an object.
 */
export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const why = text.trim() === "" ? "unexpected end of JSON input" : (err as Error).message;
    throw new CniError(ErrorCode.DecodingFailure, `${what}: ${why}`, { cause: err });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `${what}: expected a JSON object, got ${value === null ? "null" : typeof value}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * Compares two strings by their UTF-8 bytes, as Go's `sort.Strings` and map key order do.
 *
 * @param a One string.
 * @param b The other.
 * @returns Negative, zero or positive.
 */
export function compareBytes(a: string, b: string): number {
  const x = ENCODER.encode(a);
  const y = ENCODER.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}
