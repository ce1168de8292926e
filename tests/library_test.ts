// The library surface: mod.ts exports, deno doc --lint, deno publish --dry-run, doc examples,
// and mod.ts imported by URL from a separate `deno run` with no deno.json.
import { join, relative } from "node:path";
import * as lib from "../mod.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { run } from "./helpers/run.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { execReference, stdoutJson } from "./helpers/exec_plugin.ts";
import { REF_DIR, refMissing } from "./helpers/reference.ts";

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const DENO = Deno.execPath();
const IMPORT_REGEXP = /(?:^|\s)(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm;
const DYN_IMPORT_REGEXP = /\bimport\(\s*["']([^"']+)["']\s*\)/g;
const PRODUCT_DIRS = ["cni", "cmd", "ffi", "netlink", "netns", "plugins"];

async function deno(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const out = await new Deno.Command(DENO, {
    args,
    cwd: options.cwd ?? REPO,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function rand(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(4)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

function* productFiles(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* productFiles(path);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) yield path;
  }
}

function allProductFiles(): string[] {
  const files = [join(REPO, "mod.ts"), join(REPO, "cli.ts")];
  for (const d of PRODUCT_DIRS) files.push(...productFiles(join(REPO, d)));
  return files;
}

Deno.test("mod.ts is a doc comment plus explicit named re-exports of public files", () => {
  const text = Deno.readTextFileSync(join(REPO, "mod.ts"));
  assert(text.trimStart().startsWith("/**"), "mod.ts starts with its doc comment");
  assertStringIncludes(text, "@module");
  assertStringIncludes(text, "@example");
  assert(!/export\s*\*/.test(text), "mod.ts never uses export *");
  const code = text.replace(/\/\*\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  // Only export statements (no logic).
  for (const stmt of code.split(";").map((s) => s.trim()).filter((s) => s !== "")) {
    assert(/^export (type )?\{[^}]*\} from "\.\/[^"]+"$/.test(stmt), `not a re-export: ${stmt}`);
  }
  for (const m of code.matchAll(/from "(\.\/[^"]+)"/g)) {
    const spec = m[1]!;
    assert(!spec.split("/").some((part) => part.startsWith("_")), `private file: ${spec}`);
    assert(!spec.endsWith("_test.ts") && !spec.startsWith("./tests/"), `test file: ${spec}`);
    assert(!spec.startsWith("./cmd/"), `the library does not depend on the CLI: ${spec}`);
  }
});

Deno.test("mod.ts exports the engine, invokers, libcni, cache, skel, plugins and netns", () => {
  const functions = [
    "asCniError",
    "convertResult",
    "toCurrentResult",
    "parseResult",
    "versionInfoJson",
    "parseConfList",
    "parseConf",
    "loadConfList",
    "listNetworks",
    "confFiles",
    "buildPluginConfig",
    "parseCniArgs",
    "formatCniArgs",
    "execInvoker",
    "inProcessInvoker",
    "selectInvoker",
    "createDelegate",
    "addNetworkList",
    "checkNetworkList",
    "delNetworkList",
    "gcNetworkList",
    "getStatusNetworkList",
    "validateNetworkList",
    "getVersionInfo",
    "readCachedResult",
    "listCachedAttachments",
    "runPlugin",
    "netnsAdd",
    "netnsDelete",
    "netnsList",
    "pendingKernelWork",
  ];
  const exported = lib as unknown as Record<string, unknown>;
  for (const name of functions) {
    assertEquals(typeof exported[name], "function", `${name} is exported`);
  }
  // Not the library's API: test seams, internals of the exec invoker and the cache writer, the
  // CLI layer (cmd/), and what the ./netns and ./netlink entries export.
  const internal = [
    "netlinkStats",
    "parsePluginArgs",
    "runToolOk",
    "observeToolRuns",
    "pluginEnv",
    "pluginError",
    "parseAddOutput",
    "writeCacheEntry",
    "deleteCacheEntry",
    "execInFreshNetns",
    "networksForExec",
    "defaultNetworkConfig",
    "cnitoolContainerId",
    "requirePrivileges",
    "openNetns",
    "withNetns",
    "openNetlink",
  ];
  assertEquals(internal.filter((name) => name in exported), []);
  assertEquals(lib.CURRENT_VERSION, "1.1.0");
  assertEquals(Object.keys(lib.BUILTIN_PLUGINS).sort(), [
    "bandwidth",
    "bridge",
    "dummy",
    "firewall",
    "host-device",
    "host-local",
    "ipvlan",
    "loopback",
    "macvlan",
    "portmap",
    "ptp",
    "sbr",
    "static",
    "tuning",
    "vlan",
    "vrf",
  ]);
  assertEquals(new lib.ConfigNotFoundError("/etc/cni/net.d", "x").code, 7);
  assert(new lib.ConfigNotFoundError("/d", "x") instanceof lib.CniError);
  assertEquals(lib.ErrorCode.InvalidNetworkConfig, 7);
});

Deno.test("importing mod.ts and parsing a config need no permissions", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denocni-libperm-" });
  try {
    const file = join(dir, "noperm.ts");
    const modUrl = new URL("../mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      file,
      `import * as lib from ${JSON.stringify(modUrl)};\n` +
        `console.log(lib.CURRENT_VERSION, lib.parseConfList('{"cniVersion":"1.0.0","name":"n",` +
        `"plugins":[{"type":"loopback"}]}').plugins.length);\n`,
    );
    // No --allow-* flag at all: any read, env, ffi or net access at import would fail.
    const out = await deno(["run", "--no-prompt", `--config=${join(REPO, "deno.json")}`, file]);
    assertEquals(out.code, 0, out.stdout + out.stderr);
    assertEquals(out.stdout, "1.1.0 1\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("product code imports only relative, node: and npm: specifiers (URL imports work)", () => {
  const bad: string[] = [];
  for (const file of allProductFiles()) {
    const text = Deno.readTextFileSync(file);
    const specs = [...text.matchAll(IMPORT_REGEXP), ...text.matchAll(DYN_IMPORT_REGEXP)]
      .map((m) => m[1]!);
    for (const spec of specs) {
      if (!/^(\.{1,2}\/|node:|npm:)/.test(spec)) bad.push(`${relative(REPO, file)}: "${spec}"`);
    }
  }
  assertEquals(bad, [], "bare specifiers need deno.json's import map and break URL imports");
  // The one npm: specifier carries the same version range as deno.json's map.
  const config = JSON.parse(Deno.readTextFileSync(join(REPO, "deno.json")));
  const zod = Deno.readTextFileSync(join(REPO, "cni/_zod.ts"));
  assertStringIncludes(zod, `"${config.imports["zod/mini"]}"`);
});

Deno.test("deno doc --lint passes for every export of deno.json", async () => {
  const config = JSON.parse(Deno.readTextFileSync(join(REPO, "deno.json")));
  const entries = Object.values(config.exports as Record<string, string>);
  assert(entries.includes("./mod.ts"));
  const out = await deno(["doc", "--lint", ...entries]);
  assertEquals(out.code, 0, out.stdout + out.stderr);
  assertStringIncludes(out.stdout + out.stderr, `Checked ${entries.length} file`);
});

Deno.test("deno publish --dry-run passes and packs no tests, benches or build output", async () => {
  const out = await deno(["publish", "--dry-run", "--allow-dirty"]);
  const text = out.stdout + out.stderr;
  assertEquals(out.code, 0, text);
  assertStringIncludes(text, "Dry run complete");
  const files = [...text.matchAll(/file:\/\/(\S+)/g)].map((m) => relative(REPO, m[1]!));
  for (
    const f of ["mod.ts", "cni/_zod.ts", "cni/libcni.ts", "plugins/loopback/mod.ts", "LICENSE"]
  ) {
    assert(files.includes(f), `package holds ${f}: ${files.join(" ")}`);
  }
  const unwanted = files.filter((f) =>
    f.endsWith("_test.ts") || /^(tests|bench|dist|scripts|deploy)\//.test(f)
  );
  assertEquals(unwanted, []);
});

Deno.test("deno test --doc runs the examples in mod.ts", async () => {
  const out = await deno(["test", "--doc", "--allow-read", "mod.ts"]);
  const text = out.stdout + out.stderr;
  assertEquals(out.code, 0, text);
  // The first example runs; the root-only one is `ignore`d (type-checked below).
  assert(/\b1 passed \| 0 failed\b/.test(text), text);
});

Deno.test("the ignored (root-only) examples in mod.ts type-check", async () => {
  const text = Deno.readTextFileSync(join(REPO, "mod.ts"));
  const blocks = [...text.matchAll(/```ts ignore\n([\s\S]*?)```/g)]
    .map((m) => m[1]!.replace(/^ \* ?/gm, ""));
  assertEquals(blocks.length, 1);
  const dir = await Deno.makeTempDir({ prefix: "denocni-libdoc-" });
  try {
    const modUrl = new URL("../mod.ts", import.meta.url).href;
    const file = join(dir, "example.ts");
    await Deno.writeTextFile(file, blocks[0]!.replaceAll('"./mod.ts"', JSON.stringify(modUrl)));
    const out = await deno(["check", `--config=${join(REPO, "deno.json")}`, file]);
    assertEquals(out.code, 0, out.stdout + out.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Serves the repository's files read-only over HTTP on 127.0.0.1. */
function serveRepo(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.split("/").includes("..") || !path.endsWith(".ts")) {
      return new Response("not found", { status: 404 });
    }
    try {
      const body = await Deno.readFile(join(REPO, path));
      return new Response(body, { headers: { "content-type": "application/typescript" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

const RESULT_1_0_0 = {
  cniVersion: "1.0.0",
  interfaces: [{ name: "eth0", mac: "0a:58:0a:16:00:02", sandbox: "/var/run/netns/x" }],
  ips: [
    { address: "10.22.0.2/16", gateway: "10.22.0.1", interface: 0 },
    { address: "fd00::2/64", gateway: "fd00::1", interface: 0 },
  ],
  routes: [{ dst: "0.0.0.0/0", gw: "10.22.0.1" }],
  dns: { nameservers: ["10.22.0.1"] },
};

function urlScript(base: string): string {
  return `
import {
  addNetworkList,
  BUILTIN_PLUGINS,
  checkNetworkList,
  convertResult,
  inProcessInvoker,
  parseConfList,
} from "${base}/mod.ts";

const [netns, cacheDir, name] = Deno.args;
const list = parseConfList(JSON.stringify({
  cniVersion: "1.0.0",
  name,
  plugins: [{ type: "loopback" }],
}), "url-import test");
const old = convertResult(${JSON.stringify(RESULT_1_0_0)}, "0.2.0");
const back = convertResult(JSON.stringify(old), "1.0.0");
const invoker = inProcessInvoker(BUILTIN_PLUGINS, { cniPath: ["${REF_DIR}"] });
const rt = { containerId: "lib-url-test", netns, ifName: "lo" };
const added = await addNetworkList(list, rt, { invoker, cacheDir });
await checkNetworkList(list, rt, { invoker, cacheDir });
console.log(JSON.stringify({
  list: { name: list.name, cniVersion: list.cniVersion, types: list.plugins.map((p) => p.network.type) },
  old,
  back,
  added,
}));
`;
}

/** Drops the modules this test's server put in Deno's remote-module cache (one port each run). */
async function forgetRemoteModules(port: number): Promise<void> {
  const info = JSON.parse((await deno(["info", "--json"])).stdout);
  for (const cache of [info.modulesCache, info.typescriptCache]) {
    if (typeof cache !== "string") continue;
    await Deno.remove(join(cache, "http", `127.0.0.1_PORT${port}`), { recursive: true })
      .catch(() => {});
  }
}

async function referenceLoopbackAdd(netnsPath: string, name: string): Promise<unknown> {
  const out = await execReference("loopback", {
    command: "ADD",
    containerId: "lib-url-ref",
    netns: netnsPath,
    ifName: "lo",
  }, { cniVersion: "1.0.0", name, type: "loopback" });
  assertEquals(out.code, 0, `reference loopback ADD: ${out.stdout}${out.stderr}`);
  return stdoutJson(out);
}

Deno.test({
  ...gated(
    "mod.ts imported by URL (no deno.json): config, version conversion, loopback in-process",
    NEEDS_ROOT,
    refMissing("loopback"),
  ),
  async fn() {
    const id = rand();
    const ns = `libu-${id}`;
    const refNs = `libr-${id}`;
    const name = `liburl-${id}`;
    const tmp = await Deno.makeTempDir({ prefix: "denocni-lib-" });
    const server = serveRepo();
    const made: string[] = [];
    try {
      for (const n of [ns, refNs]) {
        const r = await run("ip", ["netns", "add", n]);
        assertEquals(r.code, 0, r.stderr);
        made.push(n);
      }
      const port = server.addr.port;
      const script = join(tmp, "use_denocni.ts");
      await Deno.writeTextFile(script, urlScript(`http://127.0.0.1:${port}`));
      const cacheDir = join(tmp, "cache");
      const out = await deno([
        "run",
        "--no-config",
        "--no-lock",
        `--allow-import=127.0.0.1:${port}`,
        "--allow-ffi",
        "--allow-read",
        `--allow-write=${tmp}`,
        "--allow-env",
        script,
        `/run/netns/${ns}`,
        cacheDir,
        name,
      ], { cwd: tmp });
      assertEquals(out.code, 0, out.stdout + out.stderr);
      const got = JSON.parse(out.stdout);

      assertEquals(got.list, { name, cniVersion: "1.0.0", types: ["loopback"] });
      // 0.2.0 keeps the first address of each family and its gateway, and the routes by family.
      assertEquals(got.old, {
        cniVersion: "0.2.0",
        ip4: {
          ip: "10.22.0.2/16",
          gateway: "10.22.0.1",
          routes: [{ dst: "0.0.0.0/0", gw: "10.22.0.1" }],
        },
        ip6: { ip: "fd00::2/64", gateway: "fd00::1" },
        dns: { nameservers: ["10.22.0.1"] },
      });
      // And back: interfaces are gone (0.2.0 has none), addresses, routes and DNS survive.
      assertEquals(got.back, {
        cniVersion: "1.0.0",
        ips: [
          { address: "10.22.0.2/16", gateway: "10.22.0.1" },
          { address: "fd00::2/64", gateway: "fd00::1" },
        ],
        routes: [{ dst: "0.0.0.0/0", gw: "10.22.0.1" }],
        dns: { nameservers: ["10.22.0.1"] },
      });

      // The in-process loopback result equals the reference plugin's, sandbox aside. The
      // reference 1.1.1 (cni library 1.1.2) prints an empty `"dns": {}` that the newest
      // library's types100 marshalling drops, as ours does (see tests/loopback_test.ts).
      const ref = await referenceLoopbackAdd(`/run/netns/${refNs}`, name) as {
        interfaces: { sandbox: string }[];
        dns?: Record<string, unknown>;
      };
      assertEquals(ref.interfaces[0]?.sandbox, `/run/netns/${refNs}`);
      ref.interfaces[0]!.sandbox = `/run/netns/${ns}`;
      assertEquals(ref.dns, {});
      delete ref.dns;
      assertEquals(got.added, ref);
      assertEquals(got.added.ips.map((ip: { address: string }) => ip.address)[0], "127.0.0.1/8");

      // Kernel state, read with ip(8): lo is up in the namespace.
      const link = await run("ip", ["-j", "-n", ns, "link", "show", "lo"]);
      assertEquals(link.code, 0, link.stderr);
      const [lo] = JSON.parse(link.stdout) as { flags: string[]; operstate: string }[];
      assert(lo?.flags.includes("UP"), `lo flags: ${link.stdout}`);
      // libcni cached the result under the reference name.
      const cached = JSON.parse(
        await Deno.readTextFile(join(cacheDir, "results", `${name}-lib-url-test-lo`)),
      );
      assertEquals(cached.result, got.added);
    } finally {
      await server.shutdown();
      for (const n of made) await run("ip", ["netns", "delete", n]);
      await Deno.remove(tmp, { recursive: true });
      await forgetRemoteModules(server.addr.port);
    }
  },
});

Deno.test({
  ...gated(
    "addNetworkList()/delNetworkList() with cniPath [] run the built-ins in-process; " +
      "an exec'd plugin in the list fails clearly",
    NEEDS_ROOT,
  ),
  async fn() {
    const id = rand();
    const ns = `libp-${id}`;
    const br = `tlp${id}`;
    const tmp = await Deno.makeTempDir({ prefix: "denocni-lib-" });
    const plugins = [
      {
        type: "bridge",
        bridge: br,
        isGateway: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: "10.213.0.0/24" }]],
          dataDir: join(tmp, "ipam"),
        },
      },
      { type: "loopback" },
    ];
    const list = lib.parseConfList(
      JSON.stringify({ cniVersion: "1.1.0", name: `libp-${id}`, plugins }),
    );
    const rt = { containerId: `libp-${id}`, netns: `/run/netns/${ns}`, ifName: "eth0" };
    const cacheDir = join(tmp, "cache");
    try {
      assertEquals((await run("ip", ["netns", "add", ns])).code, 0);
      for (
        const invoker of [
          lib.inProcessInvoker(lib.BUILTIN_PLUGINS, { cniPath: [] }),
          lib.selectInvoker({ mode: "prefer", registry: lib.BUILTIN_PLUGINS, cniPath: [] }),
        ]
      ) {
        const result = await lib.addNetworkList(list, rt, { invoker, cacheDir });
        const [address] = (result.ips as { address: string }[]).map((ip) => ip.address);
        assert(address?.startsWith("10.213.0."), String(address));
        const eth0 = await run("ip", ["-j", "-n", ns, "addr", "show", "eth0"]);
        assertEquals(eth0.code, 0, eth0.stderr);
        const info = JSON.parse(eth0.stdout)[0].addr_info[0];
        assertEquals(`${info.local}/${info.prefixlen}`, address);
        await lib.delNetworkList(list, rt, { invoker, cacheDir });
        await lib.pendingKernelWork();
        assertEquals((await run("ip", ["-n", ns, "link", "show", "eth0"])).code, 1);
        const leases = [...Deno.readDirSync(join(tmp, "ipam", list.name))]
          .filter((e) => e.name.startsWith("10."));
        assertEquals(leases, []);
      }
      // A plugin that is not built in must be exec'd: with no path it fails before anything
      // runs, naming the plugin.
      const withExec = lib.parseConfList(JSON.stringify({
        cniVersion: "1.1.0",
        name: `libp-${id}`,
        plugins: [...plugins, { type: "not-built-in-test" }],
      }));
      const invoker = lib.selectInvoker({
        mode: "prefer",
        registry: lib.BUILTIN_PLUGINS,
        cniPath: [],
      });
      let message = "";
      try {
        await lib.addNetworkList(withExec, rt, { invoker, cacheDir });
      } catch (err) {
        assert(err instanceof lib.CniError);
        message = err.message;
      }
      assertStringIncludes(message, 'plugin type="not-built-in-test" failed (add)');
      assertStringIncludes(message, "no paths provided"); // Go's FindInPath wording
      assertEquals((await run("ip", ["-n", ns, "link", "show", "eth0"])).code, 1);
    } finally {
      await run("ip", ["netns", "del", ns]);
      await lib.pendingKernelWork();
      await run("ip", ["link", "del", br]);
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
