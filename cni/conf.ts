/**
 * Network configuration parsing, after libcni's `conf.go`: a plugin configuration
 * (`.conf` / `.json`), a configuration list (`.conflist`) with its `cniVersions` selection,
 * and a single configuration up-converted to a list. Loading from a directory is
 * `conf_files.ts`; the bytes each plugin gets are `conf_inject.ts`.
 *
 * Deliberate differences from libcni (v1.3.0):
 * - every field is validated (zod/mini) with messages naming the file and the field;
 * - a selected `cniVersion` this implementation does not support is refused at load time
 *   (code 1) instead of failing later in a plugin;
 * - the network name is checked against the spec's charset at load time (code 7), since it
 *   names a directory and cache files.
 *
 * @module
 */
import { goMarshal } from "./_json.ts";
import { parseJsonObject } from "./_conf_json.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { confListSchema, flagValue, pluginConfSchema } from "./schema.ts";
import type { NetConf } from "./types.ts";
import { CURRENT_VERSION, SUPPORTED_VERSIONS } from "./types.ts";
import { parseWith } from "./validate.ts";
import { parseVersion, versionGt } from "./version.ts";

export type { RuntimeConf } from "./types.ts";

/** One plugin of a network: the parsed object (unknown keys kept) and its bytes. */
export interface PluginConfig {
  /** The plugin configuration object as parsed (every key kept). */
  network: NetConf;
  /** The bytes this plugin was parsed from (Go-marshalled JSON for inline plugins). */
  bytes: Uint8Array;
}

/** A network configuration list (libcni `NetworkConfigList`). */
export interface NetworkConfigList {
  /** The selected version (from `cniVersion` and `cniVersions`); may be `""` (= 0.1.0). */
  cniVersion: string;
  /** The `cniVersions` list as written, if any. */
  cniVersions?: string[];
  /** Network name. */
  name: string;
  /** Skip CHECK. */
  disableCheck: boolean;
  /** Skip GC. */
  disableGC: boolean;
  /** Use only the inline `plugins`, not `<dir>/<name>/*.conf`. */
  loadOnlyInlinedPlugins: boolean;
  /** The plugins in order. */
  plugins: PluginConfig[];
  /** The list file's bytes (or synthesized JSON for an up-converted `.conf`). */
  bytes: Uint8Array;
}

