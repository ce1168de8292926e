// CLI tests: spawn cli.ts and assert stdout, stderr and exit code together.
import { join } from "node:path";
import { runCli } from "./helpers/cli.ts";
import { writeNoopLauncher } from "./helpers/noop_plugin.ts";
import { cnitoolContainerId } from "../cmd/cnitool_context.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";

interface Env {
  dir: string;
  confDir: string;
  bin: string;
  cache: string;
  env: Record<string, string>;
}

async function withEnv(fn: (e: Env) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "denocni-cli-" });
  const e: Env = {
    dir,
    confDir: join(dir, "net.d"),
    bin: join(dir, "bin"),
    cache: join(dir, "cache"),
    env: {},
  };
  await Deno.mkdir(e.confDir);
  await Deno.mkdir(e.bin);
  e.env = { NETCONFPATH: e.confDir, CNI_PATH: e.bin, CNI_CACHE_DIR: e.cache };
  try {
    await fn(e);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function script(bin: string, name: string, body: string): Promise<void> {
  await Deno.writeTextFile(join(bin, name), `#!/bin/sh\n${body}\n`);
  await Deno.chmod(join(bin, name), 0o755);
}

async function cacheFiles(e: Env): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(join(e.cache, "results")))).map((x) => x.name);
  } catch {
    return [];
  }
}

function conflist(name: string, plugins: Record<string, unknown>[], version = "1.0.0"): string {
  return JSON.stringify({ cniVersion: version, name, plugins });
}

Deno.test("cnitool --help lists every command; bare cnitool is a usage error", async () => {
  const help = await runCli(["--help"]);
  assertEquals(help.code, 0);
  for (const c of ["add", "check", "del", "gc", "status", "version", "list", "validate"]) {
    assertMatch(help.stdout, new RegExp(`^  ${c} `, "m"));
  }
  assertEquals(help.stderr, "");
  const bare = await runCli([]);
  assertEquals([bare.code, bare.stdout], [2, ""]);
  assertStringIncludes(bare.stderr, "Usage: cnitool <command>");
  const addHelp = await runCli(["add", "--help"]);
  assertEquals(addHelp.code, 0);
  assertStringIncludes(addHelp.stdout, "Usage: cnitool add <network> <netns>");
  // The defaults shown are the ones used (cni/defaults.ts).
  for (
    const text of [
      "(default: CNI_IFNAME or eth0)",
      "(default: CNI_CACHE_DIR or /var/lib/cni)",
      "install: target directory (default /opt/cni/bin)",
      "NETCONFPATH (default /etc/cni/net.d), CNI_PATH (default /opt/cni/bin)",
    ]
  ) assertStringIncludes(addHelp.stdout, text);
});

Deno.test("cnitool usage errors exit 2 with help on stderr", async () => {
  for (
    const [args, text] of [
      [["frobnicate"], 'error: unknown command "frobnicate"'],
      [["add", "onlyone"], "error: add takes 2 argument(s), got 1"],
      [["add", "a", "b", "--bogus"], "error: Unknown option '--bogus'"],
      [["add", "a", "b", "--builtins", "sometimes"], 'error: invalid builtins mode "sometimes"'],
    ] as const
  ) {
    const r = await runCli(args, { env: { NETCONFPATH: "/nonexistent" } });
    assertEquals([r.code, r.stdout], [2, ""], args.join(" "));
    assertStringIncludes(r.stderr, text);
    assertStringIncludes(r.stderr, "Usage: cnitool");
    assert(!r.stderr.includes("    at "), "no stack trace");
  }
});

