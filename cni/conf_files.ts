/**
 * Loading network configurations from a directory, after libcni's `conf.go`: listing the
 * `.conf` / `.conflist` / `.json` files, reading each (bounded, regular files only), a list's
 * plugin configs from the network's own directory, every network of a directory, and the
 * lookup of a network by name.
 *
 * Unlike libcni, a file that fails to load does not hide valid networks in other files: the
 * lookup goes on and the failures are named in the not-found error (libcni aborts the whole
 * lookup).
 *
 * @module
 */
import { dirname, join } from "./_path.ts";
import { compareBytes } from "./_conf_json.ts";
import { CniError, ConfigNotFoundError, ErrorCode } from "./errors.ts";
import { MAX_CONFIG_BYTES, readRegularFileSync } from "./read_bounded.ts";
import {
  confListFromConf,
  type NetworkConfigList,
  parseConf,
  parseConfList,
  type ParseConfOptions,
  type PluginConfig,
} from "./conf.ts";

const DECODER = new TextDecoder();

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
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfList } from "./conf_files.ts";
 * const dir = Deno.makeTempDirSync();
 * const text = '{"cniVersion":"1.0.0","name":"mynet","plugins":[{"type":"bridge"},{"type":"portmap"}]}';
 * Deno.writeTextFileSync(`${dir}/10-mynet.conflist`, text);
 * const list = loadConfList(dir, "mynet");
 * Deno.removeSync(dir, { recursive: true });
 * assert.deepEqual(list.plugins.map((p) => p.network.type), ["bridge", "portmap"]);
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
