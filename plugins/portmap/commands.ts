/**
 * portmap's verbs. ADD forwards the mapped host ports to the container (first IPv4 and first
 * IPv6 address of `prevResult`), drops stale UDP conntrack flows to those ports, sets
 * `route_localnet` on the interface that routes to the container, and passes `prevResult` on
 * unchanged. DEL removes the container's rules, CHECK verifies them, GC removes the rules of
 * containers no longer valid.
 *
 * Beyond the reference:
 * - one `iptables-restore` per family per ADD, DEL or CHECK in the usual case (the reference
 *   runs one process per rule), and one `nft -f -` for both families;
 * - a failed ADD removes the rules it made in the other family;
 * - DEL needs neither `portMappings` nor `prevResult`: the container's chain is found by
 *   name (read from the table when the mappings are not known), and UDP flows forwarded to
 *   the container are dropped on DEL too;
 * - CHECK looks only in the families the container has addresses in (1.1.1 fails on every
 *   IPv4-only container), also checks the shared jumps and `route_localnet`, and names the
 *   missing rule;
 * - GC removes the rules of containers not in `cni.dev/valid-attachments`: iptables by the
 *   owner comment of the entry rule, nftables by the owner element each ADD records beside the
 *   rules (see `nftables.ts`); without `backend`, both where their tables exist;
 * - nftables DEL without `prevResult` removes only the rules aimed at the addresses this
 *   network's owner elements name (all the container's rules when it has none);
 * - nft-style `conditionsV4`/`conditionsV6` without `backend` select nftables instead of
 *   failing.
 *
 * @module
 */
import { CniError, ErrorCode, errorText, toCniError } from "../../cni/errors.ts";
import { loadForDel } from "../../cni/best_effort.ts";
import type { CmdArgs, PluginContext, PluginFns, PluginLog } from "../../cni/plugin.ts";
import type { Result } from "../../cni/types.ts";
import { toolErrorDetail } from "../../firewall/exec.ts";
import { converge, findMissingRule } from "../../firewall/iptables.ts";
import { nftApply, nftListRules, nftListTable } from "../../firewall/nft.ts";
import { iptablesUsable, nftUsable, withBackend } from "../../firewall/support.ts";
import { gcBothFamilies, iptablesCmdOf } from "../../firewall/gc.ts";
import {
  type ContainerIps,
  containerIps,
  loadPortmapConf,
  type PortmapBackend,
  type PortmapConf,
} from "./config.ts";
import { deleteUdpFlows, enableRouteLocalnet, routeLocalnetEnabled } from "./host.ts";
import {
  checkRules,
  dnChainName,
  entryRules,
  gcLines,
  portmapRules,
  setupLines,
  snChainName,
  teardownLines,
} from "./iptables.ts";
import {
  containerRules,
  NFT_TABLE,
  nftCheckProblem,
  nftFamily,
  nftGcLines,
  nftSetupLines,
  nftTeardownLines,
} from "./nftables.ts";
import { prevResultCurrent } from "../../cni/prev_result.ts";
import { builtinAbout } from "../about.ts";

type Family = 4 | 6;

/** The families the container has an address in, each with that address. */
function familiesOf(ips: ContainerIps): [Family, { ip: string; cidr: string }][] {
  const out: [Family, { ip: string; cidr: string }][] = [];
  if (ips.v4) out.push([4, ips.v4]);
  if (ips.v6) out.push([6, ips.v6]);
  return out;
}

/** The iptables backend's ADD: one converge per family, at once; undone on failure. */
async function addIptables(
  conf: PortmapConf,
  ips: ContainerIps,
  containerId: string,
): Promise<void> {
  const ids = { network: conf.name, containerId };
  const planned = await Promise.all(
    familiesOf(ips).map(async ([family, c]) => ({
      family,
      rules: await portmapRules(conf, c, ids),
    })),
  );
  const jobs = planned.map(({ family, rules }) => ({
    family,
    rules,
    done: converge(rules.cmd, "nat", (s) => setupLines(s, rules)),
  }));
  const settled = await Promise.allSettled(jobs.map((j) => j.done));
  const failed = settled.find((r) => r.status === "rejected");
  if (!failed) return;
  await Promise.allSettled(
    jobs.map((j, i) =>
      settled[i]!.status === "fulfilled"
        ? converge(j.rules.cmd, "nat", (s) => teardownLines(s, j.rules, j.rules.entries))
        : Promise.resolve(0)
    ),
  );
  throw new CniError(ErrorCode.Internal, `unable to setup DNAT: ${errorText(failed.reason)}`, {
    cause: failed.reason,
  });
}

/** The nftables backend's ADD: one `nft -f -` for every family, rules and owner elements. */
async function addNft(conf: PortmapConf, ips: ContainerIps, containerId: string): Promise<void> {
  const owner = { network: conf.name, containerId };
  const lines = familiesOf(ips).flatMap(([family, c]) => nftSetupLines(conf, family, c.ip, owner));
  try {
    await nftApply(lines);
  } catch (err) {
    const detail = toolErrorDetail(err);
    throw new CniError(
      ErrorCode.Internal,
      `unable to set up nftables rules for port mappings: ${detail}`,
      { cause: err },
    );
  }
}

