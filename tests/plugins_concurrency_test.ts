// deno-lint-ignore-file no-explicit-any -- JSON from ip oracles is read loosely in tests
/**
 * 50 exec'd bridge ADDs at once on one bridge, then 50 DELs at once: the plugin binaries are
 * the bundle launchers (`cnitool install`, explicit permissions), started together through
 * `execInvoker` with no concurrency limit (the machine has 2 cores, so each gets a generous
 * timeout). Every ADD succeeds with its own address, the kernel shows 50 ports, and after
 * the DELs nothing but the bridge is left (no port, no lease, no masquerade chain).
 */
import { execInvoker } from "../cni/invoke_exec.ts";
import { ipMasqChainName } from "../plugins/bridge/ipmasq.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { dropNatChain, dropNewEmptyTables, firewallTables } from "./helpers/firewall_oracle.ts";
import { dropLinks, ipAddrs } from "./helpers/ip_oracle.ts";
import { rand } from "./helpers/names.ts";
import { dropNetns, makeNetns, type TestNetns } from "./helpers/namespaces.ts";
import { run, sh } from "./helpers/run.ts";
import { launcherDir } from "./helpers/launchers.ts";

const N = 50;
const ENC = new TextEncoder();

async function settled<T>(ps: Promise<T>[]): Promise<{ ok: T[]; errors: string[] }> {
  const all = await Promise.allSettled(ps);
  return {
    ok: all.flatMap((r) => r.status === "fulfilled" ? [r.value] : []),
    errors: all.flatMap((r) => r.status === "rejected" ? [String(r.reason)] : []),
  };
}

Deno.test({
  ...gated(
    `execInvoker: ${N} bridge ADDs at once on one bridge, then ${N} DELs, leave only the bridge`,
    NEEDS_ROOT,
  ),
  async fn() {
    const tablesBefore = await firewallTables();
    const dir = await launcherDir();
    const br = `tcc${rand(8)}`;
    const net = `tcc-${rand(6)}`;
    const dataDir = await Deno.makeTempDir({ prefix: "tconc-" });
    const cids = Array.from({ length: N }, (_, i) => `ccc${rand(8)}${String(i).padStart(2, "0")}`);
    const namespaces: TestNetns[] = [];
    const conf = ENC.encode(JSON.stringify({
      cniVersion: "1.0.0",
      name: net,
      type: "bridge",
      bridge: br,
      isGateway: true,
      ipMasq: true,
      ipam: {
        type: "host-local",
        dataDir,
        ranges: [[{ subnet: "10.254.64.0/24" }]],
        routes: [{ dst: "0.0.0.0/0" }],
      },
    }));
    const inv = execInvoker({
      cniPath: [dir],
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
      timeoutMs: 300_000,
      stderr: () => {},
    });
    try {
      for (let i = 0; i < N; i++) namespaces.push(await makeNetns("tcc"));
      const call = (i: number) => ({
        containerId: cids[i]!,
        netns: namespaces[i]!.path,
        ifName: "eth0",
        path: dir,
      });

      const adds = await settled(
        namespaces.map((_, i) => inv.execPlugin("bridge", conf, { command: "ADD", ...call(i) })),
      );
      assertEquals(adds.errors, []);
      const addresses = adds.ok.map((r) => (r as any).ips[0].address as string);
      assertEquals(new Set(addresses).size, N);
      for (const a of addresses) assert(/^10\.254\.64\.\d+\/24$/.test(a), a);
      assert(!addresses.includes("10.254.64.1/24"), "the gateway was handed out");

      // Kernel: every namespace has its own address; the bridge has all 50 ports.
      const inKernel = await Promise.all(namespaces.map((ns) => ipAddrs("eth0", ns.name)));
      assertEquals(inKernel.map((a) => a[0]).sort(), [...addresses].sort());
      const ports = JSON.parse(await sh("ip", "-j", "link", "show", "master", br)) as unknown[];
      assertEquals(ports.length, N);
      assertEquals(await ipAddrs(br), ["10.254.64.1/24"]);
      const leases = [...Deno.readDirSync(`${dataDir}/${net}`)].map((e) => e.name)
        .filter((n) => /^10\./.test(n));
      assertEquals(leases.sort(), addresses.map((a) => a.split("/")[0]!).sort());
      const nat = (await sh("iptables", "-w", "-t", "nat", "-S")).split("\n");
      for (const cid of cids) {
        const chain = await ipMasqChainName(net, cid);
        assert(nat.includes(`-N ${chain}`), `no masquerade chain for ${cid}`);
      }

      const dels = await settled(
        namespaces.map((_, i) => inv.execPlugin("bridge", conf, { command: "DEL", ...call(i) })),
      );
      assertEquals(dels.errors, []);

      // Nothing left but the bridge (and its gateway address).
      assertEquals(JSON.parse(await sh("ip", "-j", "link", "show", "master", br)), []);
      for (const ns of namespaces) {
        assertEquals(
          (JSON.parse(await sh("ip", "-n", ns.name, "-j", "link", "show")) as any[]).map((l) =>
            l.ifname
          ),
          ["lo"],
        );
      }
      const left = [...Deno.readDirSync(`${dataDir}/${net}`)].map((e) => e.name)
        .filter((n) => n !== "lock" && !n.startsWith("last_reserved_ip."));
      assertEquals(left, []);
      const natAfter = await sh("iptables", "-w", "-t", "nat", "-S");
      for (const cid of cids) assert(!natAfter.includes(await ipMasqChainName(net, cid)), cid);
      assertEquals((await run("ip", ["link", "show", br])).code, 0);
    } finally {
      await Promise.all(namespaces.map((ns) => dropNetns(ns)));
      await dropLinks(br);
      for (const cid of cids) {
        const chain = await ipMasqChainName(net, cid);
        if ((await sh("iptables", "-w", "-t", "nat", "-S")).includes(chain)) {
          await dropNatChain(chain);
        }
      }
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      await dropNewEmptyTables(tablesBefore);
    }
  },
});
