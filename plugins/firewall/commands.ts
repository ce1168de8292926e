/**
 * The firewall plugin's verbs. ADD lets the container's traffic through the host's forward
 * path (accept from its addresses, accept established traffic to them) and applies the
 * bridge isolation of `ingressPolicy`; it passes `prevResult` on unchanged. DEL removes the
 * container's rules, CHECK verifies them, GC removes those of containers no longer valid.
 *
 * Beyond the reference:
 * - one `iptables-restore` per family per ADD, DEL or CHECK in the usual case (the reference
 *   runs several processes per rule), one `nft -f -` per ADD with nftables;
 * - the configuration (backend, policy, admin chain) is checked before anything is done, and
 *   a failed ADD removes the container rules it made in the other family;
 * - DEL without `prevResult` removes the container's rules by their owner comment;
 * - CHECK creates nothing (the reference creates the chains) and checks the isolation rules;
 * - GC removes the rules of containers not in `cni.dev/valid-attachments`;
 * - an nftables backend (table `inet cni_firewall`, see `nftables.ts`);
 * - `backend: "firewalld"` fails with an explanation (firewalld is driven over D-Bus, which
 *   this plugin does not speak) instead of a D-Bus connection error.
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import { loadForDel } from "../../cni/best_effort.ts";
import type { CmdArgs, PluginContext, PluginFns, PluginLog } from "../../cni/plugin.ts";
import type { Result } from "../../cni/types.ts";
import { converge, findMissingRule } from "../../firewall/iptables.ts";
import { nftApply, nftListTable } from "../../firewall/nft.ts";
import { iptablesUsable, withBackend } from "../../firewall/support.ts";
import { gcBothFamilies, iptablesCmdOf } from "../../firewall/gc.ts";
import {
  bridgeOf,
  DEFAULT_ADMIN_CHAIN,
  type FamilyIps,
  type FirewallConf,
  type IngressPolicy,
  loadFirewallConf,
  resultIps,
} from "./config.ts";
import {
  checkRules,
  firewallRules,
  FORWARD_CHAIN,
  gcLines,
  setupLines,
  teardownLines,
} from "./iptables.ts";
import {
  NFT_TABLE,
  nftCheckProblem,
  nftGcLines,
  nftSetupLines,
  nftTeardownLines,
} from "./nftables.ts";
import { prevResultCurrent } from "../../cni/prev_result.ts";
import { builtinAbout } from "../about.ts";

type Family = 4 | 6;
type Backend = "iptables" | "nftables";

/** Where firewalld writes its pid (its default `--pidfile`). */
const FIREWALLD_PID_FILES = ["/run/firewalld.pid", "/var/run/firewalld.pid"];

function familiesOf(ips: FamilyIps): [Family, string[]][] {
  const out: [Family, string[]][] = [];
  if (ips.v4.length > 0) out.push([4, ips.v4]);
  if (ips.v6.length > 0) out.push([6, ips.v6]);
  return out;
}

/**
 * The error for `backend: "firewalld"`: what it would need and what to do instead.
 *
 * @param zone The configured zone.
 * @returns Code 7.
 */
export function firewalldUnsupported(zone: string): CniError {
  return new CniError(
    ErrorCode.InvalidNetworkConfig,
    `backend "firewalld" is not supported: firewalld is driven over the D-Bus system bus ` +
      `(org.fedoraproject.FirewallD1), which denocni does not speak`,
    {
      details:
        `use backend "iptables" or "nftables", and let firewalld trust the container subnet: ` +
        `firewall-cmd --permanent --zone=${zone} --add-source=<subnet> && firewall-cmd --reload`,
    },
  );
}

/** Warns once per call when firewalld seems to run and no backend was chosen. */
function warnIfFirewalld(conf: FirewallConf, log: PluginLog): void {
  if (conf.backend !== undefined) return;
  for (const path of FIREWALLD_PID_FILES) {
    try {
      Deno.statSync(path);
    } catch {
      continue;
    }
    log(
      `firewall: firewalld seems to be running (${path}); this plugin does not talk to it, ` +
        `so its zones may still reject container traffic: add the container subnet to the ` +
        `"${conf.firewalldZone}" zone`,
    );
    return;
  }
}

interface Plan {
  admin: string;
  owner: { network: string; containerId: string };
  isolation?: { bridge: string; policy: IngressPolicy };
}

function planOf(conf: FirewallConf, prev: Result, containerId: string): Plan {
  const plan: Plan = { admin: conf.adminChain, owner: { network: conf.name, containerId } };
  if (conf.ingressPolicy !== "open") {
    plan.isolation = { bridge: bridgeOf(prev, conf.ingressPolicy), policy: conf.ingressPolicy };
  }
  return plan;
}

/** What ADD and CHECK start from: the config, `prevResult` (required), the plan, the addresses. */
function callOf(args: CmdArgs): {
  conf: FirewallConf;
  backend: Backend | undefined;
  prev: Result;
  plan: Plan;
  ips: FamilyIps;
} {
  const conf = loadFirewallConf(args.config);
  const prev = prevResultCurrent(args);
  if (!prev) throw new CniError(ErrorCode.Internal, "missing prevResult from earlier plugin");
  if (conf.backend === "firewalld") throw firewalldUnsupported(conf.firewalldZone);
  const plan = planOf(conf, prev, args.containerId);
  const ips = resultIps(prev);
  return { conf, backend: conf.backend, prev, plan, ips };
}

