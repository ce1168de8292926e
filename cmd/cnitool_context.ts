/**
 * What every cnitool command gets and shares: the sinks and flags, the command shape, usage
 * errors, the settings from flags and environment (configuration directory, invoker, cache
 * directory), the network named on the command line, and the attachment (container ID
 * derived from the netns path as the reference does, interface, `CNI_ARGS`, `CAP_ARGS`).
 *
 * @module
 */
import { resolve } from "../cni/_path.ts";
import { hashWithPrefix } from "../cni/sha512.ts";
import { parseCapArgs, parseCniArgs } from "../cni/args.ts";
import {
  DEFAULT_CACHE_DIR,
  DEFAULT_CNI_PATH,
  DEFAULT_IFNAME,
  DEFAULT_NETCONFPATH,
} from "../cni/defaults.ts";
import type { NetworkConfigList } from "../cni/conf.ts";
import { loadConfList } from "../cni/conf_files.ts";
import { CniError, ErrorCode } from "../cni/errors.ts";
import { splitCniPath } from "../cni/find.ts";
import type { Invoker } from "../cni/invoke.ts";
import { parseBuiltinsMode, selectInvoker } from "../cni/invoke_builtin.ts";
import type { PluginRegistry } from "../cni/plugin.ts";
import type { RuntimeConf } from "../cni/types.ts";

/** Where a handler writes, and what it reads. */
export interface CnitoolIo {
  /** Environment variables (`NETCONFPATH`, `CNI_PATH`, ...). */
  env: Readonly<Record<string, string | undefined>>;
  /** Writes to stdout. */
  stdout: (text: string) => void;
  /** Writes to stderr. */
  stderr: (text: string) => void;
  /** Working directory for relative netns paths (default `Deno.cwd()`). */
  cwd?: string;
  /** Built-in plugins (for `--builtins`). */
  registry: PluginRegistry;
}

/** Parsed global flags. */
export interface Flags {
  ifname?: string | undefined;
  builtins?: string | undefined;
  timeout?: string | undefined;
  "cache-dir"?: string | undefined;
  verbose?: boolean | undefined;
  help?: boolean | undefined;
  all?: boolean | undefined;
  dir?: string | undefined;
  force?: boolean | undefined;
  deno?: string | undefined;
  bundle?: string | undefined;
  socket?: string | undefined;
  "netconf-dir"?: string | undefined;
  network?: string[] | undefined;
  "default-network"?: boolean | undefined;
}

/** What a command handler gets. */
export interface Ctx {
  io: CnitoolIo;
  flags: Flags;
  positionals: string[];
}

/** One cnitool command. */
export interface CommandSpec {
  /** `cnitool <usage>`. */
  usage: string;
  /** One line. */
  summary: string;
  /** Required positional arguments. */
  minArgs: number;
  /** Maximum positional arguments. */
  maxArgs: number;
  /** The handler; returns the exit code. */
  run(ctx: Ctx): Promise<number>;
}

/** A usage error: exit 2 with help. */
export class UsageError extends Error {
  /**
   * @param message What is wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The cnitool container ID of a netns path: `cnitool-` and the hex of the first 10 bytes of
 * its SHA-512, as the reference derives it.
 *
 * @example Container ID
 * ```ts
 * import assert from "node:assert/strict";
 * import { cnitoolContainerId } from "./cnitool_context.ts";
 * assert.match(await cnitoolContainerId("/var/run/netns/test"), /^cnitool-[0-9a-f]{20}$/);
 * ```
 *
 * @param netnsPath The absolute netns path.
 * @returns `cnitool-` + 20 hex digits.
 */
export function cnitoolContainerId(netnsPath: string): Promise<string> {
  return hashWithPrefix(28, "cnitool-", netnsPath);
}

/**
 * Parses a timeout: `500ms`, `2s`, `1m` or a bare number of seconds; `0` means none.
 *
 * @param text The value.
 * @returns Milliseconds.
 * @throws {UsageError} When it does not parse.
 */
function parseTimeout(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) {
    throw new UsageError(`invalid timeout ${JSON.stringify(text)}: expected e.g. 500ms, 10s, 2m`);
  }
  const n = Number(m[1]);
  return Math.round(m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000);
}

