import { join } from "node:path";
import { addNetworkList, checkNetworkList, delNetworkList } from "./libcni.ts";
import { gcNetworkList, getStatusNetworkList, validateNetworkList } from "./libcni_network.ts";
import { parseConfList } from "./conf.ts";
import { CniError } from "./errors.ts";
import { PluginNotFoundError } from "./find.ts";
import type { InvokeArgs, Invoker } from "./invoke.ts";
import { listCachedAttachments, readCacheEntry } from "./cache.ts";
import { assert, assertEquals, assertRejects } from "../tests/helpers/assert.ts";

interface Call {
  type: string;
  command: string;
  config: Record<string, unknown>;
  args: InvokeArgs;
}

type Reply = Record<string, unknown> | CniError | ((call: Call) => Record<string, unknown>);

/** A fake invoker: replies keyed by "type/COMMAND", every call recorded. */
function fakeInvoker(replies: Record<string, Reply> = {}, known?: string[]) {
  const calls: Call[] = [];
  const invoker: Invoker = {
    execPlugin(type, stdin, args) {
      const call = {
        type,
        command: args.command,
        config: JSON.parse(new TextDecoder().decode(stdin)),
        args,
      };
      calls.push(call);
      const reply = replies[`${type}/${args.command}`];
      if (reply instanceof CniError) return Promise.reject(reply);
      if (args.command !== "ADD") return Promise.resolve(undefined);
      const out = typeof reply === "function" ? reply(call) : reply ?? {
        cniVersion: call.config.cniVersion,
        ips: [{ address: `10.0.0.${calls.length}/24` }],
      };
      return Promise.resolve(out);
    },
    version(type) {
      const reply = replies[`${type}/VERSION`];
      return Promise.resolve(
        (reply ?? { cniVersion: "1.1.0", supportedVersions: ["0.4.0", "1.0.0", "1.1.0"] }) as never,
      );
    },
    findInPath(type) {
      if (known && !known.includes(type)) {
        return Promise.reject(
          new PluginNotFoundError(type, ["/x"], `failed to find plugin "${type}" in path [/x]`),
        );
      }
      return Promise.resolve(`/x/${type}`);
    },
  };
  return { invoker, calls };
}

function list(version: string, types: string[], extra: Record<string, unknown> = {}) {
  return parseConfList(JSON.stringify({
    cniVersion: version,
    name: "testnet",
    ...extra,
    plugins: types.map((type) => ({
      type,
      ...(type === "b" ? { capabilities: { mac: true } } : {}),
    })),
  }));
}

const RT = {
  containerId: "ctr1",
  netns: "/run/netns/ctr1",
  ifName: "eth0",
  args: [["K", "V"]] as [string, string][],
  capabilityArgs: { mac: "00:11:22:33:44:55", portMappings: [] },
};

async function withCache(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "denocni-libcni-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("addNetworkList() threads prevResult, sets env and runtimeConfig, caches the result", async () => {
  await withCache(async (cacheDir) => {
    const { invoker, calls } = fakeInvoker();
    const l = list("1.0.0", ["a", "b", "c"]);
    const result = await addNetworkList(l, RT, { invoker, cacheDir });
    assertEquals(result, { cniVersion: "1.0.0", ips: [{ address: "10.0.0.3/24" }] });
    assertEquals(calls.map((c) => c.type), ["a", "b", "c"]);
    assertEquals(calls[0]?.config.prevResult, undefined);
    assertEquals(calls[1]?.config.prevResult, {
      cniVersion: "1.0.0",
      ips: [{ address: "10.0.0.1/24" }],
    });
    assertEquals(calls[2]?.config.prevResult, {
      cniVersion: "1.0.0",
      ips: [{ address: "10.0.0.2/24" }],
    });
    assertEquals(calls[1]?.config.runtimeConfig, { mac: "00:11:22:33:44:55" });
    assertEquals(calls[0]?.config.runtimeConfig, undefined);
    assertEquals(calls[0]?.config.name, "testnet");
    assertEquals(calls[0]?.args, {
      command: "ADD",
      containerId: "ctr1",
      netns: "/run/netns/ctr1",
      ifName: "eth0",
      args: "K=V",
    });
    const entry = await readCacheEntry(cacheDir, {
      networkName: "testnet",
      containerId: "ctr1",
      ifName: "eth0",
    });
    assertEquals(entry?.result, result);
    assertEquals(entry?.cniArgs, [["K", "V"]]);
    assertEquals(entry?.capabilityArgs, RT.capabilityArgs);
    assertEquals(entry?.config, l.bytes);
  });
});

