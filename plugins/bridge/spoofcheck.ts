/**
 * The MAC spoof check (`macspoofchk`), as the reference `pkg/link/spoofcheck.go` builds it
 * with the `nft` binary and JSON: table `bridge nat`, base chain `PREROUTING` (filter,
 * prerouting, priority -300, policy accept), and per attachment the chains
 * `cni-br-iface-<id>-<if>` and `...-mac` that drop frames from the host port whose source MAC
 * is not the container's. Every rule carries the comment `macspoofchk-<id>-<if>`.
 *
 * The nft runs go through `firewall/nft.ts`. Process cost: set-up is one `nft -j -f -` (the reference's two transactions, declare and
 * fill, sent as one batch: the same end state, atomically); teardown is one `nft -j list
 * chain` of PREROUTING plus one transaction deleting the jump and both chains.
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import { runTool, ToolError, type ToolRunner } from "../../firewall/exec.ts";
import { isNftMissing, nftApplyJson, nftListRules, type NftRule } from "../../firewall/nft.ts";

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
 * The set-up as one JSON batch: declare the table and the three chains (the reference's
 * first transaction), then flush both per-attachment chains and add the rules (its second).
 *
 * @param ids The attachment.
 * @returns The `nft -j -f -` input object.
 */
export function spoofCheckSetupTransaction(ids: SpoofCheckIds): { nftables: unknown[] } {
  const n = spoofCheckNames(ids.containerId, ids.ifName);
  return {
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
}

/** Applies one batch; `undefined` on success, else the failure. */
async function tryApply(commands: unknown[], run: ToolRunner): Promise<ToolError | undefined> {
  try {
    await nftApplyJson(commands, { run });
    return undefined;
  } catch (err) {
    if (err instanceof ToolError) return err;
    throw err;
  }
}

/**
 * Installs the spoof check for an attachment: one `nft -j -f -`.
 *
 * @param ids The attachment.
 * @param options `run`: the tool runner (default: spawn it).
 * @returns When installed.
 * @throws {CniError} Code 999, `failed to setup spoof-check: ...` naming the nft command.
 */
export async function setupSpoofCheck(
  ids: SpoofCheckIds,
  options: { run?: ToolRunner } = {},
): Promise<void> {
  const batch = spoofCheckSetupTransaction(ids).nftables;
  const err = await tryApply(batch, options.run ?? runTool);
  if (err) {
    throw new CniError(ErrorCode.Internal, `failed to setup spoof-check: ${errorText(err)}`, {
      cause: err,
    });
  }
}

/**
 * Removes an attachment's spoof check: reads only the PREROUTING chain to find the jump by
 * its comment, then deletes the jump and both per-attachment chains in one transaction.
 * Missing pieces are not errors: when that transaction is refused because a chain is
 * absent, the pieces are deleted one by one.
 *
 * @param containerId Container ID.
 * @param ifName Container interface name.
 * @param options `run`: the tool runner (default: spawn it).
 * @returns When removed.
 * @throws {CniError} Code 999 when nft fails for another reason than absence.
 */
export async function teardownSpoofCheck(
  containerId: string,
  ifName: string,
  options: { run?: ToolRunner } = {},
): Promise<void> {
  const run = options.run ?? runTool;
  const n = spoofCheckNames(containerId, ifName);
  const errors: string[] = [];
  let jumps: NftRule[] = [];
  try {
    jumps = (await nftListRules(FAMILY, TABLE, { chain: BASE_CHAIN, run }))
      .filter((r) => r.chain === BASE_CHAIN && r.comment === n.comment);
  } catch (err) {
    errors.push(errorText(err));
  }
  const deleteRules = jumps.map(({ handle }) => ({
    delete: { rule: { family: FAMILY, table: TABLE, chain: BASE_CHAIN, handle } },
  }));
  const deleteChains = [n.ifaceChain, n.macChain].map((name) => ({
    delete: { chain: chain(name) },
  }));
  if (await tryApply([...deleteRules, ...deleteChains], run)) {
    // Refused as a whole (a piece is absent, or nft failed): the pieces one by one.
    if (deleteRules.length > 0) {
      const err = await tryApply(deleteRules, run);
      if (err) errors.push(`failed to delete iface match rule: ${err.message}`);
    }
    for (const del of deleteChains) {
      const err = await tryApply([del], run);
      if (err && !isNftMissing(err.stderr)) {
        errors.push(`failed to delete regular chains: ${err.message}`);
      }
    }
  }
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}
