/**
 * denocni: the Container Network Interface for Deno.
 *
 * @example Raising a CNI error
 * ```ts
 * import { CniError, ErrorCode } from "./mod.ts";
 * const err = new CniError(ErrorCode.InvalidNetworkConfig, "missing field \"type\"");
 * console.log(err.code); // 7
 * ```
 *
 * @module
 */
export { asCniError, CniError, ConfigNotFoundError, ErrorCode } from "./cni/errors.ts";
export type { CniErrorJson, CniErrorOptions } from "./cni/errors.ts";
export { ErrnoError } from "./ffi/errno.ts";