Deno.test("addNetworkList() stops at a failing plugin, rolls back in reverse and caches nothing", async () => {
  await withCache(async (cacheDir) => {
    const { invoker, calls } = fakeInvoker({ "b/ADD": new CniError(11, "boom", { details: "d" }) });
    const err = await assertRejects(
      () => addNetworkList(list("1.0.0", ["a", "b", "c"]), RT, { invoker, cacheDir }),
      CniError,
    );
    assertEquals([err.code, err.msg, err.details], [11, 'plugin type="b" failed (add): boom', "d"]);
    assertEquals(calls.map((c) => `${c.type}/${c.command}`), ["a/ADD", "b/ADD", "b/DEL", "a/DEL"]);
    assertEquals(await listCachedAttachments(cacheDir), []);
    const noRollback = fakeInvoker({ "b/ADD": new CniError(11, "boom") });
    await assertRejects(() =>
      addNetworkList(list("1.0.0", ["a", "b"]), RT, {
        invoker: noRollback.invoker,
        cacheDir,
        rollback: false,
      })
    );
    assertEquals(noRollback.calls.map((c) => c.command), ["ADD", "ADD"]);
  });
});

Deno.test("addNetworkList() validates the attachment and finds every plugin before acting", async () => {
  await withCache(async (cacheDir) => {
    const { invoker, calls } = fakeInvoker({}, ["a"]);
    const err = await assertRejects(
      () => addNetworkList(list("1.0.0", ["a", "missing"]), RT, { invoker, cacheDir }),
      CniError,
    );
    assertEquals(
      err.message,
      'plugin type="missing" failed (add): failed to find plugin "missing" in path [/x]',
    );
    await assertRejects(
      () => addNetworkList(list("1.0.0", ["a"]), { ...RT, ifName: "x/y" }, { invoker, cacheDir }),
      CniError,
      "interface name contains / or : or whitespace characters",
    );
    await assertRejects(
      () => addNetworkList(list("1.0.0", ["a"]), { ...RT, containerId: "" }, { invoker, cacheDir }),
      CniError,
      "missing containerID",
    );
    assertEquals(calls, []);
  });
});

Deno.test("checkNetworkList() gives every plugin the cached result in the list's version", async () => {
  await withCache(async (cacheDir) => {
    const { invoker, calls } = fakeInvoker({
      "b/ADD": { cniVersion: "0.2.0", ip4: { ip: "10.1.0.5/16", gateway: "10.1.0.1" } },
    });
    await addNetworkList(list("0.4.0", ["a", "b"]), RT, { invoker, cacheDir });
    calls.length = 0;
    await checkNetworkList(list("0.4.0", ["a", "b"]), RT, { invoker, cacheDir });
    const expected = {
      cniVersion: "0.4.0",
      ips: [{ version: "4", address: "10.1.0.5/16", gateway: "10.1.0.1" }],
      dns: {},
    };
    assertEquals(calls.map((c) => [c.type, c.command, c.config.prevResult]), [
      ["a", "CHECK", expected],
      ["b", "CHECK", expected],
    ]);
    calls.length = 0;
    await checkNetworkList(list("0.4.0", ["a"], { disableCheck: true }), RT, { invoker, cacheDir });
    assertEquals(calls, []);
    const old = await assertRejects(
      () =>
        checkNetworkList(list("0.3.1", ["a"], { disableCheck: true }), RT, { invoker, cacheDir }),
      CniError,
    );
    assertEquals(old.message, 'configuration version "0.3.1" does not support the CHECK command');
    assertEquals(old.code, 1);
    const failing = fakeInvoker({ "a/CHECK": new CniError(7, "eth0 is gone") });
    await assertRejects(
      () => checkNetworkList(list("1.0.0", ["a"]), RT, { invoker: failing.invoker, cacheDir }),
      CniError,
      'plugin type="a" failed (check): eth0 is gone',
    );
  });
});

Deno.test("checkNetworkList() refuses a corrupt cache entry", async () => {
  await withCache(async (cacheDir) => {
    await Deno.mkdir(join(cacheDir, "results"));
    await Deno.writeTextFile(join(cacheDir, "results", "testnet-ctr1-eth0"), "{garbage");
    const { invoker } = fakeInvoker();
    await assertRejects(
      () => checkNetworkList(list("1.0.0", ["a"]), RT, { invoker, cacheDir }),
      CniError,
      'failed to get network "testnet" cached result',
    );
  });
});

Deno.test("delNetworkList() runs in reverse with the cached result and removes the entry; repeat succeeds", async () => {
  await withCache(async (cacheDir) => {
    const { invoker, calls } = fakeInvoker();
    const l = list("1.0.0", ["a", "b"]);
    const result = await addNetworkList(l, RT, { invoker, cacheDir });
    calls.length = 0;
    await delNetworkList(l, RT, { invoker, cacheDir });
    assertEquals(calls.map((c) => [c.type, c.command, c.config.prevResult]), [
      ["b", "DEL", result],
      ["a", "DEL", result],
    ]);
    assertEquals(await listCachedAttachments(cacheDir), []);
    calls.length = 0;
    await delNetworkList(l, RT, { invoker, cacheDir });
    assertEquals(calls.map((c) => [c.type, c.config.prevResult]), [["b", undefined], [
      "a",
      undefined,
    ]]);
  });
});

