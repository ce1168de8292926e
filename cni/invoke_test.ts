import { join } from "node:path";
import type { InvokeArgs } from "./invoke.ts";
import {
  createDelegate,
  inProcessInvoker,
  parseBuiltinsMode,
  selectInvoker,
} from "./invoke_builtin.ts";
import { execInvoker } from "./invoke_exec.ts";
import { CniError } from "./errors.ts";
import { PluginNotFoundError } from "./find.ts";
import type { PluginRegistry } from "./plugin.ts";
import {
  type NoopDebug,
  type NoopLogEntry,
  noopPlugin,
  writeNoopLauncher,
} from "../tests/helpers/noop_plugin.ts";
import { assert, assertEquals, assertRejects } from "../tests/helpers/assert.ts";

const enc = new TextEncoder();
const REGISTRY: PluginRegistry = { noop: () => Promise.resolve(noopPlugin) };

interface Fixture {
  dir: string;
  bin: string;
  debug: string;
  log: string;
  setDebug(d: NoopDebug): Promise<void>;
  entries(): Promise<NoopLogEntry[]>;
  args(command: InvokeArgs["command"]): InvokeArgs;
}

async function withFixture(fn: (f: Fixture) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "denocni-invoke-" });
  const bin = join(dir, "bin");
  await Deno.mkdir(bin);
  const f: Fixture = {
    dir,
    bin,
    debug: join(dir, "debug.json"),
    log: join(dir, "log.jsonl"),
    async setDebug(d) {
      await Deno.writeTextFile(f.debug, JSON.stringify({ commandLog: f.log, ...d }));
    },
    async entries() {
      try {
        return (await Deno.readTextFile(f.log)).trim().split("\n").map((l) => JSON.parse(l));
      } catch {
        return [];
      }
    },
    args(command) {
      return {
        command,
        containerId: "c1",
        netns: "/run/netns/x",
        ifName: "eth0",
        args: `DEBUG=${f.debug}`,
      };
    },
  };
  try {
    await fn(f);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function conf(version: string, extra: Record<string, unknown> = {}): Uint8Array {
  return enc.encode(JSON.stringify({ cniVersion: version, name: "net", type: "noop", ...extra }));
}

Deno.test("parseBuiltinsMode() accepts the three modes", () => {
  assertEquals(parseBuiltinsMode(undefined), "fallback");
  assertEquals(parseBuiltinsMode("prefer"), "prefer");
  assertEquals(parseBuiltinsMode("never"), "never");
  let err: unknown;
  try {
    parseBuiltinsMode("sometimes");
  } catch (e) {
    err = e;
  }
  assert(err instanceof CniError);
  assertEquals(
    err.message,
    'invalid builtins mode "sometimes": expected one of fallback, prefer, never',
  );
});

Deno.test("execInvoker() runs a binary: env, stdin, result with version filled in", async () => {
  await withFixture(async (f) => {
    await writeNoopLauncher(f.bin);
    await f.setDebug({ reportResult: { ips: [{ address: "10.0.0.2/24" }] } });
    const stderr: string[] = [];
    const inv = execInvoker({ cniPath: [f.bin], stderr: (t) => stderr.push(t) });
    const result = await inv.execPlugin("noop", conf("1.0.0"), f.args("ADD"));
    assertEquals(result, { cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24" }] });
    const [entry] = await f.entries();
    assertEquals(entry?.command, "ADD");
    assertEquals(entry?.containerId, "c1");
    assertEquals(entry?.netns, "/run/netns/x");
    assertEquals(entry?.path, f.bin);
    assertEquals(entry?.config, { cniVersion: "1.0.0", name: "net", type: "noop" });
    assertEquals(await inv.execPlugin("noop", conf("1.0.0"), f.args("DEL")), undefined);
    assertEquals(await inv.findInPath("noop"), join(f.bin, "noop"));
  });
});

Deno.test("execInvoker() surfaces the plugin's error JSON and forwards stderr only on success", async () => {
  await withFixture(async (f) => {
    await writeNoopLauncher(f.bin);
    await f.setDebug({ reportError: "no IPs left", reportErrorCode: 110, reportStderr: "log\n" });
    const stderr: string[] = [];
    const inv = execInvoker({ cniPath: [f.bin], stderr: (t) => stderr.push(t) });
    const err = await assertRejects(
      () => inv.execPlugin("noop", conf("1.0.0"), f.args("ADD")),
      CniError,
    );
    assertEquals([err.code, err.msg], [110, "no IPs left"]);
    assertEquals(stderr, []);
    await f.setDebug({ reportStderr: "hello from plugin\n" });
    await inv.execPlugin("noop", conf("1.0.0"), f.args("DEL"));
    assertEquals(stderr, ["hello from plugin\n"]);
  });
});

Deno.test("execInvoker() rejects garbage output naming the cause", async () => {
  await withFixture(async (f) => {
    await writeNoopLauncher(f.bin);
    await f.setDebug({ rawStdout: "this is not json" });
    const inv = execInvoker({ cniPath: [f.bin] });
    const err = await assertRejects(
      () => inv.execPlugin("noop", conf("1.0.0"), f.args("ADD")),
      CniError,
    );
    assertEquals(err.code, 6);
    assertEquals(err.msg, "failed to unmarshal raw result");
    assert(err.details.includes('"this is not json"'), err.details);
    await f.setDebug({ rawStdout: "", exitWithCode: 3 });
    const err2 = await assertRejects(
      () => inv.execPlugin("noop", conf("1.0.0"), f.args("ADD")),
      CniError,
    );
    assertEquals(err2.message, "netplugin failed with no error message: exit status 3");
  });
});

Deno.test("execInvoker() kills a hung plugin at the timeout", async () => {
  await withFixture(async (f) => {
    await Deno.writeTextFile(join(f.bin, "hang"), "#!/bin/sh\nsleep 30\n");
    await Deno.chmod(join(f.bin, "hang"), 0o755);
    const inv = execInvoker({ cniPath: [f.bin], timeoutMs: 300 });
    const err = await assertRejects(
      () => inv.execPlugin("hang", conf("1.0.0"), f.args("ADD")),
      CniError,
    );
    assertEquals(err.message, 'plugin "hang" timed out after 300 ms and was killed (SIGKILL)');
    const ver = await assertRejects(() => inv.version("hang"), CniError);
    assert(ver.message.includes("timed out"));
  });
});

Deno.test("execInvoker().version() probes VERSION, including legacy answers", async () => {
  await withFixture(async (f) => {
    await writeNoopLauncher(f.bin);
    const inv = execInvoker({ cniPath: [f.bin], env: { CNI_ARGS: "" } });
    assertEquals((await inv.version("noop")).supportedVersions.at(-1), "1.1.0");
    const legacy = join(f.bin, "legacy");
    await Deno.writeTextFile(
      legacy,
      '#!/bin/sh\necho \'{"code":4,"msg":"unknown CNI_COMMAND: VERSION"}\'\nexit 1\n',
    );
    await Deno.chmod(legacy, 0o755);
    assertEquals(await inv.version("legacy"), {
      cniVersion: "0.1.0",
      supportedVersions: ["0.1.0"],
    });
    const old = join(f.bin, "old");
    await Deno.writeTextFile(old, '#!/bin/sh\necho \'{"cniVersion":"0.2.0"}\'\n');
    await Deno.chmod(old, 0o755);
    assertEquals((await inv.version("old")).supportedVersions, ["0.1.0", "0.2.0"]);
    await assertRejects(
      () => inv.version("missing"),
      PluginNotFoundError,
      'failed to find plugin "missing"',
    );
  });
});

Deno.test("inProcessInvoker() gives the same JSON and errors as exec, without a process", async () => {
  await withFixture(async (f) => {
    await f.setDebug({ reportResult: { ips: [{ address: "10.0.0.2/24" }] } });
    const inv = inProcessInvoker(REGISTRY, { cniPath: ["/opt/cni/bin"] });
    assertEquals(await inv.findInPath("noop"), "builtin:noop");
    assertEquals(await inv.execPlugin("noop", conf("0.4.0"), f.args("ADD")), {
      cniVersion: "0.4.0",
      ips: [{ version: "4", address: "10.0.0.2/24" }],
      dns: {},
    });
    const [entry] = await f.entries();
    assertEquals(entry?.path, "/opt/cni/bin");
    await f.setDebug({ reportError: "nope", reportErrorCode: 7 });
    const err = await assertRejects(
      () => inv.execPlugin("noop", conf("1.0.0"), f.args("ADD")),
      CniError,
    );
    assertEquals([err.code, err.msg, err.cniVersion], [7, "nope", "1.0.0"]);
    assertEquals(err.toJSON(), { cniVersion: "1.0.0", code: 7, msg: "nope" });
    const missing = await assertRejects(
      () => inv.execPlugin("noop", conf("1.0.0"), { command: "ADD" }),
      CniError,
    );
    assertEquals(
      missing.msg,
      "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME] missing",
    );
    assertEquals((await inv.version("noop")).cniVersion, "1.1.0");
    await assertRejects(() => inv.findInPath("bridge"), PluginNotFoundError);
  });
});

Deno.test("selectInvoker() picks exec or built-in per mode", async () => {
  await withFixture(async (f) => {
    await f.setDebug({});
    const run = async (mode: "fallback" | "prefer" | "never", withBinary: boolean) => {
      if (withBinary) await writeNoopLauncher(f.bin);
      else await Deno.remove(join(f.bin, "noop")).catch(() => {});
      const inv = selectInvoker({ mode, registry: REGISTRY, cniPath: [f.bin] });
      return await inv.findInPath("noop").catch((e) => (e as Error).constructor.name);
    };
    assertEquals(await run("fallback", true), join(f.bin, "noop"));
    assertEquals(await run("fallback", false), "builtin:noop");
    assertEquals(await run("prefer", true), "builtin:noop");
    assertEquals(await run("never", true), join(f.bin, "noop"));
    assertEquals(await run("never", false), "PluginNotFoundError");
  });
});

Deno.test("createDelegate() runs built-in delegates in-process and others from CNI_PATH", async () => {
  await withFixture(async (f) => {
    await writeNoopLauncher(f.bin, "other");
    await f.setDebug({ reportResult: { ips: [{ address: "10.5.0.9/16" }] } });
    const delegate = createDelegate({ registry: REGISTRY });
    const cmdArgs = {
      command: "ADD" as const,
      containerId: "c1",
      netns: "/run/netns/x",
      ifName: "eth0",
      args: `DEBUG=${f.debug}`,
      path: f.bin,
      stdinData: new Uint8Array(),
      config: { cniVersion: "0.2.0", name: "net", type: "x" },
    };
    const viaBuiltin = await delegate.add("noop", conf("0.2.0"), cmdArgs);
    const viaExec = await delegate.add("other", conf("0.2.0"), cmdArgs);
    // both come back in the current shape
    assertEquals(viaBuiltin, { cniVersion: "1.1.0", ips: [{ address: "10.5.0.9/16" }] });
    assertEquals(viaExec, viaBuiltin);
    await delegate.del("other", conf("0.2.0"), { ...cmdArgs, command: "DEL" });
    const log = await f.entries();
    assertEquals(log.map((e) => e.command), ["ADD", "ADD", "DEL"]);
    assertEquals(log.map((e) => e.path), [f.bin, f.bin, f.bin]);
  });
});

Deno.test("execInvoker() stops reading a plugin's endless stdout and keeps stderr bounded", async () => {
  await withFixture(async (f) => {
    const flood = join(f.bin, "flood");
    await Deno.writeTextFile(flood, "#!/bin/sh\nexec yes\n");
    await Deno.chmod(flood, 0o755);
    const inv = execInvoker({ cniPath: [f.bin] });
    const err = await assertRejects(
      () => inv.execPlugin("flood", conf("1.0.0"), f.args("ADD")),
      CniError,
    );
    assertEquals(
      err.message,
      'plugin "flood" printed more than 1024 KiB on stdout and was killed (SIGKILL)',
    );
    const noisy = join(f.bin, "noisy");
    await Deno.writeTextFile(
      noisy,
      "#!/bin/sh\nhead -c 4000000 /dev/zero | tr '\\0' x >&2\necho '{\"cniVersion\":\"1.0.0\"}'\n",
    );
    await Deno.chmod(noisy, 0o755);
    let forwarded = "";
    const quiet = execInvoker({ cniPath: [f.bin], stderr: (t) => forwarded += t });
    assertEquals(await quiet.execPlugin("noisy", conf("1.0.0"), f.args("ADD")), {
      cniVersion: "1.0.0",
    });
    assert(forwarded.length < 70 * 1024, String(forwarded.length));
    assert(forwarded.endsWith("[stderr cut at 65536 bytes]\n"));
  });
});
