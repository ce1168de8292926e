/**
 * dummy configuration (reference `plugins/main/dummy`, v1.2.0+): only the standard keys and
 * `ipam`, which is required. The result keeps the IPAM plugin's `dns` (the reference's dummy
 * does not put the netconf's there). Errors keep the reference's code (999).
 *
 * @module
 */
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { NetConf } from "../../cni/types.ts";
import { parseIfaceConf } from "../_iface/config.ts";

/** The validated dummy configuration. */
export interface DummyConf {
  /** The IPAM type. */
  ipamType: string;
}

/** The keys dummy reads (built on first use, never at import). */
const dummySchema = lazy(() =>
  z.looseObject({
    ipam: z.optional(z.nullable(z.looseObject({ type: z.optional(z.nullable(z.string())) }))),
  })
);

/**
 * Loads the dummy configuration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDummyConf } from "./config.ts";
 * const conf = loadDummyConf({
 *   cniVersion: "1.0.0", name: "n", type: "dummy", ipam: { type: "static" },
 * });
 * assert.equal(conf.ipamType, "static");
 * ```
 *
 * @param config The netconf.
 * @param options `lenient`: for DEL, an empty IPAM type is no error.
 * @returns The configuration.
 * @throws {CniError} Code 999 `dummy interface requires an IPAM configuration`, or a bad field.
 */
export function loadDummyConf(config: NetConf, options: { lenient?: boolean } = {}): DummyConf {
  const c = parseIfaceConf(dummySchema(), config, options.lenient ?? false);
  const ipamType = c.ipam?.type ?? "";
  if (ipamType === "" && !options.lenient) {
    throw new CniError(ErrorCode.Internal, "dummy interface requires an IPAM configuration");
  }
  return { ipamType };
}
