/**
 * cnitool's commands about a whole network: `gc` and `status` (as the reference cnitool),
 * `version`, `list` and `validate`.
 *
 * @module
 */
import { listCachedAttachments } from "../cni/cache.ts";
import { listNetworks } from "../cni/conf_files.ts";
import { gcNetworkList, getStatusNetworkList, validateNetworkList } from "../cni/libcni_network.ts";
import { CURRENT_VERSION, SUPPORTED_VERSIONS } from "../cni/types.ts";
import { goMarshal } from "../cni/_json.ts";
import { type CommandSpec, loadList, networkCommand, settings } from "./cnitool_context.ts";

/** The network commands: name to usage, arity and handler. */
export const NETWORK_COMMANDS: Record<string, CommandSpec> = {
  gc: networkCommand({
    usage: "gc <network> [<netns>] [--all]",
    summary:
      "Let the network's plugins release resources of attachments not in the cache (--all: DEL every cached attachment first, as the reference)",
    minArgs: 1,
    maxArgs: 2,
    async run(ctx, s, list) {
      if (ctx.flags.all) {
        await gcNetworkList(list, s);
        return 0;
      }
      const cached = await listCachedAttachments(s.cacheDir);
      const validAttachments = cached.filter((a) => a.networkName === list.name).map((a) => ({
        containerID: a.containerId,
        ifname: a.ifName,
      }));
      await gcNetworkList(list, { ...s, validAttachments });
      return 0;
    },
  }),
  status: networkCommand({
    usage: "status <network> [<netns>]",
    summary: "Ask the network's plugins whether they are ready for ADD",
    minArgs: 1,
    maxArgs: 2,
    async run(_ctx, s, list) {
      await getStatusNetworkList(list, s);
      return 0;
    },
  }),
  version: {
    usage: "version [<network>]",
    summary: "Print cnitool's spec versions, or the VERSION answer of each plugin of a network",
    minArgs: 0,
    maxArgs: 2,
    async run(ctx) {
      if (ctx.positionals.length === 0) {
        ctx.io.stdout(
          `cnitool (denocni) CNI ${CURRENT_VERSION}\nCNI protocol versions supported: ${
            SUPPORTED_VERSIONS.join(", ")
          }\n`,
        );
        return 0;
      }
      const s = settings(ctx);
      const list = loadList(ctx, s.confDir);
      const out: Record<string, unknown> = {};
      for (const p of list.plugins) out[p.network.type] = await s.invoker.version(p.network.type);
      ctx.io.stdout(goMarshal(out, { indent: "    " }) + "\n");
      return 0;
    },
  },
  list: {
    usage: "list",
    summary: "List the networks in NETCONFPATH with their file and plugins, and files that fail",
    minArgs: 0,
    maxArgs: 0,
    run(ctx) {
      const s = settings(ctx);
      const { networks, errors } = listNetworks(s.confDir);
      if (networks.length === 0 && errors.length === 0) {
        ctx.io.stdout(`no networks in ${s.confDir}\n`);
      }
      for (const n of networks) {
        ctx.io.stdout(
          `${n.name || "(unnamed)"}\t${n.file}\t${n.list.cniVersion}\t${
            n.list.plugins.map((p) => p.network.type).join(",")
          }\n`,
        );
      }
      for (const e of errors) ctx.io.stdout(`(invalid)\t${e.file}\t${e.error.message}\n`);
      return Promise.resolve(0);
    },
  },
  validate: networkCommand({
    usage: "validate <network>",
    summary: "Check that every plugin of a network exists and supports its version",
    minArgs: 1,
    maxArgs: 1,
    async run(ctx, s, list) {
      const caps = await validateNetworkList(list, s);
      ctx.io.stdout(
        `network ${JSON.stringify(list.name)} is valid (version ${list.cniVersion}, plugins ${
          list.plugins.map((p) => p.network.type).join(",")
        }${caps.length ? `, capabilities ${caps.join(",")}` : ""})\n`,
      );
      return 0;
    },
  }),
};
