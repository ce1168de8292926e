import { runPlugin } from "./skel.ts";
import { validateInterfaceName } from "./names.ts";
import { CniError } from "./errors.ts";
import type { CmdArgs, Delegate, PluginFns } from "./plugin.ts";
import type { Result } from "./types.ts";
import { assert, assertEquals } from "../tests/helpers/assert.ts";

const enc = new TextEncoder();
const ALL = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

function fakePlugin(over: Partial<PluginFns> = {}, calls: CmdArgs[] = []): PluginFns {
  return {
    add(args) {
      calls.push(args);
      return Promise.resolve(
        {
          cniVersion: "1.1.0",
          interfaces: [{ name: "eth0", sandbox: args.netns }],
          ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
          routes: [{ dst: "0.0.0.0/0" }],
        } satisfies Result,
      );
    },
    check(args) {
      calls.push(args);
      return Promise.resolve();
    },
    del(args) {
      calls.push(args);
      return Promise.resolve();
    },
    supportedVersions: ALL,
    about: "CNI plugin fake v1.2.3",
    ...over,
  };
}

const ADD_ENV = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c1",
  CNI_NETNS: "/run/netns/x",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
};

function conf(obj: Record<string, unknown>): Uint8Array {
  return enc.encode(JSON.stringify({ name: "net", type: "fake", ...obj }));
}

Deno.test("runPlugin() reports every missing variable at once, in the reference order", async () => {
  const out = await runPlugin(fakePlugin(), {
    env: { CNI_COMMAND: "ADD", CNI_CONTAINERID: "c1" },
    stdin: conf({}),
  });
  assertEquals(out, {
    // the config has no cniVersion: 0.1.0, the version the error is labelled with
    stdout:
      '{\n    "cniVersion": "0.1.0",\n    "code": 4,\n    "msg": "required env variables [CNI_NETNS,CNI_IFNAME,CNI_PATH] missing"\n}',
    stderr: "",
    exitCode: 1,
  });
});

Deno.test("runPlugin() prints the about text without CNI_COMMAND", async () => {
  assertEquals(await runPlugin(fakePlugin(), { env: {}, stdin: new Uint8Array() }), {
    stdout: "",
    stderr:
      "CNI plugin fake v1.2.3\nCNI protocol versions supported: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0\n",
    exitCode: 0,
  });
  const bare = await runPlugin(fakePlugin({ about: "" }), { env: {}, stdin: new Uint8Array() });
  assertEquals(bare.exitCode, 1);
  assertEquals(JSON.parse(bare.stdout), {
    cniVersion: "1.1.0", // no config read: the newest version
    code: 4,
    msg: "required env variables [CNI_COMMAND] missing",
  });
});

Deno.test("runPlugin() answers VERSION without reading stdin", async () => {
  const out = await runPlugin(fakePlugin({ supportedVersions: ["0.3.1", "1.0.0"] }), {
    env: { CNI_COMMAND: "VERSION" },
    stdin: enc.encode("garbage"),
  });
  assertEquals(out, {
    stdout: '{"cniVersion":"1.1.0","supportedVersions":["0.3.1","1.0.0"]}\n',
    stderr: "",
    exitCode: 0,
  });
});

Deno.test("runPlugin() rejects an unknown verb, bad JSON, a missing name", async () => {
  const nope = await runPlugin(fakePlugin(), { env: { CNI_COMMAND: "NOPE" }, stdin: conf({}) });
  assertEquals(JSON.parse(nope.stdout), {
    cniVersion: "0.1.0",
    code: 4,
    msg: "unknown CNI_COMMAND: NOPE",
  });
  const bad = await runPlugin(fakePlugin(), { env: ADD_ENV, stdin: enc.encode("{nope") });
  assertEquals(bad.exitCode, 1);
  const badJson = JSON.parse(bad.stdout);
  assertEquals(
    [badJson.cniVersion, badJson.code, badJson.msg],
    ["1.1.0", 6, "error unmarshall network config"],
  );
  const noName = await runPlugin(fakePlugin(), { env: ADD_ENV, stdin: enc.encode('{"type":"x"}') });
  assertEquals(JSON.parse(noName.stdout), {
    cniVersion: "0.1.0",
    code: 7,
    msg: "missing network name",
  });
  const badName = await runPlugin(fakePlugin(), { env: ADD_ENV, stdin: conf({ name: "-x" }) });
  assertEquals(JSON.parse(badName.stdout), {
    cniVersion: "0.1.0",
    code: 7,
    msg: "invalid characters found in network name",
    details: "-x",
  });
});

