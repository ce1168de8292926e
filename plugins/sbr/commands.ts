/**
 * The sbr plugin's verbs (reference `plugins/meta/sbr`): source-based routing for the
 * addresses a previous plugin gave `CNI_IFNAME`, inside the container's namespace.
 *
 * - ADD: for each address (in `prevResult` order) a rule `from <ip>/32 lookup <table>` on the
 *   first table from 100 that no rule and no route uses, the next free one for the next
 *   address; a default route via the address's gateway (or the configured `gateways`) in that
 *   table; the interface's main-table routes in the address's subnet (or without source and
 *   gateway) copied into it; then the interface's routes removed from the main table (or, with
 *   `addSourceHints`, only the non-link ones, the subnet routes getting the address as source).
 *   With `table`, only the rules are added, all on that table. `prevResult` is passed on.
 * - DEL: the rules whose source is one of the interface's addresses are deleted.
 * - CHECK: each address has its rule. STATUS: success.
 *
 * The namespace file is locked (`flock`) for the duration, as the reference does.
 *
 * Beyond the reference: a failed ADD undoes what it did (rules, routes added, routes moved);
 * the `gateways` list is checked before anything changes; a table with routes but no rule is
 * not taken; DEL succeeds when the namespace is gone, finds the rules from `prevResult` when
 * the interface is gone, and removes the interface's routes from the tables it picked; CHECK
 * checks (the reference's does nothing).
 *
 * @module
 */
import { openContainerNs } from "../_iface/sockets.ts";
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import { prevResultAsGiven } from "../../cni/prev_result.ts";
import type { CmdArgs, PluginContext, PluginFns, PluginLog } from "../../cni/plugin.ts";
import type { IPConfig, Result } from "../../cni/types.ts";
import { toCurrentResult } from "../../cni/results/mod.ts";
import { ErrnoError } from "../../ffi/mod.ts";
import {
  addrList,
  type Link,
  linkFind,
  type NetlinkSocket,
  openNetlink,
  routeAdd,
  routeDel,
  type RouteInfo,
  routeList,
  routePrepend,
  routeReplace,
  type RouteSpec,
  ruleAdd,
  ruleDel,
  type RuleInfo,
  ruleList,
  type RuleSpec,
} from "../../netlink/mod.ts";
import { formatCidr, networkOf, parseCidr, parseIp } from "../../ip/mod.ts";
import { loadSbrConf, type SbrConf } from "./config.ts";
import { lockNetns } from "./lock.ts";
import { addressesFor, copiesRoute, FIRST_TABLE_ID, firstFreeTable, hostPrefix } from "./plan.ts";
import { builtinAbout } from "../about.ts";

/** `RT_SCOPE_LINK`. */
const SCOPE_LINK = 253;
/** `RT_TABLE_MAIN`. */
const MAIN = 254;

type Undo = () => void;

function fail(msg: string, cause?: unknown): CniError {
  return new CniError(ErrorCode.Internal, msg, cause === undefined ? {} : { cause });
}

/** `prevResult` in the current shape, or undefined. */
function currentPrev(args: CmdArgs): Result | undefined {
  const raw = args.config.prevResult;
  if (raw === undefined || raw === null) return undefined;
  try {
    return toCurrentResult(raw);
  } catch (err) {
    throw new CniError(ErrorCode.DecodingFailure, "could not parse prevResult", {
      details: errorText(err),
      cause: err,
    });
  }
}

/** A route as read, to add, replace or delete again (in `table`, when given). */
function specOf(r: RouteInfo, index: number, table?: number): RouteSpec {
  return {
    dst: r.dst,
    link: { index },
    scope: r.scope,
    table: table ?? r.table,
    protocol: r.protocol,
    ...(r.gw !== undefined && { gw: r.gw }),
    ...(r.metric !== undefined && { metric: r.metric }),
    ...(r.src !== undefined && { src: r.src }),
    ...(r.mtu !== undefined && { mtu: r.mtu }),
    ...(r.advmss !== undefined && { advmss: r.advmss }),
  };
}

function tryQuiet(fn: () => void): void {
  try {
    fn();
  } catch {
    // undo is best effort
  }
}

function addRule(sock: NetlinkSocket, rule: RuleSpec, undo: Undo[], what: string): void {
  try {
    ruleAdd(sock, rule);
  } catch (err) {
    throw fail(`${what}: ${errorText(err)}`, err);
  }
  undo.push(() => tryQuiet(() => ruleDel(sock, rule)));
}

