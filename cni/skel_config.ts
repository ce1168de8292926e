/**
 * The stdin config as the reference skel hands it to a plugin: parsed, its `name` checked,
 * `cniVersion` defaulted, and `prevResult` converted to the current result shape on first
 * read.
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "./errors.ts";
import { validateNetworkName } from "./names.ts";
import type { CniCommand, NetConf, Result } from "./types.ts";

// version.ts (result parsing and conversion) brings in zod: it is imported by the calls that
// need it, so that answering VERSION or printing the about text loads no schema code.
type ResultsModule = typeof import("./results/mod.ts");

/**
 * Parses the stdin config and checks its `name`.
 *
 * @param stdin The bytes.
 * @returns The config object.
 * @throws {CniError} Code 6 when not a JSON object, code 7 for a bad `name`.
 */
export function parseStdinConfig(stdin: Uint8Array): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(stdin));
  } catch (err) {
    throw new CniError(ErrorCode.DecodingFailure, "error unmarshall network config", {
      details: errorText(err),
    });
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new CniError(ErrorCode.DecodingFailure, "error unmarshall network config", {
      details: `expected a JSON object, got ${json === null ? "null" : typeof json}`,
    });
  }
  const conf = json as Record<string, unknown>;
  if (conf.name === null) delete conf.name; // JSON null is absent, as in Go
  if (conf.name !== undefined && typeof conf.name !== "string") {
    throw new CniError(ErrorCode.DecodingFailure, "error unmarshall network config", {
      details: `field "name": expected a string, got ${typeof conf.name}`,
    });
  }
  const nameErr = validateNetworkName((conf.name as string | undefined) ?? "");
  if (nameErr) throw nameErr;
  return conf;
}

/**
 * The config the plugin gets: `cniVersion` defaulted, and `prevResult` in the current shape.
 * The conversion runs when the plugin first reads `prevResult` (the property then becomes
 * plain data): a plugin that never reads it (loopback or host-local on DEL) does not pay for
 * result parsing, and, like the reference's skel, does not fail on a prevResult it ignores.
 * A plugin that reads a bad one gets code 6 `could not parse prevResult` from the read,
 * except on DEL: a DEL is best effort and uses what it can, so there an unusable
 * `prevResult` reads as absent and the plugin cleans up from the container ID, interface and
 * network name.
 */
export function prepareConfig(
  conf: Record<string, unknown>,
  version: string,
  toCurrentResult: ResultsModule["toCurrentResult"],
  command: CniCommand,
): NetConf {
  const out = { ...conf, cniVersion: version } as NetConf;
  const prev = conf.prevResult;
  if (prev === undefined || prev === null) return out;
  const lenient = command === "DEL";
  if (typeof prev !== "object" || Array.isArray(prev)) {
    if (lenient) {
      delete out.prevResult;
      return out;
    }
    throw new CniError(ErrorCode.DecodingFailure, "could not parse prevResult", {
      details: "expected a JSON object",
    });
  }
  const settle = (value: unknown): void => {
    Object.defineProperty(out, "prevResult", {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  };
  Object.defineProperty(out, "prevResult", {
    enumerable: true,
    configurable: true,
    get() {
      const labelled = { ...(prev as Record<string, unknown>) };
      if (labelled.cniVersion === undefined || labelled.cniVersion === "") {
        labelled.cniVersion = version;
      }
      let converted: Result | undefined;
      try {
        converted = toCurrentResult(labelled);
      } catch (err) {
        if (lenient) {
          settle(undefined);
          return undefined;
        }
        throw new CniError(ErrorCode.DecodingFailure, "could not parse prevResult", {
          details: errorText(err),
          cause: err,
        });
      }
      settle(converted);
      return converted;
    },
    set: settle,
  });
  return out;
}