Deno.test("runPlugin() validates container ID and interface name for ADD/DEL/CHECK", async () => {
  const id = await runPlugin(fakePlugin(), {
    env: { ...ADD_ENV, CNI_CONTAINERID: "%bad" },
    stdin: conf({}),
  });
  assertEquals(JSON.parse(id.stdout), {
    cniVersion: "0.1.0",
    code: 4,
    msg: "invalid characters in containerID",
    details: "%bad",
  });
  const long = await runPlugin(fakePlugin(), {
    env: { ...ADD_ENV, CNI_IFNAME: "a234567890123456" },
    stdin: conf({}),
  });
  assertEquals(JSON.parse(long.stdout), {
    cniVersion: "0.1.0",
    code: 4,
    msg: "interface name is too long",
    details: "interface name should be less than 16 characters",
  });
  assertEquals(validateInterfaceName("a23456789012345"), undefined);
  for (const bad of [".", "..", "a/b", "a:b", "a b", "a\tb", "a\u00a0b", ""]) {
    assert(validateInterfaceName(bad) instanceof CniError, bad);
  }
});

Deno.test("runPlugin() DEL needs no CNI_NETNS; GC needs only CNI_PATH", async () => {
  const calls: CmdArgs[] = [];
  const del = await runPlugin(fakePlugin({}, calls), {
    env: { CNI_COMMAND: "DEL", CNI_CONTAINERID: "c1", CNI_IFNAME: "eth0", CNI_PATH: "/p" },
    stdin: conf({ cniVersion: "1.0.0" }),
  });
  assertEquals(del, { stdout: "", stderr: "", exitCode: 0 });
  assertEquals(calls[0]?.netns, "");
  const gc = await runPlugin(fakePlugin(), {
    env: { CNI_COMMAND: "GC" },
    stdin: conf({ cniVersion: "1.1.0" }),
  });
  assertEquals(JSON.parse(gc.stdout).msg, "required env variables [CNI_PATH] missing");
  const gcOk = await runPlugin(fakePlugin(), {
    env: { CNI_COMMAND: "GC", CNI_PATH: "/p" },
    stdin: conf({ cniVersion: "1.1.0" }),
  });
  assertEquals(gcOk.exitCode, 0);
});

Deno.test("runPlugin() gates versions: unsupported config, CHECK < 0.4.0, GC/STATUS < 1.1.0", async () => {
  const mismatch = await runPlugin(fakePlugin({ supportedVersions: ["0.3.1", "1.0.0"] }), {
    env: ADD_ENV,
    stdin: conf({ cniVersion: "9.9.9" }),
  });
  assertEquals(
    mismatch.stdout,
    // 9.9.9 is not a version we speak: the error is labelled with the newest
    '{\n    "cniVersion": "1.1.0",\n    "code": 1,\n    "msg": "incompatible CNI versions",\n    "details": "config is \\"9.9.9\\", plugin supports [\\"0.3.1\\" \\"1.0.0\\"]"\n}',
  );
  const check = await runPlugin(fakePlugin(), {
    env: { ...ADD_ENV, CNI_COMMAND: "CHECK" },
    stdin: conf({ cniVersion: "0.3.1" }),
  });
  assertEquals(JSON.parse(check.stdout), {
    cniVersion: "0.3.1",
    code: 1,
    msg: "config version does not allow CHECK",
  });
  const status = await runPlugin(fakePlugin(), {
    env: { CNI_COMMAND: "STATUS", CNI_PATH: "/p" },
    stdin: conf({ cniVersion: "1.0.0" }),
  });
  assertEquals(JSON.parse(status.stdout), {
    cniVersion: "1.0.0",
    code: 1,
    msg: "config version does not allow STATUS",
  });
  const noVersion = await runPlugin(fakePlugin({ supportedVersions: ["1.0.0"] }), {
    env: ADD_ENV,
    stdin: conf({}),
  });
  assertEquals(
    JSON.parse(noVersion.stdout).details,
    'config is "0.1.0", plugin supports ["1.0.0"]',
  );
});

Deno.test("runPlugin() converts the result to the config's version", async () => {
  const v02 = await runPlugin(fakePlugin(), { env: ADD_ENV, stdin: conf({ cniVersion: "0.2.0" }) });
  assertEquals(v02.exitCode, 0);
  assertEquals(
    v02.stdout,
    JSON.stringify(
      {
        cniVersion: "0.2.0",
        ip4: { ip: "10.0.0.2/24", gateway: "10.0.0.1", routes: [{ dst: "0.0.0.0/0" }] },
        dns: {},
      },
      null,
      4,
    ),
  );
  const v11 = await runPlugin(fakePlugin(), { env: ADD_ENV, stdin: conf({ cniVersion: "1.1.0" }) });
  assertEquals(JSON.parse(v11.stdout), {
    cniVersion: "1.1.0",
    interfaces: [{ name: "eth0", sandbox: "/run/netns/x" }],
    ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
    routes: [{ dst: "0.0.0.0/0" }],
  });
});

