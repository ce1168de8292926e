/**
 * Plugins own no global output: a plugin's warnings go through its context's `log`. Run as a
 * process (skel, the plugin personality) they are printed on stderr; in-process they go to the
 * embedder's logger (`inProcessInvoker`/`selectInvoker`/`createDelegate` option `log`) or
 * nowhere, and never to the embedding process's stderr.
 *
 * @module
 */
import { createDelegate, inProcessInvoker } from "../cni/invoke_builtin.ts";
import type { PluginFns, PluginRegistry } from "../cni/plugin.ts";
import { runPlugin } from "../cni/skel.ts";
import { runBuiltinPlugin } from "../cmd/plugin.ts";
import { assert, assertEquals, IS_ROOT } from "./helpers/assert.ts";

const ENC = new TextEncoder();
const DEC = new TextDecoder();
const CONF = (type: string) =>
  ENC.encode(`{"cniVersion":"1.1.0","name":"logtest","type":"${type}"}`);

/** A plugin that warns twice on ADD, asks `warn-ipam` (which warns too) for addresses, and fails on DEL after a warning. */
const WARNER: PluginFns = {
  async add(args, ctx) {
    ctx.log("first warning");
    const ipam = await ctx.delegate.add("warn-ipam", CONF("warn-ipam"), args);
    ctx.log("second warning");
    return ipam;
  },
  del(_args, ctx) {
    ctx.log("warning before a failure");
    return Promise.reject(new Error("del failed"));
  },
  check: () => Promise.resolve(),
  supportedVersions: ["1.0.0", "1.1.0"],
  about: "warner",
};

const WARN_IPAM: PluginFns = {
  add(_args, ctx) {
    ctx.log("ipam warning");
    return Promise.resolve({ cniVersion: "1.1.0", ips: [{ address: "10.9.0.2/24" }] });
  },
  del: () => Promise.resolve(),
  check: () => Promise.resolve(),
  supportedVersions: ["1.0.0", "1.1.0"],
  about: "warn-ipam",
};

const REGISTRY: PluginRegistry = {
  warner: () => Promise.resolve(WARNER),
  "warn-ipam": () => Promise.resolve(WARN_IPAM),
};

function env(command: string): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: "c1",
    CNI_NETNS: "/var/run/netns/plugin-log-test-none",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/nonexistent",
  };
}

Deno.test("skel: without a logger the warnings start the output's stderr, one line each, also on failure", async () => {
  const delegate = createDelegate({ registry: REGISTRY });
  const add = await runPlugin(WARNER, { env: env("ADD"), stdin: CONF("warner") }, { delegate });
  assertEquals(add.exitCode, 0, add.stdout);
  // The delegate's own warning is its own invoker's business (here: no logger, so nowhere).
  assertEquals(add.stderr, "first warning\nsecond warning\n");
  const del = await runPlugin(WARNER, { env: env("DEL"), stdin: CONF("warner") });
  assertEquals(del.exitCode, 1);
  assertEquals(JSON.parse(del.stdout).details, "del failed");
  assertEquals(del.stderr, "warning before a failure\n");
});

Deno.test("skel: a given logger gets the lines (stderr stays empty); a throwing one fails nothing", async () => {
  const lines: string[] = [];
  const out = await runPlugin(WARNER, { env: env("DEL"), stdin: CONF("warner") }, {
    log: (line) => lines.push(line),
  });
  assertEquals([out.exitCode, out.stderr, lines], [1, "", ["warning before a failure"]]);
  const delegate = createDelegate({ registry: REGISTRY });
  const thrown = await runPlugin(WARNER, { env: env("ADD"), stdin: CONF("warner") }, {
    delegate,
    log: () => {
      throw new Error("logger broke");
    },
  });
  assertEquals([thrown.exitCode, thrown.stderr], [0, ""]);
  assertEquals(JSON.parse(thrown.stdout).ips, [{ address: "10.9.0.2/24" }]);
});

Deno.test("inProcessInvoker: the embedder's log gets the plugin's and its in-process delegate's lines, in order", async () => {
  const lines: string[] = [];
  const inv = inProcessInvoker(REGISTRY, { log: (line) => lines.push(line) });
  const result = await inv.execPlugin("warner", CONF("warner"), {
    command: "ADD",
    containerId: "c1",
    netns: "/var/run/netns/plugin-log-test-none",
    ifName: "eth0",
  });
  assertEquals((result as { ips: unknown }).ips, [{ address: "10.9.0.2/24" }]);
  assertEquals(lines, ["first warning", "ipam warning", "second warning"]);
});

Deno.test("plugin personality: the plugin's and its in-process delegate's warnings are printed on stderr, in order", async () => {
  const out = await runBuiltinPlugin("warner", { env: env("ADD"), stdin: CONF("warner") }, {
    registry: REGISTRY,
  });
  assertEquals(out.exitCode, 0, out.stdout);
  assertEquals(out.stderr, "first warning\nipam warning\nsecond warning\n");
});

// A real warning of a built-in: firewall DEL with a config it cannot use warns, then removes the
// container's rules by owner. Each process runs in a network namespace of its own
// (`unshare --net`), so its iptables calls touch nothing of the host's.
const FIREWALL_CONF =
  '{"cniVersion":"1.0.0","name":"plugin-log-test","type":"firewall","backend":"bogus"}';
const ROOT = new URL("..", import.meta.url).pathname;

async function unshared(
  args: string[],
  extraEnv: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command("unshare", {
    args: ["--net", Deno.execPath(), ...args],
    cwd: ROOT,
    env: extraEnv,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(ENC.encode(FIREWALL_CONF));
  await writer.close();
  const out = await child.output();
  return { code: out.code, stdout: DEC.decode(out.stdout), stderr: DEC.decode(out.stderr) };
}

Deno.test({
  name:
    "firewall DEL warning: in-process it reaches the embedder's log and not stderr; exec'd it is on stderr",
  ignore: !IS_ROOT,
  async fn() {
    const embedder = ["run", "-A", "tests/helpers/plugin_log_embedder.ts", "firewall", "DEL"];
    const logged = await unshared([...embedder, "log"], {});
    assertEquals([logged.code, logged.stderr], [0, ""], logged.stdout);
    const { lines, error } = JSON.parse(logged.stdout) as { lines: string[]; error: string };
    assertEquals(error, "");
    assertEquals(lines.length, 1, JSON.stringify(lines));
    const line = lines[0]!;
    assert(line.startsWith("firewall DEL: "), line);
    assert(line.endsWith("; removing the container's rules by owner"), line);

    const silent = await unshared([...embedder, "nolog"], {});
    assertEquals([silent.code, silent.stderr], [0, ""], silent.stdout);
    assertEquals(JSON.parse(silent.stdout), { lines: [], error: "" });

    const exec = await unshared(["run", "-A", "cli.ts"], {
      DENOCNI_PERSONALITY: "firewall",
      CNI_COMMAND: "DEL",
      CNI_CONTAINERID: "plugin-log-test",
      CNI_IFNAME: "eth0",
      CNI_PATH: "/nonexistent",
    });
    assertEquals([exec.code, exec.stdout, exec.stderr], [0, "", `${line}\n`]);
  },
});
