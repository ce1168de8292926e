// deno-lint-ignore-file no-explicit-any -- JSON from ip oracles is read loosely in tests
/**
 * The chain `bridge` (IPAM `static`) + `tuning` through our libcni, three ways side by side:
 * the reference binaries (/usr/lib/cni, Debian 1.1.1), our plugins in-process (the engine's
 * `prefer` mode: bridge, its static delegate and tuning all in this process) and our plugins
 * exec'd (the launchers `cnitool install` writes). Each way gets its own container namespace,
 * bridge, result cache and tuning data dir; after ADD, CHECK and DEL the results and the
 * container's state (addresses, routes, MTU, MAC, promiscuity, sysctls, the tuning backup)
 * must agree once the random parts (bridge name, veth names, kernel-made MACs) are replaced.
 *
 * Known difference: 1.1.1's bridge reports its own netconf `dns` (empty here) where the newest
 * reports the IPAM's, as ours does.
 *
 * The bridge carries no gateway address (`isGateway` false), so the host's routing is not
 * touched; `CNI_ARGS` reach all three plugins (`IgnoreUnknown=1`), giving static a second
 * address from `IP=`.
 */
import type { Invoker } from "../cni/invoke.ts";
import { execInvoker } from "../cni/invoke_exec.ts";
import { selectInvoker } from "../cni/invoke_builtin.ts";
import { addNetworkList, checkNetworkList, delNetworkList } from "../cni/libcni.ts";
import { parseConfList } from "../cni/conf.ts";
import { BUILTIN_PLUGINS } from "../plugins/mod.ts";
import { assertEquals } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { REF_DIR, refMissing } from "./helpers/reference.ts";
import { normaliseResult } from "./helpers/bridge_env.ts";
import { dropLinks, ipAddrs, ipRoutes } from "./helpers/ip_oracle.ts";
import { rand } from "./helpers/names.ts";
import { dropNetns, makeNetns, type TestNetns } from "./helpers/namespaces.ts";
import { run, sh } from "./helpers/run.ts";
import { launcherDir } from "./helpers/launchers.ts";

/** Root, and the reference binaries to compare with (a missing one ignores the tests). */
const noRef = refMissing("bridge", "static", "tuning");
const BASE_ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
const TUNED_MAC = "c2:11:22:33:44:66";
const CID = `cchain${rand(10)}`;

interface Side {
  name: string;
  invoker: Invoker;
  ns: TestNetns;
  br: string;
  cacheDir: string;
  dataDir: string;
}

async function makeSide(name: string, invoker: Invoker): Promise<Side> {
  return {
    name,
    invoker,
    ns: await makeNetns("tsc"),
    br: `tsc${rand(8)}`,
    cacheDir: await Deno.makeTempDir({ prefix: "tsc-cache-" }),
    dataDir: await Deno.makeTempDir({ prefix: "tsc-data-" }),
  };
}

async function dropSide(s: Side): Promise<void> {
  await dropNetns(s.ns);
  await dropLinks(s.br);
  for (const d of [s.cacheDir, s.dataDir]) {
    await Deno.remove(d, { recursive: true }).catch(() => {});
  }
}

function confList(s: Side, version: string) {
  return parseConfList(JSON.stringify({
    cniVersion: version,
    name: "tsnet",
    plugins: [
      {
        type: "bridge",
        bridge: s.br,
        ipam: {
          type: "static",
          addresses: [{ address: "10.250.7.2/24", gateway: "10.250.7.1" }],
          routes: [{ dst: "0.0.0.0/0", gw: "10.250.7.1" }, {
            dst: "192.0.2.0/24",
            gw: "10.250.7.254",
          }],
          dns: { nameservers: ["10.250.7.1"], search: ["example.test"] },
        },
      },
      {
        type: "tuning",
        dataDir: s.dataDir,
        mac: TUNED_MAC,
        mtu: 1400,
        promisc: true,
        allmulti: true,
        sysctl: { "net.ipv4.conf.eth0.arp_notify": "1", "net.ipv4.conf.all.arp_ignore": "1" },
      },
    ],
  }));
}

function runtime(s: Side) {
  return {
    containerId: CID,
    netns: s.ns.path,
    ifName: "eth0",
    args: [["IgnoreUnknown", "1"], ["IP", "10.250.7.9/24"]] as [string, string][],
  };
}

