/**
 * iptables tables (`nat`, `filter`, ...) of either family as a snapshot and as one
 * transaction: read a table with one `iptables -w -t <table> -S` (or `ip6tables`), change it
 * with one `iptables-restore -w --noflush` whose `*<table> ... COMMIT` block the kernel applies
 * atomically, or check rules exist with one restore made only of `-C` lines (a missing rule
 * makes the restore fail at its line, and nothing is changed).
 *
 * The pattern every user follows ({@linkcode converge}): send the change written for the
 * usual state as one restore; only when the kernel refuses it (then nothing was applied), read
 * the table and restore just the difference. Parsing and script building are pure; the tool
 * runs go through a {@linkcode ToolRunner}.
 *
 * @module
 */
import { CniError, ErrorCode } from "../cni/errors.ts";
import { iptablesCidr } from "./_cidr.ts";
import { hasControlCharacter } from "./chain_name.ts";
import { runTool, ToolError, type ToolRunner } from "./exec.ts";

/** `iptables` or `ip6tables`. */
export type IptablesCmd = "iptables" | "ip6tables";

/** An iptables table name. */
export type IptablesTable = "nat" | "filter" | "mangle" | "raw" | "security";

/** A rule as `iptables -S` prints it after `-A <chain>`: its tokens, unquoted. */
export type RuleSpec = readonly string[];

/** What `iptables -t <table> -S` showed: the user chains and the rules of every chain. */
export interface TableSnapshot {
  /** User-defined chains (`-N`). */
  chains: Set<string>;
  /** Rules per chain, in order, each as a normalised spec (see {@linkcode ruleKey}). */
  rules: Map<string, string[]>;
}

/** A rule in a chain: where it is and its tokens. */
export interface ChainRule {
  /** The chain. */
  chain: string;
  /** The rule tokens after `-A <chain>`. */
  spec: RuleSpec;
}

/** Options of the tool-running functions. */
export interface IptablesOptions {
  /** Runs each tool process (default: {@linkcode runTool}). */
  run?: ToolRunner;
}

/**
 * Splits one `iptables -S` line into tokens, undoing `xtables_save_string` quoting
 * (`"..."` with `\"`, `\\` and `\'` escapes).
 *
 * @param line One line, e.g. `-A POSTROUTING -s 10.0.0.2/32 -m comment --comment "a b" -j X`.
 * @returns The tokens.
 *
 * @example Quoted comment
 * ```ts
 * import { splitRuleLine } from "./iptables.ts";
 * splitRuleLine('-A X -m comment --comment "name: \\"n\\"" -j ACCEPT');
 * // ["-A", "X", "-m", "comment", "--comment", 'name: "n"', "-j", "ACCEPT"]
 * ```
 */
export function splitRuleLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === " " || line[i] === "\t") i++;
    if (i >= line.length) break;
    let token = "";
    if (line[i] === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === "\\" && i + 1 < line.length) i++;
        token += line[i];
        i++;
      }
      i++;
    } else {
      while (i < line.length && line[i] !== " " && line[i] !== "\t") token += line[i++];
    }
    out.push(token);
  }
  return out;
}

/**
 * A comparable key for a rule spec: tokens joined by NUL, with the address after `-s`/`-d`
 * as iptables prints it (`network/len`: the kernel clears host bits, a bare address is /32
 * or /128).
 *
 * @param spec The rule tokens after `-A <chain>`.
 * @returns The key.
 */
export function ruleKey(spec: RuleSpec): string {
  const tokens = spec.map((t, i) => {
    const prev = spec[i - 1];
    if (prev !== "-s" && prev !== "-d") return t;
    return iptablesCidr(t) ?? t;
  });
  return tokens.join("\0");
}

/**
 * The tokens of a rule key (the inverse of {@linkcode ruleKey}, addresses normalised).
 *
 * @param key A key from {@linkcode ruleKey} or a snapshot.
 * @returns The rule tokens after `-A <chain>`.
 */
export function ruleTokens(key: string): string[] {
  return key.split("\0");
}

/**
 * Parses `iptables -t <table> -S` output (or `iptables-save`: `:CHAIN - [0:0]` declares a
 * user chain there).
 *
 * @param text The listing.
 * @returns The chains and the rules per chain.
 *
 * @example One chain, one rule
 * ```ts
 * import { parseListing } from "./iptables.ts";
 * const snap = parseListing("-P FORWARD ACCEPT\n-N CNI-FORWARD\n-A FORWARD -j CNI-FORWARD\n");
 * snap.chains.has("CNI-FORWARD"); // true
 * snap.rules.get("FORWARD")?.length; // 1
 * ```
 */
