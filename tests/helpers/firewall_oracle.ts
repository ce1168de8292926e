// deno-lint-ignore-file no-explicit-any -- JSON from `nft -j` is read loosely in tests
/**
 * Firewall oracles for privileged tests (`iptables -S` lines, `nft -j` rules by comment,
 * tables present) and removal of what a test's plugins made: a masquerade chain and its
 * jumps, nft rules by comment, firewall tables that a test created and left empty.
 *
 * @module
 */
import { IS_ROOT } from "./assert.ts";
import { run, sh } from "./run.ts";

/**
 * Lines of `iptables -t nat -S` (or ip6tables) mentioning a string.
 *
 * @param needle What to look for.
 * @param v6 Use ip6tables.
 * @returns Matching lines.
 */
export async function natRules(needle: string, v6 = false): Promise<string[]> {
  const out = await sh(v6 ? "ip6tables" : "iptables", "-w", "-t", "nat", "-S");
  return out.split("\n").filter((l) => l.includes(needle));
}

/**
 * Removes an iptables masquerade chain and its POSTROUTING jumps (test cleanup).
 *
 * @param chain Chain name.
 */
export async function dropNatChain(chain: string): Promise<void> {
  for (const cmd of ["iptables", "ip6tables"]) {
    const out = await run(cmd, ["-w", "-t", "nat", "-S", "POSTROUTING"]);
    for (const line of out.stdout.split("\n")) {
      if (line.includes(`-j ${chain}`) && line.startsWith("-A ")) {
        const args = splitShell(line.replace(/^-A /, "-D "));
        await run(cmd, ["-w", "-t", "nat", ...args]);
      }
    }
    await run(cmd, ["-w", "-t", "nat", "-F", chain]);
    await run(cmd, ["-w", "-t", "nat", "-X", chain]);
  }
}

function splitShell(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re)) {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!);
  }
  return out;
}

/**
 * nft rules (JSON objects) of a chain whose comment contains `needle`.
 *
 * @param family Table family.
 * @param table Table.
 * @param chain Chain.
 * @param needle Comment substring.
 * @returns Matching rule objects, or [] when the chain is absent.
 */
export async function nftRules(
  family: string,
  table: string,
  chain: string,
  needle: string,
): Promise<Record<string, any>[]> {
  const out = await run("nft", ["-j", "list", "chain", family, table, chain]);
  if (out.code !== 0) return [];
  const j = JSON.parse(out.stdout) as { nftables: Record<string, any>[] };
  return j.nftables.flatMap((e) =>
    e.rule && String(e.rule.comment ?? "").includes(needle) ? [e.rule] : []
  );
}

/**
 * Whether an nft chain exists.
 *
 * @param family Family.
 * @param table Table.
 * @param chain Chain.
 * @returns True when listed.
 */
export async function nftChainExists(
  family: string,
  table: string,
  chain: string,
): Promise<boolean> {
  return (await run("nft", ["list", "chain", family, table, chain])).code === 0;
}

/**
 * Deletes nft rules of a chain whose comment contains `needle` (test cleanup).
 *
 * @param family Family.
 * @param table Table.
 * @param chain Chain.
 * @param needle Comment substring.
 */
export async function dropNftRules(
  family: string,
  table: string,
  chain: string,
  needle: string,
): Promise<void> {
  for (const r of await nftRules(family, table, chain, needle)) {
    await run("nft", ["delete", "rule", family, table, chain, "handle", String(r.handle)]);
  }
}

/**
 * An nft table (family, name) and the chain whose rules make it busy (`undefined`: any rule).
 */
export type FirewallTable = readonly [family: string, name: string, chain: string | undefined];

/** Tables the masquerade and spoof-check code (or iptables-nft) may create. */
export const FIREWALL_TABLES: readonly FirewallTable[] = [
  ["ip", "nat", undefined],
  ["ip6", "nat", undefined],
  ["inet", "cni_plugins_masquerade", "masq_checks"],
  ["bridge", "nat", "PREROUTING"],
];

/**
 * Which of the firewall tables exist now.
 *
 * @returns `family name` keys.
 */
export async function firewallTables(): Promise<Set<string>> {
  const out = await run("nft", ["list", "tables"]);
  return new Set(out.stdout.split("\n").map((l) => l.replace(/^table /, "").trim()));
}

/**
 * Deletes firewall tables that did not exist in `before` when they hold no rules of
 * anybody's (for the masquerade and spoof-check tables: none in their per-rule chain).
 *
 * @param before The snapshot from {@linkcode firewallTables}.
 * @param tables The tables considered (default {@linkcode FIREWALL_TABLES}).
 */
export async function dropNewEmptyTables(
  before: Set<string>,
  tables: readonly FirewallTable[] = FIREWALL_TABLES,
): Promise<void> {
  for (const [family, name, chain] of tables) {
    if (before.has(`${family} ${name}`)) continue;
    const out = await run("nft", ["-j", "list", "table", family, name]);
    if (out.code !== 0) continue;
    const items = (JSON.parse(out.stdout) as { nftables: Record<string, any>[] }).nftables;
    const busy = items.some((e) => e.rule && (chain === undefined || e.rule.chain === chain));
    if (!busy) await run("nft", ["delete", "table", family, name]);
  }
}

/**
 * Registers the test file's teardown of firewall tables (as root; nothing otherwise): before
 * each test the tables present are noted, after it (also when it failed) the ones it created
 * and left empty are deleted, so every test leaves the tables as it found them and can run
 * alone.
 *
 * @param opts `noneLeft`: after deleting, fail when a masquerade or spoof-check table the test
 *   created is still there (it holds a rule the test left behind).
 */
export function dropNewFirewallTablesAfterEachTest(opts: { noneLeft?: boolean } = {}): void {
  if (!IS_ROOT) return;
  let before = new Set<string>();
  Deno.test.beforeEach(async () => {
    before = await firewallTables();
  });
  Deno.test.afterEach(async () => {
    await dropNewEmptyTables(before);
    if (!opts.noneLeft) return;
    const now = await firewallTables();
    const left = FIREWALL_TABLES.filter(([, , chain]) => chain !== undefined)
      .map(([f, n]) => `${f} ${n}`).filter((t) => !before.has(t) && now.has(t));
    if (left.length > 0) {
      throw new Error(`the test left rules in firewall tables it created: ${left.join(", ")}`);
    }
  });
}