async function containerState(s: Side) {
  const out = await run("ip", ["-n", s.ns.name, "-j", "-d", "link", "show", "dev", "eth0"]);
  if (out.code !== 0) return { eth0: undefined };
  const l = (JSON.parse(out.stdout) as any[])[0];
  const sysctl = async (p: string) =>
    (await sh("ip", "netns", "exec", s.ns.name, "cat", `/proc/sys/${p}`)).trimEnd();
  return {
    eth0: {
      mtu: l.mtu,
      mac: l.address,
      promisc: (l.flags as string[]).includes("PROMISC"),
      allmulti: (l.flags as string[]).includes("ALLMULTI"),
      up: l.operstate,
      master: l.master,
    },
    addrs: await ipAddrs("eth0", s.ns.name),
    routes: await ipRoutes(s.ns.name),
    arpNotify: await sysctl("net/ipv4/conf/eth0/arp_notify"),
    arpIgnore: await sysctl("net/ipv4/conf/all/arp_ignore"),
  };
}

async function backups(s: Side): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for await (const e of Deno.readDir(s.dataDir)) {
    const b = JSON.parse(await Deno.readTextFile(`${s.dataDir}/${e.name}`));
    out[e.name] = { ...b, mac: typeof b.mac === "string" ? "<mac>" : b.mac };
  }
  return out;
}

async function hostPorts(s: Side): Promise<number> {
  const out = await run("ip", ["-j", "link", "show", "master", s.br]);
  return out.code === 0 ? (JSON.parse(out.stdout) as unknown[]).length : 0;
}

Deno.test({
  ...gated(
    "bridge + static + tuning chain: the reference's result and container state, in-process and exec'd alike",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const dir = await launcherDir();
    const ways: [string, Invoker][] = [
      ["reference", execInvoker({ cniPath: [REF_DIR], env: BASE_ENV })],
      [
        "in-process",
        selectInvoker({ mode: "prefer", registry: BUILTIN_PLUGINS, cniPath: [dir], env: BASE_ENV }),
      ],
      ["exec", execInvoker({ cniPath: [dir], env: BASE_ENV })],
    ];
    for (const version of ["0.4.0", "1.0.0"]) {
      const sides: Side[] = [];
      try {
        for (const [name, invoker] of ways) sides.push(await makeSide(name, invoker));
        const seen = [];
        for (const s of sides) {
          const list = confList(s, version);
          const opts = { invoker: s.invoker, cacheDir: s.cacheDir };
          const result = await addNetworkList(list, runtime(s), opts);
          const text = JSON.stringify(result).replaceAll(s.br, "<br>").replaceAll(
            s.ns.path,
            "<netns>",
          );
          const eth0 = ((result.interfaces ?? []) as any[]).find((i) => i.name === "eth0");
          assertEquals(eth0?.mac, TUNED_MAC, `${s.name}: tuning's MAC in the result`);
          await checkNetworkList(list, runtime(s), opts);
          seen.push({
            result: normaliseResult(JSON.parse(text)),
            state: await containerState(s),
            backups: await backups(s),
            ports: await hostPorts(s),
          });
        }
        const [ref, ...ours] = seen;
        // 1.1.1's bridge reports its own (empty) netconf dns; the newest reports the IPAM's.
        assertEquals((ref!.result as any).dns ?? {}, {});
        for (const [i, o] of ours.entries()) {
          assertEquals((o.result as any).dns, {
            nameservers: ["10.250.7.1"],
            search: ["example.test"],
          });
          const same = { ...o, result: { ...(o.result as any), dns: (ref!.result as any).dns } };
          if (same.result.dns === undefined) delete same.result.dns;
          assertEquals(same, ref, `${ways[i + 1]![0]} @${version}`);
        }
        // What the chain did, as the oracle sees it.
        assertEquals(ref!.state.eth0, {
          mtu: 1400,
          mac: TUNED_MAC,
          promisc: true,
          allmulti: true,
          up: "UP",
          master: undefined,
        });
        assertEquals(ref!.state.addrs, ["10.250.7.2/24", "10.250.7.9/24"]);
        assertEquals([ref!.state.arpNotify, ref!.state.arpIgnore], ["1", "1"]);
        assertEquals((ref!.result as any).ips.map((ip: any) => [ip.address, ip.gateway]), [
          ["10.250.7.2/24", "10.250.7.1"],
          ["10.250.7.9/24", undefined],
        ]);
        assertEquals(Object.values(ref!.backups), [
          { mac: "<mac>", promisc: false, mtu: 1500, allmulti: false },
        ]);
        for (const s of sides) {
          const list = confList(s, version);
          const opts = { invoker: s.invoker, cacheDir: s.cacheDir };
          await delNetworkList(list, runtime(s), opts);
          await delNetworkList(list, runtime(s), opts);
          assertEquals((await containerState(s)).eth0, undefined, `${s.name}: eth0 gone`);
          assertEquals(await backups(s), {}, `${s.name}: backup removed`);
          assertEquals(await hostPorts(s), 0, `${s.name}: host veth gone`);
        }
      } finally {
        for (const s of sides) await dropSide(s);
      }
    }
  },
});
