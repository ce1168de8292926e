/**
 * A plugin's `prevResult` as it came, for plugins that hand it on unchanged.
 *
 * skel gives a plugin `config.prevResult` converted to the current (1.1.0) shape, which is what
 * a plugin reads. A plugin that does not change the previous result (loopback after bridge,
 * tuning, portmap and the like) must print it back as the reference does:
 * `types.PrintResult(conf.PrevResult, conf.CNIVersion)`, where `PrevResult` was parsed in the
 * config's version by `version.ParsePrevResult`. Sending the current-shape copy back down to
 * an old version is not the same thing (and a copy relabelled with the old version reads as
 * an empty result: `cannot convert: no valid IP addresses` at 0.1.0/0.2.0).
 *
 * @module
 */
import { CniError, ErrorCode } from "./errors.ts";
import type { CmdArgs } from "./plugin.ts";
import type { Result } from "./types.ts";
import { parseResult, resultTypeVersions, toCurrentResult } from "./results/mod.ts";

function fail(details: string, cause?: unknown): CniError {
  return new CniError(ErrorCode.DecodingFailure, "could not parse prevResult", {
    details,
    ...(cause !== undefined && { cause }),
  });
}

/**
 * The `prevResult` exactly as it arrived on stdin, not converted: labelled with the config's
 * `cniVersion` when it has none, and checked as libcni's `ParsePrevResult` checks it (its
 * version in the config version's family, every field valid). Return it from ADD to hand the
 * previous result on: skel then prints it in the config's version, as the reference does.
 *
 * It is typed as the `Result` ADD returns, but its fields are those of its own `cniVersion`
 * (a 0.2.0 one has `ip4`/`ip6`): to look inside it, read the current-shape
 * `args.config.prevResult` instead.
 *
 * @example Handing the previous result on
 * ```ts
 * import assert from "node:assert/strict";
 * import { prevResultAsGiven } from "./prev_result.ts";
 * const config = {
 *   cniVersion: "0.2.0",
 *   name: "n",
 *   type: "loopback",
 *   prevResult: { ip4: { ip: "10.0.0.2/24" }, dns: {} },
 * };
 * const args = {
 *   command: "ADD" as const, containerId: "c", netns: "/run/netns/c", ifName: "eth0",
 *   args: "", path: "", stdinData: new TextEncoder().encode(JSON.stringify(config)), config,
 * };
 * assert.deepEqual(prevResultAsGiven(args), {
 *   ip4: { ip: "10.0.0.2/24" },
 *   dns: {},
 *   cniVersion: "0.2.0",
 * });
 * ```
 *
 * @param args The call (its stdin bytes are read again; `config` is skel's converted view).
 * @returns The previous result as given, or undefined when there is none.
 * @throws {CniError} Code 6 `could not parse prevResult`, the reason in `details`: not an
 *   object, a version of another family than the config's, or a bad field.
 */
export function prevResultAsGiven(args: CmdArgs): Result | undefined {
  let raw: unknown;
  try {
    raw = (JSON.parse(new TextDecoder().decode(args.stdinData)) as { prevResult?: unknown })
      .prevResult;
  } catch (err) {
    throw fail(`the network configuration is not JSON: ${(err as Error).message}`, err);
  }
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) throw fail("expected a JSON object");
  const given = raw as Record<string, unknown>;
  const own = given.cniVersion;
  const configVersion = args.config.cniVersion;
  const version = typeof own === "string" && own !== "" ? own : configVersion;
  const family = resultTypeVersions(configVersion);
  if (!family.includes(version)) {
    // libcni's wording (`%v` of the creator's versions; 0.1.0/0.2.0 also accept "").
    const shown =
      (configVersion === "0.1.0" || configVersion === "0.2.0" ? ["", ...family] : family)
        .join(" ");
    throw fail(`result type supports [${shown}] but unmarshalled CNIVersion is "${version}"`);
  }
  const labelled = { ...given, cniVersion: version };
  try {
    parseResult(labelled);
  } catch (err) {
    throw fail(err instanceof CniError ? err.msg : String(err), err);
  }
  return labelled as unknown as Result;
}

/**
 * The `prevResult` in the current (1.x) result format, or `undefined` when there is none: for
 * chained plugins that read the previous result's interfaces and addresses but pass it on with
 * {@linkcode prevResultAsGiven}. A result without `cniVersion` is read in the config's version.
 *
 * @param args The plugin's arguments.
 * @returns The converted result, or `undefined`.
 * @throws {CniError} When the previous result cannot be converted.
 */
export function prevResultCurrent(args: CmdArgs): Result | undefined {
  const prev = args.config.prevResult as Record<string, unknown> | undefined | null;
  if (prev === undefined || prev === null) return undefined;
  return toCurrentResult({ ...prev, cniVersion: prev.cniVersion ?? args.config.cniVersion });
}
