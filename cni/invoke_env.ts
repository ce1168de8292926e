/**
 * The plugin environment as `pkg/invoke/args.go` builds it.
 *
 * @module
 */
import type { InvokeArgs } from "./invoke.ts";

/**
 * The plugin environment as `pkg/invoke/args.go` builds it: the base environment plus all six
 * `CNI_*` variables (empty strings when unset), then `extraEnv`.
 *
 * @param args The call.
 * @param options Base environment and default `CNI_PATH`.
 * @returns The environment.
 */
export function pluginEnv(
  args: InvokeArgs,
  options: { env?: Readonly<Record<string, string>>; cniPath?: readonly string[] } = {},
): Record<string, string> {
  return {
    ...options.env,
    CNI_COMMAND: args.command,
    CNI_CONTAINERID: args.containerId ?? "",
    CNI_NETNS: args.netns ?? "",
    CNI_ARGS: args.args ?? "",
    CNI_IFNAME: args.ifName ?? "",
    CNI_PATH: args.path ?? (options.cniPath ?? []).join(":"),
    ...args.extraEnv,
  };
}
