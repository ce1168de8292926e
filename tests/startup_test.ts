/**
 * The plugin start-up promise, checked by outcomes instead of timings: a plugin answering
 * VERSION (or printing its about text) loads neither zod nor the plugin's code, importing the
 * modules builds no schema, the plugin personality ends by a natural exit on success (so Deno
 * can store the bundle's V8 code cache), `cnitool install` stores it for the launchers, and a
 * launcher run reads it, also from a read-only mount, without rewriting it.
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
import { REPO } from "./helpers/sandbox.ts";
import { launcherDir } from "./helpers/launchers.ts";
import { SUPPORTED_VERSIONS } from "../cni/types.ts";

const DEC = new TextDecoder();
const VERSION_JSON =
  JSON.stringify({ cniVersion: "1.1.0", supportedVersions: SUPPORTED_VERSIONS }) +
  "\n";

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

Deno.test("runBuiltinPlugin() answers VERSION and the about text without loading zod or the plugin", async () => {
  for (const name of ["bridge", "loopback", "host-local"]) {
    for (const command of ["VERSION", ""]) {
      const got = await probe(`
const { BUILTIN_ABOUT, BUILTIN_PLUGINS } = await import(repo("plugins/mod.ts"));
const { runBuiltinPlugin } = await import(repo("cmd/plugin.ts"));
let pluginsLoaded = 0;
const registry = Object.fromEntries(Object.entries(BUILTIN_PLUGINS).map(([k, load]) => [
  k, () => { pluginsLoaded++; return load(); },
]));
const env = ${JSON.stringify(command)} ? { CNI_COMMAND: ${JSON.stringify(command)} } : {};
const out = await runBuiltinPlugin(${JSON.stringify(name)}, { env, stdin: new Uint8Array() },
  { registry, about: BUILTIN_ABOUT });
const seen = { out, built, zodLoaded: zodLoaded(), pluginsLoaded };
console.log(JSON.stringify({ ...seen, ...(await control()) }));
`);
      const about = {
        bridge: "CNI bridge plugin denocni",
        loopback: "CNI loopback plugin denocni",
        "host-local": "CNI host-local plugin (denocni)",
      }[name];
      assertEquals(
        got.out,
        command === "VERSION" ? { stdout: VERSION_JSON, stderr: "", exitCode: 0 } : {
          stdout: "",
          stderr: `${about}\nCNI protocol versions supported: ${SUPPORTED_VERSIONS.join(", ")}\n`,
          exitCode: 0,
        },
        `${name} ${command || "(no command)"}`,
      );
      assertEquals(
        [got.built, got.zodLoaded, got.pluginsLoaded],
        [0, false, 0],
        `${name} ${command}`,
      );
      assertEquals([got.controlLoaded, got.controlBuilt], [true, 1], "the probes work");
    }
  }
});

Deno.test("BUILTIN_ABOUT says what each plugin's PluginFns says", async () => {
  const { BUILTIN_ABOUT, BUILTIN_PLUGINS } = await import("../plugins/mod.ts");
  assertEquals(Object.keys(BUILTIN_ABOUT).sort(), Object.keys(BUILTIN_PLUGINS).sort());
  for (const [name, load] of Object.entries(BUILTIN_PLUGINS)) {
    const fns = await load();
    assertEquals(BUILTIN_ABOUT[name], {
      supportedVersions: fns.supportedVersions,
      about: fns.about,
    }, name);
  }
});

Deno.test("importing the library, cni/ and the bridge and loopback plugins builds no zod schema", async () => {
  // plugins/host_local/commands.ts (another owner's file) still builds its GC schema at import.
  const got = await probe(`
for (const m of ["mod.ts", "cni/schema.ts", "cni/conf.ts", "cni/version.ts", "cni/skel.ts",
  "cni/invoke.ts", "cni/libcni.ts", "plugins/bridge.ts", "plugins/loopback.ts",
  "plugins/bridge/config.ts", "plugins/host_local/config.ts"]) await import(repo(m));
const atImport = built;
const { loadBridgeConf } = await import(repo("plugins/bridge/config.ts"));
loadBridgeConf({ cniVersion: "1.0.0", name: "n", type: "bridge" }, "");
const afterBridge = built;
loadBridgeConf({ cniVersion: "1.0.0", name: "n2", type: "bridge", bridge: "b2" }, "");
console.log(JSON.stringify({ atImport, afterBridge, again: built - afterBridge, zodLoaded: zodLoaded() }));
`);
  assertEquals(got.atImport, 0);
  assert((got.afterBridge as number) > 0, "the bridge schema is built on first use");
  assertEquals(got.again, 0, "and only once");
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

Deno.test("cli.ts plugin personality: success ends by a natural exit, failure by Deno.exit(1)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denocni-startup-" });
  try {
    const spy = `${dir}/spy.js`;
    Deno.writeTextFileSync(spy, EXIT_SPY);
    const run = (env: Record<string, string>) =>
      denoRun(
        ["run", "--quiet", "--no-lock", "-A", "--preload", spy, `${REPO}/cli.ts`],
        { DENOCNI_PERSONALITY: "bridge", ...env },
      );
    const version = await run({ CNI_COMMAND: "VERSION" });
    assertEquals(version, { code: 0, stdout: VERSION_JSON, stderr: "" });
    const about = await run({});
    assertEquals([about.code, about.stdout], [0, ""]);
    assertStringIncludes(about.stderr, "CNI bridge plugin denocni\n");
    assert(!about.stderr.includes("Deno.exit"), about.stderr);
    const failed = await run({ CNI_COMMAND: "ADD" });
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
  const out = await new Deno.Command(`${bin}/bridge`, {
    env: { CNI_COMMAND: "VERSION", DENO_DIR: `${bin}/elsewhere` }, // the launcher's own wins
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals([out.code, DEC.decode(out.stdout), DEC.decode(out.stderr)], [0, VERSION_JSON, ""]);
  assertEquals(codeCacheRows(denoDir), before, "the code cache is read, not rewritten");
  assertEquals([...Deno.readDirSync(bin)].some((e) => e.name === "elsewhere"), false);
});

Deno.test({
  name: "installed launcher: the prepared Deno cache is hit on a read-only mount",
  ignore: Deno.uid() !== 0,
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
      `--allow-ffi --allow-read --allow-write --allow-env --allow-run "$3"`;
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
