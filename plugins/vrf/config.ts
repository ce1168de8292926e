/**
 * vrf configuration, as the reference `plugins/meta/vrf` reads it: `vrfname` (required, the
 * VRF device to create or join in the container) and `table` (its routing table; 0 or unset
 * lets the plugin pick the lowest id no other VRF of the namespace uses). Beyond the
 * reference, the name is checked as an interface name before anything is done.
 *
 * @module
 */
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import { parseNetconf } from "../../cni/validate.ts";

/** The validated vrf configuration. */
export interface VrfConf {
  /** Network name. */
  name: string;
  /** The config's `cniVersion`. */
  cniVersion: string;
  /** `vrfname`. */
  vrfName: string;
  /** `table`; 0 picks one. */
  table: number;
}

const IFNAME_REGEXP = /^[^/:\s]+$/;

function isIfName(name: string): boolean {
  const bytes = new TextEncoder().encode(name).length;
  return bytes >= 1 && bytes <= 15 && name !== "." && name !== ".." && IFNAME_REGEXP.test(name);
}

const schema = lazy(() =>
  z.looseObject({
    cniVersion: z.string(),
    name: z.string(),
    vrfname: z.optional(z.nullable(z.string())),
    table: z.optional(z.nullable(
      z.int().check(
        z.refine((n) => n >= 0 && n <= 0xffffffff, "must be a routing table id 0..4294967295"),
      ),
    )),
  })
);

/**
 * Loads and validates a vrf configuration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadVrfConf } from "./config.ts";
 * const c = loadVrfConf({ cniVersion: "1.0.0", name: "n", type: "vrf", vrfname: "blue" });
 * assert.deepEqual([c.vrfName, c.table], ["blue", 0]);
 * ```
 *
 * @param config The parsed stdin JSON.
 * @param options `lenient`: drop fields that do not validate (DEL); `vrfname` stays required.
 * @returns The configuration.
 * @throws {CniError} Code 999 `configuration is expected to have a valid vrf name` (the
 *   reference's text and code) without `vrfname`; code 7 for a bad field or a `vrfname` that
 *   is not an interface name.
 */
export function loadVrfConf(config: unknown, options: { lenient?: boolean } = {}): VrfConf {
  const what = "failed to load netconf";
  const raw = parseNetconf(schema(), config, { what, lenient: options.lenient });
  const vrfName = raw.vrfname ?? "";
  if (vrfName === "") {
    throw new CniError(ErrorCode.Internal, "configuration is expected to have a valid vrf name");
  }
  if (!isIfName(vrfName)) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `${what}: field "vrfname": must be a valid interface name (1-15 bytes, no '/', ':' or whitespace)`,
    );
  }
  return { name: raw.name, cniVersion: raw.cniVersion, vrfName, table: raw.table ?? 0 };
}

/**
 * The lowest table id from 1 that no VRF of the namespace uses (`findFreeRoutingTableID`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { freeVrfTable } from "./config.ts";
 * assert.equal(freeVrfTable([1, 2, 4]), 3);
 * ```
 *
 * @param taken The tables of the existing VRFs.
 * @returns The table id.
 */
export function freeVrfTable(taken: Iterable<number>): number {
  const used = new Set(taken);
  let table = 1;
  while (used.has(table)) table++;
  return table;
}
