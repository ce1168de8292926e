/**
 * Results of every spec version, as libcni and the plugins handle them: parse and validate
 * (canonical addresses, Go key order), convert (`GetAsVersion`), print (`PrintResult`).
 *
 * Converted results are plain objects whose key order is what Go prints: struct field order
 * for 0.1.0 - 0.4.0 results, sorted keys for 1.x results (Go's `types100.Result.MarshalJSON`
 * round-trips through a map, which sorts keys and drops an empty `dns`). Addresses are
 * re-printed the way Go prints them after parsing (`fd00:0::2/64` becomes `fd00::2/64`, host
 * bits kept).
 *
 * @module
 */
import { goMarshal } from "../_json.ts";
import { describeJsonType, toJsonValue } from "../_json_input.ts";
import { CniError, ErrorCode } from "../errors.ts";
import type { Result } from "../types.ts";
import { CURRENT_VERSION } from "../types.ts";
import { decodeVersion } from "../version.ts";
import { WHAT_RESULT } from "./common.ts";
import { type Model, modelJson, parseModel } from "./create.ts";
import { convertModel } from "./convert.ts";

/** Options for {@linkcode parseResult}. */
export interface ParseResultOptions {
  /**
   * The version to assume when the result has no (or an empty) `cniVersion`, as libcni's
   * exec does with the config's version. Without it, a missing version means 0.1.0. A function
   * is called only when the result has no version (finding the default may cost a parse).
   */
  defaultVersion?: string | (() => string);
}

function readModel(input: unknown, options: ParseResultOptions = {}): Model {
  let value = toJsonValue(input, "decoding CNI result");
  if (value === null) value = {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `${WHAT_RESULT}: expected a JSON object, got ${describeJsonType(value)}`,
    );
  }
  const obj = value as Record<string, unknown>;
  let version = decodeVersion(obj);
  const fallback = options.defaultVersion;
  if (
    fallback !== undefined &&
    (obj.cniVersion === undefined || obj.cniVersion === null || obj.cniVersion === "")
  ) {
    const given = typeof fallback === "function" ? fallback() : fallback;
    version = given === "" ? "0.1.0" : given;
  }
  return parseModel(obj, version);
}

/**
 * Parses and validates a result of any spec version, returning it re-serialised in its own
 * version (Go key order, canonical addresses, empty fields dropped).
 *
 * @param input JSON text, its bytes, or a parsed object (`null` counts as `{}`).
 * @param options `defaultVersion` for results without `cniVersion`.
 * @returns The result object (its `cniVersion` set; a 0.1.0 result without one says 0.1.0).
 * @throws {CniError} Code 6 on bad JSON or a bad field (naming it), code 1 on an unknown
 *   result version.
 * @example Canonical addresses
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseResult } from "./result.ts";
 * const r = parseResult('{"cniVersion":"1.0.0","ips":[{"address":"fd00:0::2/64"}]}');
 * assert.equal(JSON.stringify(r), '{"cniVersion":"1.0.0","ips":[{"address":"fd00::2/64"}]}');
 * ```
 */
export function parseResult(
  input: unknown,
  options: ParseResultOptions = {},
): Record<string, unknown> {
  return modelJson(readModel(input, options));
}

/**
 * Converts a result of any version (read from its own `cniVersion`; missing means 0.1.0) to
 * `toVersion`, as libcni's `GetAsVersion` does: 0.2.0 `ip4`/`ip6` <-> `ips`, `version` added
 * or dropped, 1.1.0-only interface fields dropped below 1.0.0, first address of each family
 * kept for 0.x, routes split by family.
 *
 * @param result The result (object, JSON text or bytes).
 * @param toVersion The target version (`""` means 0.1.0).
 * @returns The converted result, key order as Go prints it.
 * @throws {CniError} Code 6 on a malformed result; code 1 `no converter for CNI result version
 *   X to Y` for an unknown target, `cannot convert: no valid IP addresses` when a 0.2.0
 *   result would be empty.
 * @example 1.0.0 to 0.4.0
 * ```ts
 * import assert from "node:assert/strict";
 * import { convertResult } from "./result.ts";
 * const r = convertResult({ cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24" }] }, "0.4.0");
 * assert.equal(
 *   JSON.stringify(r),
 *   '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24"}],"dns":{}}',
 * );
 * ```
 */
export function convertResult(result: unknown, toVersion: string): Record<string, unknown> {
  return modelJson(convertModel(readModel(result), toVersion));
}

/**
 * Converts a result of any version to the current (1.1.0) shape.
 *
 * @param result The result (object, JSON text or bytes).
 * @returns The typed 1.1.0 result.
 * @throws {CniError} As {@linkcode convertResult}.
 */
export function toCurrentResult(result: unknown): Result {
  return convertResult(result, CURRENT_VERSION) as unknown as Result;
}

/**
 * Prints a result the way Go's `types.PrintResult(result, version)` does: converted to
 * `version`, JSON indented with 4 spaces, Go escaping, no trailing newline.
 *
 * @param result The result (any version).
 * @param version The version to print in (default: the result's own).
 * @returns The text to write to stdout.
 * @throws {CniError} As {@linkcode convertResult}.
 */
export function formatResult(result: unknown, version?: string): string {
  const obj = version === undefined ? parseResult(result) : convertResult(result, version);
  return goMarshal(obj, { indent: "    " });
}
