/**
 * The start-up promise of tests/startup_test.ts, for the bandwidth plugin: no `node:*` module
 * on its import graph, VERSION and the about text answered without loading it, importing it
 * builds no zod schema (it uses none), and the plugin personality of cli.ts answers VERSION.
 *
 * @module
 */
import { assertEquals } from "./helpers/assert.ts";
import { REPO } from "./helpers/sandbox.ts";

const DEC = new TextDecoder();
const VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

async function deno(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: DEC.decode(out.stdout), stderr: DEC.decode(out.stderr) };
}

Deno.test("plugins/bandwidth imports no node:* module", async () => {
  const out = await deno(["info", "--json", "plugins/bandwidth/mod.ts"]);
  assertEquals(out.code, 0, out.stderr);
  const specifiers = (JSON.parse(out.stdout).modules as { specifier: string }[])
    .map((m) => m.specifier);
  assertEquals(specifiers.filter((s) => s.startsWith("node:")), []);
  // The probe works: the CLI entry does load node:process (lazily, but on its graph).
  const cli = await deno(["info", "--json", "cli.ts"]);
  const all = (JSON.parse(cli.stdout).modules as { specifier: string }[]).map((m) => m.specifier);
  assertEquals(all.some((s) => s.startsWith("node:")), true);
});

Deno.test("runBuiltinPlugin() answers bandwidth VERSION without loading it; importing it builds no schema", async () => {
  const script = `
let built = 0;
const define = Object.defineProperty;
Object.defineProperty = function (o, k, d) { if (k === "_zod") built++; return define(o, k, d); };
const repo = (p) => new URL(p, "file://${REPO}/").href;
const { BUILTIN_ABOUT, BUILTIN_PLUGINS } = await import(repo("plugins/mod.ts"));
const { runBuiltinPlugin } = await import(repo("cmd/plugin.ts"));
let loaded = 0;
const registry = { ...BUILTIN_PLUGINS, bandwidth: () => { loaded++; return BUILTIN_PLUGINS.bandwidth(); } };
const version = await runBuiltinPlugin("bandwidth", { env: { CNI_COMMAND: "VERSION" }, stdin: new Uint8Array() },
  { registry, about: BUILTIN_ABOUT });
const about = await runBuiltinPlugin("bandwidth", { env: {}, stdin: new Uint8Array() },
  { registry, about: BUILTIN_ABOUT });
const beforeImport = built;
await import(repo("plugins/bandwidth/mod.ts"));
console.log(JSON.stringify({ version, about, loaded, beforeImport, atImport: built - beforeImport }));
`;
  const out = await deno(["eval", "--quiet", "--no-lock", script]);
  assertEquals(out.code, 0, out.stderr);
  const got = JSON.parse(out.stdout);
  assertEquals(got.version, {
    stdout: JSON.stringify({ cniVersion: "1.1.0", supportedVersions: VERSIONS }) + "\n",
    stderr: "",
    exitCode: 0,
  });
  assertEquals(
    got.about.stderr,
    `CNI bandwidth plugin denocni\nCNI protocol versions supported: ${VERSIONS.join(", ")}\n`,
  );
  assertEquals([got.loaded, got.beforeImport, got.atImport], [0, 0, 0]);
});

Deno.test("cli.ts answers VERSION as bandwidth", async () => {
  const out = await deno(["run", "--quiet", "--no-lock", "-A", "cli.ts"], {
    DENOCNI_PERSONALITY: "bandwidth",
    CNI_COMMAND: "VERSION",
  });
  assertEquals(out, {
    code: 0,
    stdout: JSON.stringify({ cniVersion: "1.1.0", supportedVersions: VERSIONS }) + "\n",
    stderr: "",
  });
});