async function cmdAdd(args: CmdArgs, ctx: PluginContext): Promise<Result> {
  const conf = loadPortmapConf(args.config);
  const prev = prevResultCurrent(args);
  if (!prev) throw new CniError(ErrorCode.Internal, "must be called as chained plugin");
  if (conf.mappings.length === 0) return prev;
  const ips = containerIps(prev, args.ifName);
  let used = conf.backend as PortmapBackend | undefined;
  await withBackend(conf.backend, (backend) => {
    used = backend;
    return backend === "nftables"
      ? addNft(conf, ips, args.containerId)
      : addIptables(conf, ips, args.containerId);
  });
  const udp = new Set(conf.mappings.filter((m) => m.protocol === "udp").map((m) => m.hostPort));
  for (const [family, c] of familiesOf(ips)) {
    try {
      deleteUdpFlows(family, udp);
    } catch (err) {
      ctx.log(`failed to delete stale UDP conntrack entries for ${c.ip}: ${errorText(err)}`);
    }
  }
  if (conf.snat && ips.v4) {
    try {
      enableRouteLocalnet(ips.v4.ip);
    } catch (err) {
      // Beyond the reference: the rules made above do not outlive the failed ADD.
      const scope: DelScope = {
        families: familiesOf(ips).map(([f, c]) => [f, c.ip]),
        known: true,
      };
      await (used === "nftables"
        ? delNft(conf.name, scope, args.containerId)
        : delIptables(conf, scope, args.containerId)).catch(() => {});
      throw toCniError(err, "unable to enable route_localnet");
    }
  }
  return prev;
}

/** What DEL knows: the families to clean and, where known, the container address. */
interface DelScope {
  families: [Family, string | undefined][];
  /** Whether the families come from `prevResult` (else both are tried). */
  known: boolean;
}

function delScope(args: CmdArgs): DelScope {
  let prev: Result | undefined;
  try {
    prev = prevResultCurrent(args);
  } catch {
    prev = undefined; // DEL is best effort: an unusable prevResult reads as absent
  }
  if (!prev) return { families: [[4, undefined], [6, undefined]], known: false };
  return {
    families: familiesOf(containerIps(prev, args.ifName)).map(([f, c]) => [f, c.ip]),
    known: true,
  };
}

/** Loads the config for DEL: a config DEL cannot use still names the network. */
function delConf(args: CmdArgs, log: PluginLog): PortmapConf {
  return loadForDel(args, log, (config) => loadPortmapConf(config), (known) => ({
    ...known,
    snat: true,
    masqAll: false,
    markMasqBit: 13,
    externalSetMarkChain: undefined,
    conditionsV4: [],
    conditionsV6: [],
    backend: undefined,
    mappings: [],
    validAttachments: undefined,
  }), (reason) => `portmap DEL: ${reason}; removing the container's rules by name`);
}

async function delIptables(conf: PortmapConf, scope: DelScope, containerId: string) {
  const chains = {
    dnChain: await dnChainName(conf.name, containerId),
    snChain: await snChainName(conf.name, containerId),
  };
  const ids = { network: conf.name, containerId };
  const optimistic = scope.known && conf.mappings.length > 0;
  const settled = await Promise.allSettled(scope.families.map(async ([family]) => {
    const entries = await entryRules(conf, family, ids);
    try {
      await converge(iptablesCmdOf(family), "nat", (s) => teardownLines(s, chains, entries), {
        optimistic,
      });
    } catch (err) {
      // A family whose tool does not work here has nothing to remove (the reference skips it).
      if (!scope.known && !(await iptablesUsable(iptablesCmdOf(family)))) return;
      throw new CniError(
        ErrorCode.Internal,
        `could not teardown ipv${family} dnat: ${errorText(err)}`,
        { cause: err },
      );
    }
  }));
  const errors = settled.flatMap((r) => r.status === "rejected" ? [errorText(r.reason)] : []);
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}

/** The nftables backend's DEL: the container's rules and owner elements, one `nft -f -`. */
async function delNft(network: string, scope: DelScope, containerId: string): Promise<void> {
  const lines: string[] = [];
  const errors: string[] = [];
  const owner = { network, containerId };
  await Promise.all(scope.families.map(async ([family, ip]) => {
    try {
      const table = await nftListTable(nftFamily(family), NFT_TABLE);
      lines.push(...nftTeardownLines(family, table, owner, ip));
    } catch (err) {
      errors.push(`could not list rules in table ${NFT_TABLE}: ${errorText(err)}`);
    }
  }));
  try {
    await nftApply(lines);
  } catch (err) {
    errors.push(`error deleting nftables rules: ${errorText(err)}`);
  }
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}

