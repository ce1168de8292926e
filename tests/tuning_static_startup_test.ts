/**
 * The start-up promise for the `tuning` and `static` plugins (see startup_test.ts for the
 * probes' idea): their module graphs hold no `node:` module, importing them builds no zod
 * schema (each config schema is built on first use, once), and a plugin process answering
 * VERSION or printing the about text loads neither zod nor the plugin.
 *
 * @module
 */
import { assertEquals } from "./helpers/assert.ts";
import { REPO } from "./helpers/sandbox.ts";
import { SUPPORTED_VERSIONS } from "../cni/types.ts";

const DEC = new TextDecoder();

async function denoOut(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, DEC.decode(out.stderr));
  return DEC.decode(out.stdout);
}

/** Counts zod schema constructions (each gets `_zod` defined) and tells whether zod loaded. */
const PROBE = `
let built = 0;
const define = Object.defineProperty;
Object.defineProperty = function (o, k, d) {
  if (k === "_zod") built++;
  return define(o, k, d);
};
const zodLoaded = () => "__zod_globalConfig" in globalThis;
const repo = (p) => new URL(p, "file://${REPO}/").href;
`;

async function probe(body: string): Promise<Record<string, unknown>> {
  return JSON.parse(await denoOut(["eval", "--quiet", "--no-lock", `${PROBE}\n${body}`]));
}

Deno.test("tuning and static: no node: module anywhere in their import graphs", async () => {
  for (const entry of ["plugins/tuning/mod.ts", "plugins/static/mod.ts"]) {
    const info = JSON.parse(await denoOut(["info", "--json", "--no-lock", entry])) as {
      modules: { specifier: string }[];
    };
    const specifiers = info.modules.map((m) => m.specifier);
    assertEquals(specifiers.filter((s) => s.startsWith("node:")), [], entry);
    assertEquals(specifiers.some((s) => s.endsWith(`/${entry}`)), true, "the graph was read");
  }
});

Deno.test("tuning and static: importing builds no zod schema; the first load builds it once", async () => {
  const got = await probe(`
await import(repo("plugins/tuning/mod.ts"));
await import(repo("plugins/static/mod.ts"));
const atImport = built;
const { loadTuningConf } = await import(repo("plugins/tuning/config.ts"));
const { loadStaticConf } = await import(repo("plugins/static/config.ts"));
const conf = { cniVersion: "1.0.0", name: "n", type: "x", ipam: { addresses: [] }, mtu: 1400 };
loadTuningConf(conf, "");
loadStaticConf(conf, "");
const first = built - atImport;
loadTuningConf({ ...conf, mtu: 9000 }, "");
loadStaticConf(conf, "");
console.log(JSON.stringify({ atImport, first, again: built - atImport - first }));
`);
  assertEquals(got.atImport, 0);
  assertEquals((got.first as number) > 0, true, "the schemas are built on first use");
  assertEquals(got.again, 0, "and only once");
});

Deno.test("tuning and static: VERSION and the about text load neither zod nor the plugin", async () => {
  const about = { static: "CNI static plugin denocni", tuning: "CNI tuning plugin denocni" };
  for (const [name, text] of Object.entries(about)) {
    for (const command of ["VERSION", ""]) {
      const got = await probe(`
const { BUILTIN_ABOUT, BUILTIN_PLUGINS } = await import(repo("plugins/mod.ts"));
const { runBuiltinPlugin } = await import(repo("cmd/plugin.ts"));
let loaded = 0;
const registry = { ...BUILTIN_PLUGINS, ${
        JSON.stringify(name)
      }: () => { loaded++; return BUILTIN_PLUGINS[${JSON.stringify(name)}](); } };
const env = ${JSON.stringify(command)} ? { CNI_COMMAND: ${JSON.stringify(command)} } : {};
const out = await runBuiltinPlugin(${JSON.stringify(name)}, { env, stdin: new Uint8Array() },
  { registry, about: BUILTIN_ABOUT });
console.log(JSON.stringify({ out, built, zodLoaded: zodLoaded(), loaded }));
`);
      assertEquals(got, {
        out: command === "VERSION"
          ? {
            stdout: JSON.stringify({ cniVersion: "1.1.0", supportedVersions: SUPPORTED_VERSIONS }) +
              "\n",
            stderr: "",
            exitCode: 0,
          }
          : {
            stdout: "",
            stderr: `${text}\nCNI protocol versions supported: ${SUPPORTED_VERSIONS.join(", ")}\n`,
            exitCode: 0,
          },
        built: 0,
        zodLoaded: false,
        loaded: 0,
      }, `${name} ${command || "(no command)"}`);
    }
  }
});
