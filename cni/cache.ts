/**
 * The libcni result cache: one JSON file per attachment at
 * `<cacheDir>/results/<network>-<containerID>-<ifName>`, in the reference `cniCacheV1` format,
 * so entries are interchangeable with the Go library.
 *
 * @module
 */
import { join } from "./_path.ts";
import { CniError, ErrorCode, errorText } from "./errors.ts";
import { MAX_CONFIG_BYTES, readRegularFileSync } from "./read_bounded.ts";
import { goMarshal, sortKeysDeep } from "./_json.ts";

const STD_BASE64_REGEXP = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes base64 as strictly as Go's `json.Unmarshal` into `[]byte` (`base64.StdEncoding`):
 * standard alphabet, padding required, CR and LF skipped, nothing else. Returns `undefined`
 * where Go fails (the entry then reads as not a `cniCacheV1` one, as in libcni).
 */
function decodeStdBase64(text: string): Uint8Array | undefined {
  const clean = text.replace(/[\r\n]/g, "");
  if (clean.length % 4 !== 0 || !STD_BASE64_REGEXP.test(clean)) return undefined;
  try {
    return Uint8Array.fromBase64(clean);
  } catch {
    return undefined;
  }
}

/**
 * Largest cache entry read: it holds the list's config (at most `MAX_CONFIG_BYTES`) in
 * base64 besides the result and the runtime arguments.
 */
export const MAX_CACHE_BYTES = 4 * MAX_CONFIG_BYTES;

/** The `kind` of a version-1 cache entry. */
export const CACHE_KIND_V1 = "cniCacheV1";

/** What identifies an attachment in the cache. */
export interface AttachmentKey {
  /** Network (list) name. */
  networkName: string;
  /** Container ID. */
  containerId: string;
  /** Interface name in the container. */
  ifName: string;
}

/** The on-disk JSON of a cache entry, in the reference key order. */
export interface CacheEntryJson {
  /** Always `"cniCacheV1"`. */
  kind: string;
  /** Container ID. */
  containerId: string;
  /** Base64 of the network configuration bytes. */
  config: string;
  /** Interface name. */
  ifName: string;
  /** Network name. */
  networkName: string;
  /** Namespace path (omitted when empty). */
  netns?: string;
  /** `CNI_ARGS` pairs (omitted when empty). */
  cniArgs?: [string, string][];
  /** The runtime's capability args, unfiltered (omitted when empty). */
  capabilityArgs?: Record<string, unknown>;
  /** The ADD result (omitted when absent). */
  result?: Record<string, unknown>;
}

/** A decoded cache entry. */
export interface CachedAttachment extends AttachmentKey {
  /** The network configuration bytes that were used for ADD. */
  config: Uint8Array;
  /** Namespace path, empty when not recorded. */
  netns: string;
  /** `CNI_ARGS` pairs. */
  cniArgs: [string, string][];
  /** Capability args. */
  capabilityArgs: Record<string, unknown>;
  /** The cached ADD result, if any. */
  result?: Record<string, unknown>;
}

/** What {@linkcode writeCacheEntry} stores. */
export interface CacheWrite extends AttachmentKey {
  /** Network configuration bytes (the list file's bytes). */
  config: Uint8Array;
  /** Namespace path. */
  netns?: string;
  /** `CNI_ARGS` pairs. */
  cniArgs?: readonly (readonly [string, string])[];
  /** Capability args. */
  capabilityArgs?: Record<string, unknown>;
  /** The final ADD result. */
  result?: Record<string, unknown>;
}

/**
 * The path of an attachment's cache file.
 *
 * @example Cache path
 * ```ts
 * import assert from "node:assert/strict";
 * import { cacheFilePath } from "./cache.ts";
 * const p = cacheFilePath("/var/lib/cni", { networkName: "mynet", containerId: "c1", ifName: "eth0" });
 * assert.equal(p, "/var/lib/cni/results/mynet-c1-eth0");
 * ```
 *
 * @param cacheDir The cache directory (e.g. `DEFAULT_CACHE_DIR` of `defaults.ts`).
 * @param key Network name, container ID and interface name, all non-empty.
 * @returns `<cacheDir>/results/<net>-<cid>-<ifname>`.
 * @throws {CniError} Code 7 when a part is empty.
 */