Deno.test("runPlugin() undoes an ADD whose result the config's version cannot express", async () => {
  const calls: CmdArgs[] = [];
  const noIps = fakePlugin({
    add(args) {
      calls.push(args);
      return Promise.resolve(
        {
          cniVersion: "1.1.0",
          interfaces: [{ name: "eth0", sandbox: args.netns }],
        } satisfies Result,
      );
    },
  }, calls);
  const out = await runPlugin(noIps, { env: ADD_ENV, stdin: conf({ cniVersion: "0.2.0" }) });
  assertEquals(out.exitCode, 1);
  assertEquals(JSON.parse(out.stdout).code, 1);
  assertEquals(calls.map((c) => c.command), ["ADD", "DEL"]);
  // The undo is the plugin's DEL with the ADD's arguments.
  assertEquals(calls[1]!.stdinData, calls[0]!.stdinData);
  assertEquals(calls[1]!.netns, calls[0]!.netns);
  // A result that converts is not undone.
  calls.length = 0;
  const ok = await runPlugin(fakePlugin({}, calls), {
    env: ADD_ENV,
    stdin: conf({ cniVersion: "0.2.0" }),
  });
  assertEquals(ok.exitCode, 0);
  assertEquals(calls.length, 1);
});

Deno.test("runPlugin() hands the plugin prevResult in the current shape", async () => {
  const calls: CmdArgs[] = [];
  const out = await runPlugin(fakePlugin({}, calls), {
    env: { ...ADD_ENV, CNI_ARGS: "A=1" },
    stdin: conf({ cniVersion: "0.2.0", prevResult: { ip4: { ip: "10.1.0.5/16" } } }),
  });
  assertEquals(out.exitCode, 0);
  assertEquals(calls[0]?.config.prevResult, {
    cniVersion: "1.1.0",
    ips: [{ address: "10.1.0.5/16" }],
  });
  assertEquals(calls[0]?.args, "A=1");
  assertEquals(calls[0]?.config.name, "net");
});

Deno.test("runPlugin() converts prevResult when the plugin reads it, not before", async () => {
  const bad = { cniVersion: "1.0.0", ips: [{ address: "not-a-cidr" }] };
  const delEnv = { ...ADD_ENV, CNI_COMMAND: "DEL" };
  // A plugin that ignores prevResult (loopback, host-local on DEL) is not failed by it.
  const ignored = await runPlugin(fakePlugin(), {
    env: delEnv,
    stdin: conf({ cniVersion: "1.0.0", prevResult: bad }),
  });
  assertEquals(ignored, { stdout: "", stderr: "", exitCode: 0 });
  // One that reads it on ADD or CHECK gets code 6, as when skel converted it up front.
  const seen: unknown[] = [];
  const reader = fakePlugin({
    add: (args) => {
      void args.config.prevResult;
      return Promise.resolve({ cniVersion: "1.1.0" });
    },
    del: (args) => {
      seen.push(args.config.prevResult);
      return Promise.resolve();
    },
  });
  const read = await runPlugin(reader, {
    env: ADD_ENV,
    stdin: conf({ cniVersion: "1.0.0", prevResult: bad }),
  });
  assertEquals(read.exitCode, 1);
  assertEquals(JSON.parse(read.stdout).code, 6);
  assertEquals(JSON.parse(read.stdout).msg, "could not parse prevResult");
  // On DEL (best effort) an unusable prevResult reads as absent, whatever its shape.
  for (const prevResult of [bad, 42, "x", [1]]) {
    const del = await runPlugin(reader, {
      env: delEnv,
      stdin: conf({ cniVersion: "1.0.0", prevResult }),
    });
    assertEquals(del, { stdout: "", stderr: "", exitCode: 0 }, JSON.stringify(prevResult));
  }
  assertEquals(seen, [undefined, undefined, undefined, undefined]);
  // A good one reads as plain data, the same object on every read, and can be replaced.
  const calls: CmdArgs[] = [];
  await runPlugin(fakePlugin({}, calls), {
    env: delEnv,
    stdin: conf({ cniVersion: "1.0.0", prevResult: { ips: [{ address: "10.1.0.5/16" }] } }),
  });
  const config = calls[0]!.config;
  assert(config.prevResult === config.prevResult);
  assertEquals(JSON.parse(JSON.stringify(config)).prevResult, {
    cniVersion: "1.1.0",
    ips: [{ address: "10.1.0.5/16" }],
  });
  config.prevResult = { replaced: true };
  assertEquals(config.prevResult, { replaced: true });
});

