/**
 * The start-up promise for the `ptp`, `host-device`, `sbr` and `vrf` plugins (see
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

const PLUGINS: Record<string, { dir: string; loader: string; about: string }> = {
  ptp: { dir: "ptp", loader: "loadPtpConf", about: "CNI ptp plugin denocni" },
  "host-device": {
    dir: "host_device",
    loader: "loadHostDeviceConf",
    about: "CNI host-device plugin denocni",
  },
  sbr: { dir: "sbr", loader: "loadSbrConf", about: "CNI sbr plugin denocni" },
  vrf: { dir: "vrf", loader: "loadVrfConf", about: "CNI vrf plugin denocni" },
};

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

Deno.test("ptp, host-device, sbr and vrf: no node: module anywhere in their import graphs", async () => {
  for (const { dir } of Object.values(PLUGINS)) {
    const entry = `plugins/${dir}/mod.ts`;
    const info = JSON.parse(await denoOut(["info", "--json", "--no-lock", entry])) as {
      modules: { specifier: string }[];
    };
    const specifiers = info.modules.map((m) => m.specifier);
    assertEquals(specifiers.filter((s) => s.startsWith("node:")), [], entry);
    assertEquals(specifiers.some((s) => s.endsWith(`/${entry}`)), true, "the graph was read");
  }
});

Deno.test("ptp, host-device, sbr and vrf: importing builds no zod schema; the first load builds it once", async () => {
  for (const { dir, loader } of Object.values(PLUGINS)) {
    const got = await probe(`
await import(repo("plugins/${dir}/mod.ts"));
const atImport = built;
const { ${loader}: load } = await import(repo("plugins/${dir}/config.ts"));
const conf = { cniVersion: "1.0.0", name: "n", type: "x", ipam: { type: "static" },
  device: "eth1", vrfname: "blue" };
load(conf);
const first = built - atImport;
load({ ...conf, name: "m" });
console.log(JSON.stringify({ atImport, first, again: built - atImport - first }));
`);
    assertEquals(got.atImport, 0, dir);
    assertEquals((got.first as number) > 0, true, `${dir}: the schema is built on first use`);
    assertEquals(got.again, 0, `${dir}: and only once`);
  }
});

Deno.test("ptp, host-device, sbr and vrf: VERSION and the about text load neither zod nor the plugin", async () => {
  for (const [name, { about }] of Object.entries(PLUGINS)) {
    const versions = name === "vrf"
      ? SUPPORTED_VERSIONS.slice(SUPPORTED_VERSIONS.indexOf("0.3.1"))
      : SUPPORTED_VERSIONS;
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
            stdout: JSON.stringify({ cniVersion: "1.1.0", supportedVersions: versions }) + "\n",
            stderr: "",
            exitCode: 0,
          }
          : {
            stdout: "",
            stderr: `${about}\nCNI protocol versions supported: ${versions.join(", ")}\n`,
            exitCode: 0,
          },
        built: 0,
        zodLoaded: false,
        loaded: 0,
      }, `${name} ${command || "(no command)"}`);
    }
  }
});
