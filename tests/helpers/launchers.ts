/**
 * The exec'd plugin path as a runtime meets it: `cnitool install` run from the current source
 * (which bundles it with `deno bundle`) into a throwaway directory, so `cnitool` and every
 * built-in plugin (`bridge`, `loopback`, `host-local`, `portmap`, ...) are `/bin/sh` launchers
 * running the bundle with the explicit permissions of the product (`--allow-ffi --allow-read
 * --allow-write --allow-env --allow-run`, never `-A`). Built once per test process, removed when it exits.
 *
 * @module
 */
import { CniError } from "../../cni/errors.ts";
import { formatErrorJson } from "../../cni/skel_output.ts";
import { REPO } from "./sandbox.ts";
import { RUN_PERMISSIONS } from "../../cmd/install_plugins.ts";

let built: Promise<string> | undefined;
let root: string | undefined;

globalThis.addEventListener("unload", () => {
  if (root) {
    try {
      Deno.removeSync(root, { recursive: true });
    } catch {
      // already gone
    }
  }
});

async function deno(args: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  }).output();
  if (!out.success) {
    const dec = new TextDecoder();
    throw new Error(
      `deno ${args.join(" ")} failed: ${dec.decode(out.stdout)}${dec.decode(out.stderr)}`,
    );
  }
}

async function build(): Promise<string> {
  root = await Deno.makeTempDir({ prefix: "denocni-launchers-" });
  const dir = `${root}/bin`;
  // Bundled and installed by the product itself (`cnitool install` from the source tree runs
  // `deno bundle`), with the product's permissions.
  await deno([
    "run",
    "--quiet",
    ...RUN_PERMISSIONS,
    `${REPO}/cli.ts`,
    "install",
    "--dir",
    dir,
  ]);
  return dir;
}

/**
 * The directory holding the `cnitool` and built-in plugin launchers of the
 * current source, built on first call.
 *
 * @returns Absolute directory path.
 */
export function launcherDir(): Promise<string> {
  built ??= build();
  return built;
}

/**
 * The error JSON a plugin prints for `err`, for comparing an in-process failure with an
 * exec'd one.
 *
 * @param err A thrown value (a CniError from an invoker).
 * @returns The JSON object.
 */
export function errorObject(err: unknown): Record<string, unknown> {
  if (!(err instanceof CniError)) throw err;
  return JSON.parse(formatErrorJson(err));
}
