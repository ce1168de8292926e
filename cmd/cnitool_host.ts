/**
 * cnitool's commands for the host and the program itself: `install`, `serve`, `exec`,
 * `netns` and `default-config`. Each loads its module only when it runs.
 *
 * @module
 */
import { DEFAULT_CNI_PATH } from "../cni/defaults.ts";
import { BUILTIN_ABOUT } from "../plugins/mod.ts";
import { defaultNetworkText } from "./default_network.ts";
import { requirePrivileges } from "./privileges.ts";
import { type CommandSpec, runtimeArgs, settings } from "./cnitool_context.ts";

/** The host commands: name to usage, arity and handler. */
export const HOST_COMMANDS: Record<string, CommandSpec> = {
  install: {
    usage: "install [--dir DIR] [--force] [--bundle FILE] [--deno PATH]",
    summary: `Install cnitool and the built-in plugins (${
      Object.keys(BUILTIN_ABOUT).join(", ")
    }) into a CNI bin dir (default ${DEFAULT_CNI_PATH})`,
    minArgs: 0,
    maxArgs: 0,
    async run(ctx) {
      const { installPlugins } = await import("./install_plugins.ts");
      const report = await installPlugins({
        ...(ctx.flags.dir !== undefined && { dir: ctx.flags.dir }),
        ...(ctx.flags.force !== undefined && { force: ctx.flags.force }),
        ...(ctx.flags.deno !== undefined && { deno: ctx.flags.deno }),
        ...(ctx.flags.bundle !== undefined && { bundle: ctx.flags.bundle }),
      });
      ctx.io.stdout(`installed (${report.mode}) into ${report.dir}:\n`);
      for (const e of report.entries) ctx.io.stdout(`  ${e}\n`);
      return 0;
    },
  },
  serve: {
    usage: "serve [--socket PATH] [--verbose]",
    summary:
      "Run the plugins' calls in this long-running process: every built-in plugin's process forwards its call over a root-only Unix socket (default /run/denocni/denocni.sock; DENOCNI_SOCKET)",
    minArgs: 0,
    maxArgs: 0,
    async run(ctx) {
      requirePrivileges("cnitool serve");
      const { serve } = await import("./serve.ts");
      const { BUILTIN_ABOUT } = await import("../plugins/mod.ts");
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      for (const sig of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(sig, onSignal);
      try {
        const socket = ctx.flags.socket || ctx.io.env.DENOCNI_SOCKET;
        await serve({
          ...(socket && { socket }),
          registry: ctx.io.registry,
          about: BUILTIN_ABOUT,
          signal: stop.signal,
          onListening: (path) => ctx.io.stderr(`serving plugin calls on ${path}\n`),
          ...(ctx.flags.verbose && { log: (line: string) => ctx.io.stderr(`${line}\n`) }),
        });
      } finally {
        for (const sig of ["SIGTERM", "SIGINT"] as const) {
          Deno.removeSignalListener(sig, onSignal);
        }
      }
      return 0;
    },
  },
  exec: {
    usage:
      "exec [--netconf-dir DIR] [--default-network] [--network NAME]... [-i IF] -- CMD [ARGS...]",
    summary:
      "Run CMD in a fresh network namespace joined to the networks (--default-network: the embedded default; --network: the named ones; neither: all in the dir, else the embedded default), then clean up",
    minArgs: 1,
    maxArgs: Infinity,
    async run(ctx) {
      const s = settings(ctx);
      requirePrivileges("cnitool exec");
      const { execInFreshNetns } = await import("./exec_in_netns.ts");
      const rt = runtimeArgs(ctx);
      return await execInFreshNetns({
        command: ctx.positionals,
        netconfDir: ctx.flags["netconf-dir"] ?? s.confDir,
        networks: ctx.flags.network ?? [],
        ...(ctx.flags["default-network"] && { defaultNetwork: true }),
        ...(ctx.flags.ifname && { ifName: ctx.flags.ifname }),
        invoker: s.invoker,
        cacheDir: s.cacheDir,
        ...rt,
        stderr: ctx.io.stderr,
        ...(ctx.flags.verbose && { verbose: true }),
      });
    },
  },
  netns: {
    usage: "netns add|del|list|exec [NAME] [-- CMD [ARGS...]]",
    summary: "Manage named network namespaces in /run/netns, as ip netns does",
    minArgs: 1,
    maxArgs: Infinity,
    async run(ctx) {
      if (ctx.positionals[0] !== "list") requirePrivileges(`cnitool netns ${ctx.positionals[0]}`);
      const { runNetnsCommand } = await import("./netns_admin.ts");
      return await runNetnsCommand(ctx.positionals, ctx.io.stdout);
    },
  },
  "default-config": {
    usage: "default-config",
    summary: "Print the embedded default network that exec uses when no network is configured",
    minArgs: 0,
    maxArgs: 0,
    run(ctx) {
      ctx.io.stdout(defaultNetworkText());
      return Promise.resolve(0);
    },
  },
};
