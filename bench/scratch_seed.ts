/**
 * A throwaway seed network for the standalone probes (`profile.ts`, `isolates.ts`,
 * `plugin_cost.ts`; the plugins after its bridge may be given): unique
 * names, a temp dir for host-local's data and the result cache, the in-process invoker, and a
 * removal of the bridge and the dir. Namespaces stay the probe's own business.
 *
 * @module
 */
import { join } from "node:path";
import { selectInvoker } from "../cni/invoke_builtin.ts";
import type { Invoker } from "../cni/invoke.ts";
import type { NetworkConfigList } from "../cni/conf.ts";
import { BUILTIN_PLUGINS } from "../plugins/mod.ts";
import { seedList } from "./seed.ts";

/** What a probe runs against. */
export interface ScratchSeed {
  /** Six hex digits naming everything of this run. */
  id: string;
  /** The temp dir. */
  tmp: string;
  /** The seed list (its bridge is named from `prefix` and `id`). */
  list: NetworkConfigList;
  /** Our plugins in-process. */
  invoker: Invoker;
  /** The result cache directory. */
  cacheDir: string;
  /** Removes the bridge and the temp dir. */
  remove(): Promise<void>;
}

/**
 * Makes the names, the temp dir and the seed list of a probe.
 *
 * @param prefix Three letters: the bridge is `<prefix><id>`, the network `<prefix>-<id>`.
 * @param subnet The /16 to allocate from.
 * @param ipMasq Whether the bridge masquerades.
 * @param chained The plugins after the bridge (default: loopback).
 * @returns The seed.
 */
export function scratchSeed(
  prefix: string,
  subnet: string,
  ipMasq = false,
  chained?: readonly Record<string, unknown>[],
): ScratchSeed {
  const id = crypto.randomUUID().slice(0, 6);
  const tmp = Deno.makeTempDirSync({ prefix: `denocni-${prefix}-` });
  const bridge = `${prefix}${id}`;
  return {
    id,
    tmp,
    list: seedList({
      name: `${prefix}-${id}`,
      bridge,
      subnet,
      dataDir: join(tmp, "ipam"),
      ipMasq,
      ...(chained && { chained }),
    }),
    invoker: selectInvoker({ mode: "prefer", registry: BUILTIN_PLUGINS, cniPath: [], env: {} }),
    cacheDir: join(tmp, "cache"),
    async remove() {
      await new Deno.Command("ip", { args: ["link", "del", bridge], stderr: "null" }).output();
      Deno.removeSync(tmp, { recursive: true });
    },
  };
}
