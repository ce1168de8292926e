/**
 * Network configuration: parsing `.conflist` / `.conf` / `.json` files, finding a network
 * by name in a directory, `cniVersions` selection, plugin configs from the network's own
 * directory, and building the exact stdin bytes libcni gives each plugin (`name` and
 * `cniVersion` injected, `runtimeConfig` from declared capabilities, `prevResult`).
 *
 * Follows `libcni/conf.go` and `libcni/api.go` (v1.3.0), with these deliberate differences:
 * - every field is validated (zod/mini) with messages naming the file and the field;
 * - a selected `cniVersion` this implementation does not support is refused at load time
 *   (code 1) instead of failing later in a plugin;
 * - the network name is checked against the spec's charset at load time (code 7), since it
 *   names a directory and cache files;
 * - a file that fails to load does not hide valid networks in other files: the lookup goes
 *   on and the failures are named in the not-found error (libcni aborts the whole lookup).
 *
 * @module
 */
import { dirname, join } from "./_path.ts";
import { goMarshal } from "./_json.ts";
import { CniError, ConfigNotFoundError, ErrorCode } from "./errors.ts";
import { confListSchema, flagValue, pluginConfSchema } from "./schema.ts";
import type { NetConf, RuntimeConf } from "./types.ts";
import { CURRENT_VERSION, SUPPORTED_VERSIONS } from "./types.ts";
import { parseWith } from "./validate.ts";
import { MAX_CONFIG_BYTES, readRegularFileSync } from "./read_bounded.ts";
import { parseResult } from "./results/mod.ts";
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

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const why = text.trim() === "" ? "unexpected end of JSON input" : (err as Error).message;
    throw new CniError(ErrorCode.DecodingFailure, `${what}: ${why}`, { cause: err });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `${what}: expected a JSON object, got ${value === null ? "null" : typeof value}`,
    );
  }
  return value as Record<string, unknown>;
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
 * import { parseConfList } from "./conf.ts";
 * const list = parseConfList('{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"}]}');
 * console.log(list.name, list.plugins.length); // n 1
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

/**
 * Lists configuration files in `dir` as libcni's `ConfFiles` + `sort.Strings`: not
 * recursive, directories skipped, extension (from the last dot) matched exactly, sorted by
 * full path in byte order. A missing directory gives no files.
 *
 * @param dir The directory.
 * @param exts Extensions to keep, with the dot.
 * @returns Full paths, sorted.
 * @throws {Deno.errors.PermissionDenied} And other read errors except NotFound.
 */
export function confFiles(
  dir: string,
  exts: readonly string[] = [".conf", ".conflist", ".json"],
): string[] {
  const out: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return [];
    }
    throw err;
  }
  for (const e of entries) {
    if (e.isDirectory) continue;
    const dot = e.name.lastIndexOf(".");
    const ext = dot < 0 ? "" : e.name.slice(dot);
    if (exts.includes(ext)) out.push(join(dir, e.name));
  }
  return out.sort(compareBytes);
}

function compareBytes(a: string, b: string): number {
  const x = ENCODER.encode(a);
  const y = ENCODER.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

// Bounded, and only regular files: a FIFO, a device or a directory named `x.conf` fails that
// file alone (the lookup goes on to the others) instead of hanging or filling memory.
function readFile(file: string): Uint8Array {
  return readRegularFileSync(file, { maxBytes: MAX_CONFIG_BYTES, what: "network configuration" });
}

/**
 * Loads the plugin configs of `<dir>/<network>/*.conf` (libcni
 * `NetworkPluginConfsFromFiles`): only `.conf`, not recursive, sorted; each must have a
 * `type`. A missing directory gives none.
 *
 * @param dir The directory holding the list file.
 * @param network The network name.
 * @returns The plugin configs, their `bytes` being the files' bytes.
 * @throws {CniError} When a file cannot be read or parsed.
 */
export function pluginConfsFromDir(dir: string, network: string): PluginConfig[] {
  return confFiles(join(dir, network), [".conf"]).map((f) => parseConf(readFile(f), f));
}

/**
 * Loads a `.conflist` file (libcni `NetworkConfFromFile`): parses it and, unless
 * `loadOnlyInlinedPlugins`, appends the plugins found in `<dir of file>/<name>/*.conf`.
 *
 * @param file The file path.
 * @param options See {@linkcode ParseConfOptions}.
 * @returns The list (`bytes` are the file's own bytes).
 * @throws {CniError} On read/parse errors; code 7 `no plugin configs found` when the list
 *   ends up empty.
 */
export function confListFromFile(file: string, options: ParseConfOptions = {}): NetworkConfigList {
  const list = parseConfList(readFile(file), file, options);
  if (!list.loadOnlyInlinedPlugins) {
    list.plugins.push(...pluginConfsFromDir(dirname(file), list.name));
  }
  if (list.plugins.length === 0) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `no plugin configs found in ${file}`);
  }
  return list;
}

