/**
 * The start-up promise for the `macvlan`, `ipvlan`, `vlan` and `dummy` plugins (see
 * startup_test.ts for the probes' idea): their module graphs hold no `node:` module, importing
 * them builds no zod schema (each config schema is built on first use, once), and a plugin
 * process answering VERSION or printing the about text loads neither zod nor the plugin.
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

const PLUGINS = ["macvlan", "ipvlan", "vlan", "dummy"];

Deno.test("macvlan, ipvlan, vlan, dummy: no node: module anywhere in their import graphs", async () => {
  for (const name of PLUGINS) {
    const entry = `plugins/${name}/mod.ts`;
    const info = JSON.parse(await denoOut(["info", "--json", "--no-lock", entry])) as {
      modules: { specifier: string }[];
    };
    const specifiers = info.modules.map((m) => m.specifier);
    assertEquals(specifiers.filter((s) => s.startsWith("node:")), [], entry);
    assertEquals(specifiers.some((s) => s.endsWith(`/${entry}`)), true, "the graph was read");
  }
});

Deno.test("macvlan, ipvlan, vlan, dummy: importing builds no zod schema; the first load builds it once", async () => {
  const got = await probe(`
for (const name of ${JSON.stringify(PLUGINS)}) await import(repo(\`plugins/\${name}/mod.ts\`));
const atImport = built;
const { loadMacvlanConf } = await import(repo("plugins/macvlan/config.ts"));
const { loadIpvlanConf } = await import(repo("plugins/ipvlan/config.ts"));
const { loadVlanConf } = await import(repo("plugins/vlan/config.ts"));
const { loadDummyConf } = await import(repo("plugins/dummy/config.ts"));
const conf = { cniVersion: "1.0.0", name: "n", type: "x", master: "eth0", ipam: { type: "static" } };
const loadAll = () => {
  loadMacvlanConf(conf, "");
  loadIpvlanConf(conf);
  loadVlanConf(conf);
  loadDummyConf(conf);
};
loadAll();
const first = built - atImport;
loadAll();
console.log(JSON.stringify({ atImport, first, again: built - atImport - first }));
`);
  assertEquals(got.atImport, 0);
  assertEquals((got.first as number) > 0, true, "the schemas are built on first use");
  assertEquals(got.again, 0, "and only once");
});

Deno.test("macvlan, ipvlan, vlan, dummy: VERSION and the about text load neither zod nor the plugin", async () => {
  for (const name of PLUGINS) {
    const text = `CNI ${name} plugin denocni`;
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

Deno.test("macvlan, ipvlan, vlan, dummy: BUILTIN_ABOUT matches what each plugin says", async () => {
  const { BUILTIN_ABOUT, BUILTIN_PLUGINS } = await import("../plugins/mod.ts");
  for (const name of PLUGINS) {
    const fns = await BUILTIN_PLUGINS[name]!();
    assertEquals(BUILTIN_ABOUT[name], {
      supportedVersions: fns.supportedVersions,
      about: fns.about,
    }, name);
  }
});
