/**
 * `cnitool install`: puts `cnitool` and an entry for every built-in plugin (the names of
 * `BUILTIN_ABOUT` in plugins/mod.ts: `bridge`, `loopback`, `host-local`, ...) into a CNI binary
 * directory that any runtime can exec with a minimal environment.
 *
 * - From a compiled binary (`deno task compile`): the binary is copied to `DIR/denocni` and
 *   each name is a relative symlink to it (the program picks its personality from the name it
 *   was invoked under).
 * - From the bundle or the source tree: the bundle goes to `DIR/denocni.js`, the forwarder
 *   bundle (`cmd/forward_entry.ts`) to `DIR/denocni-forward.js`, and each name is a small
 *   `/bin/sh` launcher with absolute paths to Deno and the bundles, so neither `PATH` nor Node
 *   is needed at run time. A plugin launcher runs the forwarder when the `cnitool serve` socket
 *   exists (the daemon runs the call), else the whole program.
 * - The launchers' Deno cache (`DIR/denocni-cache`, or `denoDir`) is prepared here: the
 *   bundles' V8 code cache and module analysis are stored once, and the cache databases are
 *   left checkpointed with their WAL and index files in place, so that a plugin process only
 *   reads them, and reads them even when the directory is mounted read-only.
 *
 * An existing entry that is not ours is never replaced without `force`.
 *
 * @module
 */
import { dirname, join, resolve } from "../cni/_path.ts";
import { CniError } from "../cni/errors.ts";
import { readRegularFileSync } from "../cni/read_bounded.ts";
import { BUILTIN_ABOUT } from "../plugins/mod.ts";
import { formatVersionInfo } from "../cni/skel_output.ts";
import { prepareDenoCache } from "./deno_cache.ts";
import { lstatOrNull } from "./_lstat.ts";
import { DEFAULT_SOCKET, SOCKET_ENV } from "./serve_protocol.ts";

/**
 * The names installed, one per personality: `cnitool` and every built-in plugin (taken from
 * the registry, so a new plugin needs no edit here).
 */
export const INSTALLED_NAMES: readonly string[] = ["cnitool", ...Object.keys(BUILTIN_ABOUT)];

/** Marker line that identifies our launchers. */
export const LAUNCHER_MARKER = "# denocni launcher";

/** File name of the program bundle in the target directory. */
export const BUNDLE_NAME = "denocni.js";
/** File name of the forwarder bundle in the target directory. */
export const FORWARDER_NAME = "denocni-forward.js";
/** Directory name of the launchers' prepared Deno cache in the target directory. */
export const CACHE_NAME = "denocni-cache";

/** The flags every bundle is built with (also the `bundle` task's). */
export const BUNDLE_FLAGS: readonly string[] = [
  "--quiet",
  "--platform=deno",
  "--minify",
  "--keep-names",
];

/** Permissions the plugins run with: exactly what they need, never `-A`. */
export const RUN_PERMISSIONS: readonly string[] = [
  "--allow-ffi",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
];

/**
 * V8 flags the launchers (and the cache preparation) pass: `--no-lazy` compiles every function
 * of a bundle when it loads, so the code cache `cnitool install` prepares holds all of them and
 * a plugin process compiles nothing at run time. Measured per exec'd call without the daemon:
 * bridge ADD 44 ms instead of 59, bridge DEL 57 instead of 63, loopback ADD 36 instead of 43;
 * the price is ~1.5 MiB more peak RSS, a 1.9 MB code cache instead of 0.6 MB, and ~2 ms more for
 * the about text and `cnitool` itself. VERSION, which pays it most, is answered by the launcher
 * without Deno. `--min-semi-space-size=16` (MiB) starts V8's young generation large enough for
 * a whole plugin call, so the call runs no scavenge: ADDs 1–2 ms faster, peak RSS ~0.6 MiB lower
 * (alternating A/B runs of the exec'd seed calls). A code cache is only valid for the V8 flags
 * it was made with, so every launcher passes the same ones.
 */
export const RUN_V8_FLAGS: readonly string[] = ["--v8-flags=--no-lazy,--min-semi-space-size=16"];

/** Every flag a launcher gives `deno run` after its fixed ones: permissions, then V8 flags. */
export const RUN_FLAGS: readonly string[] = [...RUN_PERMISSIONS, ...RUN_V8_FLAGS];