export function cacheFilePath(cacheDir: string, key: AttachmentKey): string {
  if (!key.networkName || !key.containerId || !key.ifName) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `cache file path requires network name (${JSON.stringify(key.networkName)}), ` +
        `container ID (${JSON.stringify(key.containerId)}), and interface name (${
          JSON.stringify(key.ifName)
        })`,
    );
  }
  return join(cacheDir, "results", `${key.networkName}-${key.containerId}-${key.ifName}`);
}

/**
 * Builds the reference JSON text of a cache entry (compact, keys in libcni's order, map
 * contents sorted as Go writes them).
 *
 * @param entry What to store.
 * @returns One line of JSON, no trailing newline.
 */
export function formatCacheEntry(entry: CacheWrite): string {
  const json: CacheEntryJson = {
    kind: CACHE_KIND_V1,
    containerId: entry.containerId,
    config: entry.config.toBase64(),
    ifName: entry.ifName,
    networkName: entry.networkName,
  };
  if (entry.netns) json.netns = entry.netns;
  if (entry.cniArgs && entry.cniArgs.length > 0) {
    json.cniArgs = entry.cniArgs.map(([k, v]) => [k, v]);
  }
  if (entry.capabilityArgs && Object.keys(entry.capabilityArgs).length > 0) {
    // Go maps: keys sorted
    json.capabilityArgs = sortKeysDeep(entry.capabilityArgs) as Record<string, unknown>;
  }
  if (entry.result) json.result = sortKeysDeep(entry.result) as Record<string, unknown>;
  return goMarshal(json);
}

/**
 * Writes an attachment's cache entry (`results/` created 0700 when missing, file 0600,
 * overwriting): one write of the final bytes, as libcni's `os.WriteFile`, and nothing read back.
 *
 * @example Writing an entry
 * ```ts ignore
 * await writeCacheEntry("/var/lib/cni", {
 *   networkName: "mynet", containerId: "c1", ifName: "eth0",
 *   config: new TextEncoder().encode("{}"), result: { cniVersion: "1.1.0" },
 * });
 * ```
 *
 * @param cacheDir The cache directory.
 * @param entry The attachment and what to store.
 * @returns Resolves once written.
 * @throws {CniError} Code 7 for an incomplete key; file-system errors propagate.
 */
export async function writeCacheEntry(cacheDir: string, entry: CacheWrite): Promise<void> {
  const path = cacheFilePath(cacheDir, entry);
  const text = formatCacheEntry(entry);
  // Creating the file is the expensive part (an inode and a journal entry), so it stays
  // asynchronous: concurrent attachments keep running meanwhile. Created exclusively, so a
  // link planted under the name is never written through (libcni's `os.WriteFile` would).
  try {
    await writeNotThroughLink(path, text);
    return;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.mkdir(join(cacheDir, "results"), { recursive: true, mode: 0o700 });
  await writeNotThroughLink(path, text);
}

/**
 * Writes `text` to `path`: a new file (the usual case, one exclusive create), else over the
 * regular file there (`mode` is applied with fchmod, so no separate chmod); anything else
 * there (a link, a FIFO) is removed first, itself and not what it points at.
 */
async function writeNotThroughLink(path: string, text: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text, { mode: 0o600, createNew: true });
    return;
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
  if (Deno.lstatSync(path).isFile) {
    await Deno.writeTextFile(path, text, { mode: 0o600 });
    return;
  }
  Deno.removeSync(path);
  await Deno.writeTextFile(path, text, { mode: 0o600, createNew: true });
}

function readIfExists(path: string): Uint8Array | null {
  try {
    // A cache file is small: reading it synchronously costs less than a trip to the I/O pool.
    // Bounded, and regular files only: a FIFO or a device there is "no cached result".
    return readRegularFileSync(path, {
      maxBytes: MAX_CACHE_BYTES,
      what: "cache entry",
      noFollow: true, // the cache directory is the runtime's: a link there is not read through
    });
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) throw err;
    return null; // like libcni: an unreadable cache file means "no cached result"
  }
}

