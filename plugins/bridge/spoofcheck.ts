/**
 * The MAC spoof check (`macspoofchk`), as the reference `pkg/link/spoofcheck.go` builds it
 * with the `nft` binary and JSON: table `bridge nat`, base chain `PREROUTING` (filter,
 * prerouting, priority -300, policy accept), and per attachment the chains
 * `cni-br-iface-<id>-<if>` and `...-mac` that drop frames from the host port whose source MAC
 * is not the container's. Every rule carries the comment `macspoofchk-<id>-<if>`.
 *
 * @module
 */
import { runTool, runToolOk, ToolError } from "./exec.ts";

const TABLE = "nat";
const FAMILY = "bridge";
const BASE_CHAIN = "PREROUTING";

/** What identifies one spoof-checked attachment. */
export interface SpoofCheckIds {
  /** Container ID. */
  containerId: string;
  /** Container interface name. */
  ifName: string;
  /** Host-side veth name. */
  hostIface: string;
  /** Container MAC address. */
  mac: string;
}

/**
 * Names used for one attachment.
 *
 * @param containerId Container ID.
 * @param ifName Container interface name.
 * @returns The reference ID, both chain names and the rule comment.
 */
export function spoofCheckNames(
  containerId: string,
  ifName: string,
): { refId: string; ifaceChain: string; macChain: string; comment: string } {
  const refId = `${containerId}-${ifName}`;
  const ifaceChain = `cni-br-iface-${refId}`;
  return { refId, ifaceChain, macChain: `${ifaceChain}-mac`, comment: `macspoofchk-${refId}` };
}

function chain(name: string): Record<string, unknown> {
  return { family: FAMILY, table: TABLE, name };
}

function rule(chainName: string, expr: unknown[], comment: string): Record<string, unknown> {
  return { family: FAMILY, table: TABLE, chain: chainName, expr, comment };
}

/**
 * The two JSON transactions of the set-up (tables and chains, then the rules).
 *
 * @param ids The attachment.
 * @returns `[declare, rules]` as `nft -j -f -` input objects.
 */
export function spoofCheckSetupTransactions(ids: SpoofCheckIds): [unknown, unknown] {
  const n = spoofCheckNames(ids.containerId, ids.ifName);
  const declare = {
    nftables: [
      { add: { table: { family: FAMILY, name: TABLE } } },
      {
        add: {
          chain: {
            ...chain(BASE_CHAIN),
            type: "filter",
            hook: "prerouting",
            prio: -300,
            policy: "accept",
          },
        },
      },
      { add: { chain: chain(n.ifaceChain) } },
      { add: { chain: chain(n.macChain) } },
    ],
  };
  const rules = {
    nftables: [
      { flush: { chain: chain(n.ifaceChain) } },
      { flush: { chain: chain(n.macChain) } },
      {
        add: {
          rule: rule(BASE_CHAIN, [
            { match: { op: "==", left: { meta: { key: "iifname" } }, right: ids.hostIface } },
            { jump: { target: n.ifaceChain } },
          ], n.comment),
        },
      },
      { add: { rule: rule(n.ifaceChain, [{ jump: { target: n.macChain } }], n.comment) } },
      {
        add: {
          rule: rule(n.macChain, [
            {
              match: {
                op: "==",
                left: { payload: { protocol: "ether", field: "saddr" } },
                right: ids.mac,
              },
            },
            { return: null },
          ], n.comment),
        },
      },
      { add: { rule: rule(n.macChain, [{ drop: null }], n.comment) } },
    ],
  };
  return [declare, rules];
}

async function applyJson(doc: unknown): Promise<void> {
  await runToolOk("nft", ["-j", "-f", "-"], { stdin: JSON.stringify(doc) });
}

/**
 * Installs the spoof check for an attachment.
 *
 * @param ids The attachment.
 * @returns When installed.
 * @throws {Error} `failed to setup spoof-check: ...`.
 */
export async function setupSpoofCheck(ids: SpoofCheckIds): Promise<void> {
  const [declare, rules] = spoofCheckSetupTransactions(ids);
  try {
    await applyJson(declare);
    await applyJson(rules);
  } catch (err) {
    throw new Error(`failed to setup spoof-check: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Removes an attachment's spoof check: the PREROUTING jump found by its comment (reading only
 * that chain), then both per-attachment chains. Missing pieces are not errors.
 *
 * @param containerId Container ID.
 * @param ifName Container interface name.
 * @returns When removed.
 * @throws {Error} When nft fails for another reason than absence.
 */
export async function teardownSpoofCheck(containerId: string, ifName: string): Promise<void> {
  const n = spoofCheckNames(containerId, ifName);
  const errors: string[] = [];
  const list = await runTool("nft", ["-j", "list", "chain", FAMILY, TABLE, BASE_CHAIN]);
  if (list.code === 0) {
    const parsed = JSON.parse(list.stdout) as {
      nftables?: { rule?: { chain?: string; handle: number; comment?: string } }[];
    };
    const handles = (parsed.nftables ?? []).flatMap((e) =>
      e.rule && e.rule.chain === BASE_CHAIN && e.rule.comment === n.comment ? [e.rule.handle] : []
    );
    if (handles.length > 0) {
      try {
        await applyJson({
          nftables: handles.map((handle) => ({
            delete: { rule: { family: FAMILY, table: TABLE, chain: BASE_CHAIN, handle } },
          })),
        });
      } catch (err) {
        errors.push(`failed to delete iface match rule: ${(err as Error).message}`);
      }
    }
  } else if (!/No such file or directory/i.test(list.stderr)) {
    errors.push(
      new ToolError(
        ["nft", "-j", "list", "chain", FAMILY, TABLE, BASE_CHAIN],
        list.code,
        list.stderr,
      )
        .message,
    );
  }
  for (const name of [n.ifaceChain, n.macChain]) {
    const out = await runTool("nft", ["-j", "-f", "-"], {
      stdin: JSON.stringify({ nftables: [{ delete: { chain: chain(name) } }] }),
    });
    if (out.code !== 0 && !/No such file or directory/i.test(out.stderr)) {
      errors.push(`failed to delete regular chains: ${out.stderr.trim()}`);
    }
  }
  if (errors.length > 0) throw new Error(errors.join("; "));
}
