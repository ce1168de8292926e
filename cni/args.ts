/**
 * The `CNI_*` environment: variable names, `CNI_ARGS` parsing and formatting (cnitool's
 * strict parser and the plugin-side `types.LoadArgs` pair rules), `CAP_ARGS` parsing, and
 * the plugin environment libcni builds (`pkg/invoke/args.go` `AsEnv`).
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "./errors.ts";
import type { CniCommand, RuntimeConf } from "./types.ts";

/** `CNI_COMMAND`: the verb. */
export const CNI_COMMAND = "CNI_COMMAND";
/** `CNI_CONTAINERID`: the container ID. */
export const CNI_CONTAINERID = "CNI_CONTAINERID";
/** `CNI_NETNS`: the network namespace path. */
export const CNI_NETNS = "CNI_NETNS";
/** `CNI_IFNAME`: the interface name in the container. */
export const CNI_IFNAME = "CNI_IFNAME";
/** `CNI_ARGS`: `K=V;K2=V2` extra arguments. */
export const CNI_ARGS = "CNI_ARGS";
/** `CNI_PATH`: plugin search directories, `:`-separated. */
export const CNI_PATH = "CNI_PATH";
/** `CNI_NETNS_OVERRIDE`: skel skips its own-netns check when `1`/`true`. */
export const CNI_NETNS_OVERRIDE = "CNI_NETNS_OVERRIDE";
/** `NETCONFPATH`: cnitool's configuration directory. */
export const NETCONFPATH = "NETCONFPATH";
/** `CAP_ARGS`: cnitool's capability arguments (JSON object). */
export const CAP_ARGS = "CAP_ARGS";

/**
 * Parses `CNI_ARGS` the way cnitool does: `;`-separated pairs, each splitting on `=` into
 * exactly two non-empty parts (so a trailing `;` or a value containing `=` is an error).
 * An empty string means no arguments.
 *
 * @param s The `CNI_ARGS` value.
 * @returns The pairs in order.
 * @throws {CniError} Code 4 `invalid CNI_ARGS pair "<pair>"`.
 * @example Parsing
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCniArgs } from "./args.ts";
 * assert.deepEqual(parseCniArgs("IP=10.0.0.5;K8S_POD_NAME=web"), [
 *   ["IP", "10.0.0.5"],
 *   ["K8S_POD_NAME", "web"],
 * ]);
 * ```
 */
export function parseCniArgs(s: string): [string, string][] {
  if (s === "") return [];
  return s.split(";").map((pair) => {
    const kv = pair.split("=");
    if (kv.length !== 2 || kv[0] === "" || kv[1] === "") {
      throw new CniError(
        ErrorCode.InvalidEnvironmentVariables,
        `invalid CNI_ARGS pair ${JSON.stringify(pair)}`,
      );
    }
    return [kv[0]!, kv[1]!];
  });
}

/**
 * Reads `CNI_ARGS` as the reference's `types.LoadArgs` does for a struct embedding
 * `types.CommonArgs`, one pair at a time: each `;`-separated pair must split on `=` into
 * exactly two parts (empty keys or values are allowed), a known key (matched
 * case-sensitively, as Go field names such as `MAC`, `IP`) has its value read by its reader
 * (the last occurrence wins), `IgnoreUnknown` (`1`/`true`/`0`/`false`, any case) tolerates
 * other keys, and any other key fails the call once all pairs are read.
 *
 * @example host-local's `IP`, read as an address
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadArgsWith } from "./args.ts";
 * const got = loadArgsWith("IgnoreUnknown=1;K8S_POD_NAME=web;IP=10.0.0.5", { IP: (v) => v.split(".") });
 * assert.deepEqual(got, { IP: ["10", "0", "0", "5"] });
 * ```
 *
 * @param s The `CNI_ARGS` value.
 * @param readers The known keys, each with the reader of its value; a reader throws an Error
 *   saying what is wrong with the value.
 * @param code The CNI code of the errors (default 7, invalid network config).
 * @returns The values of the known keys that were given.
 * @throws {CniError} `ARGS: invalid pair "<pair>"`, `ARGS: error parsing value of pair
 *   "<pair>": <reader's message>` (for `IgnoreUnknown`: `boolean unmarshal error: invalid
 *   input x`), `ARGS: unknown args ["K=V" ...]`.
 */
export function loadArgsWith<K extends string, V>(
  s: string,
  readers: Readonly<Record<K, (value: string) => V>>,
  code: number = ErrorCode.InvalidNetworkConfig,
): Partial<Record<K, V>> {
  const out: Partial<Record<K, V>> = {};
  if (s === "") return out;
  const unknown: string[] = [];
  let ignoreUnknown = false;
  for (const pair of s.split(";")) {
    const kv = pair.split("=");
    if (kv.length !== 2) throw new CniError(code, `ARGS: invalid pair ${JSON.stringify(pair)}`);
    const [key, value] = kv as [string, string];
    const valueError = (text: string) =>
      new CniError(code, `ARGS: error parsing value of pair ${JSON.stringify(pair)}: ${text}`);
    if (Object.hasOwn(readers, key)) {
      try {
        out[key as K] = readers[key as K](value);
      } catch (err) {
        throw valueError(errorText(err));
      }
    } else if (key === "IgnoreUnknown") {
      const v = value.toLowerCase();
      if (v === "1" || v === "true") ignoreUnknown = true;
      else if (v === "0" || v === "false") ignoreUnknown = false;
      else throw valueError(`boolean unmarshal error: invalid input ${value}`);
    } else unknown.push(pair);
  }
  if (unknown.length > 0 && !ignoreUnknown) {
    throw new CniError(
      code,
      `ARGS: unknown args [${unknown.map((u) => JSON.stringify(u)).join(" ")}]`,
    );
  }
  return out;
}