export function parseListing(text: string): TableSnapshot {
  const chains = new Set<string>();
  const rules = new Map<string, string[]>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("-N ")) {
      chains.add(line.slice(3).trim());
    } else if (line.startsWith(":")) {
      const [name, policy] = line.slice(1).split(/\s+/);
      if (name && policy === "-") chains.add(name);
    } else if (line.startsWith("-A ")) {
      const tokens = splitRuleLine(line);
      const chain = tokens[1];
      if (chain === undefined) continue;
      const list = rules.get(chain) ?? [];
      list.push(ruleKey(tokens.slice(2)));
      rules.set(chain, list);
    }
  }
  return { chains, rules };
}

/**
 * Whether the snapshot holds a rule.
 *
 * @param snap The snapshot.
 * @param chain Chain name.
 * @param spec Rule tokens.
 * @returns True when present.
 */
export function hasRule(snap: TableSnapshot, chain: string, spec: RuleSpec): boolean {
  return snap.rules.get(chain)?.includes(ruleKey(spec)) ?? false;
}

/**
 * The rules of the snapshot that jump (`-j`) or go (`-g`) to `target`.
 *
 * @param snap The snapshot.
 * @param target A chain name.
 * @returns The rules, in listing order (chains in listing order).
 */
export function rulesTargeting(snap: TableSnapshot, target: string): ChainRule[] {
  const out: ChainRule[] = [];
  for (const [chain, keys] of snap.rules) {
    for (const key of keys) {
      const t = ruleTokens(key);
      for (let i = 0; i < t.length - 1; i++) {
        if ((t[i] === "-j" || t[i] === "-g") && t[i + 1] === target) {
          out.push({ chain, spec: t });
          break;
        }
      }
    }
  }
  return out;
}

/**
 * The `--comment` text of a rule, if it has one.
 *
 * @param spec Rule tokens.
 * @returns The comment, or `undefined`.
 */
export function ruleComment(spec: RuleSpec): string | undefined {
  const i = spec.indexOf("--comment");
  return i >= 0 ? spec[i + 1] : undefined;
}

/**
 * Quotes one token for `iptables-restore` (which splits on blanks and honours `"` with `\`
 * escapes inside). A control character cannot be written: `iptables-restore` reads line by
 * line, so a line break, even quoted, would end the rule and start another one.
 *
 * @param token The token.
 * @returns The token, quoted when needed.
 * @throws {CniError} Code 7 when the token holds a control character.
 */
export function quoteRestoreToken(token: string): string {
  if (hasControlCharacter(token)) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `iptables rule token ${JSON.stringify(token)} holds a control character`,
    );
  }
  if (token !== "" && !/[\s"'\\#]/.test(token)) return token;
  return `"${token.replace(/["\\]/g, "\\$&")}"`;
}

/**
 * One restore command line, e.g. `-A CHAIN -d 10.0.0.0/24 ...`.
 *
 * @param op `-A`, `-I`, `-D`, `-C`, `-N`, `-F` or `-X`.
 * @param chain Chain name (for `-I`, the position may follow as the first spec token).
 * @param spec Rule tokens (none for `-N`/`-F`/`-X`).
 * @returns The line.
 */
export function restoreLine(op: string, chain: string, spec: RuleSpec = []): string {
  return [op, chain, ...spec].map(quoteRestoreToken).join(" ");
}

/**
 * The `iptables-restore --noflush` input for a batch of commands on one table.
 *
 * @param table The table.
 * @param lines Command lines from {@linkcode restoreLine}.
 * @returns `*<table>`, the lines, `COMMIT`.
 */
export function restoreScript(table: IptablesTable, lines: readonly string[]): string {
  return `*${table}\n${lines.join("\n")}\nCOMMIT\n`;
}

/**
 * Reads a table: one `<cmd> -w -t <table> -S`.
 *
 * @param cmd `iptables` or `ip6tables`.
 * @param table The table.
 * @param options `run`: the tool runner (default: spawn it).
 * @returns The snapshot.
 * @throws {ToolError} When the listing fails.
 */
export async function readTable(
  cmd: IptablesCmd,
  table: IptablesTable,
  options: IptablesOptions = {},
): Promise<TableSnapshot> {
  const run = options.run ?? runTool;
  const args = ["-w", "-t", table, "-S"];
  const out = await run(cmd, args);
  if (out.code !== 0) throw new ToolError([cmd, ...args], out.code, out.stderr);
  return parseListing(out.stdout);
}

const FAILED_LINE_REGEXP = /line (\d+) failed|Error occurred at line: (\d+)/;
const NO_CHAIN_REGEXP = /Chain '([^']+)' does not exist/;

/**
 * A refused `iptables-restore`: nothing of its batch was applied. `line` is the 1-based line
 * of the script the tool names (line 1 is `*<table>`), when it names one.
 */
export class RestoreError extends ToolError {
  /** The failing script line, when the tool says. */
  readonly line: number | undefined;
  /** The script that was refused. */
  readonly script: string;

