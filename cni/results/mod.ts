/**
 * CNI results of every spec version, laid out as Go's `pkg/types`: one file per result family
 * (`types_020.ts`, `types_040.ts`, `types_100.ts`), what they share (`common.ts`), the
 * version-to-family table (`create.ts`) and the converter (`convert.ts`, Go's
 * `internal/convert`); `result.ts` is the API below.
 *
 * @example 1.0.0 to 0.4.0
 * ```ts
 * import assert from "node:assert/strict";
 * import { convertResult } from "./mod.ts";
 * const r = convertResult({ cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24" }] }, "0.4.0");
 * assert.equal(
 *   JSON.stringify(r),
 *   '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24"}],"dns":{}}',
 * );
 * ```
 *
 * @module
 */
export { resultTypeVersions } from "./create.ts";
export { convertResult, formatResult, parseResult, toCurrentResult } from "./result.ts";
export type { ParseResultOptions } from "./result.ts";
