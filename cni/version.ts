/**
 * CNI spec versions (Go's `pkg/version`): parsing and comparison, the config version of a
 * network configuration, per-command version gates (skel), VERSION answers and their
 * decoding, and negotiation. Results of every version live in `results/`.
 *
 * @module
 */
import { describeJsonType, toJsonValue } from "./_json_input.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { versionInfoSchema } from "./schema.ts";
import type { CniCommand } from "./types.ts";
import { CURRENT_VERSION, SUPPORTED_VERSIONS } from "./types.ts";
import { parseWith } from "./validate.ts";

// ---------------------------------------------------------------------------------------
// Version strings
// ---------------------------------------------------------------------------------------

const INT_REGEXP = /^[+-]?[0-9]+$/;

/** The legacy versions (`version.Legacy`): results in the `ip4`/`ip6` shape. */
export const LEGACY_VERSIONS: readonly string[] = ["0.1.0", "0.2.0"];

/**
 * Parses a version like Go's `version.ParseVersion`: `""` is 0.1.0; one to three
 * dot-separated integers (`"1"` is 1.0.0, `"1.1"` is 1.1.0).
 *
 * @param s The version text.
 * @returns `[major, minor, micro]`.
 * @throws {CniError} Code 1 (incompatible CNI version) when the text is not a version.
 * @example Parsing
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseVersion } from "./version.ts";
 * assert.deepEqual(parseVersion("1.1.0"), [1, 1, 0]);
 * ```
 */
export function parseVersion(s: string): [number, number, number] {
  if (s === "") return [0, 1, 0];
  const parts = s.split(".");
  if (parts.length >= 4) {
    throw new CniError(ErrorCode.IncompatibleCniVersion, `invalid version "${s}": too many parts`);
  }
  const names = ["major", "minor", "micro"];
  const out: [number, number, number] = [0, 0, 0];
  parts.forEach((part, i) => {
    if (!INT_REGEXP.test(part)) {
      throw new CniError(
        ErrorCode.IncompatibleCniVersion,
        `invalid version "${s}": failed to convert ${names[i]} version part "${part}"`,
      );
    }
    out[i] = Number(part);
  });
  return out;
}

/**
 * Compares two versions numerically.
 *
 * @param a A version.
 * @param b Another version.
 * @returns Negative when `a < b`, 0 when equal, positive when `a > b`.
 * @throws {CniError} Code 1 when either does not parse.
 */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) {
    if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  }
  return 0;
}

/**
 * `a >= b` (Go `version.GreaterThanOrEqualTo`).
 *
 * @param a A version.
 * @param b Another version.
 * @returns Whether `a` is at least `b`.
 * @throws {CniError} Code 1 when either does not parse.
 */
export function versionGte(a: string, b: string): boolean {
  return compareVersions(a, b) >= 0;
}

/**
 * `a > b` (Go `version.GreaterThan`).
 *
 * @param a A version.
 * @param b Another version.
 * @returns Whether `a` is newer than `b`.
 * @throws {CniError} Code 1 when either does not parse.
 */
export function versionGt(a: string, b: string): boolean {
  return compareVersions(a, b) > 0;
}

/**
 * The supported versions from `min` on (Go `version.VersionsStartingFrom`).
 *
 * @param min The first version to include (must be one of `SUPPORTED_VERSIONS`).
 * @returns The tail of `SUPPORTED_VERSIONS`, or an empty list when `min` is not in it.
 */
export function versionsStartingFrom(min: string): string[] {
  const i = SUPPORTED_VERSIONS.indexOf(min);
  return i < 0 ? [] : SUPPORTED_VERSIONS.slice(i);
}

/**
 * Reads `cniVersion` from a config or result (Go `create.DecodeVersion`): missing or empty
 * means `"0.1.0"`.
 *
 * @param json The JSON text, its bytes, or the parsed value.
 * @returns The version.
 * @throws {CniError} Code 6 when the text is not JSON, not an object, or `cniVersion` is not
 *   a string.
 * @example Default version
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeVersion } from "./version.ts";
 * assert.equal(decodeVersion('{"name":"x"}'), "0.1.0");
 * ```
 */
export function decodeVersion(json: unknown): string {
  const what = "decoding version from network config";
  const value = toJsonValue(json, what);
  if (value === null) return "0.1.0";
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `${what}: expected a JSON object, got ${describeJsonType(value)}`,
    );
  }
  const v = (value as Record<string, unknown>).cniVersion;
  if (v === undefined || v === null || v === "") return "0.1.0";
  if (typeof v !== "string") {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `${what}: field "cniVersion": expected string, got ${describeJsonType(v)}`,
    );
  }
  return v;
}

// ---------------------------------------------------------------------------------------
// Version gates and VERSION answers
// ---------------------------------------------------------------------------------------

/** Go's `%q` of a string (close to JSON for printable text). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/**
 * The oldest config version that allows `command`: CHECK 0.4.0, GC and STATUS 1.1.0,
 * ADD/DEL/VERSION none.
 *
 * @param command The verb.
 * @returns The minimum version, or `undefined` when every version allows it.
 */
export function commandMinVersion(command: CniCommand): string | undefined {
  switch (command) {
    case "CHECK":
      return "0.4.0";
    case "GC":
    case "STATUS":
      return "1.1.0";
    default:
      return undefined;
  }
}

