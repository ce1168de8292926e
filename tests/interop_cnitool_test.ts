// Root only: our cnitool (exec invoker, --builtins never) drives the REFERENCE Go plugins in
// /usr/lib/cni with the seed network of the original CNI README, in a throwaway namespace.
import { join } from "node:path";
import { runCli } from "./helpers/cli.ts";
import { cnitoolContainerId } from "../cmd/cnitool_context.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { REF_DIR, refMissing } from "./helpers/reference.ts";
import { runSync } from "./helpers/run.ts";

const noRef = refMissing("bridge", "host-local", "loopback");

function natRulesFor(cid: string): string[] {
  return runSync("iptables", ["-t", "nat", "-S"]).stdout.split("\n").filter((l) => l.includes(cid));
}

function cleanupNat(cid: string): void {
  // Safety net only: DEL is expected to have removed these already.
  const lines = natRulesFor(cid);
  for (const line of lines.filter((l) => l.startsWith("-A POSTROUTING"))) {
    runSync("sh", ["-c", `iptables -t nat ${line.replace(/^-A /, "-D ")}`]);
  }
  for (const chain of lines.filter((l) => l.startsWith("-N ")).map((l) => l.slice(3).trim())) {
    runSync("iptables", ["-t", "nat", "-F", chain]);
    runSync("iptables", ["-t", "nat", "-X", chain]);
  }
}

interface Setup {
  ns: string;
  nsPath: string;
  bridge: string;
  dataDir: string;
  env: Record<string, string>;
  cid: string;
}

async function withNetwork(
  files: (s: Setup) => Record<string, unknown>,
  fn: (s: Setup) => Promise<void>,
): Promise<void> {
  const suffix = crypto.randomUUID().slice(0, 8);
  const dir = await Deno.makeTempDir({ prefix: "denocni-interop-" });
  const ns = `dcni-${suffix}`;
  const s: Setup = {
    ns,
    nsPath: `/run/netns/${ns}`,
    bridge: `dcbr${suffix}`,
    dataDir: join(dir, "ipam"),
    env: {
      NETCONFPATH: join(dir, "net.d"),
      CNI_PATH: REF_DIR,
      CNI_CACHE_DIR: join(dir, "cache"),
    },
    cid: await cnitoolContainerId(`/run/netns/${ns}`),
  };
  await Deno.mkdir(s.env.NETCONFPATH!);
  for (const [name, content] of Object.entries(files(s))) {
    await Deno.writeTextFile(join(s.env.NETCONFPATH!, name), JSON.stringify(content, null, 2));
  }
  const add = runSync("ip", ["netns", "add", ns]);
  assertEquals(add.code, 0, add.stderr);
  try {
    await fn(s);
  } finally {
    await runCli(["del", "mynet", s.nsPath, "--builtins", "never"], { env: s.env });
    runSync("ip", ["netns", "del", ns]);
    runSync("ip", ["link", "del", s.bridge]);
    cleanupNat(s.cid);
    await Deno.remove(dir, { recursive: true });
  }
}

function ipamOf(s: Setup) {
  return {
    type: "host-local",
    subnet: "10.22.0.0/16",
    routes: [{ dst: "0.0.0.0/0" }],
    dataDir: s.dataDir,
  };
}

