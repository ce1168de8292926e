import { assertEquals } from "./helpers/assert.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const PRODUCT_DIRS = ["ffi", "netlink", "netns", "cni", "firewall", "plugins"];
const SHELL_OUT_REGEXP = /Command\(\s*["'`](ip|nsenter|bridge|unshare|ifconfig|ethtool)["'`]/;

Deno.test("scripts/check_layers.ts finds no import against the layer order", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "scripts/check_layers.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(out.stderr), "");
  assertEquals(out.code, 0);
});

Deno.test("product code never runs ip, nsenter, bridge or unshare binaries", () => {
  const hits: string[] = [];
  const files = ["cli.ts", "mod.ts"];
  const walk = (dir: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(`${ROOT}${dir}`)];
    } catch {
      return;
    }
    for (const e of entries) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory) walk(rel);
      else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) files.push(rel);
    }
  };
  PRODUCT_DIRS.forEach(walk);
  for (const rel of files) {
    let text: string;
    try {
      text = Deno.readTextFileSync(`${ROOT}${rel}`);
    } catch {
      continue;
    }
    if (SHELL_OUT_REGEXP.test(text)) hits.push(rel);
  }
  assertEquals(hits, []);
});

Deno.test("deno fmt --check and deno lint are clean", async () => {
  for (const args of [["fmt", "--check"], ["lint"]]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    assertEquals([args.join(" "), out.code], [args.join(" "), 0], text.slice(0, 2000));
  }
});
