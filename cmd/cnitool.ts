/**
 * `cnitool`: run a network configuration against a network namespace, like the reference
 * `cnitool` (`add|check|del|gc|status <network> <netns>`), plus `version`, `list` and
 * `validate`. Handlers write through the given sinks and return exit codes; only `cli.ts`
 * touches the process. This file holds the command table, the flags, the help and the entry;
 * the commands are in `cnitool_attachment.ts`, `cnitool_network.ts` and `cnitool_host.ts`,
 * what they share in `cnitool_context.ts`.
 *
 * @module
 */
import {
  DEFAULT_CACHE_DIR,
  DEFAULT_CNI_PATH,
  DEFAULT_IFNAME,
  DEFAULT_NETCONFPATH,
} from "../cni/defaults.ts";
import { CniError, errorText } from "../cni/errors.ts";
import { type CnitoolIo, type CommandSpec, type Flags, UsageError } from "./cnitool_context.ts";
import { ATTACHMENT_COMMANDS } from "./cnitool_attachment.ts";
import { NETWORK_COMMANDS } from "./cnitool_network.ts";
import { HOST_COMMANDS } from "./cnitool_host.ts";

/** The command table: name to usage, arity and handler. */
export const COMMANDS: Record<string, CommandSpec> = {
  ...ATTACHMENT_COMMANDS,
  ...NETWORK_COMMANDS,
  ...HOST_COMMANDS,
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
