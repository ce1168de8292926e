/**
 * The launchers' Deno cache, prepared by `cnitool install` so that plugin processes only read
 * it.
 *
 * Deno keeps three SQLite databases in `DENO_DIR` that a `deno run` of a bundle uses: the V8
 * code cache (the compiled top level of the bundle: without it, every start compiles it again,
 * about 6 ms for ours), the module analysis (the bundle's imports, found by parsing it: about
 * 5 ms), and the CommonJS analysis (unused here, opened anyway). A process that finds its
 * entries stores nothing; one that does not stores them (about 360 KB with the WAL and index
 * files), which is what every exec'd plugin did on a fresh or foreign `DENO_DIR`.
 *
 * Here the bundles are run (a plugin's VERSION, which compiles the program's whole top level,
 * `cnitool`, and the forwarder) until the databases hold its entries and SQLite's own bookkeeping has settled, then each database is
 * checkpointed (everything in the main file) and left with an empty WAL and a zeroed index
 * file: what SQLite needs to open a WAL database on a read-only filesystem. A plugin process
 * then reads the cache and writes nothing to it when the directory is read-only; when it is
 * writable, SQLite still resets its shared-memory index on open (24 bytes over three files per
 * process) and may remove the WAL and index files at exit, nothing else, unless another process
 * (the `cnitool serve` of the same install) has the databases open.
 *
 * @module
 */
import { join } from "../cni/_path.ts";
import { CniError } from "../cni/errors.ts";

/** The Deno cache databases a plugin process opens. */
export const CACHE_DATABASES: readonly string[] = [
  "dep_analysis_cache_v2",
  "node_analysis_cache_v2",
  "v8_code_cache_v2",
];

/** Size of a fresh SQLite WAL index (`-shm`) file: what SQLite itself creates. */
const SHM_BYTES = 32 * 1024;

/** What {@linkcode prepareDenoCache} runs. */
export interface DenoCachePaths {
  /** Absolute path of the Deno binary. */
  deno: string;
  /** The program bundle. */
  bundle: string;
  /** The forwarder bundle, when installed. */
  forwarder?: string;
  /** The cache directory. */
  denoDir: string;
  /** The flags the launchers pass to `deno run`: permissions and V8 flags (a code cache is
   * only valid for the V8 flags it was made with). */
  flags: readonly string[];
}

async function run(
  paths: DenoCachePaths,
  env: Record<string, string>,
  args: string[] = [],
  file = paths.bundle,
) {
  const out = await new Deno.Command(paths.deno, {
    args: [
      "run",
      "--quiet",
      "--no-config",
      "--no-lock",
      "--no-prompt",
      ...paths.flags,
      file,
      ...args,
    ],
    env: {
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      DENO_DIR: paths.denoDir,
      DENO_NO_UPDATE_CHECK: "1",
      ...env,
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new CniError(999, `cannot prepare the Deno cache in ${paths.denoDir}`, {
      details: new TextDecoder().decode(out.stderr).trim(),
    });
  }
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Checkpoints one cache database and leaves its WAL (empty) and index (zeroed) files in
 * place, unless another process still has it open (then SQLite keeps them itself).
 *
 * @param path The database file.
 */
async function settle(path: string): Promise<void> {
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
  if (!exists(`${path}-wal`)) Deno.writeFileSync(`${path}-wal`, new Uint8Array(), { mode: 0o644 });
  if (!exists(`${path}-shm`)) {
    Deno.writeFileSync(`${path}-shm`, new Uint8Array(SHM_BYTES), { mode: 0o644 });
  }
}

/**
 * Stores the bundles' entries in the launchers' Deno cache and leaves it readable by plugin
 * processes without writing (see the module doc).
 *
 * @param paths Deno, the bundles and the cache directory.
 * @throws {CniError} Code 999 when a bundle does not run.
 */
export async function prepareDenoCache(paths: DenoCachePaths): Promise<void> {
  Deno.mkdirSync(paths.denoDir, { recursive: true });
  // Twice: SQLite's first open of a new database also writes its statistics. A plugin's
  // VERSION compiles the bundle's top level; `cnitool version` also loads the parts of Deno's
  // runtime that cnitool uses and the snapshot lacks (their code is cached too).
  for (let i = 0; i < 2; i++) {
    await run(paths, { DENOCNI_PERSONALITY: "loopback", CNI_COMMAND: "VERSION" });
    await run(paths, { DENOCNI_PERSONALITY: "cnitool" }, ["version"]);
    if (paths.forwarder) {
      // No daemon at this socket: the forwarder runs the call through the program bundle.
      const env = { CNI_COMMAND: "VERSION", DENOCNI_PERSONALITY: "loopback" };
      await run(
        paths,
        { ...env, DENOCNI_SOCKET: join(paths.denoDir, "none.sock") },
        [],
        paths.forwarder,
      );
    }
  }
  for (const name of CACHE_DATABASES) {
    const path = join(paths.denoDir, name);
    if (exists(path)) await settle(path);
  }
}
