/**
 * Undoing a failed ADD: the steps done so far, run last-first, each failure logged as a
 * warning (`rollback: ...`) and the rest still run; and the step that gives IPAM's addresses
 * back.
 *
 * @module
 */
import { errorText } from "../../cni/errors.ts";
import type { CmdArgs, PluginContext, PluginLog } from "../../cni/plugin.ts";

/** One step that undoes part of a failed ADD. */
export type Undo = () => Promise<void> | void;

/**
 * Runs `undo` last-first; a step that fails is logged (`rollback: <text>`) and the others
 * still run.
 *
 * @param undo The steps, in the order they were pushed (reversed in place).
 * @param log Where the failures are logged.
 */
export async function runUndo(undo: Undo[], log: PluginLog): Promise<void> {
  for (const step of undo.reverse()) {
    try {
      await step();
    } catch (err) {
      log(`rollback: ${errorText(err)}`);
    }
  }
}

/**
 * The step that releases what IPAM gave (a delegated DEL); its failure is logged
 * (`failed to release IPAM lease: <text>`), never thrown.
 *
 * @param ctx The call's context (delegate and log).
 * @param ipamType The IPAM plugin type.
 * @param args The call.
 * @returns The undo step.
 */
export function releaseIpam(ctx: PluginContext, ipamType: string, args: CmdArgs): Undo {
  return async () => {
    try {
      await ctx.delegate.del(ipamType, args.stdinData, args);
    } catch (err) {
      ctx.log(`failed to release IPAM lease: ${errorText(err)}`);
    }
  };
}
