import { parseAllDocuments } from "yaml";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { runCli } from "./helpers/cli.ts";

const ROOT = new URL("..", import.meta.url);
const DIR = new URL("deploy/kubernetes/", ROOT);

type Doc = Record<string, unknown> & { kind: string; metadata: { name: string } };

function loadManifests(): Doc[] {
  const text = Deno.readTextFileSync(new URL("daemonset.yaml", DIR));
  const docs = parseAllDocuments(text);
  for (const doc of docs) assertEquals(doc.errors.map(String), []);
  return docs.map((d) => d.toJS() as Doc);
}

function get(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    cur = cur !== null && typeof cur === "object"
      ? (cur as Record<string, unknown>)[key]
      : undefined;
  }
  return cur;
}

Deno.test("deploy/kubernetes/daemonset.yaml is well-formed with every required field", () => {
  const docs = loadManifests();
  assertEquals(docs.map((d) => d.kind), ["Namespace", "ConfigMap", "DaemonSet"]);
  for (const doc of docs) {
    assert(typeof doc.apiVersion === "string", `${doc.kind}: apiVersion`);
    assert(typeof doc.metadata?.name === "string", `${doc.kind}: metadata.name`);
  }
  const ds = docs[2]!;
  assertEquals(ds.apiVersion, "apps/v1");
  assertEquals(get(ds, "spec.selector.matchLabels"), get(ds, "spec.template.metadata.labels"));
  const spec = get(ds, "spec.template.spec") as Record<string, unknown>;
  assertEquals(spec.hostNetwork, true);
  const init = spec.initContainers as Record<string, unknown>[];
  const containers = spec.containers as Record<string, unknown>[];
  for (const c of [...init, ...containers]) {
    assert(typeof c.name === "string" && typeof c.image === "string", "container name and image");
  }
  assertEquals(init[0]!.args, ["install", "--dir", "/host/opt/cni/bin", "--force"]);
  const volumes = spec.volumes as Record<string, unknown>[];
  const hostPaths = volumes.map((v) => get(v, "hostPath.path")).filter(Boolean);
  assertEquals(hostPaths, ["/opt/cni/bin", "/etc/cni/net.d"]);
  const mounted = new Set(
    [...init, ...containers].flatMap((c) =>
      ((c.volumeMounts ?? []) as { name: string }[]).map((m) => m.name)
    ),
  );
  for (const v of volumes) assert(mounted.has(v.name as string), `volume ${v.name} is mounted`);
});

Deno.test("the ConfigMap's conflist equals deploy/kubernetes/10-denocni.conflist", () => {
  const cm = loadManifests()[1]!;
  const inline = JSON.parse(get(cm, "data")!["10-denocni.conflist" as never] as string);
  const file = JSON.parse(Deno.readTextFileSync(new URL("10-denocni.conflist", DIR)));
  assertEquals(inline, file);
  assertEquals(file.plugins.map((p: { type: string }) => p.type), ["bridge", "loopback"]);
  assertEquals(file.plugins[0].ipam.ranges[0][0].subnet, "10.22.0.0/16");
});

Deno.test("deploy/kubernetes/Containerfile copies what `deno task compile` produces", () => {
  const text = Deno.readTextFileSync(new URL("Containerfile", DIR));
  const tasks = JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT))).tasks;
  const output = /--output[= ](\S+)/.exec(tasks.compile)?.[1];
  assertEquals(output, "dist/denocni");
  assert(/^FROM \S+/m.test(text), "FROM line");
  assert(text.includes(`COPY ${output} /usr/local/bin/denocni`), "COPY of the compiled binary");
  assert(text.includes("COPY deploy/kubernetes/10-denocni.conflist"), "COPY of the conflist");
});

Deno.test("every place that lists the plugins lists every built-in (BUILTIN_ABOUT)", async () => {
  const { BUILTIN_ABOUT, BUILTIN_PLUGINS } = await import("../plugins/mod.ts");
  const { INSTALLED_NAMES } = await import("../cmd/install_plugins.ts");
  const names = Object.keys(BUILTIN_ABOUT);
  assertEquals(names.sort(), Object.keys(BUILTIN_PLUGINS).sort());
  assertEquals([...INSTALLED_NAMES].sort(), ["cnitool", ...names].sort());
  // The image has the binary link its own names: no list to keep up to date.
  const containerfile = Deno.readTextFileSync(new URL("Containerfile", DIR));
  assert(
    containerfile.includes(`RUN ["/usr/local/bin/denocni", "install", "--dir", "/usr/local/bin"]`),
    "the Containerfile links the names with `denocni install`",
  );
  assert(!/\bln -s\b/.test(containerfile), "the Containerfile lists names by hand");
  const help = await runCli(["install", "--help"]);
  assertEquals(help.code, 0);
  const readme = Deno.readTextFileSync(new URL("README.md", ROOT));
  const table = readme.slice(readme.indexOf("## Plugins"), readme.indexOf("## Using it"));
  for (const name of names) {
    assertStringIncludes(help.stdout, name, "cnitool install --help");
    assertMatch(table, new RegExp(`^\\| \`${name}\` +\\|`, "m"), `README plugin table: ${name}`);
  }
});

Deno.test("cnitool install from a compiled binary links cnitool and every built-in to one copy", async () => {
  const { BUILTIN_ABOUT } = await import("../plugins/mod.ts");
  const { installPlugins } = await import("../cmd/install_plugins.ts");
  const dir = await Deno.makeTempDir({ prefix: "denocni-install-" });
  try {
    // The running Deno stands in for the compiled binary (the image's `denocni install`).
    const report = await installPlugins({ dir, standalone: true });
    assertEquals(report.mode, "binary");
    const names = ["cnitool", ...Object.keys(BUILTIN_ABOUT)];
    assertEquals(report.entries, [`${dir}/denocni`, ...names.map((n) => `${dir}/${n}`)]);
    for (const n of names) assertEquals(Deno.readLinkSync(`${dir}/${n}`), "denocni");
    assertEquals(Deno.statSync(`${dir}/denocni`).size, Deno.statSync(Deno.execPath()).size);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deploy/systemd/denocni.service serves on the default socket in the host's namespaces", () => {
  const text = Deno.readTextFileSync(new URL("deploy/systemd/denocni.service", ROOT));
  const keys = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^(\w+)=(.*)$/.exec(line);
    if (m) keys.set(m[1]!, m[2]!);
  }
  assertEquals(keys.get("ExecStart"), "/opt/cni/bin/cnitool serve");
  // systemd makes /run/denocni root-only, where serve puts denocni.sock by default.
  assertEquals([keys.get("RuntimeDirectory"), keys.get("RuntimeDirectoryMode")], [
    "denocni",
    "0700",
  ]);
  for (
    const k of ["PrivateNetwork", "PrivateTmp", "PrivateMounts", "ProtectSystem", "ProtectHome"]
  ) {
    assert(!keys.has(k), `${k} would put the daemon in other namespaces than the runtimes'`);
  }
  const ds = loadManifests()[2]!;
  const spec = get(ds, "spec.template.spec") as Record<string, unknown>;
  assertEquals([spec.hostNetwork, spec.hostPID], [true, true]);
  const serve = (spec.containers as Record<string, unknown>[]).find((c) => c.name === "serve")!;
  assertEquals(serve.command, ["nsenter", "--target", "1", "--mount", "--"]);
  assertEquals(serve.args, ["/opt/cni/bin/cnitool", "serve"]);
});
