/**
 * nftables through the system `nft` binary: a change is one `nft -f -` transaction (text
 * syntax, needed where users give rule fragments as text) or one `nft -j -f -` batch (JSON),
 * applied atomically or not at all; rules are read back with `nft -j list` and deleted by
 * handle. Parsing and script building are pure; tool runs go through a
 * {@linkcode ToolRunner}.
 *
 * @module
 */
import { runTool, ToolError, type ToolRunner } from "./exec.ts";

/** Options of the tool-running functions. */
export interface NftOptions {
  /** Runs each tool process (default: {@linkcode runTool}). */
  run?: ToolRunner;
}

/** One rule as `nft -j list` shows it. */
export interface NftRule {
  /** Table family (`ip`, `ip6`, `inet`, ...). */
  family: string;
  /** Table name. */
  table: string;
  /** Chain name. */
  chain: string;
  /** Rule handle. */
  handle: number;
  /** Rule comment, if any. */
  comment?: string;
  /** The rule's expressions (nft JSON schema). */
  expr: unknown[];
}

/** One element of a set as `nft -j list` shows it. */
export interface NftElement {
  /** The value (`"10.0.0.2"`, `{ concat: [...] }`, ...). */
  val: unknown;
  /** The element comment, if any. */
  comment?: string;
}

/** One set as `nft -j list` shows it. */
export interface NftSet {
  /** Table family. */
  family: string;
  /** Table name. */
  table: string;
  /** Set name. */
  name: string;
  /** Its elements. */
  elements: NftElement[];
}

/** What `nft -j list table` shows. */
export interface NftTable {
  /** Chain names. */
  chains: string[];
  /** Rules, in listing order. */
  rules: NftRule[];
  /** Sets with their elements. */
  sets: NftSet[];
}

const MISSING_REGEXP = /No such file or directory|does not exist/i;

/**
 * Whether `nft` stderr says the table or chain asked for does not exist.
 *
 * @param stderr The tool's stderr.
 * @returns True for "No such file or directory".
 */
export function isNftMissing(stderr: string): boolean {
  return MISSING_REGEXP.test(stderr);
}

/**
 * The rules in `nft -j list ...` output.
 *
 * @param text The JSON text.
 * @returns Every rule object, in listing order.
 * @throws {SyntaxError} When the text is not JSON.
 *
 * @example One rule
 * ```ts
 * import { parseNftRules } from "./nft.ts";
 * parseNftRules('{"nftables":[{"rule":{"family":"ip","table":"t","chain":"c","handle":4,"comment":"x","expr":[]}}]}');
 * // [{ family: "ip", table: "t", chain: "c", handle: 4, comment: "x", expr: [] }]
 * ```
 */
export function parseNftRules(text: string): NftRule[] {
  const parsed = JSON.parse(text) as { nftables?: { rule?: Record<string, unknown> }[] };
  const out: NftRule[] = [];
  for (const item of parsed.nftables ?? []) {
    const r = item.rule;
    if (!r || typeof r.handle !== "number") continue;
    const rule: NftRule = {
      family: String(r.family),
      table: String(r.table),
      chain: String(r.chain),
      handle: r.handle,
      expr: Array.isArray(r.expr) ? r.expr : [],
    };
    if (typeof r.comment === "string") rule.comment = r.comment;
    out.push(rule);
  }
  return out;
}

function parseElement(e: unknown): NftElement {
  if (e !== null && typeof e === "object" && "elem" in e) {
    const inner = (e as { elem: { val?: unknown; comment?: unknown } }).elem;
    const out: NftElement = { val: inner.val };
    if (typeof inner.comment === "string") out.comment = inner.comment;
    return out;
  }
  return { val: e };
}

/**
 * Parses `nft -j list table` output: chains, rules and sets.
 *
 * @param text The JSON text.
 * @returns The table's contents.
 * @throws {SyntaxError} When the text is not JSON.
 */
export function parseNftTable(text: string): NftTable {
  const parsed = JSON.parse(text) as { nftables?: Record<string, Record<string, unknown>>[] };
  const table: NftTable = { chains: [], rules: parseNftRules(text), sets: [] };
  for (const item of parsed.nftables ?? []) {
    if (item.chain && typeof item.chain.name === "string") table.chains.push(item.chain.name);
    const s = item.set;
    if (s && typeof s.name === "string") {
      table.sets.push({
        family: String(s.family),
        table: String(s.table),
        name: s.name,
        elements: Array.isArray(s.elem) ? s.elem.map(parseElement) : [],
      });
    }
  }
  return table;
}