Deno.test("cnitool add/check/del through an exec'd plugin: exact stdout, cache entry, cleanup", async () => {
  await withEnv(async (e) => {
    await writeNoopLauncher(e.bin);
    const log = join(e.dir, "log.jsonl");
    await Deno.writeTextFile(
      join(e.confDir, "10-test.conflist"),
      conflist("testnet", [{
        type: "noop",
        commandLog: log,
        debugFile: join(e.dir, "debug.json"),
      }]),
    );
    await Deno.writeTextFile(
      join(e.dir, "debug.json"),
      JSON.stringify({
        reportResult: { ips: [{ address: "10.22.0.5/16", gateway: "10.22.0.1" }] },
      }),
    );
    const env = { ...e.env, CNI_ARGS: "FOO=bar", CAP_ARGS: '{"mac":"00:11:22:33:44:55"}' };
    const add = await runCli([
      "add",
      "testnet",
      "/run/netns/nonexistent",
      "--builtins",
      "never",
      "-i",
      "net1",
    ], { env });
    assertEquals(add.stderr, "");
    assertEquals(add.code, 0);
    assertEquals(
      add.stdout,
      '{\n    "cniVersion": "1.0.0",\n    "ips": [\n        {\n            "address": "10.22.0.5/16",\n            "gateway": "10.22.0.1"\n        }\n    ]\n}',
    );
    const cid = await cnitoolContainerId("/run/netns/nonexistent");
    assertMatch(cid, /^cnitool-[0-9a-f]{20}$/);
    assertEquals(await cacheFiles(e), [`testnet-${cid}-net1`]);
    const [entry] = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(
      [entry.command, entry.containerId, entry.ifName, entry.args, entry.path],
      ["ADD", cid, "net1", "FOO=bar", e.bin],
    );
    const check = await runCli(["check", "testnet", "/run/netns/nonexistent", "-i", "net1"], {
      env,
    });
    assertEquals([check.code, check.stdout, check.stderr], [0, "", ""]);
    const del = await runCli(["del", "testnet", "/run/netns/nonexistent", "-i", "net1"], { env });
    assertEquals([del.code, del.stdout, del.stderr], [0, "", ""]);
    assertEquals(await cacheFiles(e), []);
    const del2 = await runCli(["del", "testnet", "/run/netns/nonexistent", "-i", "net1"], { env });
    assertEquals(del2.code, 0);
    const commands = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(commands.map((c) => c.command), ["ADD", "CHECK", "DEL", "DEL"]);
    assertEquals(commands[1].config.prevResult, JSON.parse(add.stdout));
    assertEquals(commands[3].config.prevResult, undefined);
  });
});

Deno.test("cnitool bad input: each a one-line error naming the cause, exit 1, nothing cached", async () => {
  await withEnv(async (e) => {
    await Deno.writeTextFile(
      join(e.confDir, "10-broken.conflist"),
      '{"name": "broken", "plugins": [',
    );
    await Deno.writeTextFile(
      join(e.confDir, "20-future.conflist"),
      conflist("future", [{ type: "noop" }], "9.9.9"),
    );
    await Deno.writeTextFile(
      join(e.confDir, "30-nosuch.conflist"),
      conflist("nosuch", [{ type: "nosuchplugin" }]),
    );
    await Deno.writeTextFile(
      join(e.confDir, "40-hang.conflist"),
      conflist("hang", [{ type: "hang" }]),
    );
    await Deno.writeTextFile(
      join(e.confDir, "50-garbage.conflist"),
      conflist("garbage", [{ type: "garbage" }]),
    );
    await script(e.bin, "hang", "exec sleep 30");
    await script(e.bin, "garbage", "echo 'Segmentation fault (not really)'");
    const cases: [string, string[], string][] = [
      [
        "missing network",
        ["add", "nope", "/run/netns/x"],
        `error: no net configuration with name "nope" in ${e.confDir}`,
      ],
      ["malformed JSON", ["add", "nope", "/run/netns/x"], "10-broken.conflist"],
      ["unknown cniVersion", ["add", "future", "/run/netns/x"], "9.9.9"],
      [
        "missing plugin binary",
        ["add", "nosuch", "/run/netns/x", "--builtins", "never"],
        `error: plugin type="nosuchplugin" failed (add): failed to find plugin "nosuchplugin" in path [${e.bin}]`,
      ],
      [
        "hung plugin",
        ["add", "hang", "/run/netns/x", "--timeout", "500ms"],
        'error: plugin type="hang" failed (add): plugin "hang" timed out after 500 ms and was killed (SIGKILL)',
      ],
      [
        "garbage output",
        ["add", "garbage", "/run/netns/x"],
        'error: plugin type="garbage" failed (add): failed to unmarshal raw result: ',
      ],
    ];
    for (const [what, args, text] of cases) {
      const r = await runCli(args, { env: e.env });
      assertEquals([r.code, r.stdout], [1, ""], what);
      assertStringIncludes(r.stderr, text, what);
      assertEquals(r.stderr.trimEnd().split("\n").length, 1, `${what}: one line: ${r.stderr}`);
      assert(r.stderr.startsWith("error: "), what);
    }
    assertEquals(await cacheFiles(e), []);
    const verbose = await runCli(["add", "nosuch", "/run/netns/x", "--builtins", "never", "-v"], {
      env: e.env,
    });
    assertEquals(verbose.code, 1);
    assertStringIncludes(verbose.stderr, "  code: 7\n");
    assertStringIncludes(verbose.stderr, "caused by: PluginNotFoundError");
  });
});

