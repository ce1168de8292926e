// Concurrent ADDs on one dataDir never share an address: in-process calls, and separate
// processes (ours via `deno run`, and the reference binary) racing on the same flock.
import { assertEquals } from "./helpers/assert.ts";
import { gated } from "./helpers/gate.ts";
import { refMissing } from "./helpers/reference.ts";
import { join } from "node:path";
import type { CmdArgs } from "../cni/plugin.ts";
import type { NetConf } from "../cni/types.ts";
import { cmdAdd, cmdDel } from "../plugins/host_local/mod.ts";
import { execReference, stdoutJson } from "./helpers/exec_plugin.ts";
import { run } from "./helpers/run.ts";

const ROOT = new URL("..", import.meta.url).pathname;

function args(config: Record<string, unknown>, containerId: string): CmdArgs {
  return {
    command: "ADD",
    containerId,
    netns: "/none",
    ifName: "eth0",
    args: "",
    path: "",
    stdinData: new TextEncoder().encode(JSON.stringify(config)),
    config: config as NetConf,
  };
}

function leases(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of Deno.readDirSync(dir)) {
    if (e.name === "lock" || e.name.startsWith("last_reserved_ip.")) continue;
    out.set(e.name, Deno.readTextFileSync(join(dir, e.name)));
  }
  return out;
}

Deno.test("host-local: 50 concurrent in-process ADDs get 50 distinct addresses, 50 DELs free them", async () => {
  const data = await Deno.makeTempDir({ prefix: "denocni-hl-conc-" });
  try {
    const conf = {
      cniVersion: "1.0.0",
      name: "c",
      type: "x",
      ipam: { dataDir: data, ranges: [[{ subnet: "10.40.0.0/24" }], [{ subnet: "fd00:40::/64" }]] },
    };
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => cmdAdd(args(conf, `p${i}`))),
    );
    const v4 = results.map((r) => r.ips![0]!.address);
    const v6 = results.map((r) => r.ips![1]!.address);
    assertEquals(new Set(v4).size, 50);
    assertEquals(new Set(v6).size, 50);
    const files = leases(join(data, "c"));
    assertEquals(files.size, 100);
    for (const [i, r] of results.entries()) {
      assertEquals(files.get(r.ips![0]!.address.split("/")[0]!), `p${i}\r\neth0`);
    }
    await Promise.all(Array.from({ length: 50 }, (_, i) => cmdDel(args(conf, `p${i}`))));
    assertEquals(leases(join(data, "c")).size, 0);
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test({
  ...gated(
    "host-local: 20 parallel processes (10 ours, 10 reference) on one dataDir never share an address",
    refMissing("host-local"),
  ),
}, async () => {
  const data = await Deno.makeTempDir({ prefix: "denocni-hl-procs-" });
  const script = join(data, "add.ts");
  await Deno.writeTextFile(
    script,
    `import { cmdAdd } from ${JSON.stringify(`file://${ROOT}plugins/host_local/mod.ts`)};
const config = JSON.parse(Deno.args[1]!);
const r = await cmdAdd({ command: "ADD", containerId: Deno.args[0]!, netns: "/none", ifName: "eth0",
  args: "", path: "", stdinData: new Uint8Array(), config });
console.log(JSON.stringify(r));
`,
  );
  try {
    const conf = {
      cniVersion: "1.0.0",
      name: "p",
      type: "x",
      ipam: { type: "host-local", dataDir: data, subnet: "10.41.0.0/24" },
    };
    const runs = Array.from({ length: 20 }, async (_, i) => {
      const cid = `proc${i}`;
      const o = i % 2 === 0
        ? await run(Deno.execPath(), [
          "run",
          "-A",
          "--quiet",
          "--config",
          join(ROOT, "deno.json"),
          script,
          cid,
          JSON.stringify(conf),
        ])
        : await execReference("host-local", {
          command: "ADD",
          containerId: cid,
          netns: "/none",
          ifName: "eth0",
        }, conf);
      return { cid, o };
    });
    const outs = await Promise.all(runs);
    const got = new Map<string, string>();
    for (const { cid, o } of outs) {
      assertEquals(o.code, 0, `${cid}: ${o.stdout} ${o.stderr}`);
      got.set(cid, stdoutJson(o).ips[0].address.split("/")[0]);
    }
    assertEquals(new Set(got.values()).size, 20);
    const files = leases(join(data, "p"));
    assertEquals(files.size, 20);
    for (const [cid, ip] of got) assertEquals(files.get(ip), `${cid}\r\neth0`);
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});
