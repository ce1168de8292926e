/**
 * The iptables `nat` table as a snapshot and as one transaction: read it with one
 * `iptables -w -t nat -S` (or `ip6tables`) and change it with one
 * `iptables-restore -w --noflush` whose `*nat ... COMMIT` block the kernel applies atomically.
 * Parsing and script building are pure; the two tool runs go through a {@linkcode ToolRunner}.
 *
 * @module
 */
import { runTool, ToolError, type ToolRunner } from "./exec.ts";
import { formatCidr, networkOf, parseCidr } from "./ipaddr.ts";

/** `iptables` or `ip6tables`. */
export type IptablesCmd = "iptables" | "ip6tables";

/** A rule as `iptables -S` prints it after `-A <chain>`: its tokens, unquoted. */
export type RuleSpec = readonly string[];

/** What `iptables -t nat -S` showed: the user chains and the rules of every chain. */
export interface NatSnapshot {
  /** User-defined chains (`-N`). */
  chains: Set<string>;
  /** Rules per chain, in order, each as a normalised spec (see {@linkcode ruleKey}). */
  rules: Map<string, string[]>;
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
 * import { splitRuleLine } from "./nat_table.ts";
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
    const c = parseCidr(t.includes("/") ? t : `${t}/${t.includes(":") ? 128 : 32}`);
    return c ? formatCidr(networkOf(c)) : t;
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
 * Parses `iptables -t nat -S` output.
 *
 * @param text The listing.
 * @returns The chains and the rules per chain.
 */
export function parseNatListing(text: string): NatSnapshot {
  const chains = new Set<string>();
  const rules = new Map<string, string[]>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("-N ")) {
      chains.add(line.slice(3).trim());
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
export function hasRule(snap: NatSnapshot, chain: string, spec: RuleSpec): boolean {
  return snap.rules.get(chain)?.includes(ruleKey(spec)) ?? false;
}

/**
 * Quotes one token for `iptables-restore` (which splits on blanks and honours `"` with `\`
 * escapes inside).
 *
 * @param token The token.
 * @returns The token, quoted when needed.
 */
export function quoteRestoreToken(token: string): string {
  if (token !== "" && !/[\s"'\\#]/.test(token)) return token;
  return `"${token.replace(/["\\]/g, "\\$&")}"`;
}

/**
 * One restore command line, e.g. `-A CHAIN -d 10.0.0.0/24 ...`.
 *
 * @param op `-A`, `-D`, `-N`, `-F` or `-X`.
 * @param chain Chain name.
 * @param spec Rule tokens (none for `-N`/`-F`/`-X`).
 * @returns The line.
 */
export function restoreLine(op: string, chain: string, spec: RuleSpec = []): string {
  return [op, chain, ...spec].map(quoteRestoreToken).join(" ");
}

/**
 * The `iptables-restore --noflush` input for a batch of `nat` commands.
 *
 * @param lines Command lines from {@linkcode restoreLine}.
 * @returns `*nat`, the lines, `COMMIT`.
 */
export function natRestoreScript(lines: readonly string[]): string {
  return `*nat\n${lines.join("\n")}\nCOMMIT\n`;
}

/**
 * Reads the `nat` table: one `<cmd> -w -t nat -S`.
 *
 * @param cmd `iptables` or `ip6tables`.
 * @param options `run`: the tool runner (default: spawn it).
 * @returns The snapshot.
 * @throws {ToolError} When the listing fails.
 */
export async function readNat(
  cmd: IptablesCmd,
  options: { run?: ToolRunner } = {},
): Promise<NatSnapshot> {
  const run = options.run ?? runTool;
  const args = ["-w", "-t", "nat", "-S"];
  const out = await run(cmd, args);
  if (out.code !== 0) throw new ToolError([cmd, ...args], out.code, out.stderr);
  return parseNatListing(out.stdout);
}

/**
 * Applies a batch of `nat` commands atomically: one `<cmd>-restore -w --noflush`.
 *
 * @param cmd `iptables` or `ip6tables`.
 * @param lines Command lines; nothing is spawned when empty.
 * @param options `run`: the tool runner (default: spawn it).
 * @returns `undefined` on success, else the failure (nothing of the batch was applied).
 * @throws {ToolError} When the tool cannot be started.
 */
export async function restoreNat(
  cmd: IptablesCmd,
  lines: readonly string[],
  options: { run?: ToolRunner } = {},
): Promise<Error | undefined> {
  if (lines.length === 0) return undefined;
  const run = options.run ?? runTool;
  const tool = `${cmd}-restore`;
  const args = ["-w", "--noflush"];
  const out = await run(tool, args, { stdin: natRestoreScript(lines) });
  return out.code === 0 ? undefined : new ToolError([tool, ...args], out.code, out.stderr);
}
