/**
 * `cnitool install`: puts `cnitool` and an entry for every built-in plugin (the names of
 * `BUILTIN_ABOUT` in plugins/mod.ts: `bridge`, `loopback`, `host-local`, ...) into a CNI binary
 * directory that any runtime can exec with a minimal environment.
 *
 * - From a compiled binary (`deno task compile`): the binary is copied to `DIR/denocni` and
 *   each name is a relative symlink to it (the program picks its personality from the name it
 *   was invoked under).
 * - From the bundle or the source tree: the bundle goes to `DIR/denocni.js` and each name is a
 *   small `/bin/sh` launcher with absolute paths to Deno and the bundle, so neither `PATH` nor
 *   Node is needed at run time.
 *
 * An existing entry that is not ours is never replaced without `force`.
 *
 * @module
 */
import { dirname, join, resolve } from "../cni/_path.ts";
import { CniError } from "../cni/errors.ts";
import { readRegularFileSync } from "../cni/read_bounded.ts";
import { BUILTIN_ABOUT } from "../plugins/mod.ts";

/**
 * The names installed, one per personality: `cnitool` and every built-in plugin (taken from
 * the registry, so a new plugin needs no edit here).
 */
export const INSTALLED_NAMES: readonly string[] = ["cnitool", ...Object.keys(BUILTIN_ABOUT)];

/** Marker line that identifies our launchers. */
export const LAUNCHER_MARKER = "# denocni launcher";

/** Permissions the plugins run with: exactly what they need, never `-A`. */
export const RUN_PERMISSIONS: readonly string[] = [
  "--allow-ffi",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
];

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
}

/** What was installed. */
export interface InstallReport {
  /** The target directory. */
  dir: string;
  /** `"binary"` (symlinks to a copied executable) or `"bundle"` (launchers). */
  mode: "binary" | "bundle";
  /** Entries written, absolute paths. */
  entries: string[];
}

function lstatOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
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

/**
 * The text of one launcher script.
 *
 * The runtime gets no flags beyond the permissions: `--no-npm`, `--no-remote`,
 * `--cached-only`, `DENO_NO_PACKAGE_JSON` and V8 heap or GC flags measured no faster on a
 * VERSION or an ADD/DEL; `--v8-flags=--single-threaded` is slower. `--v8-flags=--no-lazy`
 * puts every function of the bundle into the code cache (ADD/DEL about 10% less CPU) but makes
 * VERSION slower and every run much slower when `DENO_DIR` cannot be written, so it is left
 * out.
 *
 * @param name Personality (`bridge`, ...).
 * @param deno Absolute path of the Deno binary.
 * @param bundle Absolute path of the bundle.
 * @returns The script.
 */
export function launcherScript(name: string, deno: string, bundle: string): string {
  return [
    "#!/bin/sh",
    `${LAUNCHER_MARKER}: runs the denocni bundle as "${name}" (written by cnitool install).`,
    `DENOCNI_PERSONALITY=${name}`,
    "DENO_NO_UPDATE_CHECK=1",
    'DENO_DIR="${DENO_DIR:-/var/cache/denocni}"',
    "export DENOCNI_PERSONALITY DENO_NO_UPDATE_CHECK DENO_DIR",
    `exec ${shellQuote(deno)} run --quiet --no-config --no-lock --no-prompt ${
      RUN_PERMISSIONS.join(" ")
    } ${shellQuote(bundle)} "$@"`,
    "",
  ].join("\n");
}

async function buildBundle(target: string): Promise<void> {
  const main = Deno.mainModule;
  if (main.startsWith("file:") && main.endsWith(".js")) {
    Deno.copyFileSync(new URL(main), target);
    return;
  }
  const cli = new URL("../cli.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform=deno",
      "--minify",
      "--keep-names",
      `--output=${target}`,
      cli.pathname,
    ],
    cwd: dirname(cli.pathname),
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
  const bundle = join(dir, "denocni.js");
  const tmpBundle = `${bundle}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    if (options.bundle) Deno.copyFileSync(options.bundle, tmpBundle);
    else await buildBundle(tmpBundle);
    Deno.renameSync(tmpBundle, bundle);
  } finally {
    if (lstatOrNull(tmpBundle)) Deno.removeSync(tmpBundle);
  }
  entries.push(bundle);
  const deno = resolve(options.deno ?? Deno.execPath());
  for (const name of INSTALLED_NAMES) {
    const path = join(dir, name);
    if (lstatOrNull(path)) Deno.removeSync(path);
    Deno.writeTextFileSync(path, launcherScript(name, deno, bundle), { mode: 0o755 });
    Deno.chmodSync(path, 0o755);
    entries.push(path);
  }
  return { dir, mode: "bundle", entries };
}