/** `doRoutesWithTable`: every address's rule on the given table, nothing else. */
function rulesOnTable(sock: NetlinkSocket, ips: IPConfig[], table: number, undo: Undo[]): void {
  for (const ip of ips) {
    addRule(sock, { src: hostPrefix(ip.address), table }, undo, "failed to add rule");
  }
}

/** `doRoutes`: a table per address, its rule, default route and copied routes. */
function routesPerAddress(
  sock: NetlinkSocket,
  ips: IPConfig[],
  ifName: string,
  conf: SbrConf,
  undo: Undo[],
  log: PluginLog,
): void {
  let rules: RuleInfo[];
  try {
    rules = ruleList(sock);
  } catch (err) {
    throw fail(`Failed to list all rules: ${errorText(err)}`, err);
  }
  let all: RouteInfo[];
  try {
    all = routeList(sock, { table: 0 });
  } catch (err) {
    throw fail(`Failed to list all routes: ${errorText(err)}`, err);
  }
  const used = new Set([...rules.map((r) => r.table), ...all.map((r) => r.table)]);
  let table = firstFreeTable(used, FIRST_TABLE_ID);
  const link: Link | undefined = linkFind(sock, { name: ifName });
  if (!link) throw fail(`Cannot find network interface ${ifName}: Link not found`);
  const index = link.index;
  const linkRoutes = all.filter((r) => r.table === MAIN && r.linkIndex === index);
  for (const ip of ips) {
    const family = parseCidr(ip.address)!.ip.family;
    addRule(sock, { src: hostPrefix(ip.address), table }, undo, "Failed to add rule");
    const gw = (family === 4 ? conf.gatewayV4 : conf.gatewayV6) ?? ip.gateway;
    if (gw !== undefined) {
      const route: RouteSpec = {
        dst: family === 4 ? "0.0.0.0/0" : "::/0",
        gw,
        table,
        link: { index },
      };
      try {
        routeAdd(sock, route);
      } catch (err) {
        throw fail(`Failed to add default route to ${gw}: ${errorText(err)}`, err);
      }
      undo.push(() => tryQuiet(() => routeDel(sock, route)));
    }
    for (const r of linkRoutes) {
      if (!copiesRoute(ip.address, r)) continue;
      const copy = specOf(r, index, table);
      try {
        routeReplace(sock, copy);
      } catch (err) {
        throw fail(`Failed to readd route: ${errorText(err)}`, err);
      }
      undo.push(() => tryQuiet(() => routeDel(sock, copy)));
    }
    table = firstFreeTable(used, table + 1);
  }
  if (conf.addSourceHints) {
    for (const ip of ips) {
      const addr = parseCidr(ip.address)!;
      const subnet = formatCidr(networkOf(addr));
      try {
        routeReplace(sock, {
          dst: subnet,
          link: { index },
          src: ip.address.split("/")[0]!,
          table: MAIN,
          scope: "link",
        });
      } catch (err) {
        log(`Warning: Failed to add subnet route to main table: ${errorText(err)}`);
      }
    }
    for (const r of linkRoutes) {
      if (r.scope === SCOPE_LINK) continue;
      try {
        routeDel(sock, specOf(r, index));
        undo.push(() => tryQuiet(() => routePrepend(sock, specOf(r, index))));
      } catch (err) {
        log(`Warning: Failed to delete route: ${errorText(err)}`);
      }
    }
    return;
  }
  // Removed only now, not while copying: two addresses of one subnet both need them.
  for (const r of linkRoutes) {
    try {
      routeDel(sock, specOf(r, index));
    } catch (err) {
      throw fail(`Failed to delete route: ${errorText(err)}`, err);
    }
    undo.push(() => tryQuiet(() => routePrepend(sock, specOf(r, index))));
  }
}

async function lockOrFail(path: string) {
  try {
    return await lockNetns(path);
  } catch (err) {
    if (err instanceof CniError) throw err;
    throw fail(`failed to lock netns "${path}": ${errorText(err)}`, err);
  }
}

async function cmdAdd(args: CmdArgs, ctx: PluginContext): Promise<Result> {
  const conf = loadSbrConf(args.config);
  const prev = currentPrev(args);
  if (!prev) throw fail("This plugin must be called as chained plugin");
  const ips = addressesFor(args.ifName, prev);
  const passOn = prevResultAsGiven(args)!;
  using _lock = await lockOrFail(args.netns);
  using ns = openContainerNs(args.netns);
  using sock = openNetlink({ netns: ns });
  const undo: Undo[] = [];
  try {
    if (conf.table !== undefined) rulesOnTable(sock, ips, conf.table, undo);
    else routesPerAddress(sock, ips, args.ifName, conf, undo, ctx.log);
  } catch (err) {
    for (const step of undo.reverse()) step();
    throw err;
  }
  return passOn;
}

