/**
 * The lease directory as the disk store reads it: `<dataDir>/<network>` opened (never through
 * a link), one lease file, the directory's state for the index marker, a full scan, and the
 * errors of disk work.
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import { DirHandle, type FileRead, isErrno } from "./_dir.ts";
import { parseIp } from "../../ip/mod.ts";
import { LAST_IP_PREFIX, type Lease, MAX_LEASE_BYTES, parseLease } from "./store.ts";

const DECODER = new TextDecoder();

/** Lists a directory, as `Deno.readDirSync`. */
export type ReadDir = (path: string) => Iterable<Deno.DirEntry>;

/** What a full scan found: every lease, and the range IDs of `last_reserved_ip.*` files. */
export interface Scan {
  /** Every lease file (an oversized one as taken, with an empty owner). */
  leases: Lease[];
  /** The range IDs of the `last_reserved_ip.<rangeId>` files. */
  rangeIds: string[];
  /**
   * Lease files with nothing but white space in them (not in `leases`): under the lock nobody
   * is writing one, so each is a reservation whose write never finished (an ADD killed between
   * creating and writing it), free by the reserve rule (plugins#498).
   */
  unfinished: string[];
}

/**
 * A disk failure as a code 5 error naming the action (a `CniError` passes unchanged).
 *
 * @param action What was being done.
 * @param err What was thrown.
 * @returns The error.
 */
export function ioError(action: string, err: unknown): CniError {
  if (err instanceof CniError) return err;
  return new CniError(ErrorCode.IoFailure, action, { details: errorText(err), cause: err });
}

/**
 * Whether a write failed for lack of space (`ENOSPC`, `EDQUOT`).
 *
 * @param err What was thrown.
 * @returns `true` when the disk or quota is full.
 */
export function isNoSpace(err: unknown): boolean {
  return isErrno(err, "ENOSPC", "EDQUOT");
}

/**
 * Opens `<dataDir>/<network>`, creating it (0755) and `dataDir` when missing.
 *
 * @param dataDir The state root (may itself be a link).
 * @param path `<dataDir>/<network>`.
 * @returns The directory.
 * @throws {CniError} Code 5 when it cannot be opened or created, or is a link.
 */
export function openNetworkDir(dataDir: string, path: string): DirHandle {
  try {
    try {
      return DirHandle.open(path, 0o755);
    } catch (err) {
      if (!isErrno(err, "ENOENT")) throw err;
    }
    Deno.mkdirSync(dataDir, { recursive: true, mode: 0o755 }); // dataDir itself may be a link
    return DirHandle.open(path, 0o755);
  } catch (err) {
    const why = isErrno(err, "ENOTDIR")
      ? "not a directory (a symbolic link there is never followed)"
      : errorText(err);
    throw new CniError(ErrorCode.IoFailure, `failed to open data directory "${path}"`, {
      details: why,
      cause: err,
    });
  }
}

/**
 * Reads the lease file of `ip`.
 *
 * @param dir The lease directory.
 * @param ip The address (the file name).
 * @returns The lease, or what was found instead (missing, special, large).
 */
export function readLease(dir: DirHandle, ip: string): Lease | FileRead["kind"] {
  const r = dir.read(ip, MAX_LEASE_BYTES);
  if (r.kind !== "file") return r.kind;
  return parseLease(DECODER.decode(r.bytes), ip);
}

/**
 * The lease directory's `dev:ino:size:mtime:ctime`, as the index marker records it.
 *
 * @param dir The lease directory.
 * @returns The state.
 */
export function dirState(dir: DirHandle): string {
  const t = dir.stat();
  return `${t.dev}:${t.ino}:${t.size}:${t.mtimeNs}:${t.ctimeNs}`;
}

/**
 * Reads every lease of the directory: files named by an address (an oversized one counts as
 * taken, unread), and the range IDs of the `last_reserved_ip.*` files.
 *
 * @param dir The lease directory.
 * @param dirPath Its path.
 * @param readDir Lists it.
 * @returns The leases and range IDs.
 */
export function scanLeases(dir: DirHandle, dirPath: string, readDir: ReadDir): Scan {
  const leases: Lease[] = [];
  const rangeIds: string[] = [];
  const unfinished: string[] = [];
  for (const e of readDir(dirPath)) {
    if (e.name.startsWith(LAST_IP_PREFIX)) {
      rangeIds.push(e.name.slice(LAST_IP_PREFIX.length));
      continue;
    }
    if (!e.isFile || parseIp(e.name) === undefined) continue;
    const lease = readLease(dir, e.name);
    if (typeof lease !== "string") {
      if (lease.containerId === "") unfinished.push(e.name);
      else leases.push(lease);
    } else if (lease === "large") leases.push({ ip: e.name, containerId: "" }); // taken, unread
  }
  return { leases, rangeIds, unfinished };
}