/**
 * Checks that a plugin supporting `supported` can serve a config of `version`: an exact
 * string match (Go `version.Reconciler.CheckRaw`).
 *
 * @param version The config version (already defaulted to 0.1.0 when missing).
 * @param supported The plugin's supported versions.
 * @throws {CniError} Code 1, msg `incompatible CNI versions`, details
 *   `config is "X", plugin supports ["a" "b"]`.
 */
export function checkCompatible(version: string, supported: readonly string[]): void {
  if (supported.includes(version)) return;
  throw new CniError(ErrorCode.IncompatibleCniVersion, "incompatible CNI versions", {
    details: `config is ${goQuote(version)}, plugin supports [${supported.map(goQuote).join(" ")}]`,
  });
}

/**
 * The plugin-side version gate for a verb, exactly as `pkg/skel` applies it: CHECK needs a
 * config version >= 0.4.0 (`config version does not allow CHECK`), GC and STATUS >= 1.1.0,
 * and, when `supported` is given, a supported version >= the config version
 * (`plugin version does not allow CHECK`) and an exact match (`incompatible CNI versions`).
 *
 * @param command The verb.
 * @param version The config version (as `decodeVersion` returns it).
 * @param options `supported`: the plugin's supported versions (checked when given).
 * @throws {CniError} Code 1 for a refused version, code 6 when a version does not parse.
 * @example CHECK on an old config
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkCommandVersion } from "./version.ts";
 * assert.throws(() => checkCommandVersion("CHECK", "0.3.1"), {
 *   message: "config version does not allow CHECK",
 * });
 * ```
 */
export function checkCommandVersion(
  command: CniCommand,
  version: string,
  options: { supported?: readonly string[] } = {},
): void {
  if (command === "VERSION") return;
  const min = commandMinVersion(command);
  const gte = (a: string, b: string): boolean => {
    try {
      return versionGte(a, b);
    } catch (err) {
      throw new CniError(ErrorCode.DecodingFailure, (err as CniError).msg, { cause: err });
    }
  };
  if (min !== undefined) {
    if (!gte(version, min)) {
      throw new CniError(
        ErrorCode.IncompatibleCniVersion,
        `config version does not allow ${command}`,
      );
    }
    if (options.supported) {
      if (!options.supported.some((v) => gte(v, version))) {
        throw new CniError(
          ErrorCode.IncompatibleCniVersion,
          `plugin version does not allow ${command}`,
        );
      }
    }
  }
  if (options.supported) checkCompatible(version, options.supported);
}

/** The VERSION answer (`pkg/version.PluginInfo`). */
export interface VersionInfo {
  /** The answering library's version (Go skel: always its own, `1.1.0`). */
  cniVersion: string;
  /** Versions the plugin supports. */
  supportedVersions: string[];
}

/**
 * The VERSION result object. Go's skel writes its own library version as `cniVersion`
 * whatever the request said; pass `cniVersion` to echo a different one.
 *
 * @param supported The supported versions.
 * @param cniVersion The version to report (default `CURRENT_VERSION`).
 * @returns `{cniVersion, supportedVersions}` in Go's key order.
 */
export function versionInfoJson(
  supported: readonly string[],
  cniVersion: string = CURRENT_VERSION,
): VersionInfo {
  return { cniVersion, supportedVersions: [...supported] };
}

/**
 * Decodes a plugin's VERSION answer like Go's `version.PluginDecoder`: `cniVersion` is
 * required; a missing or empty `supportedVersions` is accepted only for `0.2.0` (meaning
 * 0.1.0 and 0.2.0).
 *
 * @param json The plugin's stdout (text, bytes or parsed value).
 * @returns The version info.
 * @throws {CniError} Code 6 `decoding version info: ...`.
 */
export function decodeVersionInfo(json: unknown): VersionInfo {
  const what = "decoding version info";
  const value = toJsonValue(json, what);
  const info = parseWith(versionInfoSchema(), value ?? {}, {
    what,
    code: ErrorCode.DecodingFailure,
  });
  if (!info.cniVersion) {
    throw new CniError(ErrorCode.DecodingFailure, `${what}: missing field cniVersion`);
  }
  if (!info.supportedVersions || info.supportedVersions.length === 0) {
    if (info.cniVersion === "0.2.0") return versionInfoJson(LEGACY_VERSIONS);
    throw new CniError(ErrorCode.DecodingFailure, `${what}: missing field supportedVersions`);
  }
  return { cniVersion: info.cniVersion, supportedVersions: info.supportedVersions };
}

/**
 * Whether a plugin's VERSION answer lists `version` (exact string match, as libcni's
 * `ValidateNetworkList` checks; an empty version means 0.1.0).
 *
 * @param info The plugin's version info.
 * @param version The config version.
 * @returns Whether it is supported.
 */
export function pluginSupports(info: VersionInfo, version: string): boolean {
  return info.supportedVersions.includes(version === "" ? "0.1.0" : version);
}

/**
 * Picks the highest of `candidates` that `supported` lists (exact match). Unparsable
 * candidates are skipped.
 *
 * @param candidates Versions a config offers (`cniVersion` and `cniVersions`).
 * @param supported Versions the other side supports (default `SUPPORTED_VERSIONS`).
 * @returns The chosen version, or `undefined` when none is shared.
 */
export function negotiateVersion(
  candidates: readonly string[],
  supported: readonly string[] = SUPPORTED_VERSIONS,
): string | undefined {
  let best: string | undefined;
  for (const c of candidates) {
    if (!supported.includes(c)) continue;
    try {
      if (best === undefined || versionGt(c, best)) best = c;
    } catch {
      // not a version: skip
    }
  }
  return best;
}