function addrsIn(ns: string, dev: string): string[] {
  const r = runSync("ip", ["-j", "-4", "-n", ns, "addr", "show", "dev", dev]);
  if (r.code !== 0) return [];
  const links = JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[];
  return links.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  ...gated(
    "cnitool drives the reference bridge+host-local with the README seed (0.2.0 .conf)",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    await withNetwork((s) => ({
      "10-mynet.conf": {
        cniVersion: "0.2.0",
        name: "mynet",
        type: "bridge",
        bridge: s.bridge,
        isGateway: true,
        ipMasq: true,
        ipam: ipamOf(s),
      },
      "99-loopback.conf": { cniVersion: "0.2.0", type: "loopback" },
    }), async (s) => {
      const add = await runCli(["add", "mynet", s.nsPath, "--builtins", "never"], { env: s.env });
      assertEquals(add.code, 0, add.stderr);
      const result = JSON.parse(add.stdout);
      assertEquals(Object.keys(result), ["cniVersion", "ip4", "dns"]);
      assertEquals(result.cniVersion, "0.2.0");
      assert(/^10\.22\.\d+\.\d+\/16$/.test(result.ip4.ip), result.ip4.ip);
      assertEquals(result.ip4.gateway, "10.22.0.1");
      assertEquals(result.ip4.routes, [{ dst: "0.0.0.0/0" }]);
      assertEquals(addrsIn(s.ns, "eth0"), [result.ip4.ip]);
      const ip = result.ip4.ip.split("/")[0];
      const lease = join(s.dataDir, "mynet", ip);
      assertEquals(await Deno.readTextFile(lease), `${s.cid}\r\neth0`);
      const cacheFile = join(s.env.CNI_CACHE_DIR!, "results", `mynet-${s.cid}-eth0`);
      assertEquals(JSON.parse(await Deno.readTextFile(cacheFile)).result, {
        cniVersion: "0.2.0",
        dns: {},
        ip4: { gateway: "10.22.0.1", ip: result.ip4.ip, routes: [{ dst: "0.0.0.0/0" }] },
      });
      assert(natRulesFor(s.cid).length > 0, "ipMasq rules exist after ADD");
      // CHECK exists from 0.4.0 on: libcni refuses it for this 0.2.0 network, and cnitool says
      // so and succeeds, as there is nothing the spec lets it check.
      const check = await runCli(["check", "mynet", s.nsPath], { env: s.env });
      assertEquals([check.code, check.stdout], [0, ""]);
      assertEquals(
        check.stderr,
        'note: network "mynet" has cniVersion 0.2.0; CHECK exists from 0.4.0 on, so there is nothing to check\n',
      );
      const del = await runCli(["del", "mynet", s.nsPath, "--builtins", "never"], { env: s.env });
      assertEquals([del.code, del.stdout, del.stderr], [0, "", ""]);
      assertEquals(runSync("ip", ["-n", s.ns, "link", "show", "eth0"]).code !== 0, true);
      assertEquals(await exists(lease), false);
      assertEquals(await exists(cacheFile), false);
      assertEquals(natRulesFor(s.cid), []);
      const again = await runCli(["del", "mynet", s.nsPath, "--builtins", "never"], { env: s.env });
      assertEquals([again.code, again.stderr], [0, ""]);
    });
  },
});

Deno.test({
  ...gated(
    "cnitool drives the reference plugins with a 1.0.0 conflist: add, check, del, del",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    await withNetwork((s) => ({
      "10-mynet.conflist": {
        cniVersion: "1.0.0",
        name: "mynet",
        plugins: [
          { type: "bridge", bridge: s.bridge, isGateway: true, ipMasq: true, ipam: ipamOf(s) },
          { type: "loopback" },
        ],
      },
    }), async (s) => {
      const add = await runCli(["add", "mynet", s.nsPath, "--builtins", "never"], { env: s.env });
      assertEquals(add.code, 0, add.stderr);
      const result = JSON.parse(add.stdout);
      assertEquals(result.cniVersion, "1.0.0");
      const eth0 = result.interfaces.findIndex((i: { name: string }) => i.name === "eth0");
      assert(eth0 >= 0, add.stdout);
      assertEquals(result.interfaces[eth0].sandbox, s.nsPath);
      assertEquals(result.ips.length, 1);
      assertEquals(result.ips[0].interface, eth0);
      assertEquals(result.ips[0].gateway, "10.22.0.1");
      assertEquals(addrsIn(s.ns, "eth0"), [result.ips[0].address]);
      const lo = JSON.parse(runSync("ip", ["-j", "-n", s.ns, "link", "show", "lo"]).stdout);
      assertStringIncludes(lo[0].flags.join(","), "UP");
      const check = await runCli(["check", "mynet", s.nsPath, "--builtins", "never"], {
        env: s.env,
      });
      assertEquals([check.code, check.stdout, check.stderr], [0, "", ""]);
      const ip = result.ips[0].address.split("/")[0];
      const lease = join(s.dataDir, "mynet", ip);
      assert(await exists(lease));
      const del = await runCli(["del", "mynet", s.nsPath, "--builtins", "never"], { env: s.env });
      assertEquals([del.code, del.stdout, del.stderr], [0, "", ""]);
      assertEquals(runSync("ip", ["-n", s.ns, "link", "show", "eth0"]).code !== 0, true);
      assertEquals(await exists(lease), false);
      assertEquals(
        await exists(join(s.env.CNI_CACHE_DIR!, "results", `mynet-${s.cid}-eth0`)),
        false,
      );
      assertEquals(natRulesFor(s.cid), []);
      const again = await runCli(["del", "mynet", s.nsPath, "--builtins", "never"], { env: s.env });
      assertEquals([again.code, again.stderr], [0, ""]);
      // CHECK after DEL: the cache is gone, the plugins find nothing, and say so
      const late = await runCli(["check", "mynet", s.nsPath, "--builtins", "never"], {
        env: s.env,
      });
      assertEquals(late.code, 1);
      assert(late.stderr.startsWith("error: "), late.stderr);
    });
  },
});
