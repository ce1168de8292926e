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

/** The permissions the launchers run with (what `cnitool install` writes). */
export const LAUNCHER_PERMISSIONS = [
  "--allow-ffi",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
];

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
    ...LAUNCHER_PERMISSIONS,
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

/** Output of one exec'd plugin run. */
export interface ExecOut {
  /** Exit code. */
  code: number;
  /** Stdout. */
  stdout: string;
  /** Stderr. */
  stderr: string;
}

/** The `CNI_*` values of one call. */
export interface CniEnv {
  /** CNI_COMMAND. */
  command: string;
  /** CNI_CONTAINERID. */
  containerId?: string;
  /** CNI_NETNS. */
  netns?: string;
  /** CNI_IFNAME. */
  ifName?: string;
  /** CNI_ARGS. */
  args?: string;
  /** CNI_PATH. */
  path?: string;
  /** More variables. */
  extra?: Record<string, string>;
}

/**
 * Runs a plugin binary the way a runtime does: a clean environment (`PATH` plus the `CNI_*`
 * variables), the config on stdin.
 *
 * @param binary Absolute path of the plugin.
 * @param env The call.
 * @param stdin The config text.
 * @returns Exit code, stdout, stderr.
 */
export async function execPluginBinary(
  binary: string,
  env: CniEnv,
  stdin: string,
): Promise<ExecOut> {
  const child = new Deno.Command(binary, {
    clearEnv: true,
    env: {
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      CNI_COMMAND: env.command,
      CNI_CONTAINERID: env.containerId ?? "",
      CNI_NETNS: env.netns ?? "",
      CNI_IFNAME: env.ifName ?? "",
      CNI_ARGS: env.args ?? "",
      CNI_PATH: env.path ?? "",
      ...env.extra,
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin)).catch(() => {});
  await w.close().catch(() => {});
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
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
