/**
 * Reading what a plugin printed, like the reference `pkg/invoke`: the error of a failed run
 * (`raw_exec.go` `pluginErr`) and an ADD's result (`exec.go` `fixupResultVersion`).
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "./errors.ts";
import type { RawOutcome } from "./invoke.ts";
import { parseResult } from "./results/mod.ts";

const TEXT = new TextDecoder();

function configVersionOf(stdin: Uint8Array): string {
  try {
    const conf = JSON.parse(TEXT.decode(stdin)) as { cniVersion?: unknown };
    if (typeof conf?.cniVersion === "string" && conf.cniVersion !== "") return conf.cniVersion;
  } catch {
    // the plugin already accepted it; fall through to the default
  }
  return "0.1.0";
}

/**
 * Trims text for a message, cut at `max` characters.
 *
 * @param text The text.
 * @param max Most characters kept.
 * @returns The text.
 */
export function clip(text: string, max = 300): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max)}...` : t;
}

/**
 * Turns a failed plugin run into an error, like `pkg/invoke/raw_exec.go` `pluginErr`: the
 * error JSON from stdout, else the stderr text, else the exit status.
 *
 * @param out The failed run.
 * @returns The error to throw.
 */
export function pluginError(out: RawOutcome): CniError {
  if (out.stdout.trim() !== "") {
    let json: unknown;
    try {
      json = JSON.parse(out.stdout);
    } catch (err) {
      return new CniError(
        ErrorCode.Internal,
        `netplugin failed but error parsing its diagnostic message ${
          JSON.stringify(clip(out.stdout))
        }: ${errorText(err)}`,
      );
    }
    if (json !== null && typeof json === "object" && !Array.isArray(json)) {
      const e = json as { cniVersion?: unknown; code?: unknown; msg?: unknown; details?: unknown };
      const code = typeof e.code === "number" ? e.code : 0;
      const msg = typeof e.msg === "string" ? e.msg : "";
      const details = typeof e.details === "string" ? e.details : "";
      // `cniVersion` is optional: the spec's error has it, the reference 1.1 plugins omit it.
      return new CniError(code, msg || `netplugin failed with code ${code}`, {
        details,
        ...(typeof e.cniVersion === "string" && e.cniVersion !== "" &&
          { cniVersion: e.cniVersion }),
      });
    }
    return new CniError(
      ErrorCode.Internal,
      `netplugin failed but error parsing its diagnostic message ${
        JSON.stringify(clip(out.stdout))
      }: not a JSON object`,
    );
  }
  if (out.stderr.trim() !== "") {
    return new CniError(
      ErrorCode.Internal,
      `netplugin failed: ${JSON.stringify(clip(out.stderr, 2000))}: ${out.status}`,
    );
  }
  return new CniError(ErrorCode.Internal, `netplugin failed with no error message: ${out.status}`);
}

/**
 * Parses an ADD's stdout into a result object, filling in a missing `cniVersion` from the
 * config like `fixupResultVersion` (`null` counts as `{}`).
 *
 * @param stdout The plugin's output.
 * @param stdin The config it was given.
 * @returns The result object.
 * @throws {CniError} Code 6 when the output is not a JSON object.
 */
export function parseAddOutput(stdout: string, stdin: Uint8Array): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch (err) {
    throw new CniError(ErrorCode.DecodingFailure, "failed to unmarshal raw result", {
      details: stdout.trim() === ""
        ? "the plugin printed nothing"
        : `${errorText(err)}: ${JSON.stringify(clip(stdout))}`,
    });
  }
  if (json === null) json = {};
  if (typeof json !== "object" || Array.isArray(json)) {
    throw new CniError(ErrorCode.DecodingFailure, "failed to unmarshal raw result", {
      details: `expected a JSON object, got ${JSON.stringify(clip(stdout))}`,
    });
  }
  // Stdin (which carries the whole prevResult) is parsed again only for a result without a
  // version of its own.
  return parseResult(json, { defaultVersion: () => configVersionOf(stdin) });
}