/**
 * Reads `CNI_ARGS` into the string values of the keys a plugin knows, as
 * {@linkcode loadArgsWith} (`types.LoadArgs`) with code 7.
 *
 * @example A plugin that knows `IP` and `GATEWAY`
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadPluginArgs } from "./args.ts";
 * const got = loadPluginArgs("IgnoreUnknown=1;K8S_POD_NAME=web;IP=10.0.0.5/24", ["IP", "GATEWAY"]);
 * assert.deepEqual(got, { IP: "10.0.0.5/24" });
 * ```
 *
 * @param s The `CNI_ARGS` value.
 * @param keys The keys the plugin reads.
 * @returns The values of the known keys that were given.
 * @throws {CniError} Code 7: `ARGS: invalid pair "<pair>"`, `ARGS: error parsing value of
 *   pair "IgnoreUnknown=x": boolean unmarshal error: invalid input x`, `ARGS: unknown args
 *   ["K=V" ...]`.
 */
export function loadPluginArgs<K extends string>(
  s: string,
  keys: readonly K[],
): Partial<Record<K, string>> {
  const asIs = (value: string) => value;
  return loadArgsWith(s, Object.fromEntries(keys.map((k) => [k, asIs])) as Record<K, typeof asIs>);
}

/**
 * Formats pairs as `CNI_ARGS` the way libcni does: `k=v` joined by `;`, no escaping.
 *
 * @param pairs The pairs.
 * @returns The `CNI_ARGS` value (empty for none).
 */
export function formatCniArgs(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([k, v]) => `${k}=${v}`).join(";");
}

/**
 * Parses `CAP_ARGS` (cnitool): a JSON object of capability arguments. Empty means none.
 *
 * @param json The `CAP_ARGS` value.
 * @returns The capability arguments.
 * @throws {CniError} Code 6 naming `CAP_ARGS` when it is not JSON or not an object.
 */
export function parseCapArgs(json: string): Record<string, unknown> {
  if (json.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new CniError(ErrorCode.DecodingFailure, "invalid CAP_ARGS: not valid JSON", {
      details: (err as Error).message,
      cause: err,
    });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
    throw new CniError(
      ErrorCode.DecodingFailure,
      `invalid CAP_ARGS: expected a JSON object, got ${got}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * The environment libcni gives a plugin (`invoke.Args.AsEnv`): the base environment, then
 * `CNI_COMMAND`, `CNI_CONTAINERID`, `CNI_NETNS`, `CNI_ARGS`, `CNI_IFNAME`, `CNI_PATH`, always
 * all six (empty strings when unset; GC and STATUS get empty container ID, netns, ifname
 * and args), the `CNI_*` values winning over and placed after the base ones.
 *
 * @param command The verb.
 * @param runtime The runtime config (its attachment fields are not used for GC / STATUS).
 * @param cniPath Plugin directories (joined with `:`) or an already joined string.
 * @param baseEnv The runtime's own environment (default none).
 * @returns The environment.
 * @example ADD
 * ```ts
 * import assert from "node:assert/strict";
 * import { argsToEnv } from "./args.ts";
 * const env = argsToEnv("ADD", { containerId: "c1", netns: "/run/netns/x", ifName: "eth0",
 *   args: [["K8S_POD_NAME", "web"]] }, ["/opt/cni/bin"]);
 * assert.equal(env.CNI_ARGS, "K8S_POD_NAME=web");
 * ```
 */
export function argsToEnv(
  command: CniCommand,
  runtime: RuntimeConf | undefined,
  cniPath: string | readonly string[],
  baseEnv: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const attach = command !== "GC" && command !== "STATUS" && runtime !== undefined;
  const cni: [string, string][] = [
    [CNI_COMMAND, command],
    [CNI_CONTAINERID, attach ? runtime.containerId : ""],
    [CNI_NETNS, attach ? runtime.netns : ""],
    [CNI_ARGS, attach ? formatCniArgs(runtime.args ?? []) : ""],
    [CNI_IFNAME, attach ? runtime.ifName : ""],
    [CNI_PATH, typeof cniPath === "string" ? cniPath : cniPath.join(":")],
  ];
  const env: Record<string, string> = {};
  const names = new Set(cni.map(([k]) => k));
  for (const [k, v] of Object.entries(baseEnv)) if (!names.has(k)) env[k] = v;
  for (const [k, v] of cni) env[k] = v;
  return env;
}