/** The IPs (no prefix) the rules to delete have as source. */
function addressesToTidy(sock: NetlinkSocket, args: CmdArgs): {
  ips: Set<string>;
  link: Link | undefined;
} {
  const link = linkFind(sock, { name: args.ifName });
  const ips = new Set<string>();
  if (link) {
    for (const a of addrList(sock, { link: { index: link.index } })) ips.add(a.ip);
    return { ips, link };
  }
  // Beyond the reference (which gives up): the interface is gone, its routes with it; its
  // addresses are still in prevResult.
  let prev: Result | undefined;
  try {
    prev = currentPrev(args);
  } catch {
    prev = undefined;
  }
  for (const ip of prev?.ips ?? []) {
    const c = parseCidr(ip.address);
    if (c) ips.add(ip.address.split("/")[0]!);
  }
  return { ips, link };
}

async function cmdDel(args: CmdArgs): Promise<void> {
  const conf = loadSbrConf(args.config, { lenient: true });
  if (args.netns === "") return;
  let lock;
  try {
    lock = await lockNetns(args.netns);
  } catch (err) {
    // The namespace is gone, and its rules with it.
    if (err instanceof ErrnoError && err.code === "ENOENT") return;
    if (err instanceof CniError) throw err;
    throw fail(`failed to lock netns "${args.netns}": ${errorText(err)}`, err);
  }
  using _lock = lock;
  using ns = openContainerNs(args.netns);
  using sock = openNetlink({ netns: ns });
  let rules: RuleInfo[];
  try {
    rules = ruleList(sock).filter((r) => conf.table === undefined || r.table === conf.table);
  } catch (err) {
    throw fail(`Failed to list all rules to tidy: ${errorText(err)}`, err);
  }
  const { ips, link } = addressesToTidy(sock, args);
  const errors: string[] = [];
  const tables = new Set<number>();
  for (const rule of rules) {
    if (rule.src === undefined) continue;
    const ip = parseIp(rule.src.split("/")[0]!);
    if (!ip || !ips.has(rule.src.split("/")[0]!)) continue;
    try {
      ruleDel(sock, {
        family: rule.family,
        priority: rule.priority,
        src: rule.src,
        table: rule.table,
      });
      tables.add(rule.table);
    } catch (err) {
      errors.push(`Failed to delete rule ${errorText(err)}`);
    }
  }
  // Beyond the reference: the interface's routes in the tables sbr picked go too (with the
  // interface deleted next they would anyway; this leaves nothing when it is kept).
  if (link && conf.table === undefined) {
    for (const table of tables) {
      if (table === MAIN || table < FIRST_TABLE_ID) continue;
      for (const r of routeList(sock, { table }).filter((r) => r.linkIndex === link.index)) {
        try {
          routeDel(sock, specOf(r, link.index));
        } catch (err) {
          errors.push(`failed to delete route ${r.dst} table ${table}: ${errorText(err)}`);
        }
      }
    }
  }
  if (errors.length > 0) throw fail(errors.join("; "));
}

async function cmdCheck(args: CmdArgs): Promise<void> {
  const conf = loadSbrConf(args.config);
  const prev = currentPrev(args);
  // The reference checks nothing; with no prevResult there is nothing to check against.
  if (!prev) return;
  const ips = addressesFor(args.ifName, prev);
  using _lock = await lockOrFail(args.netns);
  using ns = openContainerNs(args.netns);
  using sock = openNetlink({ netns: ns });
  const rules = ruleList(sock);
  for (const ip of ips) {
    const src = hostPrefix(ip.address);
    const found = rules.some((r) =>
      r.src === src &&
      (conf.table === undefined ? r.table >= FIRST_TABLE_ID : r.table === conf.table)
    );
    if (!found) throw fail(`sbr: no rule "from ${src}" for ${args.ifName}`);
  }
}

/** The sbr plugin's functions (ADD, CHECK, DEL; STATUS answers success). */
export const plugin: PluginFns = {
  add: cmdAdd,
  check: cmdCheck,
  del: cmdDel,
  ...builtinAbout("sbr"),
};
