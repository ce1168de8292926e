/**
 * `cnitool`: run a network configuration against a network namespace, like the reference
 * `cnitool` (`add|check|del|gc|status <network> <netns>`), plus `version`, `list` and
 * `validate`. Handlers write through the given sinks and return exit codes; only `cli.ts`
 * touches the process.
 *
 * @module
 */
import { sha512Hex } from "../cni/_sha512.ts";
import { resolve } from "../cni/_path.ts";
import { parseCapArgs, parseCniArgs } from "../cni/args.ts";
import { listCachedAttachments } from "../cni/cache.ts";
import {
  DEFAULT_CACHE_DIR,
  DEFAULT_CNI_PATH,
  DEFAULT_IFNAME,
  DEFAULT_NETCONFPATH,
} from "../cni/defaults.ts";
import { listNetworks, loadConfList, type NetworkConfigList } from "../cni/conf.ts";
import { CniError, ErrorCode, errorText } from "../cni/errors.ts";
import { splitCniPath } from "../cni/find.ts";
import { type Invoker, parseBuiltinsMode, selectInvoker } from "../cni/invoke.ts";
import {
  addNetworkList,
  checkNetworkList,
  delNetworkList,
  gcNetworkList,
  getStatusNetworkList,
  validateNetworkList,
} from "../cni/libcni.ts";
import type { PluginRegistry } from "../cni/plugin.ts";
import { CURRENT_VERSION, SUPPORTED_VERSIONS } from "../cni/types.ts";
import { goMarshal } from "../cni/_json.ts";
import { versionGte } from "../cni/version.ts";
import { BUILTIN_ABOUT } from "../plugins/mod.ts";
import { defaultNetworkText } from "./default_network.ts";
import { requirePrivileges } from "./privileges.ts";

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
interface Flags {
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
interface Ctx {
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
class UsageError extends Error {
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
 * import { cnitoolContainerId } from "./cnitool.ts";
 * console.log(cnitoolContainerId("/var/run/netns/test").length); // 28
 * ```
 *
 * @param netnsPath The absolute netns path.
 * @returns `cnitool-` + 20 hex digits.
 */
export function cnitoolContainerId(netnsPath: string): string {
  return `cnitool-${sha512Hex(netnsPath).slice(0, 20)}`;
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

function settings(ctx: Ctx) {
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

function loadList(ctx: Ctx, confDir: string): NetworkConfigList {
  return loadConfList(confDir, ctx.positionals[0]!);
}

/** `CNI_ARGS` and `CAP_ARGS` from the environment, parsed. */
function runtimeArgs(ctx: Ctx): {
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

function runtimeOf(ctx: Ctx) {
  const netns = resolve(ctx.io.cwd ?? Deno.cwd(), ctx.positionals[1]!);
  const ifName = ctx.flags.ifname || ctx.io.env.CNI_IFNAME || DEFAULT_IFNAME;
  return { containerId: cnitoolContainerId(netns), netns, ifName, ...runtimeArgs(ctx) };
}

/** The command table: name to usage, arity and handler. */
export const COMMANDS: Record<string, CommandSpec> = {
  add: {
    usage: "add <network> <netns>",
    summary: "Add the network's interface to a network namespace and print the result",
    minArgs: 2,
    maxArgs: 2,
    async run(ctx) {
      const s = settings(ctx);
      const list = loadList(ctx, s.confDir);
      requirePrivileges("cnitool add");
      const result = await addNetworkList(list, runtimeOf(ctx), s);
      ctx.io.stdout(goMarshal(result, { indent: "    " }));
      return 0;
    },
  },
  check: {
    usage: "check <network> <netns>",
    summary: "Check the network's interface in a network namespace against the cached result",
    minArgs: 2,
    maxArgs: 2,
    async run(ctx) {
      const s = settings(ctx);
      const list = loadList(ctx, s.confDir);
      if (!versionGte(list.cniVersion, "0.4.0")) {
        // libcni refuses CHECK below 0.4.0; cnitool reports that and succeeds, as there is
        // nothing the spec lets it check for such a network.
        ctx.io.stderr(
          `note: network ${JSON.stringify(list.name)} has cniVersion ${list.cniVersion}; ` +
            `CHECK exists from 0.4.0 on, so there is nothing to check\n`,
        );
        return 0;
      }
      requirePrivileges("cnitool check");
      await checkNetworkList(list, runtimeOf(ctx), s);
      return 0;
    },
  },
  del: {
    usage: "del <network> <netns>",
    summary: "Remove the network's interface from a network namespace (idempotent)",
    minArgs: 2,
    maxArgs: 2,
    async run(ctx) {
      const s = settings(ctx);
      const list = loadList(ctx, s.confDir);
      requirePrivileges("cnitool del");
      await delNetworkList(list, runtimeOf(ctx), s);
      return 0;
    },
  },
  gc: {
    usage: "gc <network> [<netns>] [--all]",
    summary:
      "Let the network's plugins release resources of attachments not in the cache (--all: DEL every cached attachment first, as the reference)",
    minArgs: 1,
    maxArgs: 2,
    async run(ctx) {
      const s = settings(ctx);
      const list = loadList(ctx, s.confDir);
      if (ctx.flags.all) {
        await gcNetworkList(list, s);
        return 0;
      }
      const cached = await listCachedAttachments(s.cacheDir);
      const validAttachments = cached.filter((a) => a.networkName === list.name).map((a) => ({
        containerID: a.containerId,
        ifname: a.ifName,
      }));
      await gcNetworkList(list, { ...s, validAttachments });
      return 0;
    },
  },
  status: {
    usage: "status <network> [<netns>]",
    summary: "Ask the network's plugins whether they are ready for ADD",
    minArgs: 1,
    maxArgs: 2,
    async run(ctx) {
      const s = settings(ctx);
      await getStatusNetworkList(loadList(ctx, s.confDir), s);
      return 0;
    },
  },
  version: {
    usage: "version [<network>]",
    summary: "Print cnitool's spec versions, or the VERSION answer of each plugin of a network",
    minArgs: 0,
    maxArgs: 2,
    async run(ctx) {
      if (ctx.positionals.length === 0) {
        ctx.io.stdout(
          `cnitool (denocni) CNI ${CURRENT_VERSION}\nCNI protocol versions supported: ${
            SUPPORTED_VERSIONS.join(", ")
          }\n`,
        );
        return 0;
      }
      const s = settings(ctx);
      const list = loadList(ctx, s.confDir);
      const out: Record<string, unknown> = {};
      for (const p of list.plugins) out[p.network.type] = await s.invoker.version(p.network.type);
      ctx.io.stdout(goMarshal(out, { indent: "    " }) + "\n");
      return 0;
    },
  },
  list: {
    usage: "list",
    summary: "List the networks in NETCONFPATH with their file and plugins, and files that fail",
    minArgs: 0,
    maxArgs: 0,
    run(ctx) {
      const s = settings(ctx);
      const { networks, errors } = listNetworks(s.confDir);
      if (networks.length === 0 && errors.length === 0) {
        ctx.io.stdout(`no networks in ${s.confDir}\n`);
      }
      for (const n of networks) {
        ctx.io.stdout(
          `${n.name || "(unnamed)"}\t${n.file}\t${n.list.cniVersion}\t${
            n.list.plugins.map((p) => p.network.type).join(",")
          }\n`,
        );
      }
      for (const e of errors) ctx.io.stdout(`(invalid)\t${e.file}\t${e.error.message}\n`);
      return Promise.resolve(0);
    },
  },
  validate: {
    usage: "validate <network>",
    summary: "Check that every plugin of a network exists and supports its version",
    minArgs: 1,
    maxArgs: 1,
    async run(ctx) {
      const s = settings(ctx);
      const list = loadList(ctx, s.confDir);
      const caps = await validateNetworkList(list, s);
      ctx.io.stdout(
        `network ${JSON.stringify(list.name)} is valid (version ${list.cniVersion}, plugins ${
          list.plugins.map((p) => p.network.type).join(",")
        }${caps.length ? `, capabilities ${caps.join(",")}` : ""})\n`,
      );
      return 0;
    },
  },
  install: {
    usage: "install [--dir DIR] [--force] [--bundle FILE] [--deno PATH]",
    summary: `Install cnitool and the built-in plugins (${
      Object.keys(BUILTIN_ABOUT).join(", ")
    }) into a CNI bin dir (default ${DEFAULT_CNI_PATH})`,
    minArgs: 0,
    maxArgs: 0,
    async run(ctx) {
      const { installPlugins } = await import("./install_plugins.ts");
      const report = await installPlugins({
        ...(ctx.flags.dir !== undefined && { dir: ctx.flags.dir }),
        ...(ctx.flags.force !== undefined && { force: ctx.flags.force }),
        ...(ctx.flags.deno !== undefined && { deno: ctx.flags.deno }),
        ...(ctx.flags.bundle !== undefined && { bundle: ctx.flags.bundle }),
      });
      ctx.io.stdout(`installed (${report.mode}) into ${report.dir}:\n`);
      for (const e of report.entries) ctx.io.stdout(`  ${e}\n`);
      return 0;
    },
  },
  serve: {
    usage: "serve [--socket PATH] [--verbose]",
    summary:
      "Run the plugins' calls in this long-running process: bridge, loopback and host-local processes forward theirs over a root-only Unix socket (default /run/denocni/denocni.sock; DENOCNI_SOCKET)",
    minArgs: 0,
    maxArgs: 0,
    async run(ctx) {
      requirePrivileges("cnitool serve");
      const { serve } = await import("./serve.ts");
      const { BUILTIN_ABOUT } = await import("../plugins/mod.ts");
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      for (const sig of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(sig, onSignal);
      try {
        const socket = ctx.flags.socket || ctx.io.env.DENOCNI_SOCKET;
        await serve({
          ...(socket && { socket }),
          registry: ctx.io.registry,
          about: BUILTIN_ABOUT,
          signal: stop.signal,
          onListening: (path) => ctx.io.stderr(`serving plugin calls on ${path}\n`),
          ...(ctx.flags.verbose && { log: (line: string) => ctx.io.stderr(`${line}\n`) }),
        });
      } finally {
        for (const sig of ["SIGTERM", "SIGINT"] as const) {
          Deno.removeSignalListener(sig, onSignal);
        }
      }
      return 0;
    },
  },
  exec: {
    usage:
      "exec [--netconf-dir DIR] [--default-network] [--network NAME]... [-i IF] -- CMD [ARGS...]",
    summary:
      "Run CMD in a fresh network namespace joined to the networks (--default-network: the embedded default; --network: the named ones; neither: all in the dir, else the embedded default), then clean up",
    minArgs: 1,
    maxArgs: Infinity,
    async run(ctx) {
      const s = settings(ctx);
      requirePrivileges("cnitool exec");
      const { execInFreshNetns } = await import("./exec_in_netns.ts");
      const rt = runtimeArgs(ctx);
      return await execInFreshNetns({
        command: ctx.positionals,
        netconfDir: ctx.flags["netconf-dir"] ?? s.confDir,
        networks: ctx.flags.network ?? [],
        ...(ctx.flags["default-network"] && { defaultNetwork: true }),
        ...(ctx.flags.ifname && { ifName: ctx.flags.ifname }),
        invoker: s.invoker,
        cacheDir: s.cacheDir,
        ...rt,
        stderr: ctx.io.stderr,
        ...(ctx.flags.verbose && { verbose: true }),
      });
    },
  },
  netns: {
    usage: "netns add|del|list|exec [NAME] [-- CMD [ARGS...]]",
    summary: "Manage named network namespaces in /run/netns, as ip netns does",
    minArgs: 1,
    maxArgs: Infinity,
    async run(ctx) {
      if (ctx.positionals[0] !== "list") requirePrivileges(`cnitool netns ${ctx.positionals[0]}`);
      const { runNetnsCommand } = await import("./netns_admin.ts");
      return await runNetnsCommand(ctx.positionals, ctx.io.stdout);
    },
  },
  "default-config": {
    usage: "default-config",
    summary: "Print the embedded default network that exec uses when no network is configured",
    minArgs: 0,
    maxArgs: 0,
    run(ctx) {
      ctx.io.stdout(defaultNetworkText());
      return Promise.resolve(0);
    },
  },
};

const OPTIONS = {
  ifname: { type: "string", short: "i" },
  builtins: { type: "string" },
  timeout: { type: "string" },
  "cache-dir": { type: "string" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
  all: { type: "boolean" },
  dir: { type: "string" },
  force: { type: "boolean" },
  deno: { type: "string" },
  bundle: { type: "string" },
  socket: { type: "string" },
  "netconf-dir": { type: "string" },
  network: { type: "string", multiple: true },
  "default-network": { type: "boolean" },
} as const;

/**
 * The help text: every command, or one command's usage.
 *
 * @param command A command name, or undefined for the overview.
 * @returns The text.
 */
export function helpText(command?: string): string {
  const common = `Options:
  -i, --ifname NAME     interface name in the container (default: CNI_IFNAME or ${DEFAULT_IFNAME})
      --builtins MODE   fallback (binary on CNI_PATH wins), prefer (built-in first), never
                        (default: CNI_BUILTINS or fallback)
      --timeout T       kill a plugin running longer than T (500ms, 10s, 2m; CNI_TIMEOUT)
      --cache-dir DIR   result cache directory (default: CNI_CACHE_DIR or ${DEFAULT_CACHE_DIR})
      --netconf-dir DIR exec: configuration directory (default: NETCONFPATH)
      --network NAME    exec: network to join (repeatable; default: all, else the default)
      --default-network exec: join the embedded default network (first), whatever the
                        directory holds (see default-config)
      --dir DIR         install: target directory (default ${DEFAULT_CNI_PATH})
      --force           install: replace entries that are not denocni's
      --deno PATH       install: Deno binary the launchers run (default: this one)
      --bundle FILE     install: bundle to install (default: this program's, or built)
      --socket PATH     serve: socket to listen on (default: DENOCNI_SOCKET or
                        /run/denocni/denocni.sock)
  -v, --verbose         show the cause of errors
  -h, --help            show help

Environment: NETCONFPATH (default ${DEFAULT_NETCONFPATH}), CNI_PATH (default ${DEFAULT_CNI_PATH}), CNI_IFNAME, CNI_ARGS, CAP_ARGS
`;
  const spec = command ? COMMANDS[command] : undefined;
  if (spec) return `Usage: cnitool ${spec.usage}\n\n${spec.summary}.\n\n${common}`;
  const lines = Object.values(COMMANDS).map((c) =>
    c.usage.length < 32
      ? `  ${c.usage.padEnd(32)} ${c.summary}`
      : `  ${c.usage}\n  ${"".padEnd(32)} ${c.summary}`
  );
  return `cnitool: add, check, remove, gc or status network interfaces of a network namespace

Usage: cnitool <command> [options] <args>

Commands:
${lines.join("\n")}

${common}`;
}

function causeChain(err: unknown): string[] {
  const out: string[] = [];
  let cur = (err as { cause?: unknown })?.cause;
  while (cur !== undefined && out.length < 10) {
    if (cur instanceof AggregateError) {
      for (const e of cur.errors) out.push(errorText(e));
      break;
    }
    out.push(cur instanceof Error ? `${cur.name}: ${cur.message}` : String(cur));
    cur = (cur as { cause?: unknown })?.cause;
  }
  return out;
}

/**
 * Runs cnitool with `argv` (without the program name).
 *
 * @example Listing networks
 * ```ts ignore
 * const code = await runCnitool(["list"], {
 *   env: Deno.env.toObject(), registry: {},
 *   stdout: (t) => Deno.stdout.writeSync(new TextEncoder().encode(t)),
 *   stderr: (t) => Deno.stderr.writeSync(new TextEncoder().encode(t)),
 * });
 * ```
 *
 * @param argv The arguments.
 * @param io Environment, output sinks, registry.
 * @returns The exit code: 0 success, 1 runtime error (`error: <message>` on stderr), 2 usage
 *   error (with help).
 */
export async function runCnitool(argv: readonly string[], io: CnitoolIo): Promise<number> {
  let parsed;
  try {
    const { parseArgs } = await import("node:util");
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    io.stderr(`error: ${(err as Error).message}\n\n${helpText()}`);
    return 2;
  }
  const flags = parsed.values as Flags;
  const [name, ...positionals] = parsed.positionals;
  if (name === undefined || name === "help") {
    const topic = positionals[0];
    if (name === "help" || flags.help) {
      io.stdout(helpText(topic));
      return 0;
    }
    io.stderr(helpText());
    return 2;
  }
  const spec = COMMANDS[name];
  if (!spec) {
    io.stderr(`error: unknown command ${JSON.stringify(name)}\n\n${helpText()}`);
    return 2;
  }
  if (flags.help) {
    io.stdout(helpText(name));
    return 0;
  }
  if (positionals.length < spec.minArgs || positionals.length > spec.maxArgs) {
    io.stderr(
      `error: ${name} takes ${
        spec.minArgs === spec.maxArgs ? spec.minArgs : `${spec.minArgs} to ${spec.maxArgs}`
      } argument(s), got ${positionals.length}\n\n${helpText(name)}`,
    );
    return 2;
  }
  try {
    return await spec.run({ io, flags, positionals });
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`error: ${err.message}\n\n${helpText(name)}`);
      return 2;
    }
    const message = errorText(err);
    io.stderr(`error: ${message.replaceAll("\n", "; ")}\n`);
    if (flags.verbose) {
      if (err instanceof CniError) io.stderr(`  code: ${err.code}\n`);
      for (const c of causeChain(err)) io.stderr(`  caused by: ${c}\n`);
      if (!(err instanceof CniError) && err instanceof Error && err.stack) {
        io.stderr(`${err.stack}\n`);
      }
    }
    return 1;
  }
}