/**
 * Lists a whole table: one `nft -j list table`.
 *
 * @param family Table family.
 * @param table Table name.
 * @param options `run`.
 * @returns Its chains, rules and sets, or `undefined` when the table does not exist.
 * @throws {ToolError} When `nft` fails otherwise.
 */
export async function nftListTable(
  family: string,
  table: string,
  options: NftOptions = {},
): Promise<NftTable | undefined> {
  const run = options.run ?? runTool;
  const args = ["-j", "list", "table", family, table];
  const out = await run("nft", args);
  if (out.code !== 0) {
    if (isNftMissing(out.stderr)) return undefined;
    throw new ToolError(["nft", ...args], out.code, out.stderr);
  }
  return parseNftTable(out.stdout);
}

/**
 * Lists the rules of a table, or of one chain: one `nft -j list table|chain`.
 *
 * @param family Table family.
 * @param table Table name.
 * @param options `chain` to list one chain only; `run`.
 * @returns The rules; none when the table (or chain) does not exist.
 * @throws {ToolError} When `nft` fails otherwise.
 */
export async function nftListRules(
  family: string,
  table: string,
  options: NftOptions & { chain?: string } = {},
): Promise<NftRule[]> {
  const run = options.run ?? runTool;
  const args = options.chain === undefined
    ? ["-j", "list", "table", family, table]
    : ["-j", "list", "chain", family, table, options.chain];
  const out = await run("nft", args);
  if (out.code !== 0) {
    if (isNftMissing(out.stderr)) return [];
    throw new ToolError(["nft", ...args], out.code, out.stderr);
  }
  return parseNftRules(out.stdout);
}

/**
 * Applies a text transaction: one `nft -f -` (atomic; nothing is spawned for no lines).
 *
 * @param lines nft commands, one per line.
 * @param options `run`.
 * @returns When applied.
 * @throws {ToolError} When `nft` refuses it (nothing was applied) or cannot start.
 */
export async function nftApply(lines: readonly string[], options: NftOptions = {}): Promise<void> {
  if (lines.length === 0) return;
  const run = options.run ?? runTool;
  const args = ["-f", "-"];
  const out = await run("nft", args, { stdin: lines.join("\n") + "\n" });
  if (out.code !== 0) throw new ToolError(["nft", ...args], out.code, out.stderr);
}

/**
 * Applies a JSON batch: one `nft -j -f -` (atomic; nothing is spawned for no commands).
 *
 * @param commands nft JSON commands (`{ add: { rule: ... } }`, ...).
 * @param options `run`.
 * @returns When applied.
 * @throws {ToolError} When `nft` refuses it (nothing was applied) or cannot start.
 */
export async function nftApplyJson(
  commands: readonly unknown[],
  options: NftOptions = {},
): Promise<void> {
  if (commands.length === 0) return;
  const run = options.run ?? runTool;
  const args = ["-j", "-f", "-"];
  const out = await run("nft", args, { stdin: JSON.stringify({ nftables: commands }) });
  if (out.code !== 0) throw new ToolError(["nft", ...args], out.code, out.stderr);
}

/**
 * The text commands deleting rules by handle.
 *
 * @param rules Rules from {@linkcode nftListRules}.
 * @returns `delete rule <family> <table> <chain> handle <n>` lines.
 */
export function nftDeleteLines(rules: readonly NftRule[]): string[] {
  return rules.map((r) => `delete rule ${r.family} ${r.table} ${r.chain} handle ${r.handle}`);
}

/**
 * The text commands that put `val` in a set with `comment`, whether or not it is there
 * already: nft keeps an existing element's comment on `add element`, so the element is added
 * (to exist), deleted and added again with this comment (the newest owner's).
 *
 * @param set `<family> <table> <set>`.
 * @param val The element (an address).
 * @param comment The comment as an nft literal (quoted).
 * @returns Three `nft -f` lines.
 */
export function nftOwnedElementLines(set: string, val: string, comment: string): string[] {
  return [
    `add element ${set} { ${val} }`,
    `delete element ${set} { ${val} }`,
    `add element ${set} { ${val} comment ${comment} }`,
  ];
}

/**
 * An nft string literal for a comment (nft has no escapes inside quotes, so `"` is dropped)
 * cut to nft's 128-byte comment limit.
 *
 * @param text The comment.
 * @returns The quoted literal.
 */
export function nftComment(text: string): string {
  const clean = text.replaceAll('"', "");
  const bytes = new TextEncoder().encode(clean);
  const cut = bytes.length <= 128 ? clean : new TextDecoder().decode(bytes.slice(0, 128)).replace(
    /\uFFFD+$/,
    "",
  );
  return `"${cut}"`;
}
