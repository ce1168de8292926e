/**
 * The plugin start-up rules of ARCHITECTURE.md, checked by outcomes instead of timings for
 * every plugin of the registry (each key of `BUILTIN_ABOUT`, so a new plugin is covered without
 * touching this file):
 *
 * - no `node:*` module on the plugin module's import graph (`deno info --json`);
 * - VERSION and the about text are answered without loading the plugin's module or zod;
 * - importing the plugin's module builds no zod schema (config schemas are built on first use,
 *   once);
 * - the plugin personality of cli.ts ends by a natural exit on success (so Deno stores the
 *   bundle's V8 code cache), and the installed launcher run really stores it.
 * - `cnitool install` stores the code cache for the launchers, and a launcher run reads it, also
 *   from a read-only mount, without rewriting it.
 *
 * zod is observed from outside: every schema zod builds gets its `_zod` internals through
 * `Object.defineProperty`, and loading zod defines `globalThis.__zod_globalConfig`. Each probe
 * is first shown to fire on a real construction, so a zod upgrade that changed either could
 * not make these tests pass vacuously.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { REPO } from "./helpers/sandbox.ts";
import { launcherDir } from "./helpers/launchers.ts";
import { RUN_FLAGS } from "../cmd/install_plugins.ts";
import { SUPPORTED_VERSIONS } from "../cni/types.ts";
import { BUILTIN_ABOUT, BUILTIN_PLUGINS } from "../plugins/mod.ts";

const DEC = new TextDecoder();
const NAMES = Object.keys(BUILTIN_ABOUT);
const VERSION_JSON =
  JSON.stringify({ cniVersion: "1.1.0", supportedVersions: SUPPORTED_VERSIONS }) +
  "\n";

/** The plugin's module, relative to the repository, read from its registry loader. */
function entryOf(name: string): string {
  const load = BUILTIN_PLUGINS[name];
  assert(load !== undefined, `${name} is in BUILTIN_ABOUT but not in BUILTIN_PLUGINS`);
  const match = /import\(\s*["']\.\/([^"']+)["']\s*\)/.exec(load.toString());
  assert(match !== null, `${name}: no import("./...") in its loader ${load.toString()}`);
  return `plugins/${match[1]}`;
}

/** VERSION's answer and the about text of a plugin, from what it declares. */
function expectedOut(name: string, command: string) {
  const { supportedVersions, about } = BUILTIN_ABOUT[name]!;
  return command === "VERSION"
    ? {
      stdout: JSON.stringify({ cniVersion: "1.1.0", supportedVersions }) + "\n",
      stderr: "",
      exitCode: 0,
    }
    : {
      stdout: "",
      stderr: `${about}\nCNI protocol versions supported: ${supportedVersions.join(", ")}\n`,
      exitCode: 0,
    };
}

interface Proc {
  code: number;
  stdout: string;
  stderr: string;
}

async function denoRun(
  args: string[],
  env: Record<string, string> = {},
  stdin = "",
): Promise<Proc> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  return { code: out.code, stdout: DEC.decode(out.stdout), stderr: DEC.decode(out.stderr) };
}

/** `fn` over `items`, at most `width` at a time (the machine has few cores). */
async function pool<T, R>(items: T[], fn: (item: T) => Promise<R>, width = 4): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

/** Script prelude: counts zod schema constructions and tells whether zod was loaded. */
const PROBE = `
let built = 0;
const define = Object.defineProperty;
Object.defineProperty = function (o, k, d) {
  if (k === "_zod") built++;
  return define(o, k, d);
};
const zodLoaded = () => "__zod_globalConfig" in globalThis;
const repo = (p) => new URL(p, "file://${REPO}/").href;
async function control() {
  const z = await import(repo("cni/_zod.ts"));
  const before = built;
  z.string();
  return { controlLoaded: zodLoaded(), controlBuilt: built - before };
}
`;