async function addIptables(ips: FamilyIps, plan: Plan): Promise<void> {
  const jobs = familiesOf(ips).map(([family, list]) => {
    const rules = firewallRules(list, family, plan);
    return {
      family,
      list,
      done: converge(iptablesCmdOf(family), "filter", (s) => setupLines(s, rules)),
    };
  });
  const settled = await Promise.allSettled(jobs.map((j) => j.done));
  const failed = settled.findIndex((r) => r.status === "rejected");
  if (failed < 0) return;
  await Promise.allSettled(
    jobs.map((j, i) =>
      settled[i]!.status === "fulfilled"
        ? converge(
          iptablesCmdOf(j.family),
          "filter",
          (s) => teardownLines(s, plan.owner, j.list, j.family),
        )
        : Promise.resolve(0)
    ),
  );
  const reason = (settled[failed] as PromiseRejectedResult).reason;
  throw new CniError(
    ErrorCode.Internal,
    `could not set up firewall rules for ipv${jobs[failed]!.family}: ${errorText(reason)}`,
    { cause: reason },
  );
}

async function cmdAdd(args: CmdArgs, ctx: PluginContext): Promise<Result> {
  const { conf, backend: chosen, prev, plan, ips } = callOf(args);
  warnIfFirewalld(conf, ctx.log);
  await withBackend(chosen, async (backend) => {
    if (backend === "iptables") return await addIptables(ips, plan);
    try {
      await nftApply(nftSetupLines(ips, plan));
    } catch (err) {
      throw new CniError(
        ErrorCode.Internal,
        `could not set up nftables firewall rules: ${errorText(err)}`,
        { cause: err },
      );
    }
  });
  return prev;
}

/** The config for DEL: one DEL cannot use still names the network. */
function delConf(args: CmdArgs, log: PluginLog): FirewallConf {
  return loadForDel(args, log, loadFirewallConf, (known) => ({
    ...known,
    backend: undefined,
    adminChain: DEFAULT_ADMIN_CHAIN,
    firewalldZone: "trusted",
    ingressPolicy: "open",
    validAttachments: undefined,
  }), (reason) => `firewall DEL: ${reason}; removing the container's rules by owner`);
}

async function delIptables(
  owner: { network: string; containerId: string },
  ips: FamilyIps | undefined,
): Promise<void> {
  const families: [Family, string[]][] = ips ? familiesOf(ips) : [[4, []], [6, []]];
  const errors: string[] = [];
  await Promise.all(families.map(async ([family, list]) => {
    try {
      await converge(
        iptablesCmdOf(family),
        "filter",
        (s) => teardownLines(s, owner, list, family),
        {
          optimistic: ips !== undefined,
        },
      );
    } catch (err) {
      if (!ips && !(await iptablesUsable(iptablesCmdOf(family)))) return;
      errors.push(`could not remove ipv${family} firewall rules: ${errorText(err)}`);
    }
  }));
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}

async function cmdDel(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = delConf(args, ctx.log);
  if (conf.backend === "firewalld") return; // nothing of ours to remove
  let ips: FamilyIps | undefined;
  try {
    const prev = prevResultCurrent(args);
    ips = prev ? resultIps(prev) : undefined;
  } catch {
    ips = undefined; // DEL is best effort: an unusable prevResult reads as absent
  }
  const owner = { network: conf.name, containerId: args.containerId };
  await withBackend(conf.backend, async (backend) => {
    if (backend === "iptables") return await delIptables(owner, ips);
    const table = await nftListTable("inet", NFT_TABLE);
    await nftApply(nftTeardownLines(table, owner));
  });
}

function checkMessage(chain: string, spec: readonly string[], container: boolean): string {
  const text = `[${spec.join(" ")}]`;
  return container ? `expected rule ${text} not found` : `expected ${chain} rule ${text} not found`;
}

async function checkIptables(ips: FamilyIps, plan: Plan): Promise<void> {
  await Promise.all(
    familiesOf(ips).map(async ([family, list]) => {
      const rules = firewallRules(list, family, plan);
      const missing = await findMissingRule(iptablesCmdOf(family), "filter", checkRules(rules));
      if (!missing) return;
      const container = missing.chain === FORWARD_CHAIN &&
        rules.container.some((s) => s.join("\0") === missing.spec.join("\0"));
      throw new CniError(ErrorCode.Internal, checkMessage(missing.chain, missing.spec, container));
    }),
  );
}

async function cmdCheck(args: CmdArgs): Promise<void> {
  const { backend: chosen, plan, ips } = callOf(args);
  await withBackend(chosen, async (backend) => {
    if (backend === "iptables") return await checkIptables(ips, plan);
    const problem = nftCheckProblem(await nftListTable("inet", NFT_TABLE), ips, plan);
    if (problem) throw new CniError(ErrorCode.Internal, problem);
  });
}

async function cmdGc(args: CmdArgs): Promise<void> {
  const conf = loadFirewallConf(args.config);
  if (!conf.validAttachments || conf.backend === "firewalld") return;
  const validIds = new Set(conf.validAttachments.map((a) => a.containerID));
  if (conf.backend !== "nftables") {
    return await gcBothFamilies("filter", (s) => gcLines(s, conf.name, validIds));
  }
  try {
    await nftApply(nftGcLines(await nftListTable("inet", NFT_TABLE), conf.name, validIds));
  } catch (err) {
    throw new CniError(ErrorCode.Internal, errorText(err));
  }
}

/** The firewall plugin's functions (STATUS is a no-op success, as at the reference HEAD). */
export const plugin: PluginFns = {
  add: cmdAdd,
  check: cmdCheck,
  del: cmdDel,
  gc: cmdGc,
  status: () => Promise.resolve(),
  ...builtinAbout("firewall"),
};