/** Options for {@linkcode installPlugins}. */
export interface InstallOptions {
  /** Target directory (default `/opt/cni/bin`). */
  dir?: string;
  /** Replace entries that are not ours. */
  force?: boolean;
  /** Deno binary the launchers run (default: the running one). */
  deno?: string;
  /** A ready bundle to install instead of building one (default: ours, or `deno bundle`). */
  bundle?: string;
  /** Treat the running program as a compiled binary (default: `Deno.build.standalone`). */
  standalone?: boolean;
  /** The launchers' Deno cache directory (default: `DIR/denocni-cache`). */
  denoDir?: string;
}

/** What was installed. */
export interface InstallReport {
  /** The target directory. */
  dir: string;
  /** `"binary"` (symlinks to a copied executable) or `"bundle"` (launchers). */
  mode: "binary" | "bundle";
  /** Entries written, absolute paths. */
  entries: string[];
  /** The launchers' prepared Deno cache (bundle mode). */
  denoDir?: string;
}

/**
 * Tells whether an existing entry was made by us (a symlink to `denocni` or our launcher).
 *
 * @param path Entry path.
 * @returns True when it is ours or absent.
 */
export function isOurs(path: string): boolean {
  const info = lstatOrNull(path);
  if (info === null) return true;
  if (info.isSymlink) return Deno.readLinkSync(path) === "denocni";
  if (!info.isFile) return false;
  try {
    // Our launcher is a few hundred bytes: anything larger (a plugin binary) is not ours.
    const text = readRegularFileSync(path, { maxBytes: 4096, what: "plugin" });
    return new TextDecoder().decode(text).includes(LAUNCHER_MARKER);
  } catch (err) {
    if (err instanceof CniError) return false;
    throw err;
  }
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Paths a launcher script names. */
export interface LauncherPaths {
  /** Absolute path of the Deno binary. */
  deno: string;
  /** Absolute path of the program bundle. */
  bundle: string;
  /** Absolute path of the forwarder bundle; without it, the launcher never forwards. */
  forwarder?: string;
  /** The Deno cache directory the launcher runs with. */
  denoDir: string;
}

/**
 * The text of one launcher script. A plugin launcher answers VERSION itself: the answer
 * depends on nothing but the plugin (skel reads neither stdin nor any other variable for it),
 * so it is the bundle's own `formatVersionInfo` text, written here, and a runtime's VERSION
 * call costs a shell instead of a Deno start. Otherwise it runs the forwarder bundle when the
 * `cnitool serve` socket exists (`DENOCNI_SOCKET`, default `/run/denocni/denocni.sock`): a
 * shell test, so a node without the daemon pays nothing for it.
 *
 * The runtime gets the permissions and {@linkcode RUN_V8_FLAGS}, nothing else: `--no-npm`,
 * `--no-remote`, `--cached-only`, `DENO_NO_PACKAGE_JSON` and V8 heap or GC flags measured no
 * faster on an ADD/DEL; `--v8-flags=--single-threaded` is slower.
 *
 * @param name Personality (`bridge`, ...).
 * @param paths Deno, the bundles and the cache directory.
 * @returns The script.
 */
export function launcherScript(name: string, paths: LauncherPaths): string {
  const run = (file: string) =>
    `exec ${shellQuote(paths.deno)} run --quiet --no-config --no-lock --no-prompt ${
      RUN_FLAGS.join(" ")
    } ${shellQuote(file)} "$@"`;
  const lines = [
    "#!/bin/sh",
    `${LAUNCHER_MARKER}: runs the denocni bundle as "${name}" (written by cnitool install).`,
    `DENOCNI_PERSONALITY=${name}`,
    "DENO_NO_UPDATE_CHECK=1",
    `DENO_DIR=${shellQuote(paths.denoDir)}`,
    "export DENOCNI_PERSONALITY DENO_NO_UPDATE_CHECK DENO_DIR",
  ];
  const about = BUILTIN_ABOUT[name];
  if (about) {
    // The answer is printf's argument, not its format: no character of it is interpreted.
    const answer = formatVersionInfo(about.supportedVersions).replace(/\n$/, "");
    lines.push(
      'if [ "${CNI_COMMAND-}" = VERSION ]; then',
      `  printf '%s\\n' ${shellQuote(answer)}`,
      "  exit 0",
      "fi",
    );
  }
  if (paths.forwarder && name !== "cnitool") {
    lines.push(
      `if [ -S "\${${SOCKET_ENV}:-${DEFAULT_SOCKET}}" ]; then`,
      `  ${run(paths.forwarder)}`,
      "fi",
    );
  }
  lines.push(run(paths.bundle), "");
  return lines.join("\n");
}

async function buildBundle(target: string, entry: URL): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", ...BUNDLE_FLAGS, `--output=${target}`, entry.pathname],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new CniError(999, "cannot build the bundle", {
      details: new TextDecoder().decode(out.stderr).trim(),
    });
  }
}

