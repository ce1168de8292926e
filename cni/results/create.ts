/**
 * A result of any version to its family's model and back to JSON (Go's `pkg/types/create`):
 * which family a version belongs to, and the per-family parse and print.
 *
 * @module
 */
import { CniError, ErrorCode } from "../errors.ts";
import { json020, type Model020, parse020, VERSIONS_020 } from "./types_020.ts";
import { json040, type Model040, parse040, VERSIONS_040 } from "./types_040.ts";
import { json100, type Model100, parse100, VERSIONS_100 } from "./types_100.ts";

/** A result of any family. */
export type Model = Model020 | Model040 | Model100;

/** A result family: 0.1.0/0.2.0, 0.3.x/0.4.0 or 1.x. */
export type Family = Model["family"];

const FAMILY: ReadonlyMap<string, Family> = new Map<string, Family>([
  ["", "020"],
  ...VERSIONS_020.map((v) => [v, "020"] as const),
  ...VERSIONS_040.map((v) => [v, "040"] as const),
  ...VERSIONS_100.map((v) => [v, "100"] as const),
]);

/**
 * The family of a spec version (`""` counts as 0.1.0).
 *
 * @param version The version.
 * @returns The family, or `undefined` for an unknown version.
 */
export function familyOf(version: string): Family | undefined {
  return FAMILY.get(version);
}

/**
 * The versions whose results share `version`'s result type (libcni registers one result
 * creator per family: 0.1.0/0.2.0, 0.3.x/0.4.0, 1.x). libcni's `ParsePrevResult` reads a
 * `prevResult` as the config version's type, so a `prevResult` of another family is refused.
 *
 * @example The 0.3.x/0.4.0 family
 * ```ts
 * import assert from "node:assert/strict";
 * import { resultTypeVersions } from "./create.ts";
 * assert.deepEqual(resultTypeVersions("0.3.1"), ["0.3.0", "0.3.1", "0.4.0"]);
 * ```
 *
 * @param version A spec version (`""` counts as 0.1.0).
 * @returns The versions of its family, oldest first; empty for an unknown version.
 */
export function resultTypeVersions(version: string): string[] {
  switch (familyOf(version)) {
    case "020":
      return [...VERSIONS_020];
    case "040":
      return [...VERSIONS_040];
    case "100":
      return [...VERSIONS_100];
    default:
      return [];
  }
}

/**
 * Validates a result object as `version`'s family and builds its model.
 *
 * @param value The parsed JSON object.
 * @param version Its version.
 * @returns The model.
 * @throws {CniError} Code 1 `unsupported CNI result version "X"`; code 6 naming a bad field.
 */
export function parseModel(value: unknown, version: string): Model {
  switch (familyOf(version)) {
    case "020":
      return parse020(value, version);
    case "040":
      return parse040(value, version);
    case "100":
      return parse100(value, version);
    default:
      throw new CniError(
        ErrorCode.IncompatibleCniVersion,
        `unsupported CNI result version ${JSON.stringify(version)}`,
      );
  }
}

/**
 * The JSON of a model, in its family's key order.
 *
 * @param m The model.
 * @returns The object.
 */
export function modelJson(m: Model): Record<string, unknown> {
  switch (m.family) {
    case "020":
      return json020(m);
    case "040":
      return json040(m);
    case "100":
      return json100(m);
  }
}