async function cmdDel(args: CmdArgs, ctx: PluginContext): Promise<void> {
  const conf = delConf(args, ctx.log);
  const scope = delScope(args);
  const errors: string[] = [];
  try {
    await withBackend(
      conf.backend,
      (backend) =>
        backend === "nftables"
          ? delNft(conf.name, scope, args.containerId)
          : delIptables(conf, scope, args.containerId),
    );
  } catch (err) {
    errors.push(errorText(err));
  }
  // Without the mappings (a DEL from the container ID alone), the flows forwarded to the
  // container's address on any port: a new container must get the traffic.
  const udp = conf.mappings.length === 0
    ? "any"
    : new Set(conf.mappings.filter((m) => m.protocol === "udp").map((m) => m.hostPort));
  for (const [family, ip] of scope.families) {
    if (udp === "any" && ip === undefined) continue;
    try {
      deleteUdpFlows(family, udp, ip);
    } catch (err) {
      ctx.log(
        `failed to delete UDP conntrack entries for ${ip ?? `ipv${family}`}: ${errorText(err)}`,
      );
    }
  }
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}

async function checkIptables(conf: PortmapConf, ips: ContainerIps, containerId: string) {
  const ids = { network: conf.name, containerId };
  await Promise.all(
    familiesOf(ips).map(async ([family, c]) => {
      const rules = await portmapRules(conf, c, ids);
      let missing;
      try {
        missing = await findMissingRule(rules.cmd, "nat", checkRules(rules));
      } catch (err) {
        throw new CniError(
          ErrorCode.Internal,
          `could not check ipv${family} dnat: ${errorText(err)}`,
          { cause: err },
        );
      }
      if (missing) {
        throw new CniError(
          ErrorCode.Internal,
          `could not check ipv${family} dnat: rule [${
            missing.spec.join(" ")
          }] in chain ${missing.chain} not found in table nat`,
        );
      }
    }),
  );
}

async function checkNft(conf: PortmapConf, ips: ContainerIps, containerId: string) {
  await Promise.all(
    familiesOf(ips).map(async ([family, c]) => {
      const rules = containerRules(
        await nftListRules(nftFamily(family), NFT_TABLE),
        containerId,
        [c.ip],
      );
      const problem = nftCheckProblem(conf, family, c.ip, rules);
      if (problem) throw new CniError(ErrorCode.Internal, problem);
    }),
  );
}

async function cmdCheck(args: CmdArgs): Promise<void> {
  const conf = loadPortmapConf(args.config, { wrap: false });
  const prev = prevResultCurrent(args);
  if (!prev) throw new CniError(ErrorCode.Internal, "Required prevResult missing");
  if (conf.mappings.length === 0) return;
  const ips = containerIps(prev, args.ifName);
  await withBackend(
    conf.backend,
    (backend) =>
      backend === "nftables"
        ? checkNft(conf, ips, args.containerId)
        : checkIptables(conf, ips, args.containerId),
  );
  if (conf.snat && ips.v4) {
    const localnet = routeLocalnetEnabled(ips.v4.ip);
    if (localnet && !localnet.on) {
      throw new CniError(
        ErrorCode.Internal,
        `route_localnet is not enabled on "${localnet.ifName}"`,
      );
    }
  }
}

/**
 * The nftables GC: per family, one listing and one `nft -f -` removing the stale owner
 * elements of `network` and the rules aimed at them. `optional` (no `backend` configured): a
 * host where nft does not work has nothing to collect.
 */
async function gcNft(
  network: string,
  validIds: ReadonlySet<string>,
  optional: boolean,
): Promise<void> {
  const errors: string[] = [];
  await Promise.all(([4, 6] as const).map(async (family) => {
    try {
      const table = await nftListTable(nftFamily(family), NFT_TABLE);
      await nftApply(nftGcLines(family, table, network, validIds));
    } catch (err) {
      if (optional && !(await nftUsable())) return;
      const detail = toolErrorDetail(err);
      errors.push(`could not collect ${nftFamily(family)} ${NFT_TABLE}: ${detail}`);
    }
  }));
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}

async function cmdGc(args: CmdArgs): Promise<void> {
  const conf = loadPortmapConf(args.config);
  if (!conf.validAttachments) return;
  const validIds = new Set(conf.validAttachments.map((a) => a.containerID));
  // Without a backend, either may hold this network's rules (ADD picks one per call).
  const jobs: Promise<void>[] = [];
  if (conf.backend !== "nftables") {
    jobs.push(gcBothFamilies("nat", (s) => gcLines(s, conf.name, validIds)));
  }
  if (conf.backend !== "iptables") jobs.push(gcNft(conf.name, validIds, !conf.backend));
  const settled = await Promise.allSettled(jobs);
  const errors = settled.flatMap((r) => r.status === "rejected" ? [errorText(r.reason)] : []);
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}

/** The portmap plugin's functions (STATUS is a no-op success, as at the reference HEAD). */
export const plugin: PluginFns = {
  add: cmdAdd,
  check: cmdCheck,
  del: cmdDel,
  gc: cmdGc,
  status: () => Promise.resolve(),
  ...builtinAbout("portmap"),
};