/**
 * Writes the program bundle and, when one is at hand, the forwarder bundle into `dir`: copies
 * of the given bundle (and the forwarder beside it), of the running bundle (and its
 * neighbour), or both built from the source tree.
 */
async function placeBundles(
  dir: string,
  given: string | undefined,
): Promise<{ bundle: string; forwarder?: string }> {
  const main = Deno.mainModule;
  const source = given ??
    (main.startsWith("file:") && main.endsWith(".js") ? new URL(main).pathname : undefined);
  const bundle = join(dir, BUNDLE_NAME);
  const forwarder = join(dir, FORWARDER_NAME);
  const place = async (target: string, make: (tmp: string) => Promise<void> | void) => {
    const tmp = `${target}.tmp-${crypto.randomUUID().slice(0, 8)}`;
    try {
      await make(tmp);
      Deno.renameSync(tmp, target);
    } finally {
      if (lstatOrNull(tmp)) Deno.removeSync(tmp);
    }
  };
  if (source === undefined) {
    await place(bundle, (tmp) => buildBundle(tmp, new URL("../cli.ts", import.meta.url)));
    await place(
      forwarder,
      (tmp) => buildBundle(tmp, new URL("./forward_entry.ts", import.meta.url)),
    );
    return { bundle, forwarder };
  }
  const sibling = join(dirname(resolve(source)), FORWARDER_NAME);
  if (resolve(source) !== bundle) await place(bundle, (tmp) => Deno.copyFileSync(source, tmp));
  if (lstatOrNull(sibling)?.isFile) {
    if (sibling !== forwarder) await place(forwarder, (tmp) => Deno.copyFileSync(sibling, tmp));
    return { bundle, forwarder };
  }
  if (lstatOrNull(forwarder)) Deno.removeSync(forwarder); // an old one would not match
  return { bundle };
}

/**
 * Installs the plugin entries into a directory.
 *
 * @param options Target directory, force, paths.
 * @returns What was written.
 * @throws {CniError} Code 999 when an entry belongs to someone else (without `force`), or the
 *   directory cannot be written.
 */
export async function installPlugins(options: InstallOptions = {}): Promise<InstallReport> {
  const dir = resolve(options.dir ?? "/opt/cni/bin");
  const standalone = options.standalone ?? Deno.build.standalone;
  const foreign = INSTALLED_NAMES.map((n) => join(dir, n)).filter((p) => !isOurs(p));
  if (foreign.length > 0 && !options.force) {
    throw new CniError(
      999,
      `refusing to replace files that are not denocni's: ${
        foreign.join(", ")
      } (pass --force to replace them)`,
    );
  }
  Deno.mkdirSync(dir, { recursive: true });
  const entries: string[] = [];
  if (standalone) {
    const binary = join(dir, "denocni");
    if (resolve(Deno.execPath()) !== binary) {
      const tmp = `${binary}.tmp-${crypto.randomUUID().slice(0, 8)}`;
      Deno.copyFileSync(Deno.execPath(), tmp);
      Deno.chmodSync(tmp, 0o755);
      Deno.renameSync(tmp, binary);
    }
    entries.push(binary);
    for (const name of INSTALLED_NAMES) {
      const path = join(dir, name);
      if (lstatOrNull(path)) Deno.removeSync(path);
      Deno.symlinkSync("denocni", path);
      entries.push(path);
    }
    return { dir, mode: "binary", entries };
  }
  const { bundle, forwarder } = await placeBundles(dir, options.bundle);
  entries.push(bundle);
  if (forwarder) entries.push(forwarder);
  const deno = resolve(options.deno ?? Deno.execPath());
  const denoDir = resolve(options.denoDir ?? join(dir, CACHE_NAME));
  const paths: LauncherPaths = { deno, bundle, denoDir, ...(forwarder && { forwarder }) };
  for (const name of INSTALLED_NAMES) {
    const path = join(dir, name);
    if (lstatOrNull(path)) Deno.removeSync(path);
    Deno.writeTextFileSync(path, launcherScript(name, paths), { mode: 0o755 });
    Deno.chmodSync(path, 0o755);
    entries.push(path);
  }
  await prepareDenoCache({ ...paths, flags: RUN_FLAGS });
  return { dir, mode: "bundle", entries, denoDir };
}