/** The settings of a command: configuration directory, plugin search path, invoker, cache. */
export interface Settings {
  confDir: string;
  cniPath: string[];
  invoker: Invoker;
  cacheDir: string;
}

/**
 * The settings of a command from its flags and environment.
 *
 * @param ctx The command's context.
 * @returns The configuration directory, plugin search path, invoker and cache directory.
 * @throws {UsageError} For a bad `--builtins` or `--timeout`.
 */
export function settings(ctx: Ctx): Settings {
  const env = ctx.io.env;
  const confDir = env.NETCONFPATH || DEFAULT_NETCONFPATH;
  const cniPath = splitCniPath(env.CNI_PATH || DEFAULT_CNI_PATH);
  let mode;
  try {
    mode = parseBuiltinsMode(ctx.flags.builtins ?? env.CNI_BUILTINS);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const timeoutText = ctx.flags.timeout ?? env.CNI_TIMEOUT ?? "";
  const timeoutMs = timeoutText === "" ? 0 : parseTimeout(timeoutText);
  const cacheDir = ctx.flags["cache-dir"] ?? (env.CNI_CACHE_DIR || DEFAULT_CACHE_DIR);
  const pluginEnv = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const invoker: Invoker = selectInvoker({
    mode,
    registry: ctx.io.registry,
    cniPath,
    env: pluginEnv,
    stderr: ctx.io.stderr,
    // Built-ins run in-process print their warnings as an exec'd plugin would: on stderr.
    log: (line: string) => ctx.io.stderr(`${line}\n`),
    ...(timeoutMs > 0 && { timeoutMs }),
  });
  return { confDir, cniPath, invoker, cacheDir };
}

/**
 * The network named by the first argument.
 *
 * @param ctx The command's context.
 * @param confDir The configuration directory.
 * @returns The list.
 */
export function loadList(ctx: Ctx, confDir: string): NetworkConfigList {
  return loadConfList(confDir, ctx.positionals[0]!);
}

/** A command about the network named by its first argument: its handler gets the list too. */
export interface NetworkCommandSpec extends Omit<CommandSpec, "run"> {
  /** The handler, given the command's settings and the named network; returns the exit code. */
  run(ctx: Ctx, s: Settings, list: NetworkConfigList): Promise<number>;
}

/**
 * A command about one named network: reads the settings and loads the network before its
 * handler runs.
 *
 * @param spec Usage, summary, arity and the handler.
 * @returns The command.
 */
export function networkCommand(spec: NetworkCommandSpec): CommandSpec {
  const { run, ...rest } = spec;
  return {
    ...rest,
    run(ctx) {
      const s = settings(ctx);
      return run(ctx, s, loadList(ctx, s.confDir));
    },
  };
}

/**
 * `CNI_ARGS` and `CAP_ARGS` from the environment, parsed.
 *
 * @param ctx The command's context.
 * @returns Those given.
 * @throws {CniError} Code 4 for a bad `CNI_ARGS`.
 */
export function runtimeArgs(ctx: Ctx): {
  args?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
} {
  const env = ctx.io.env;
  let args: [string, string][];
  try {
    args = parseCniArgs(env.CNI_ARGS ?? "");
  } catch (err) {
    throw new CniError(ErrorCode.InvalidEnvironmentVariables, (err as Error).message);
  }
  const capabilityArgs = env.CAP_ARGS ? parseCapArgs(env.CAP_ARGS) : {};
  return {
    ...(args.length > 0 && { args }),
    ...(Object.keys(capabilityArgs).length > 0 && { capabilityArgs }),
  };
}

/**
 * The attachment of the command: container ID from the netns path (second argument),
 * interface, `CNI_ARGS`, `CAP_ARGS`.
 *
 * @param ctx The command's context.
 * @returns The runtime config.
 */
export async function runtimeOf(ctx: Ctx): Promise<RuntimeConf> {
  const netns = resolve(ctx.io.cwd ?? Deno.cwd(), ctx.positionals[1]!);
  const ifName = ctx.flags.ifname || ctx.io.env.CNI_IFNAME || DEFAULT_IFNAME;
  const rt = runtimeArgs(ctx);
  return { containerId: await cnitoolContainerId(netns), netns, ifName, ...rt };
}