  /**
   * Builds the error.
   *
   * @param argv The restore command line.
   * @param exitCode Its exit status.
   * @param stderr Its stderr.
   * @param script The script it was given.
   */
  constructor(argv: readonly string[], exitCode: number, stderr: string, script: string) {
    super(argv, exitCode, stderr);
    this.name = "RestoreError";
    const m = FAILED_LINE_REGEXP.exec(stderr);
    this.line = m ? Number(m[1] ?? m[2]) : undefined;
    this.script = script;
  }
}

/**
 * Applies a batch of commands to one table atomically: one `<cmd>-restore -w --noflush`.
 *
 * @param cmd `iptables` or `ip6tables`.
 * @param table The table.
 * @param lines Command lines; nothing is spawned when empty.
 * @param options `run`: the tool runner (default: spawn it).
 * @returns `undefined` on success, else the failure (nothing of the batch was applied).
 * @throws {ToolError} When the tool cannot be started.
 */
export async function restoreTable(
  cmd: IptablesCmd,
  table: IptablesTable,
  lines: readonly string[],
  options: IptablesOptions = {},
): Promise<RestoreError | undefined> {
  if (lines.length === 0) return undefined;
  const run = options.run ?? runTool;
  const tool = `${cmd}-restore`;
  const args = ["-w", "--noflush"];
  const script = restoreScript(table, lines);
  const out = await run(tool, args, { stdin: script });
  return out.code === 0
    ? undefined
    : new RestoreError([tool, ...args], out.code, out.stderr, script);
}

/**
 * Brings one table to what `plan` asks for in as few processes as the state allows: with
 * `optimistic`, first the restore `plan(undefined)` writes for the usual state (one process;
 * it should assert what it assumes with `-C` and `-N` lines so that it is refused otherwise);
 * when that is refused or not `optimistic`, read the table and restore `plan(snapshot)`,
 * reading again and retrying once if the table changed in between.
 *
 * @param cmd `iptables` or `ip6tables`.
 * @param table The table.
 * @param plan The restore lines for a state (`undefined`: the assumed usual state), or a
 * promise of them.
 * @param options `optimistic` (default true) and `run`.
 * @returns How many processes ran (1 when the optimistic restore was accepted).
 * @throws {ToolError} The last refusal when the table cannot be brought there.
 *
 * @example Ensure a chain and a rule
 * ```ts ignore
 * await converge("iptables", "filter", (snap) =>
 *   snap?.chains.has("X") ? [] : [restoreLine("-N", "X")]);
 * ```
 */
export async function converge(
  cmd: IptablesCmd,
  table: IptablesTable,
  plan: (snap: TableSnapshot | undefined) => string[] | Promise<string[]>,
  options: IptablesOptions & { optimistic?: boolean } = {},
): Promise<number> {
  const run = options.run ?? runTool;
  let processes = 0;
  if (options.optimistic ?? true) {
    const lines = await plan(undefined);
    if (lines.length === 0) return 0;
    processes++;
    if ((await restoreTable(cmd, table, lines, { run })) === undefined) return processes;
  }
  let failure: ToolError | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    const snap = await readTable(cmd, table, { run });
    const lines = await plan(snap);
    processes += lines.length > 0 ? 2 : 1;
    failure = await restoreTable(cmd, table, lines, { run });
    if (failure === undefined) return processes;
  }
  throw failure!;
}

function jumpsTo(spec: RuleSpec, chain: string): boolean {
  return spec.some((t, i) => (t === "-j" || t === "-g") && spec[i + 1] === chain);
}

/**
 * Checks that rules exist without changing anything: one restore made of `-C` lines. A rule
 * in a missing chain counts as missing.
 *
 * @param cmd `iptables` or `ip6tables`.
 * @param table The table.
 * @param rules The rules to look for.
 * @param options `run`: the tool runner.
 * @returns `undefined` when all exist, else the first missing rule.
 * @throws {ToolError} When the tool fails without naming a line (not startable, bad table).
 */
export async function findMissingRule(
  cmd: IptablesCmd,
  table: IptablesTable,
  rules: readonly ChainRule[],
  options: IptablesOptions = {},
): Promise<ChainRule | undefined> {
  const lines = rules.map((r) => restoreLine("-C", r.chain, r.spec));
  const failure = await restoreTable(cmd, table, lines, options);
  if (failure === undefined) return undefined;
  // A missing chain is only noticed at COMMIT (iptables-nft): name the first rule that needs it.
  const chain = NO_CHAIN_REGEXP.exec(failure.stderr)?.[1];
  const missing = chain !== undefined
    ? rules.find((r) => r.chain === chain || jumpsTo(r.spec, chain))
    : failure.line === undefined
    ? undefined
    : rules[failure.line - 2];
  if (missing === undefined) throw failure;
  return missing;
}