Deno.test("delNetworkList() continues past failures, reports them together and keeps the entry", async () => {
  await withCache(async (cacheDir) => {
    const ok = fakeInvoker();
    const l = list("1.0.0", ["a", "b", "c"]);
    await addNetworkList(l, RT, { invoker: ok.invoker, cacheDir });
    const bad = fakeInvoker({
      "c/DEL": new CniError(11, "busy"),
      "a/DEL": new CniError(999, "gone wrong"),
    });
    const err = await assertRejects(
      () => delNetworkList(l, RT, { invoker: bad.invoker, cacheDir }),
      CniError,
    );
    assertEquals(err.code, 11);
    assertEquals(
      err.message,
      'plugin type="c" failed (delete): busy; plugin type="a" failed (delete): gone wrong',
    );
    assertEquals(bad.calls.map((c) => c.type), ["c", "b", "a"]);
    assertEquals((await listCachedAttachments(cacheDir)).length, 1);
  });
});

Deno.test("delNetworkList() drops an unreadable cache entry and carries on without prevResult", async () => {
  await withCache(async (cacheDir) => {
    await Deno.mkdir(join(cacheDir, "results"));
    const file = join(cacheDir, "results", "testnet-ctr1-eth0");
    await Deno.writeTextFile(file, "{garbage");
    const { invoker, calls } = fakeInvoker();
    await delNetworkList(list("1.0.0", ["a"]), RT, { invoker, cacheDir });
    assertEquals(calls.map((c) => c.config.prevResult), [undefined]);
    await assertRejects(() => Deno.stat(file), Deno.errors.NotFound);
  });
});

Deno.test("gcNetworkList() DELs stale cached attachments and sends GC with valid attachments", async () => {
  await withCache(async (cacheDir) => {
    const { invoker, calls } = fakeInvoker();
    const l = list("1.1.0", ["a", "b"]);
    await addNetworkList(l, { ...RT, containerId: "keep" }, { invoker, cacheDir });
    await addNetworkList(l, { ...RT, containerId: "stale" }, { invoker, cacheDir });
    calls.length = 0;
    await gcNetworkList(l, {
      invoker,
      cacheDir,
      validAttachments: [{ containerID: "keep", ifname: "eth0" }],
    });
    assertEquals(calls.map((c) => `${c.type}/${c.command}/${c.args.containerId ?? ""}`), [
      "b/DEL/stale",
      "a/DEL/stale",
      "a/GC/",
      "b/GC/",
    ]);
    const gc = calls[2]!;
    assertEquals(gc.config["cni.dev/valid-attachments"], [{ containerID: "keep", ifname: "eth0" }]);
    assertEquals(gc.config["cni.dev/attachments"], [{ containerID: "keep", ifname: "eth0" }]);
    assertEquals(gc.config.runtimeConfig, undefined);
    assertEquals((await listCachedAttachments(cacheDir)).map((a) => a.containerId), ["keep"]);
    calls.length = 0;
    await gcNetworkList(list("1.1.0", ["a"], { disableGC: true }), { invoker, cacheDir });
    assertEquals(calls, []);
    await gcNetworkList(list("1.0.0", ["a"]), {
      invoker,
      cacheDir,
      validAttachments: [{ containerID: "keep", ifname: "eth0" }],
    });
    assertEquals(calls, [], "no GC verb below 1.1.0");
  });
});

Deno.test("getStatusNetworkList() keeps the plugin's code and stops at the first failure", async () => {
  const { invoker, calls } = fakeInvoker({ "a/STATUS": new CniError(50, "no IPs left") });
  const err = await assertRejects(
    () => getStatusNetworkList(list("1.1.0", ["a", "b"]), { invoker }),
    CniError,
  );
  assertEquals([err.code, err.msg], [50, 'plugin type="a" is not ready: no IPs left']);
  assertEquals(calls.map((c) => c.type), ["a"]);
  calls.length = 0;
  await getStatusNetworkList(list("1.0.0", ["a"]), { invoker });
  assertEquals(calls, []);
});

Deno.test("validateNetworkList() checks every plugin and returns the capabilities", async () => {
  const { invoker } = fakeInvoker({}, ["a", "b"]);
  assertEquals(await validateNetworkList(list("1.0.0", ["a", "b"]), { invoker }), ["mac"]);
  const old = fakeInvoker({ "a/VERSION": { cniVersion: "1.1.0", supportedVersions: ["0.4.0"] } }, [
    "a",
  ]);
  const err = await assertRejects(
    () => validateNetworkList(list("1.0.0", ["a", "zz"]), { invoker: old.invoker }),
    CniError,
  );
  assertEquals(
    err.message,
    'plugin a does not support config version "1.0.0"; plugin zz: failed to find plugin "zz" in path [/x]',
  );
  assert(err.code === 1);
});
