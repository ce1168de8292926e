/**
 * Whether the firewall tools work on this host, asked the reference's way and remembered for
 * the process: each probe is a tool process, so callers try their backend first and ask only
 * when it failed.
 *
 * @module
 */
import { runTool, type ToolRunner } from "./exec.ts";
import type { IptablesCmd } from "./iptables.ts";

const iptablesProbes = new Map<IptablesCmd, Promise<boolean>>();
let nftProbe: Promise<boolean> | undefined;

/**
 * Whether `iptables` (or `ip6tables`) works here (`utils.SupportsIPTables`: it can list
 * `filter INPUT`).
 *
 * @param cmd `iptables` or `ip6tables`.
 * @param run Tool runner (default: spawn it).
 * @returns True when usable; remembered for the process.
 */
export function iptablesUsable(
  cmd: IptablesCmd = "iptables",
  run: ToolRunner = runTool,
): Promise<boolean> {
  let p = iptablesProbes.get(cmd);
  if (!p) {
    p = run(cmd, ["--wait", "-t", "filter", "-S", "INPUT", "1"]).then(
      (o) => o.code === 0,
      () => false,
    );
    iptablesProbes.set(cmd, p);
  }
  return p;
}

/**
 * Whether nftables works here (an `nft --check` of a table add succeeds).
 *
 * @param run Tool runner (default: spawn it).
 * @returns True when usable; remembered for the process.
 */
export function nftUsable(run: ToolRunner = runTool): Promise<boolean> {
  nftProbe ??= run("nft", ["--check", "-f", "-"], {
    stdin: "add table inet cni_supports_nftables_test\n",
  }).then((o) => o.code === 0, () => false);
  return nftProbe;
}

/** A firewall backend. */
export type FirewallBackend = "iptables" | "nftables";

/**
 * The backend the reference picks when none is configured: iptables, unless iptables is
 * unusable and nftables usable.
 *
 * @param run Tool runner (default: spawn it).
 * @returns `"iptables"` or `"nftables"`.
 */
export async function defaultBackend(run: ToolRunner = runTool): Promise<FirewallBackend> {
  if (!(await iptablesUsable("iptables", run)) && (await nftUsable(run))) return "nftables";
  return "iptables";
}

/**
 * Runs a backend's work with the reference's choice of backend, probing only when needed: the
 * configured backend as is; with none, iptables first (the usual answer, no probe), and only
 * when that fails {@linkcode defaultBackend} decides whether the failure stands or nftables
 * is the backend to use (iptables unusable, nftables usable).
 *
 * @example Automatic backend
 * ```ts ignore
 * import { withBackend } from "./support.ts";
 * await withBackend(undefined, (backend) => backend === "iptables" ? viaIptables() : viaNft());
 * ```
 *
 * @param configured The configured backend, or `undefined` for automatic.
 * @param work The work, given the backend to use.
 * @returns What the work returned.
 * @throws What the work threw with the backend finally used.
 */
export async function withBackend<T>(
  configured: FirewallBackend | undefined,
  work: (backend: FirewallBackend) => Promise<T>,
): Promise<T> {
  if (configured !== undefined) return await work(configured);
  try {
    return await work("iptables");
  } catch (err) {
    if ((await defaultBackend()) === "iptables") throw err;
    return await work("nftables");
  }
}
