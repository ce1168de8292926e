/**
 * The tuning backup file: the link attributes an ADD changed, with their values from before
 * the change, so that DEL can put them back. Same place and format as the reference, so
 * either implementation restores what the other saved: `<dataDir>/<containerID>_<ifname>.json`
 * (`dataDir` default `/run/cni/tuning`), mode 0600, Go's `json.MarshalIndent` with a
 * one-space indent and the fields in the reference's order (`mac`, `promisc`, `mtu`,
 * `allmulti`, `txQLen`), only those recorded.
 *
 * Beyond the reference: the file is replaced atomically (written beside, then renamed), and
 * the directory is created 0700 (the reference's 0600 directory is only usable by root).
 *
 * @module
 */
import { CniError, ErrorCode, errorText, toCniError } from "../../cni/errors.ts";
import { MAX_SMALL_FILE_BYTES, readRegularFileSync } from "../../cni/read_bounded.ts";

/** The reference's default backup directory. */
export const DEFAULT_DATA_DIR = "/run/cni/tuning";

/** Original link attributes, each present only when an ADD changed it. */
export interface Backup {
  /** Hardware address, `aa:bb:cc:dd:ee:ff`. */
  mac?: string;
  /** Promiscuous mode. */
  promisc?: boolean;
  /** MTU. */
  mtu?: number;
  /** All-multicast mode. */
  allmulti?: boolean;
  /** Transmit queue length. */
  txQLen?: number;
}

/**
 * The backup file of one attachment.
 *
 * @param dataDir The backup directory.
 * @param attachment `containerId` (`CNI_CONTAINERID`, already checked by the dispatcher: no
 *   `/`) and `ifName` (`CNI_IFNAME`, already checked: no `/`, not `.` or `..`).
 * @returns `<dataDir>/<containerID>_<ifname>.json`.
 */
export function backupPath(
  dataDir: string,
  attachment: { containerId: string; ifName: string },
): string {
  const { containerId, ifName } = attachment;
  const dir = dataDir.endsWith("/") ? dataDir.slice(0, -1) : dataDir;
  return `${dir}/${containerId}_${ifName}.json`;
}

/**
 * Prints a backup as the reference writes it.
 *
 * @example Golden text
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeBackup } from "./backup.ts";
 * assert.equal(
 *   encodeBackup({ mtu: 1500, mac: "66:79:35:a5:c2:a1", promisc: false }),
 *   '{\n "mac": "66:79:35:a5:c2:a1",\n "promisc": false,\n "mtu": 1500\n}',
 * );
 * ```
 *
 * @param b The recorded attributes.
 * @returns The file text (no trailing newline, like Go's).
 */
export function encodeBackup(b: Backup): string {
  const ordered: Backup = {};
  if (b.mac !== undefined && b.mac !== "") ordered.mac = b.mac;
  if (b.promisc !== undefined) ordered.promisc = b.promisc;
  if (b.mtu !== undefined && b.mtu !== 0) ordered.mtu = b.mtu;
  if (b.allmulti !== undefined) ordered.allmulti = b.allmulti;
  if (b.txQLen !== undefined) ordered.txQLen = b.txQLen;
  return JSON.stringify(ordered, null, " ");
}

function isUint(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

/**
 * Reads a backup's text; anything that does not decode as the reference's struct would
 * (not JSON, not an object, a field of the wrong type) is `undefined`.
 *
 * @param text The file text.
 * @returns The recorded attributes, or `undefined` when unreadable.
 */
export function decodeBackup(text: string): Backup | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const out: Backup = {};
  const { mac, promisc, mtu, allmulti, txQLen } = o;
  const absent = (x: unknown) => x === undefined || x === null;
  if (!absent(mac)) {
    if (typeof mac !== "string") return undefined;
    if (mac !== "") out.mac = mac;
  }
  if (!absent(promisc)) {
    if (typeof promisc !== "boolean") return undefined;
    out.promisc = promisc;
  }
  if (!absent(mtu)) {
    if (!isUint(mtu)) return undefined;
    if (mtu !== 0) out.mtu = mtu;
  }
  if (!absent(allmulti)) {
    if (typeof allmulti !== "boolean") return undefined;
    out.allmulti = allmulti;
  }
  if (!absent(txQLen)) {
    if (!isUint(txQLen)) return undefined;
    out.txQLen = txQLen;
  }
  return out;
}

/** What {@linkcode readBackup} found. */
export type BackupRead =
  | { kind: "none" }
  | { kind: "corrupt"; text: string }
  | { kind: "ok"; backup: Backup; text: string };

/**
 * Reads the backup file of an attachment.
 *
 * @param path The file.
 * @returns `none` when there is no file, `corrupt` when it does not decode, else the backup.
 * @throws {CniError} Code 5 when it exists but is not a readable regular file under 64 KiB.
 */
export function readBackup(path: string): BackupRead {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFileSync(path, {
      maxBytes: MAX_SMALL_FILE_BYTES,
      what: "tuning backup",
      noFollow: true, // our own data directory: a link planted there is not read through
    });
  } catch (err) {
    if (err instanceof CniError && err.cause instanceof Deno.errors.NotFound) {
      return { kind: "none" };
    }
    throw err;
  }
  const text = new TextDecoder().decode(bytes);
  const backup = decodeBackup(text);
  return backup ? { kind: "ok", backup, text } : { kind: "corrupt", text };
}

/**
 * Writes (atomically replaces) a backup file, creating its directory if needed.
 *
 * @param path The file.
 * @param text The text ({@linkcode encodeBackup}).
 * @throws {CniError} Code 999 `failed to create backup directory: ...` or `failed to save
 *   file <name>: ...`.
 */
export function writeBackup(path: string, text: string): void {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw toCniError(err, "failed to create backup directory");
  }
  const tmp = `${path}.tmp-${Deno.pid}`;
  try {
    // Created exclusively (never written through a link planted under the name); a leftover
    // of a killed run, or a link, is removed (the link itself, not its target) and the name
    // tried once more. The rename then replaces whatever `path` is, a link too, not its target.
    try {
      Deno.writeTextFileSync(tmp, text, { mode: 0o600, createNew: true });
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      Deno.removeSync(tmp);
      Deno.writeTextFileSync(tmp, text, { mode: 0o600, createNew: true });
    }
    Deno.renameSync(tmp, path);
  } catch (err) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // not created
    }
    throw new CniError(
      ErrorCode.Internal,
      `failed to save file ${path.slice(dir.length + 1)}: ${errorText(err)}`,
      { cause: err },
    );
  }
}

/**
 * Removes a backup file; a missing one is fine.
 *
 * @param path The file.
 * @throws {CniError} Code 999 `failed to remove file <path>: ...` for other failures.
 */
export function removeBackup(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw toCniError(err, `failed to remove file ${path}`);
  }
}