/** Options for parsing. */
export interface ParseConfOptions {
  /**
   * Accept a selected `cniVersion` outside `SUPPORTED_VERSIONS` (libcni does, e.g.
   * `"1.2.3"`). Default false: refused with code 1.
   */
  allowUnsupportedVersion?: boolean;
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

function toText(input: Uint8Array | string): string {
  return typeof input === "string" ? input : DECODER.decode(input);
}

function toBytes(input: Uint8Array | string): Uint8Array {
  return typeof input === "string" ? ENCODER.encode(input) : input;
}

function where(source: string | undefined): string {
  return source ? ` ${source}` : "";
}

/**
 * Selects the config version as libcni's `NetworkConfFromBytes` does, then prefers a
 * version this implementation supports: `cniVersions` entries must all parse, entries newer
 * than 1.1.0 are dropped, `cniVersion` joins them, and the highest wins; without
 * `cniVersions`, `cniVersion` is used verbatim.
 *
 * @param cniVersion The `cniVersion` value (may be empty).
 * @param cniVersions The `cniVersions` list, if present.
 * @returns The selected version (`""` when nothing is given).
 * @throws {CniError} Code 1 when an entry (or `cniVersion` with `cniVersions`) does not parse.
 */
export function selectConfigVersion(cniVersion: string, cniVersions?: readonly string[]): string {
  if (cniVersions === undefined) return cniVersion;
  const candidates: string[] = [];
  cniVersions.forEach((v, i) => {
    try {
      if (!versionGt(v, CURRENT_VERSION)) candidates.push(v);
    } catch (err) {
      throw new CniError(
        ErrorCode.IncompatibleCniVersion,
        `invalid cniVersions entry "${v}" at index ${i}`,
        { details: (err as CniError).msg, cause: err },
      );
    }
  });
  if (cniVersion !== "") {
    try {
      if (!versionGt(cniVersion, CURRENT_VERSION)) candidates.push(cniVersion);
    } catch (err) {
      throw new CniError(ErrorCode.IncompatibleCniVersion, `invalid cniVersion "${cniVersion}"`, {
        details: (err as CniError).msg,
        cause: err,
      });
    }
  }
  if (candidates.length === 0) return cniVersion;
  const sorted = [...candidates].sort((a, b) => (versionGt(a, b) ? -1 : versionGt(b, a) ? 1 : 0));
  return sorted.find((v) => SUPPORTED_VERSIONS.includes(v)) ?? sorted[0]!;
}

function checkSupported(version: string, what: string, options: ParseConfOptions): void {
  if (options.allowUnsupportedVersion) return;
  const v = version === "" ? "0.1.0" : version;
  if (SUPPORTED_VERSIONS.includes(v)) return;
  try {
    parseVersion(v);
  } catch (err) {
    throw new CniError(ErrorCode.IncompatibleCniVersion, `${what}: invalid cniVersion "${v}"`, {
      details: (err as CniError).msg,
      cause: err,
    });
  }
  throw new CniError(
    ErrorCode.IncompatibleCniVersion,
    `${what}: unsupported cniVersion "${v}"`,
    { details: `supported versions are ${SUPPORTED_VERSIONS.join(", ")}` },
  );
}

function pluginFromObject(obj: unknown, what: string, bytes: Uint8Array): PluginConfig {
  parseWith(pluginConfSchema(), obj, { what });
  // validated; the object itself is kept so unknown keys reach the plugin untouched
  return { network: obj as NetConf, bytes };
}

/**
 * Parses one plugin configuration object (libcni `NetworkPluginConfFromBytes`): JSON with
 * a non-empty `type`; every other key kept.
 *
 * @param input The bytes or text.
 * @param source The file name, for messages.
 * @returns The plugin config, `bytes` being the input bytes.
 * @throws {CniError} Code 6 on bad JSON, code 7 on a missing `type` or a mistyped field.
 */
export function parseConf(input: Uint8Array | string, source?: string): PluginConfig {
  const what = `error parsing configuration${where(source)}`;
  const obj = parseJsonObject(toText(input), what);
  return pluginFromObject(obj, `invalid plugin configuration${where(source)}`, toBytes(input));
}

/**
 * Parses a configuration list (libcni `NetworkConfFromBytes`). Inline plugins are
 * re-marshalled like Go does (sorted keys) to form their `bytes`.
 *
 * @param input The bytes or text of a `.conflist`.
 * @param source The file name, for messages.
 * @param options See {@linkcode ParseConfOptions}.
 * @returns The list (plugins possibly empty when `plugins` is absent; the file loader may
 *   add some from the network's directory).
 * @throws {CniError} Code 6 on bad JSON; code 7 on a bad field (named), `plugins` empty or
 *   absent with `loadOnlyInlinedPlugins`; code 1 on an unparsable or unsupported version.
 * @example Parsing a list
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfList } from "./conf.ts";
 * const list = parseConfList('{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"}]}');
 * assert.deepEqual([list.name, list.plugins.length], ["n", 1]);
 * ```
 */
export function parseConfList(
  input: Uint8Array | string,
  source?: string,
  options: ParseConfOptions = {},
): NetworkConfigList {
  const what = `error parsing configuration list${where(source)}`;
  const raw = parseJsonObject(toText(input), what);
  const top = parseWith(confListSchema(), raw, {
    what: `invalid configuration list${where(source)}`,
  });
  const cniVersion = selectConfigVersion(top.cniVersion ?? "", top.cniVersions);
  checkSupported(cniVersion, `invalid configuration list${where(source)}`, options);
  const list: NetworkConfigList = {
    cniVersion,
    name: top.name,
    disableCheck: flagValue(top.disableCheck),
    disableGC: flagValue(top.disableGC),
    loadOnlyInlinedPlugins: flagValue(top.loadOnlyInlinedPlugins),
    plugins: [],
    bytes: toBytes(input),
  };
  if (top.cniVersions !== undefined) list.cniVersions = top.cniVersions;
  if (top.plugins === undefined) {
    if (list.loadOnlyInlinedPlugins) {
      throw new CniError(
        ErrorCode.InvalidNetworkConfig,
        `invalid configuration list${where(source)}: ` +
          "`loadOnlyInlinedPlugins` is true, and no 'plugins' key",
      );
    }
    return list;
  }
  if (top.plugins.length === 0) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `invalid configuration list${where(source)}: no plugins in list`,
    );
  }
  top.plugins.forEach((p, i) => {
    if (p === null || typeof p !== "object" || Array.isArray(p)) {
      throw new CniError(
        ErrorCode.InvalidNetworkConfig,
        `invalid configuration list${where(source)}: field "plugins[${i}]": expected object`,
      );
    }
    const bytes = ENCODER.encode(goMarshal(p, { sortKeys: true }));
    list.plugins.push(
      pluginFromObject(p, `invalid configuration list${where(source)}: plugins[${i}]`, bytes),
    );
  });
  return list;
}

/**
 * Turns a single-plugin configuration into a list as libcni's `ConfListFromConf` does:
 * `{"cniVersion": <its cniVersion>, "name": <its name>, "plugins": [<the object>]}`, which
 * also becomes the list's `bytes`. List-level flags are not carried over.
 *
 * @param conf The plugin config (from a `.conf` / `.json` file).
 * @param source The file name, for messages.
 * @param options See {@linkcode ParseConfOptions}.
 * @returns The list.
 * @throws {CniError} As {@linkcode parseConfList} (e.g. code 7 when the config has no name).
 */
export function confListFromConf(
  conf: PluginConfig,
  source?: string,
  options: ParseConfOptions = {},
): NetworkConfigList {
  const raw = parseJsonObject(toText(conf.bytes), `error parsing configuration${where(source)}`);
  const name = typeof conf.network.name === "string" ? conf.network.name : "";
  const version = typeof conf.network.cniVersion === "string" ? conf.network.cniVersion : "";
  const text = goMarshal({ cniVersion: version, name, plugins: [raw] }, { sortKeys: true });
  return parseConfList(text, source, options);
}
