/**
 * Garbage collection of iptables rules in both address families: what to remove is known only
 * from the table, so each family's table is read and the plan restored from that snapshot.
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "../cni/errors.ts";
import { converge, type IptablesCmd, type IptablesTable, type TableSnapshot } from "./iptables.ts";
import { iptablesUsable } from "./support.ts";

/**
 * The iptables command of an address family.
 *
 * @param family 4 or 6.
 * @returns `iptables` or `ip6tables`.
 */
export function iptablesCmdOf(family: 4 | 6): IptablesCmd {
  return family === 4 ? "iptables" : "ip6tables";
}

/**
 * Brings `table` of both families to `plan(snapshot)` at once, each read first; a family whose
 * tool does not work here is skipped, as the reference skips it.
 *
 * @param table The table.
 * @param plan The restore lines for a snapshot of the table, or a promise of them.
 * @returns When both families are done.
 * @throws {CniError} Code 999 with the failure of each usable family, joined by `; `.
 */
export async function gcBothFamilies(
  table: IptablesTable,
  plan: (snap: TableSnapshot) => string[] | Promise<string[]>,
): Promise<void> {
  const errors: string[] = [];
  await Promise.all(([4, 6] as const).map(async (family) => {
    const cmd = iptablesCmdOf(family);
    try {
      await converge(cmd, table, (s) => plan(s!), { optimistic: false });
    } catch (err) {
      if (await iptablesUsable(cmd)) errors.push(errorText(err));
    }
  }));
  if (errors.length > 0) throw new CniError(ErrorCode.Internal, errors.join("; "));
}
