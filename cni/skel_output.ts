/**
 * What a plugin process prints besides a result: the spec's error object (and the version
 * it is labelled with) and the VERSION answer.
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "./errors.ts";
import { CURRENT_VERSION, SUPPORTED_VERSIONS } from "./types.ts";
import { goMarshal } from "./_json.ts";
import type { SkelOutput } from "./skel.ts";

/**
 * The spec error object, 4-space indented like the reference prints it, no trailing newline:
 * `cniVersion`, `code`, `msg` and `details` when there are any. The spec's error object
 * carries `cniVersion` (the reference 1.1 plugins leave it out; libcni reads both).
 *
 * @param err The error.
 * @param cniVersion The version to label it with (default: the error's own, else the newest
 *   supported).
 * @returns The text.
 */
export function formatErrorJson(err: CniError, cniVersion?: string): string {
  const obj: Record<string, unknown> = {
    cniVersion: cniVersion ?? err.cniVersion ?? CURRENT_VERSION,
    code: err.code,
    msg: err.msg,
  };
  if (err.details) obj.details = err.details;
  return goMarshal(obj, { indent: "    " });
}

/**
 * The version a plugin's error is labelled with: the config's `cniVersion` (absent or empty
 * is 0.1.0) when it is one this implementation supports, else the newest supported (the
 * config could not be read, or names a version we do not speak).
 *
 * @param stdin The config bytes the plugin was given (may be empty).
 * @returns The version.
 */
export function errorVersion(stdin: Uint8Array): string {
  if (stdin.length === 0) return CURRENT_VERSION;
  try {
    const conf = JSON.parse(new TextDecoder().decode(stdin)) as unknown;
    if (conf !== null && typeof conf === "object" && !Array.isArray(conf)) {
      const v = (conf as { cniVersion?: unknown }).cniVersion;
      const version = v === undefined || v === null || v === "" ? "0.1.0" : v;
      if (typeof version === "string" && SUPPORTED_VERSIONS.includes(version)) return version;
    }
  } catch {
    // not JSON: the newest version
  }
  return CURRENT_VERSION;
}

/**
 * What a plugin process prints for an error: the spec's error JSON on stdout (labelled by
 * {@linkcode errorVersion}), exit code 1. A `CniError` keeps its code; anything else becomes
 * code 999 with its message in `details`.
 *
 * @param err What was thrown.
 * @param stdin The config bytes the plugin was given (for the version), if any.
 * @returns The output.
 */
export function errorOutput(err: unknown, stdin: Uint8Array = new Uint8Array()): SkelOutput {
  const cni = err instanceof CniError ? err : new CniError(ErrorCode.Internal, "internal error", {
    details: errorText(err),
    cause: err,
  });
  return { stdout: formatErrorJson(cni, errorVersion(stdin)), stderr: "", exitCode: 1 };
}

/**
 * The VERSION answer: `{"cniVersion":"1.1.0","supportedVersions":[...]}` and a newline.
 *
 * @param supported The plugin's supported versions.
 * @returns The text.
 */
export function formatVersionInfo(supported: readonly string[]): string {
  // The shape of version.ts `versionInfoJson` (Go skel's PluginInfo), built here so that
  // VERSION does not load version.ts.
  return goMarshal({ cniVersion: CURRENT_VERSION, supportedVersions: [...supported] }) + "\n";
}
