/**
 * `cnitool exec`: what the reference's `priv-net-run.sh` does, in one step and safely. It
 * creates a fresh network namespace, ADDs the networks (the embedded default network when asked
 * for, then the ones named; with neither, all in the directory in file order, or the embedded
 * default when the directory has none), runs a command
 * inside with stdin/stdout/stderr attached, then DELs in reverse order and deletes the
 * namespace: also when the command fails, when an ADD fails halfway, and on SIGINT/SIGTERM.
 *
 * @module
 */
import { type NetworkConfigList, parseConfList } from "../cni/conf.ts";
import { listNetworks, loadConfList } from "../cni/conf_files.ts";
import { DEFAULT_IFNAME } from "../cni/defaults.ts";
import { CniError } from "../cni/errors.ts";
import type { Invoker } from "../cni/invoke.ts";
import { addNetworkList, delNetworkList } from "../cni/libcni.ts";
import type { RuntimeConf } from "../cni/types.ts";
import { netnsAdd, netnsDelete } from "../netns/mod.ts";
import { exitCodeForSignal, exitCodeOf, spawnAttached } from "./attached.ts";
import { defaultNetworkText } from "./default_network.ts";

/** What to run, where, and with which networks. */
export interface ExecRequest {
  /** The command and its arguments. */
  command: string[];
  /** Directory of network configurations. */
  netconfDir: string;
  /** Networks to add by name; with none and no `defaultNetwork`, all in the directory (or the default). */
  networks: string[];
  /** Join the embedded default network first, whatever the directory holds (`--default-network`). */
  defaultNetwork?: boolean;
  /** Interface name of the first network (default `eth0`); later ones are `eth<i>`. */
  ifName?: string;
  /** Runs the plugins. */
  invoker: Invoker;
  /** Result cache directory. */
  cacheDir?: string;
  /** `CNI_ARGS` pairs. */
  args?: [string, string][];
  /** Capability arguments (`CAP_ARGS`). */
  capabilityArgs?: Record<string, unknown>;
  /** Progress and cleanup problems. */
  stderr: (text: string) => void;
  /** Print each network's result to stderr. */
  verbose?: boolean;
}

/** Signals that end the run with cleanup. */
const SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Options of {@linkcode networksForExec}. */
export interface NetworksForExecOptions {
  /** Put the embedded default network first and do not scan the directory for others. */
  defaultNetwork?: boolean;
}

function embeddedDefault(): NetworkConfigList {
  return parseConfList(defaultNetworkText(), "(embedded default)");
}

/**
 * The networks `exec` adds: the embedded default when `defaultNetwork` is set, then the named
 * ones; with neither, every network in the directory in file order, else the embedded
 * default.
 *
 * @example The embedded default whatever the directory holds
 * ```ts
 * import assert from "node:assert/strict";
 * import { networksForExec } from "./exec_in_netns.ts";
 * const [list] = networksForExec("/etc/cni/net.d", [], { defaultNetwork: true });
 * assert.equal(list?.name, "denocni-default");
 * ```
 *
 * @param dir Configuration directory.
 * @param names Network names (may be empty).
 * @param options `defaultNetwork`.
 * @returns The lists, in the order to ADD them.
 * @throws {CniError} When a named network is missing or invalid.
 */
export function networksForExec(
  dir: string,
  names: readonly string[],
  options: NetworksForExecOptions = {},
): NetworkConfigList[] {
  const lists = options.defaultNetwork ? [embeddedDefault()] : [];
  for (const n of names) lists.push(loadConfList(dir, n));
  if (lists.length > 0) return lists;
  let found: NetworkConfigList[] = [];
  try {
    found = listNetworks(dir).networks.map((n) => n.list);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return found.length > 0 ? found : [embeddedDefault()];
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Runs the request and returns the command's exit code (128 + signal when it was killed, 1
 * when setup failed).
 *
 * @param req The request.
 * @returns Exit code.
 * @throws {CniError} When the networks cannot be loaded (nothing is created then).
 */
export async function execInFreshNetns(req: ExecRequest): Promise<number> {
  if (req.command.length === 0) throw new CniError(999, "exec needs a command after --");
  const lists = networksForExec(req.netconfDir, req.networks, {
    ...(req.defaultNetwork && { defaultNetwork: true }),
  });
  const id = randomHex(8);
  const nsName = `denocni-${id}`;
  let signalled: Deno.Signal | undefined;
  let child: Deno.ChildProcess | undefined;
  const onSignal = (sig: Deno.Signal) => () => {
    signalled ??= sig;
    try {
      child?.kill(sig);
    } catch { /* already gone */ }
  };
  const listeners = SIGNALS.map((sig) => [sig, onSignal(sig)] as const);
  for (const [sig, fn] of listeners) Deno.addSignalListener(sig, fn);

  const added: [NetworkConfigList, RuntimeConf][] = [];
  let exitCode = 1;
  let nsPath: string | undefined;
  try {
    nsPath = netnsAdd(nsName);
    const opts = { invoker: req.invoker, ...(req.cacheDir && { cacheDir: req.cacheDir }) };
    for (const [i, list] of lists.entries()) {
      if (signalled) break;
      const rt: RuntimeConf = {
        containerId: `denocni-exec-${id}`,
        netns: nsPath,
        ifName: i === 0 ? (req.ifName ?? DEFAULT_IFNAME) : `eth${i}`,
        ...(req.args && req.args.length > 0 && { args: req.args }),
        ...(req.capabilityArgs && { capabilityArgs: req.capabilityArgs }),
      };
      added.push([list, rt]); // DEL also what half-succeeded
      const result = await addNetworkList(list, rt, opts);
      if (req.verbose) req.stderr(`${list.name}: ${JSON.stringify(result)}\n`);
    }
    if (signalled) {
      exitCode = exitCodeForSignal(signalled);
    } else {
      child = spawnAttached(nsPath, req.command);
      exitCode = exitCodeOf(await child.status);
    }
  } finally {
    const problems: string[] = [];
    for (const [list, rt] of added.reverse()) {
      try {
        await delNetworkList(list, rt, {
          invoker: req.invoker,
          ...(req.cacheDir && { cacheDir: req.cacheDir }),
        });
      } catch (err) {
        problems.push(`DEL of network "${list.name}": ${(err as Error).message}`);
      }
    }
    if (nsPath) {
      try {
        netnsDelete(nsName);
      } catch (err) {
        problems.push(`deleting namespace "${nsName}": ${(err as Error).message}`);
      }
    }
    for (const [sig, fn] of listeners) Deno.removeSignalListener(sig, fn);
    for (const p of problems) req.stderr(`warning: cleanup: ${p}\n`);
  }
  return exitCode;
}
