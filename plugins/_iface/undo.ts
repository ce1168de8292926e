/**
 * Undoing a failed ADD: the steps done so far, run last-first, each failure logged as a
 * warning (`rollback: ...`) and the rest still run; an ADD that runs them when it fails; and
 * the step that gives IPAM's addresses back.
 *
 * @module
 */
import { type CniError, errorText } from "../../cni/errors.ts";
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
 * Runs an ADD that undoes itself: `body` pushes a step for each thing it made; when it fails,
 * its error is turned into a `CniError` by `wrap`, the steps run last-first
 * ({@linkcode runUndo}), and that error is thrown.
 *
 * @param log Where the failures of undo steps are logged.
 * @param wrap Turns what `body` threw into the ADD's error.
 * @param body The ADD, given the list to push undo steps to.
 * @returns What `body` returns.
 * @throws {CniError} What `wrap` made of the failure, after the undo.
 */
export async function addWithUndo<T>(
  log: PluginLog,
  wrap: (err: unknown) => CniError,
  body: (undo: Undo[]) => Promise<T>,
): Promise<T> {
  const undo: Undo[] = [];
  let success = false;
  try {
    const out = await body(undo);
    success = true;
    return out;
  } catch (err) {
    throw wrap(err);
  } finally {
    if (!success) await runUndo(undo, log);
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
