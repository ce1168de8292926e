/**
 * `CniError`: the one error type that reaches users, carrying a CNI spec error code.
 *
 * @module
 */
import { errorText } from "../ffi/errno.ts";

/**
 * The text of anything thrown (defined at the bottom layer, `ffi/errno.ts`, so that `netns/`
 * and `netlink/` share it without importing `cni/`): see there.
 */
export { errorText };

/** Spec error codes (CNI spec 1.1 "Error"), plus the 999 catch-all the reference uses. */
export const ErrorCode = {
  /** Incompatible CNI version. */
  IncompatibleCniVersion: 1,
  /** Unsupported field in network configuration. */
  UnsupportedField: 2,
  /** Container unknown or does not exist. */
  UnknownContainer: 3,
  /** Invalid necessary environment variables, like CNI_COMMAND, CNI_CONTAINERID, etc. */
  InvalidEnvironmentVariables: 4,
  /** I/O failure (e.g. failed to read network config bytes from stdin). */
  IoFailure: 5,
  /** Failed to decode content (e.g. failed to unmarshal network config or runtime args). */
  DecodingFailure: 6,
  /** Invalid network config. */
  InvalidNetworkConfig: 7,
  /** Invalid network namespace: `CNI_NETNS` is the plugin's own (libcni 1.2 `ErrInvalidNetNS`). */
  InvalidNetNs: 8,
  /** Try again later. */
  TryAgainLater: 11,
  /** The plugin is not available (STATUS). */
  PluginNotAvailable: 50,
  /** The plugin is not available, existing containers may be damaged (STATUS). */
  PluginNotAvailableLimitedConnectivity: 51,
  /** Internal / unexpected error. */
  Internal: 999,
} as const;

/** The JSON shape of a CNI error result, as plugins print it on stdout. */
export interface CniErrorJson {
  /** The CNI version of the error result. */
  cniVersion?: string;
  /** Error code. */
  code: number;
  /** Short message. */
  msg: string;
  /** Longer details, if any. */
  details?: string;
}

/** Options for {@linkcode CniError}. */
export interface CniErrorOptions {
  /** Longer details for the error JSON's `details` field. */
  details?: string;
  /** The underlying error. */
  cause?: unknown;
  /** The CNI version to put in the error JSON. */
  cniVersion?: string;
}

/**
 * An error with a CNI code, `msg` and `details`; `toJSON()` gives the spec's error object.
 *
 * @example Throwing and printing
 * ```ts
 * import assert from "node:assert/strict";
 * import { CniError, ErrorCode } from "./errors.ts";
 * const err = new CniError(ErrorCode.InvalidNetworkConfig, 'field "bridge": expected a string');
 * assert.equal(JSON.stringify(err), '{"code":7,"msg":"field \\"bridge\\": expected a string"}');
 * ```
 */
export class CniError extends Error {
  /** The CNI error code. */
  readonly code: number;
  /** The short message (`msg` in the error JSON). */
  readonly msg: string;
  /** Longer details (`details` in the error JSON), or empty. */
  readonly details: string;
  /** The CNI version for the error JSON, if known. */
  cniVersion: string | undefined;

  /**
   * Creates a CNI error with a code, a short message and optional details.
   *
   * @param code CNI error code (1-7, 11, 50, 51, 100+, 999).
   * @param msg Short message, sentence case, no final period.
   * @param options Details, cause and version.
   */
  constructor(code: number, msg: string, options: CniErrorOptions = {}) {
    super(options.details ? `${msg}: ${options.details}` : msg, { cause: options.cause });
    this.name = "CniError";
    this.code = code;
    this.msg = msg;
    this.details = options.details ?? "";
    this.cniVersion = options.cniVersion;
  }

  /**
   * The spec's error object: `{cniVersion?, code, msg, details?}`.
   *
   * @returns The JSON-ready object.
   */
  toJSON(): CniErrorJson {
    const out: CniErrorJson = this.cniVersion
      ? { cniVersion: this.cniVersion, code: this.code, msg: this.msg }
      : { code: this.code, msg: this.msg };
    if (this.details) out.details = this.details;
    return out;
  }
}

/** The named network configuration was not found in a directory. */
export class ConfigNotFoundError extends CniError {
  /** The directory searched. */
  readonly dir: string;
  /** The network name looked for. */
  readonly network: string;

  /**
   * Creates the error for a network name that no file in `dir` defines (code 7).
   *
   * @param dir The directory searched.
   * @param network The network name.
   * @param options Details (e.g. files that failed to load) and cause.
   */
  constructor(dir: string, network: string, options: CniErrorOptions = {}) {
    super(
      ErrorCode.InvalidNetworkConfig,
      `no net configuration with name "${network}" in ${dir}`,
      options,
    );
    this.name = "ConfigNotFoundError";
    this.dir = dir;
    this.network = network;
  }
}

/**
 * Wraps anything thrown into a `CniError`: a `CniError` passes unchanged, anything else
 * becomes code 999 (or `fallbackCode`) with the original message in `details`.
 *
 * @param err What was thrown.
 * @param msg The short message to use for non-CNI errors.
 * @param fallbackCode Code for non-CNI errors.
 * @returns A `CniError`.
 */
export function asCniError(err: unknown, msg = "internal error", fallbackCode = 999): CniError {
  if (err instanceof CniError) return err;
  return new CniError(fallbackCode, msg, { details: errorText(err), cause: err });
}

/**
 * Anything thrown as a `CniError`: a `CniError` passes unchanged; anything else becomes
 * `code` (999 by default) with its text as `msg`, or `context: text` when a context is given.
 *
 * @example
 * ```ts
 * import { CniError, toCniError } from "./errors.ts";
 * import { assertEquals } from "../tests/helpers/assert.ts";
 * const e = toCniError(new Error("no such device"), "failed to find link \"eth9\"");
 * assertEquals([e.code, e.msg], [999, 'failed to find link "eth9": no such device']);
 * const kept = new CniError(7, "bad config");
 * assertEquals(toCniError(kept, "ignored"), kept);
 * ```
 *
 * @param err What was thrown.
 * @param context Words put before the text, or none.
 * @param code The code for errors that are not already a `CniError`.
 * @returns A `CniError`.
 */
export function toCniError(
  err: unknown,
  context?: string,
  code: number = ErrorCode.Internal,
): CniError {
  if (err instanceof CniError) return err;
  const text = errorText(err);
  return new CniError(code, context ? `${context}: ${text}` : text, { cause: err });
}