/**
 * Loads a single-plugin `.conf` / `.json` file and up-converts it to a list.
 *
 * @param file The file path.
 * @param options See {@linkcode ParseConfOptions}.
 * @returns The list.
 * @throws {CniError} On read/parse errors.
 */
export function confListFromConfFile(
  file: string,
  options: ParseConfOptions = {},
): NetworkConfigList {
  return confListFromConf(parseConf(readFile(file), file), file, options);
}

/** One network found by {@linkcode listNetworks}. */
export interface NetworkEntry {
  /** Network name. */
  name: string;
  /** The file it came from. */
  file: string;
  /** The loaded list. */
  list: NetworkConfigList;
}

/** One file that failed to load. */
export interface ConfFileError {
  /** The file. */
  file: string;
  /** Why. */
  error: CniError;
}

function nameInFile(file: string): string | undefined {
  try {
    const v = JSON.parse(DECODER.decode(readFile(file)));
    return typeof v?.name === "string" ? v.name : undefined;
  } catch {
    return undefined;
  }
}

function loadOne(file: string, options: ParseConfOptions): NetworkConfigList {
  return file.endsWith(".conflist")
    ? confListFromFile(file, options)
    : confListFromConfFile(file, options);
}

/**
 * Every network in `dir`, in lookup order: `.conflist` files first, then `.conf` / `.json`
 * (each group sorted), plus the files that failed to load.
 *
 * @param dir The directory.
 * @param options See {@linkcode ParseConfOptions}.
 * @returns Networks and failures.
 */
export function listNetworks(
  dir: string,
  options: ParseConfOptions = {},
): { networks: NetworkEntry[]; errors: ConfFileError[] } {
  const networks: NetworkEntry[] = [];
  const errors: ConfFileError[] = [];
  const files = [...confFiles(dir, [".conflist"]), ...confFiles(dir, [".conf", ".json"])];
  for (const file of files) {
    try {
      const list = loadOne(file, options);
      networks.push({ name: list.name, file, list });
    } catch (err) {
      if (!(err instanceof CniError)) throw err;
      errors.push({ file, error: err });
    }
  }
  return { networks, errors };
}

/**
 * Finds network `name` in `dir` (libcni `LoadNetworkConf`): the first `.conflist` (sorted)
 * with that name, else the first `.conf` / `.json` with it, up-converted. A file that fails
 * to load is skipped, unless its readable `name` is the one asked for, in which case its
 * error is thrown.
 *
 * @param dir The directory.
 * @param name The network name.
 * @param options See {@linkcode ParseConfOptions}.
 * @returns The list.
 * @throws {ConfigNotFoundError} When no file defines it (details name the files that
 *   failed to load, or say that the directory has no configurations).
 * @throws {CniError} The load error of the file that defines `name` but is invalid.
 * @example Looking up a network
 * ```ts ignore
 * import { loadConfList } from "./conf.ts";
 * const list = loadConfList("/etc/cni/net.d", "mynet");
 * console.log(list.plugins.map((p) => p.network.type));
 * ```
 */
export function loadConfList(
  dir: string,
  name: string,
  options: ParseConfOptions = {},
): NetworkConfigList {
  const failures: ConfFileError[] = [];
  const lists = confFiles(dir, [".conflist"]);
  const singles = confFiles(dir, [".conf", ".json"]);
  for (const file of [...lists, ...singles]) {
    try {
      const list = loadOne(file, options);
      if (list.name === name) return list;
    } catch (err) {
      if (!(err instanceof CniError)) throw err;
      if (nameInFile(file) === name) throw err;
      failures.push({ file, error: err });
    }
  }
  const parts: string[] = [];
  if (lists.length === 0 && singles.length === 0) {
    parts.push(`no net configurations found in ${dir}`);
  }
  for (const f of failures) parts.push(`skipped ${f.file}: ${f.error.message}`);
  return throwNotFound(dir, name, parts);
}

function throwNotFound(dir: string, name: string, parts: string[]): never {
  throw new ConfigNotFoundError(dir, name, parts.length ? { details: parts.join("; ") } : {});
}

// ---------------------------------------------------------------------------------------
// Request bytes (libcni buildOneConfig / InjectConf / injectRuntimeConfig)
// ---------------------------------------------------------------------------------------

/**
 * Sets keys on a plugin config (libcni `InjectConf`): parse, set, re-marshal with Go's map
 * key order.
 *
 * @param bytes The plugin config bytes.
 * @param values Keys to set; a value that is itself pre-ordered (e.g. a result) keeps its
 *   key order only when listed in `keepOrder`.
 * @param keepOrder Keys whose values are serialised as given (Go structs), not sorted.
 * @returns The new bytes.
 * @throws {CniError} Code 7 on an empty key or a `null`/`undefined` value.
 */
