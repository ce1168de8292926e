/**
 * The plugin object of the interface plugins that make a link in the container (macvlan,
 * ipvlan, vlan, dummy) from what differs between them: how the config is read, the ADD, the
 * CHECK's plan and the STATUS rule. DEL ({@linkcode detach}), CHECK ({@linkcode checkIface}) and
 * STATUS ({@linkcode ipamStatus}) are the same steps for all of them.
 *
 * @module
 */
import type { CmdArgs, PluginContext, PluginFns } from "../../cni/plugin.ts";
import type { Result } from "../../cni/types.ts";
import { builtinAbout, type BuiltinName } from "../about.ts";
import { checkIface, type IfaceCheckPlan } from "./check.ts";
import { detach } from "./detach.ts";
import { type EmptyIpamStatus, ipamStatus } from "./status.ts";

/** What one interface plugin says about itself. */
export interface IfacePluginSpec<C extends { ipamType: string }> {
  /** The plugin's CNI type name (its supported versions and about text: `builtinAbout`). */
  name: BuiltinName;
  /** Reads the config: strictly for ADD and CHECK, leniently for DEL (and STATUS if asked). */
  load(args: CmdArgs, lenient: boolean): C;
  /** ADD with the config read. */
  add(args: CmdArgs, ctx: PluginContext, conf: C): Promise<Result>;
  /** What CHECK checks, for the config read. */
  check(conf: C): IfaceCheckPlan;
  /** STATUS: whether it reads the config leniently, and what an empty IPAM type means. */
  status: { lenient: boolean; emptyIpam: EmptyIpamStatus };
}

/**
 * Builds an interface plugin's functions (ADD, CHECK, DEL, STATUS; its supported versions and
 * about text from the table of `../about.ts`).
 *
 * @param spec What the plugin does differently.
 * @returns The plugin.
 */
export function ifacePlugin<C extends { ipamType: string }>(spec: IfacePluginSpec<C>): PluginFns {
  return {
    add: async (args, ctx) => await spec.add(args, ctx, spec.load(args, false)),
    check: async (args, ctx) => await checkIface(args, ctx, spec.check(spec.load(args, false))),
    del: async (args, ctx) => await detach(args, ctx, spec.load(args, true).ipamType),
    status: async (args, ctx) => {
      const conf = spec.load(args, spec.status.lenient);
      await ipamStatus(args, ctx, conf.ipamType, spec.status.emptyIpam);
    },
    ...builtinAbout(spec.name),
  };
}
