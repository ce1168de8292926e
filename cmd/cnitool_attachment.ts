/**
 * cnitool's attachment commands, as the reference cnitool: `add`, `check` and `del` of a
 * network's interface in a network namespace.
 *
 * @module
 */
import { addNetworkList, checkNetworkList, delNetworkList } from "../cni/libcni.ts";
import { goMarshal } from "../cni/_json.ts";
import { versionGte } from "../cni/version.ts";
import { requirePrivileges } from "./privileges.ts";
import { type CommandSpec, networkCommand, runtimeOf } from "./cnitool_context.ts";

/** The attachment commands: name to usage, arity and handler. */
export const ATTACHMENT_COMMANDS: Record<string, CommandSpec> = {
  add: networkCommand({
    usage: "add <network> <netns>",
    summary: "Add the network's interface to a network namespace and print the result",
    minArgs: 2,
    maxArgs: 2,
    async run(ctx, s, list) {
      requirePrivileges("cnitool add");
      const result = await addNetworkList(list, await runtimeOf(ctx), s);
      ctx.io.stdout(goMarshal(result, { indent: "    " }));
      return 0;
    },
  }),
  check: networkCommand({
    usage: "check <network> <netns>",
    summary: "Check the network's interface in a network namespace against the cached result",
    minArgs: 2,
    maxArgs: 2,
    async run(ctx, s, list) {
      if (!versionGte(list.cniVersion, "0.4.0")) {
        // libcni refuses CHECK below 0.4.0; cnitool reports that and succeeds, as there is
        // nothing the spec lets it check for such a network.
        ctx.io.stderr(
          `note: network ${JSON.stringify(list.name)} has cniVersion ${list.cniVersion}; ` +
            `CHECK exists from 0.4.0 on, so there is nothing to check\n`,
        );
        return 0;
      }
      requirePrivileges("cnitool check");
      await checkNetworkList(list, await runtimeOf(ctx), s);
      return 0;
    },
  }),
  del: networkCommand({
    usage: "del <network> <netns>",
    summary: "Remove the network's interface from a network namespace (idempotent)",
    minArgs: 2,
    maxArgs: 2,
    async run(ctx, s, list) {
      requirePrivileges("cnitool del");
      await delNetworkList(list, await runtimeOf(ctx), s);
      return 0;
    },
  }),
};