Deno.test("runPlugin() maps errors: CniError kept, anything else code 999 with details", async () => {
  const typed = await runPlugin(
    fakePlugin({ add: () => Promise.reject(new CniError(11, "busy", { details: "later" })) }),
    { env: ADD_ENV, stdin: conf({ cniVersion: "1.0.0" }) },
  );
  assertEquals(
    typed.stdout,
    '{\n    "cniVersion": "1.0.0",\n    "code": 11,\n    "msg": "busy",\n    "details": "later"\n}',
  );
  assertEquals(typed.exitCode, 1);
  const plain = await runPlugin(
    fakePlugin({ add: () => Promise.reject(new TypeError("boom <x>")) }),
    { env: ADD_ENV, stdin: conf({ cniVersion: "1.0.0" }) },
  );
  assertEquals(JSON.parse(plain.stdout), {
    cniVersion: "1.0.0",
    code: 999,
    msg: "internal error",
    details: "boom <x>",
  });
  assert(plain.stdout.includes("\\u003cx\\u003e"), "Go escaping of < and >");
  assert(!plain.stdout.includes("at "), "no stack trace");
});

Deno.test("runPlugin() refuses CNI_NETNS equal to its own namespace unless overridden", async () => {
  const calls: CmdArgs[] = [];
  const same = await runPlugin(fakePlugin({}, calls), {
    env: ADD_ENV,
    stdin: conf({ cniVersion: "1.0.0" }),
  }, { isOwnNetns: (p) => p === "/run/netns/x" });
  assertEquals(JSON.parse(same.stdout), {
    cniVersion: "1.0.0",
    code: 8,
    msg: "plugin's netns and netns from CNI_NETNS should not be the same",
  });
  assertEquals(calls.length, 0);
  const over = await runPlugin(fakePlugin({}, calls), {
    env: { ...ADD_ENV, CNI_NETNS_OVERRIDE: "TRUE" },
    stdin: conf({ cniVersion: "1.0.0" }),
  }, { isOwnNetns: () => true });
  assertEquals(over.exitCode, 0);
  assertEquals(calls[0]?.netnsOverride, "TRUE");
});

Deno.test("runPlugin() passes the delegate to the plugin", async () => {
  const seen: string[] = [];
  const delegate: Delegate = {
    add: (type) => {
      seen.push(type);
      return Promise.resolve({ cniVersion: "1.1.0", ips: [{ address: "10.9.0.2/24" }] });
    },
    check: () => Promise.resolve(),
    del: () => Promise.resolve(),
  };
  const out = await runPlugin(
    fakePlugin({
      add: async (_args, ctx) => await ctx.delegate.add("ipam-x", new Uint8Array(), _args),
    }),
    { env: ADD_ENV, stdin: conf({ cniVersion: "1.0.0" }) },
    { delegate },
  );
  assertEquals(seen, ["ipam-x"]);
  assertEquals(JSON.parse(out.stdout), { cniVersion: "1.0.0", ips: [{ address: "10.9.0.2/24" }] });
});

Deno.test("runPlugin() with inProcess does not require CNI_PATH; exec'd plugins do", async () => {
  const env = { CNI_COMMAND: "ADD", CNI_CONTAINERID: "c1", CNI_NETNS: "/n", CNI_IFNAME: "eth0" };
  const stdin = conf({ cniVersion: "1.1.0" });
  const exec = await runPlugin(fakePlugin(), { env, stdin });
  assertEquals(JSON.parse(exec.stdout), {
    cniVersion: "1.1.0",
    code: 4,
    msg: "required env variables [CNI_PATH] missing",
  });
  const calls: CmdArgs[] = [];
  const inproc = await runPlugin(fakePlugin({}, calls), { env, stdin }, { inProcess: true });
  assertEquals(inproc.exitCode, 0);
  assertEquals(calls[0]?.path, "");
  // the other variables are still required in-process
  const missing = await runPlugin(fakePlugin(), {
    env: { CNI_COMMAND: "DEL", CNI_CONTAINERID: "c1" },
    stdin,
  }, { inProcess: true });
  assertEquals(JSON.parse(missing.stdout).msg, "required env variables [CNI_IFNAME] missing");
});