async function probe(body: string): Promise<Record<string, unknown>> {
  const out = await denoRun(["eval", "--quiet", "--no-lock", `${PROBE}\n${body}`]);
  assertEquals(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

// BUILTIN_ABOUT (plugins/about.ts) is the one source: each plugin's PluginFns takes its fields from
// it, and this fails if a plugin object ever says something else than its entry.
Deno.test("BUILTIN_ABOUT names the plugins of BUILTIN_PLUGINS and each one's PluginFns says what its entry says", async () => {
  assertEquals([...NAMES].sort(), Object.keys(BUILTIN_PLUGINS).sort());
  for (const [name, load] of Object.entries(BUILTIN_PLUGINS)) {
    const fns = await load();
    assertEquals(
      { supportedVersions: fns.supportedVersions, about: fns.about },
      BUILTIN_ABOUT[name],
      name,
    );
    assert(
      fns.supportedVersions === BUILTIN_ABOUT[name]!.supportedVersions,
      `${name}: the table's array`,
    );
  }
});

Deno.test("every plugin: no node:* module in its module's import graph", async () => {
  const entries = NAMES.map(entryOf);
  const graphs = await pool(["cli.ts", ...entries], async (entry) => {
    const out = await denoRun(["info", "--json", "--no-lock", entry]);
    assertEquals(out.code, 0, `${entry}: ${out.stderr}`);
    return (JSON.parse(out.stdout).modules as { specifier: string }[]).map((m) => m.specifier);
  });
  // The probe works: the CLI entry does have node:process on its graph (loaded lazily).
  assert(graphs[0]!.some((s) => s.startsWith("node:")), "cli.ts has a node: module");
  entries.forEach((entry, i) => {
    const specifiers = graphs[i + 1]!;
    assert(specifiers.some((s) => s.endsWith(`/${entry}`)), `${entry}: the graph was read`);
    assertEquals(specifiers.filter((s) => s.startsWith("node:")), [], entry);
  });
});

Deno.test("every plugin: VERSION and the about text load neither zod nor the plugin; importing it builds no schema", async () => {
  const got = await probe(`
const { BUILTIN_ABOUT, BUILTIN_PLUGINS } = await import(repo("plugins/mod.ts"));
const { runBuiltinPlugin } = await import(repo("cmd/plugin.ts"));
const loaded = {};
const registry = Object.fromEntries(Object.entries(BUILTIN_PLUGINS).map(([k, load]) => [
  k, () => { loaded[k] = (loaded[k] ?? 0) + 1; return load(); },
]));
const answers = {};
for (const name of ${JSON.stringify(NAMES)}) {
  for (const command of ["VERSION", ""]) {
    const env = command ? { CNI_COMMAND: command } : {};
    const out = await runBuiltinPlugin(name, { env, stdin: new Uint8Array() },
      { registry, about: BUILTIN_ABOUT });
    answers[name + " " + command] = { out, built, zodLoaded: zodLoaded(), loaded: loaded[name] ?? 0 };
  }
}
const imports = {};
for (const [name, entry] of Object.entries(${
    JSON.stringify(Object.fromEntries(NAMES.map((n) => [n, entryOf(n)])))
  })) {
    const before = built;
    await import(repo(entry));
    imports[name] = built - before;
}
console.log(JSON.stringify({ answers, imports, ...(await control()) }));
`);
  for (const name of NAMES) {
    for (const command of ["VERSION", ""]) {
      assertEquals(
        (got.answers as Record<string, unknown>)[`${name} ${command}`],
        { out: expectedOut(name, command), built: 0, zodLoaded: false, loaded: 0 },
        `${name} ${command || "(no command)"}`,
      );
    }
    assertEquals((got.imports as Record<string, number>)[name], 0, `importing ${entryOf(name)}`);
  }
  assertEquals([got.controlLoaded, got.controlBuilt], [true, 1], "the probes work");
});

/** Plugin configs whose schema is checked to be built on first use, and only once. */
const IFACE_CONF = {
  cniVersion: "1.0.0",
  name: "n",
  type: "x",
  master: "eth0",
  ipam: { type: "static" },
};
const TUNING_STATIC_CONF = {
  cniVersion: "1.0.0",
  name: "n",
  type: "x",
  ipam: { addresses: [] },
  mtu: 1400,
};
const ROUTE_CONF = {
  cniVersion: "1.0.0",
  name: "n",
  type: "x",
  ipam: { type: "static" },
  device: "eth1",
  vrfname: "blue",
};
const FIRST_USE: [module: string, loader: string, conf: object, ...rest: string[]][] = [
  [
    "plugins/bridge/config.ts",
    "loadBridgeConf",
    { cniVersion: "1.0.0", name: "n", type: "bridge" },
    "",
  ],
  ["plugins/macvlan/config.ts", "loadMacvlanConf", IFACE_CONF, ""],
  ["plugins/ipvlan/config.ts", "loadIpvlanConf", IFACE_CONF],
  ["plugins/vlan/config.ts", "loadVlanConf", IFACE_CONF],
  ["plugins/dummy/config.ts", "loadDummyConf", IFACE_CONF],
  ["plugins/tuning/config.ts", "loadTuningConf", TUNING_STATIC_CONF, ""],
  ["plugins/static/config.ts", "loadStaticConf", TUNING_STATIC_CONF, ""],
  ["plugins/ptp/config.ts", "loadPtpConf", ROUTE_CONF],
  ["plugins/host_device/config.ts", "loadHostDeviceConf", ROUTE_CONF],
  ["plugins/sbr/config.ts", "loadSbrConf", ROUTE_CONF],
  ["plugins/vrf/config.ts", "loadVrfConf", ROUTE_CONF],
];

Deno.test("importing the library, cni/ and firewall/ builds no schema; plugin config schemas are built on first use, once", async () => {
  const got = await probe(`
for (const m of ["mod.ts", "cni/schema.ts", "cni/conf.ts", "cni/version.ts", "cni/skel.ts",
  "cni/invoke.ts", "cni/libcni.ts", "firewall/mod.ts",
  ...${JSON.stringify(FIRST_USE.map(([m]) => m))}]) await import(repo(m));
const atImport = built;
const first = [], again = [];
for (const [module, loader, conf, ...rest] of ${JSON.stringify(FIRST_USE)}) {
  const load = (await import(repo(module)))[loader];
  let before = built;
  load(conf, ...rest);
  first.push(built - before);
  before = built;
  load({ ...conf, name: "again" }, ...rest);
  again.push(built - before);
}
console.log(JSON.stringify({ atImport, first, again, zodLoaded: zodLoaded() }));
`);
  assertEquals(got.atImport, 0);
  FIRST_USE.forEach(([module], i) => {
    assert((got.first as number[])[i]! > 0, `${module}: the schema is built on first use`);
    assertEquals((got.again as number[])[i], 0, `${module}: and only once`);
  });
  assertEquals(got.zodLoaded, true);
});

/** Preload that reports any Deno.exit call on stderr before exiting. */
const EXIT_SPY = `
const exit = Deno.exit;
Deno.exit = (code) => {
  Deno.stderr.writeSync(new TextEncoder().encode("[Deno.exit(" + code + ")]"));
  exit(code);
};
`;

Deno.test("cli.ts plugin personality: success ends by a natural exit for every plugin, failure by Deno.exit(1)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denocni-startup-" });
  try {
    const spy = `${dir}/spy.js`;
    Deno.writeTextFileSync(spy, EXIT_SPY);
    const run = (personality: string, env: Record<string, string>) =>
      denoRun(
        ["run", "--quiet", "--no-lock", "-A", "--preload", spy, `${REPO}/cli.ts`],
        { DENOCNI_PERSONALITY: personality, ...env },
      );
    const versions = await pool(NAMES, (name) => run(name, { CNI_COMMAND: "VERSION" }));
    NAMES.forEach((name, i) => {
      const { stdout, stderr } = expectedOut(name, "VERSION");
      assertEquals(versions[i], { code: 0, stdout, stderr }, `${name} VERSION`);
    });
    const about = await run("bridge", {});
    assertEquals([about.code, about.stdout], [0, ""]);
    assertStringIncludes(about.stderr, "CNI bridge plugin denocni\n");
    assert(!about.stderr.includes("Deno.exit"), about.stderr);
    const failed = await run("bridge", { CNI_COMMAND: "ADD" });
    assertEquals(failed, {
      code: 1,
      stdout: JSON.stringify(
        {
          cniVersion: "1.1.0", // no config on stdin: the newest version
          code: 4,
          msg: "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing",
        },
        null,
        4,
      ),
      stderr: "[Deno.exit(1)]",
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

function codeCacheRows(denoDir: string): Map<string, string> {
  const db = new DatabaseSync(`${denoDir}/v8_code_cache_v2`, { readOnly: true });
  try {
    const rows = db.prepare(
      "SELECT specifier, CAST(source_hash AS TEXT) AS source_hash, hex(data) AS data FROM codecache",
    )
      .all() as { specifier: string; source_hash: string; data: string }[];
    return new Map(rows.map((r) => [r.specifier, `${r.source_hash}:${r.data}`]));
  } finally {
    db.close();
  }
}

Deno.test("cnitool install prepares the launchers' code cache; a plugin run only reads it", async () => {
  const bin = await launcherDir();
  const denoDir = `${bin}/denocni-cache`;
  const before = codeCacheRows(denoDir);
  for (const file of ["denocni.js", "denocni-forward.js"]) {
    assert(before.has(`file://${bin}/${file}`), `code cache entry of ${file}`);
  }
  for (const db of ["dep_analysis_cache_v2", "node_analysis_cache_v2", "v8_code_cache_v2"]) {
    // What SQLite needs to open the database on a read-only mount.
    assert(Deno.statSync(`${denoDir}/${db}-shm`).isFile, `${db}-shm`);
    assert(Deno.statSync(`${denoDir}/${db}-wal`).isFile, `${db}-wal`);
  }
  // No CNI_COMMAND: the about text, a run of the bundle (VERSION is the launcher's own answer).
  const out = await new Deno.Command(`${bin}/bridge`, {
    env: { DENO_DIR: `${bin}/elsewhere` }, // the launcher's own wins
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const about = expectedOut("bridge", "");
  assertEquals([out.code, DEC.decode(out.stdout), DEC.decode(out.stderr)], [
    0,
    about.stdout,
    about.stderr,
  ]);
  assertEquals(codeCacheRows(denoDir), before, "the code cache is read, not rewritten");
  assertEquals([...Deno.readDirSync(bin)].some((e) => e.name === "elsewhere"), false);
});

Deno.test({
  ...gated("installed launcher: the prepared Deno cache is hit on a read-only mount", NEEDS_ROOT),
  async fn() {
    const bin = await launcherDir();
    const denoDir = `${bin}/denocni-cache`;
    const launcher = Deno.readTextFileSync(`${bin}/bridge`);
    const deno = /exec '([^']+)' run/.exec(launcher)?.[1];
    assert(deno, launcher);
    // The launcher's command line with Deno's debug log, in a mount namespace of its own
    // where the cache directory is read-only.
    const script = `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && ` +
      `exec "$2" run --log-level=debug --no-config --no-lock --no-prompt ` +
      `${RUN_FLAGS.join(" ")} "$3"`;
    const out = await new Deno.Command("unshare", {
      args: [
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "sh",
        denoDir,
        deno,
        `${bin}/denocni.js`,
      ],
      env: {
        PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
        DENO_DIR: denoDir,
        DENO_NO_UPDATE_CHECK: "1",
        DENOCNI_PERSONALITY: "bridge",
        CNI_COMMAND: "VERSION",
      },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = DEC.decode(out.stderr);
    assertEquals([out.code, DEC.decode(out.stdout)], [0, VERSION_JSON], log);
    assertStringIncludes(log, `V8 code cache hit for ES module: file://${bin}/denocni.js`);
    assert(!log.includes("Updating V8 code cache"), log);
  },
});