export function injectConf(
  bytes: Uint8Array,
  values: Record<string, unknown>,
  keepOrder: readonly string[] = [],
): Uint8Array {
  const config = parseJsonObject(DECODER.decode(bytes), "error parsing configuration");
  for (const [key, value] of Object.entries(values)) {
    if (key === "") throw new CniError(ErrorCode.InvalidNetworkConfig, "keys cannot be empty");
    if (value === null || value === undefined) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `key '${key}' value must not be nil`);
    }
    config[key] = value;
  }
  const keys = Object.keys(config).sort(compareBytes);
  const parts = keys.map((k) => {
    const v = keepOrder.includes(k)
      ? goMarshal(config[k])
      : goMarshal(config[k], { sortKeys: true });
    return `${goMarshal(k)}:${v}`;
  });
  return ENCODER.encode(`{${parts.join(",")}}`);
}

/**
 * Adds `runtimeConfig` (libcni `injectRuntimeConfig`): for each capability the plugin sets
 * to `true` and the runtime provides, that value. Nothing is added when there is no
 * overlap (a `runtimeConfig` already in the file then survives); otherwise it replaces
 * the file's. `capabilities` stays in the config, as libcni leaves it.
 *
 * @param bytes The plugin config bytes (already with name/version injected).
 * @param runtime The runtime config.
 * @returns The new bytes.
 */
export function injectRuntimeConfig(bytes: Uint8Array, runtime: RuntimeConf): Uint8Array {
  const config = parseJsonObject(DECODER.decode(bytes), "error parsing configuration");
  const caps = config.capabilities;
  const args = runtime.capabilityArgs ?? {};
  const rc: Record<string, unknown> = {};
  if (caps && typeof caps === "object") {
    for (const [cap, on] of Object.entries(caps as Record<string, unknown>)) {
      if (on === true && Object.hasOwn(args, cap)) rc[cap] = args[cap];
    }
  }
  if (Object.keys(rc).length === 0) return bytes;
  return injectConf(bytes, { runtimeConfig: rc });
}

/**
 * The exact stdin libcni gives a plugin of a list (`buildOneConfig`): the plugin's config
 * with `name` and `cniVersion` from the list, `prevResult` when given, then `runtimeConfig`
 * filtered by the plugin's capabilities when `runtime` is given. Compact JSON with Go's key
 * order (maps sorted; `prevResult` in its struct order unless `runtimeConfig` was added,
 * which re-sorts everything, as in Go).
 *
 * @param list The network list.
 * @param plugin One of its plugins.
 * @param runtime The runtime config (omit for GC / STATUS).
 * @param prevResult The previous result, any version, sent as it is (convert first when it
 *   must be in the list's version).
 * @param extra More keys to inject with name and version (e.g. `cni.dev/valid-attachments`).
 * @returns The bytes to write to the plugin's stdin.
 * @throws {CniError} Code 6 on a malformed `prevResult`, code 7 on a `null` extra value.
 * @example The C.1 request for a plugin declaring `mac`
 * ```ts
 * import { buildPluginConfig, parseConfList } from "./conf.ts";
 * const list = parseConfList(
 *   '{"cniVersion":"1.1.0","name":"dbnet","plugins":[{"type":"tuning","capabilities":{"mac":true}}]}',
 * );
 * const bytes = buildPluginConfig(list, list.plugins[0]!, {
 *   containerId: "c1",
 *   netns: "/var/run/netns/blue",
 *   ifName: "eth0",
 *   capabilityArgs: { mac: "00:11:22:33:44:66", portMappings: [] },
 * });
 * console.log(new TextDecoder().decode(bytes));
 * // {"capabilities":{"mac":true},"cniVersion":"1.1.0","name":"dbnet","runtimeConfig":{"mac":"00:11:22:33:44:66"},"type":"tuning"}
 * ```
 */
export function buildPluginConfig(
  list: NetworkConfigList,
  plugin: PluginConfig,
  runtime?: RuntimeConf,
  prevResult?: unknown,
  extra: Record<string, unknown> = {},
): Uint8Array {
  const inject: Record<string, unknown> = {
    name: list.name,
    cniVersion: list.cniVersion,
    ...extra,
  };
  if (prevResult !== undefined && prevResult !== null) {
    inject.prevResult = parseResult(prevResult);
  }
  const bytes = injectConf(plugin.bytes, inject, ["prevResult"]);
  // Only a plugin declaring a capability the runtime provides gets `runtimeConfig` (libcni
  // reads the capabilities of the parsed config too): the others skip parsing the bytes again.
  return runtime && wantsRuntimeConfig(plugin.network, runtime)
    ? injectRuntimeConfig(bytes, runtime)
    : bytes;
}

function wantsRuntimeConfig(network: NetConf, runtime: RuntimeConf): boolean {
  const caps: unknown = network.capabilities;
  if (!caps || typeof caps !== "object") return false;
  const args = runtime.capabilityArgs ?? {};
  return Object.entries(caps).some(([cap, on]) => on === true && Object.hasOwn(args, cap));
}