Deno.test("cnitool list and validate", async () => {
  await withEnv(async (e) => {
    await writeNoopLauncher(e.bin);
    await Deno.writeTextFile(
      join(e.confDir, "10-a.conflist"),
      conflist("a", [{ type: "noop" }, { type: "noop", capabilities: { mac: true } }]),
    );
    await Deno.writeTextFile(join(e.confDir, "20-bad.conflist"), "{nope");
    await Deno.writeTextFile(
      join(e.confDir, "30-b.conf"),
      JSON.stringify({ cniVersion: "0.4.0", name: "b", type: "missing" }),
    );
    const list = await runCli(["list"], { env: e.env });
    assertEquals(list.code, 0);
    const lines = list.stdout.trimEnd().split("\n");
    assertEquals(lines[0], `a\t${join(e.confDir, "10-a.conflist")}\t1.0.0\tnoop,noop`);
    assertEquals(lines[1], `b\t${join(e.confDir, "30-b.conf")}\t0.4.0\tmissing`);
    assert(lines[2]?.startsWith(`(invalid)\t${join(e.confDir, "20-bad.conflist")}\t`), lines[2]);
    const ok = await runCli(["validate", "a"], { env: e.env });
    assertEquals([ok.code, ok.stderr], [0, ""]);
    assertEquals(
      ok.stdout,
      'network "a" is valid (version 1.0.0, plugins noop,noop, capabilities mac)\n',
    );
    const bad = await runCli(["validate", "b", "--builtins", "never"], { env: e.env });
    assertEquals(bad.code, 1);
    assertStringIncludes(bad.stderr, 'error: plugin missing: failed to find plugin "missing"');
  });
});

Deno.test("cli.ts runs a built-in plugin under its name (personality)", async () => {
  const about = await runCli([], { env: { DENOCNI_PERSONALITY: "loopback" } });
  assertEquals([about.code, about.stdout], [0, ""]);
  assertStringIncludes(about.stderr, "CNI protocol versions supported: ");
  const version = await runCli(["host-local"], { env: { CNI_COMMAND: "VERSION" } });
  assertEquals(version.code, 0);
  assertEquals(JSON.parse(version.stdout).cniVersion, "1.1.0");
  const missing = await runCli(["bridge"], { env: { CNI_COMMAND: "ADD" }, stdin: "{}" });
  assertEquals(missing.code, 1);
  assertEquals(JSON.parse(missing.stdout), {
    cniVersion: "0.1.0", // the config ({}) has no cniVersion
    code: 4,
    msg: "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing",
  });
});

Deno.test("cli.ts plugin: every error JSON carries cniVersion, stdin over 1 MiB is refused", async () => {
  const env = {
    CNI_COMMAND: "ADD",
    CNI_CONTAINERID: "c1",
    CNI_NETNS: "/nonexistent/netns",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/nonexistent",
  };
  const bad = await runCli(["loopback"], { env, stdin: "{nope" });
  assertEquals([bad.code, JSON.parse(bad.stdout).cniVersion, JSON.parse(bad.stdout).code], [
    1,
    "1.1.0",
    6,
  ]);
  const failed = await runCli(["loopback"], {
    env,
    stdin: '{"cniVersion":"0.4.0","name":"n","type":"loopback"}',
  });
  assertEquals([failed.code, JSON.parse(failed.stdout).cniVersion], [1, "0.4.0"]);
  const noEnv = await runCli(["bridge"], { env: { CNI_COMMAND: "DEL" }, stdin: "x" });
  assertEquals(JSON.parse(noEnv.stdout).cniVersion, "1.1.0");
  const huge = await runCli(["loopback"], {
    env,
    stdin: `{"cniVersion":"1.0.0","name":"n","type":"loopback","pad":"${"x".repeat(1024 * 1024)}"}`,
  });
  assertEquals(huge.code, 1);
  assertEquals(JSON.parse(huge.stdout), {
    cniVersion: "1.1.0",
    code: 5,
    msg: "failed to read network configuration from stdin",
    details: "larger than 1024 KiB",
  });
  assertEquals(huge.stderr, "");
});
