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

/**
 * The backend the reference picks when none is configured: iptables, unless iptables is
 * unusable and nftables usable.
 *
 * @param run Tool runner (default: spawn it).
 * @returns `"iptables"` or `"nftables"`.
 */
export async function defaultBackend(run: ToolRunner = runTool): Promise<"iptables" | "nftables"> {
  if (!(await iptablesUsable("iptables", run)) && (await nftUsable(run))) return "nftables";
  return "iptables";
}