function decodeEntry(data: Uint8Array): CachedAttachment | null {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return null;
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) return null;
  const e = json as Partial<Record<keyof CacheEntryJson, unknown>>;
  if (e.kind !== CACHE_KIND_V1) return null;
  // Go decodes `config` into []byte: null or absent is empty, anything but valid base64 text
  // fails the whole entry.
  const config = e.config === undefined || e.config === null
    ? new Uint8Array()
    : typeof e.config === "string"
    ? decodeStdBase64(e.config)
    : undefined;
  if (config === undefined) return null;
  const out: CachedAttachment = {
    networkName: typeof e.networkName === "string" ? e.networkName : "",
    containerId: typeof e.containerId === "string" ? e.containerId : "",
    ifName: typeof e.ifName === "string" ? e.ifName : "",
    config,
    netns: typeof e.netns === "string" ? e.netns : "",
    cniArgs: Array.isArray(e.cniArgs)
      ? e.cniArgs.filter((p): p is [string, string] =>
        Array.isArray(p) && p.length === 2 && p.every((s) => typeof s === "string")
      )
      : [],
    capabilityArgs: e.capabilityArgs !== null && typeof e.capabilityArgs === "object" &&
        !Array.isArray(e.capabilityArgs)
      ? e.capabilityArgs as Record<string, unknown>
      : {},
  };
  if (e.result !== null && typeof e.result === "object" && !Array.isArray(e.result)) {
    out.result = e.result as Record<string, unknown>;
  }
  return out;
}

/**
 * Reads an attachment's cached ADD result. A missing or unreadable file gives `null`; a file
 * in the legacy format (a bare result) gives that result.
 *
 * @param cacheDir The cache directory.
 * @param key The attachment.
 * @returns The result object as stored (not converted), or `null`.
 * @throws {CniError} Code 6 when the file is not JSON or not an object.
 */
export function readCachedResult(
  cacheDir: string,
  key: AttachmentKey,
): Promise<Record<string, unknown> | null> {
  return settle(() => cachedResult(cacheDir, key));
}

/** Runs a synchronous body as a promise: its value resolves it, its exception rejects it. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

function cachedResult(cacheDir: string, key: AttachmentKey): Record<string, unknown> | null {
  const path = cacheFilePath(cacheDir, key);
  const data = readIfExists(path);
  if (data === null) return null;
  const entry = decodeEntry(data);
  if (entry) return entry.result ?? null;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(data));
  } catch (err) {
    throw new CniError(ErrorCode.DecodingFailure, `cannot parse cache file ${path}`, {
      details: errorText(err),
      cause: err,
    });
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new CniError(ErrorCode.DecodingFailure, `cannot parse cache file ${path}`, {
      details: "expected a JSON object",
    });
  }
  return json as Record<string, unknown>; // legacy: the file is the bare result
}

/**
 * Reads a whole `cniCacheV1` entry (config, args, result).
 *
 * @param cacheDir The cache directory.
 * @param key The attachment.
 * @returns The entry, or `null` when missing, unreadable, or not a `cniCacheV1` entry.
 */
export function readCacheEntry(
  cacheDir: string,
  key: AttachmentKey,
): Promise<CachedAttachment | null> {
  return settle(() => {
    const data = readIfExists(cacheFilePath(cacheDir, key));
    return data === null ? null : decodeEntry(data);
  });
}

/**
 * Removes an attachment's cache file; a missing file is not an error.
 *
 * @param cacheDir The cache directory.
 * @param key The attachment.
 * @returns Resolves once gone.
 */
export function deleteCacheEntry(cacheDir: string, key: AttachmentKey): Promise<void> {
  return settle(() => {
    try {
      Deno.removeSync(cacheFilePath(cacheDir, key)); // an unlink: cheaper than the I/O pool trip
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  });
}

/**
 * Lists the cached attachments, like libcni's `GetCachedAttachments`: file names sorted,
 * unreadable or non-`cniCacheV1` entries and entries without interface or network name
 * skipped.
 *
 * @example Valid attachments for GC
 * ```ts ignore
 * const live = await listCachedAttachments("/var/lib/cni");
 * const valid = live.map((a) => ({ containerID: a.containerId, ifname: a.ifName }));
 * ```
 *
 * @param cacheDir The cache directory.
 * @param options `containerId` keeps only that container's entries.
 * @returns The attachments; empty when there is no `results` directory.
 */
export async function listCachedAttachments(
  cacheDir: string,
  options: { containerId?: string } = {},
): Promise<CachedAttachment[]> {
  const dir = join(cacheDir, "results");
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  names.sort();
  const want = options.containerId;
  const out: CachedAttachment[] = [];
  for (const name of names) {
    if (want) {
      const at = name.indexOf(`-${want}-`);
      if (at <= 0 || at + want.length + 2 >= name.length) continue;
    }
    const data = readIfExists(join(dir, name));
    const entry = data && decodeEntry(data);
    if (!entry || !entry.ifName || !entry.networkName) continue;
    if (want && entry.containerId !== want) continue;
    out.push(entry);
  }
  return out;
}
