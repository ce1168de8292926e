/**
 * Policy-routing rule operations shaped like `ip rule`: add, delete and list.
 *
 * @module
 */
import { NLM_F_CREATE, NLM_F_EXCL } from "../constants.ts";
import { RTM_DELRULE, RTM_GETRULE, RTM_NEWRULE } from "../rule_constants.ts";
import {
  encodeRuleDumpRequest,
  encodeRuleRequest,
  parseRuleMessage,
  type RuleInfo,
  type RuleSpec,
  ruleText,
} from "../rule.ts";
import type { IpFamily } from "../addr.ts";
import type { NetlinkSocket } from "../socket.ts";

/**
 * Adds a rule, exclusively (`NLM_F_CREATE | NLM_F_EXCL`). Without `priority` the kernel gives
 * it the one below the first rule with a non-zero priority (32765 in a fresh namespace).
 *
 * Equivalent to: `ip [-6] rule add [not] [pref P] [from A/L] [to A/L] [iif I] [oif O]
 * [fwmark M] [table T]`
 *
 * @example Source-based routing for one address
 * ```ts ignore
 * using sock = openNetlink({ netns: "/run/netns/blue" });
 * ruleAdd(sock, { src: "10.1.2.3/32", table: 100 });
 * ```
 *
 * @param sock An open socket.
 * @param rule The rule (table default: main).
 * @throws {NetlinkError} `EEXIST` when the same rule exists.
 * @throws {NetlinkInputError} When an address, name or number is invalid.
 */
export function ruleAdd(sock: NetlinkSocket, rule: RuleSpec): void {
  const { body, attrs } = encodeRuleRequest(rule, "add");
  sock.request(
    { type: RTM_NEWRULE, flags: NLM_F_CREATE | NLM_F_EXCL, body, attrs },
    { op: "rule add", target: ruleText(rule) },
  );
}

/**
 * Deletes the first rule matching what is given (unset fields match anything, as `ip rule
 * del` does).
 *
 * Equivalent to: `ip [-6] rule del [pref P] [from A/L] [to A/L] [iif I] [oif O] [fwmark M]
 * [table T]`
 *
 * @param sock An open socket.
 * @param rule What to match.
 * @throws {NetlinkError} `ENOENT` when no rule matches.
 * @throws {NetlinkInputError} When an address, name or number is invalid.
 */
export function ruleDel(sock: NetlinkSocket, rule: RuleSpec): void {
  const { body, attrs } = encodeRuleRequest(rule, "del");
  sock.request({ type: RTM_DELRULE, body, attrs }, { op: "rule del", target: ruleText(rule) });
}

/**
 * Lists rules, of one family or both, in priority order.
 *
 * Equivalent to: `ip [-4|-6] rule show`
 *
 * @param sock An open socket.
 * @param filter `family`: 4 or 6 (default both).
 * @returns The rules.
 * @throws {NetlinkError} When the dump fails.
 */
export function ruleList(sock: NetlinkSocket, filter: { family?: IpFamily } = {}): RuleInfo[] {
  const msgs = sock.dump(
    { type: RTM_GETRULE, body: encodeRuleDumpRequest(filter.family) },
    { op: "rule show", target: filter.family ? `-${filter.family}` : "all" },
  );
  const out: RuleInfo[] = [];
  for (const m of msgs) {
    if (m.header.type !== RTM_NEWRULE) continue;
    const r = parseRuleMessage(m.payload);
    if (r && (filter.family === undefined || r.family === filter.family)) out.push(r);
  }
  return out;
}
