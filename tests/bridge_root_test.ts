// deno-lint-ignore-file no-explicit-any -- ip/bridge/nft JSON read loosely
/**
 * Privileged tests of the bridge plugin: every option checked in the kernel with `ip -j`,
 * `bridge -j`, `iptables -S` and `nft -j` as independent oracles, in throwaway namespaces with
 * test-unique bridges, data dirs, chains and rules, all removed in `finally`.
 */
import { CniError } from "../cni/errors.ts";
import type { Result } from "../cni/types.ts";
import { plugin } from "../plugins/bridge/mod.ts";
import { ipMasqChainName, nftInstanceHash, nftNetworkHash } from "../plugins/bridge/ipmasq.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  IS_ROOT,
} from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { cmdArgs, normaliseResult, pluginContext } from "./helpers/bridge_env.ts";
import {
  dropNatChain,
  dropNewFirewallTablesAfterEachTest,
  dropNftRules,
  natRules,
  nftChainExists,
  nftRules,
} from "./helpers/firewall_oracle.ts";
import { dropLinks, ipAddrs, ipLink, ipRoutes } from "./helpers/ip_oracle.ts";
import { rand } from "./helpers/names.ts";
import { dropNetns, makeNetns, type TestNetns } from "./helpers/namespaces.ts";
import { run, sh } from "./helpers/run.ts";

/** Whether this kernel can make VLAN-filtering bridges (CONFIG_BRIDGE_VLAN_FILTERING). */
async function vlanFilteringSupported(): Promise<boolean> {
  const name = `tbrvf${rand(6)}`;
  const out = await run("ip", ["link", "add", name, "type", "bridge", "vlan_filtering", "1"]);
  await run("ip", ["link", "del", name]);
  return out.code === 0;
}
const noVlan = IS_ROOT && !(await vlanFilteringSupported()) &&
  "this kernel's bridge has no VLAN filtering";
// Every test leaves the firewall tables as it found them (nft tables it made and emptied go).
dropNewFirewallTablesAfterEachTest({ noneLeft: true });

/** One test's world: a namespace, a bridge name, a data dir, ids; all cleaned up. */
interface World {
  ns: TestNetns;
  br: string;
  dataDir: string;
  net: string;
  cid: string;
  subnet: string;
  /** Third octet used in `subnet`. */
  octet: number;
  env: { containerId: string; netns: string; ifName: string; args?: string };
  conf(extra?: Record<string, unknown>): Record<string, unknown>;
}

let octetSeq = 0;

async function withWorld(fn: (w: World) => Promise<void>): Promise<void> {
  const ns = await makeNetns("tbns");
  const br = `tbr${rand(8)}`;
  const dataDir = await Deno.makeTempDir({ prefix: "tbridge-" });
  const net = `tnet-${rand(6)}`;
  const cid = `c${rand(10)}`;
  const octet = 100 + ((Deno.pid + octetSeq++) % 100);
  const subnet = `10.251.${octet}.0/24`;
  const w: World = {
    ns,
    br,
    dataDir,
    net,
    cid,
    subnet,
    octet,
    env: { containerId: cid, netns: ns.path, ifName: "eth0" },
    conf(extra = {}) {
      return {
        cniVersion: "1.0.0",
        name: net,
        type: "bridge",
        bridge: br,
        ipam: { type: "host-local", subnet, dataDir },
        ...extra,
      };
    },
  };
  try {
    await fn(w);
  } finally {
    await dropNetns(ns);
    await dropLinks(`${br}.100`, br);
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    await dropNatChain(await ipMasqChainName(net, cid));
    await dropNftRules("inet", "cni_plugins_masquerade", "masq_checks", await nftNetworkHash(net));
    await dropNftRules("bridge", "nat", "PREROUTING", `macspoofchk-${cid}-`);
    for (const c of [`cni-br-iface-${cid}-eth0`, `cni-br-iface-${cid}-eth0-mac`]) {
      await run("nft", ["delete", "chain", "bridge", "nat", c]);
    }
  }
}

async function add(w: World, conf: Record<string, unknown>): Promise<Result> {
  return await plugin.add(cmdArgs("ADD", conf, w.env), pluginContext());
}

async function del(w: World, conf: Record<string, unknown>): Promise<void> {
  await plugin.del(cmdArgs("DEL", conf, w.env), pluginContext());
}

async function leaseFiles(w: World): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(`${w.dataDir}/${w.net}`)) {
      if (/^\d+\.\d+\.\d+\.\d+$|:/.test(e.name)) out.push(e.name);
    }
  } catch {
    // no dir: no leases
  }
  return out.sort();
}

async function containerLinks(w: World): Promise<string[]> {
  const links = JSON.parse(await sh("ip", "-n", w.ns.name, "-j", "link", "show")) as {
    ifname: string;
  }[];
  return links.map((l) => l.ifname).sort();
}

async function bridgePorts(br: string): Promise<string[]> {
  const links = JSON.parse(await sh("ip", "-j", "link", "show", "master", br)) as {
    ifname: string;
  }[];
  return links.map((l) => l.ifname);
}

async function sysctlIn(ns: string, key: string): Promise<string> {
  return (await sh("ip", "netns", "exec", ns, "cat", `/proc/sys/${key}`)).trim();
}

Deno.test({
  ...gated("plugin.add() L3 gateway: result shape and kernel state", NEEDS_ROOT),
  async fn() {
    await withWorld(async (w) => {
      const conf = w.conf({ isDefaultGateway: true });
      const r = await add(w, conf);
      const gw = `10.251.${w.octet}.1`;
      assertEquals(normaliseResult(r), {
        cniVersion: "1.1.0", // plugin.add() returns the current shape; skel converts it
        interfaces: [
          { name: w.br, mac: "<mac>" },
          { name: "<veth>", mac: "<mac>" },
          { name: "eth0", mac: "<mac>", sandbox: w.ns.path },
        ],
        ips: [{ interface: 2, address: `10.251.${w.octet}.2/24`, gateway: gw }],
        routes: [{ dst: "0.0.0.0/0", gw }],
        dns: {},
      });
      const [brIf, hostIf, contIf] = r.interfaces!;
      const brLink = await ipLink(w.br);
      assertEquals(brLink?.linkinfo?.info_kind, "bridge");
      assertEquals(brLink?.operstate, "UP");
      assertEquals(brLink?.address, brIf!.mac);
      assertEquals(await ipAddrs(w.br), [`${gw}/24`]);
      const hostLink = await ipLink(hostIf!.name);
      assertEquals(hostLink?.master, w.br);
      assertEquals(hostLink?.address, hostIf!.mac);
      assertEquals(hostLink?.linkinfo?.info_slave_data?.hairpin, false);
      assertEquals(hostLink?.linkinfo?.info_slave_data?.isolated, false);
      const contLink = await ipLink("eth0", w.ns.name);
      assertEquals(contLink?.address, contIf!.mac);
      assertEquals(contLink?.operstate, "UP");
      assertEquals(await ipAddrs("eth0", w.ns.name), [`10.251.${w.octet}.2/24`]);
      assertEquals(await ipRoutes(w.ns.name), [
        `10.251.${w.octet}.0/24 dev eth0 proto kernel scope link`,
        `default via ${gw} dev eth0`,
      ]);
      assertEquals(await sysctlIn(w.ns.name, "net/ipv6/conf/eth0/accept_dad"), "0");
      assertEquals(await sysctlIn(w.ns.name, "net/ipv4/conf/eth0/arp_notify"), "1");
      assertEquals(
        (await Deno.readTextFile(`/proc/sys/net/ipv6/conf/${hostIf!.name}/accept_ra`)).trim(),
        "0",
      );
      assertEquals(
        (await Deno.readTextFile(`/proc/sys/net/ipv6/conf/${w.br}/accept_ra`)).trim(),
        "0",
      );
      assertEquals((await Deno.readTextFile("/proc/sys/net/ipv4/ip_forward")).trim(), "1");
      assertEquals(await leaseFiles(w), [`10.251.${w.octet}.2`]);
      // CHECK with the result as prevResult passes.
      await plugin.check(
        cmdArgs("CHECK", { ...conf, prevResult: r }, w.env),
        pluginContext(),
      );
      await del(w, conf);
      assertEquals(await containerLinks(w), ["lo"]);
      assertEquals(await ipLink(hostIf!.name), undefined);
      assertEquals(await leaseFiles(w), []);
      // DEL is idempotent.
      await del(w, conf);
      // The bridge and its gateway stay (as the reference).
      assertEquals(await ipAddrs(w.br), [`${gw}/24`]);
    });
  },
});

Deno.test({
  ...gated(
    "plugin.add() mtu, promiscMode, portIsolation and hairpinMode reach the kernel",
    NEEDS_ROOT,
  ),
  async fn() {
    await withWorld(async (w) => {
      const r = await add(w, w.conf({ mtu: 1400, promiscMode: true, portIsolation: true }));
      const brLink = await ipLink(w.br);
      assertEquals(brLink?.mtu, 1400);
      assert((brLink?.promiscuity ?? 0) > 0, "bridge promiscuous");
      const host = await ipLink(r.interfaces![1]!.name);
      assertEquals(host?.mtu, 1400);
      assertEquals(host?.linkinfo?.info_slave_data?.isolated, true);
      assertEquals(host?.linkinfo?.info_slave_data?.hairpin, false);
      assertEquals((await ipLink("eth0", w.ns.name))?.mtu, 1400);
      await del(w, w.conf());
      // hairpin on a second attachment, on the existing bridge; mtu not applied to it.
      const r2 = await add(w, w.conf({ hairpinMode: true, mtu: 1300 }));
      const host2 = await ipLink(r2.interfaces![1]!.name);
      assertEquals(host2?.linkinfo?.info_slave_data?.hairpin, true);
      assertEquals(host2?.mtu, 1300);
      // CHECK compares promiscMode with the bridge, which stays promiscuous.
      const err = await assertRejects(
        () =>
          plugin.check(
            cmdArgs("CHECK", { ...w.conf(), prevResult: r2 }, w.env),
            pluginContext(),
          ),
        CniError,
      );
      assertStringIncludes(err.msg, "Promisc Mode false doesn't match current state: true");
    });
  },
});

Deno.test({
  ...gated(
    "plugin.add() vlan: filtering bridge, access port, gateway on <bridge>.<vlan>",
    NEEDS_ROOT,
    noVlan,
  ),
  async fn() {
    await withWorld(async (w) => {
      w.br = `tbr${rand(6)}`;
      const conf = w.conf({ vlan: 100, isGateway: true });
      try {
        const r = await add(w, conf);
        assertEquals(r.interfaces!.length, 4);
        assertEquals(r.interfaces![3]!.name, `${w.br}.100`);
        assertEquals((await ipLink(w.br))?.linkinfo?.info_data?.vlan_filtering, 1);
        const vlans = JSON.parse(
          await sh("bridge", "-j", "vlan", "show", "dev", r.interfaces![1]!.name),
        ) as any[];
        assertEquals(vlans[0].vlans, [{ vlan: 100, flags: ["PVID", "Egress Untagged"] }]);
        assertEquals(await ipAddrs(`${w.br}.100`), [`10.251.${w.octet}.1/24`]);
        assertEquals(await ipAddrs(w.br), []);
        await del(w, conf);
      } finally {
        await dropLinks(`${w.br}.100`, w.br);
      }
    });
  },
});

Deno.test({
  ...gated(
    "plugin.add() vlanTrunk: tagged VIDs plus native VID 1; preserveDefaultVlan keeps entries",
    NEEDS_ROOT,
    noVlan,
  ),
  async fn() {
    await withWorld(async (w) => {
      const conf = w.conf({ vlanTrunk: [{ minID: 10, maxID: 12 }, { id: 20 }] });
      const r = await add(w, conf);
      assertEquals((await ipLink(w.br))?.linkinfo?.info_data?.vlan_filtering, 1);
      const show = async (dev: string) =>
        (JSON.parse(await sh("bridge", "-j", "vlan", "show", "dev", dev)) as any[])[0].vlans;
      assertEquals(await show(r.interfaces![1]!.name), [
        { vlan: 1, flags: ["PVID", "Egress Untagged"] },
        { vlan: 10, vlanEnd: 12 },
        { vlan: 20 },
      ]);
      await del(w, conf);
      const w2 = { ...w, env: { ...w.env, containerId: `${w.cid}b` } };
      const r2 = await plugin.add(
        cmdArgs("ADD", w.conf({ vlanTrunk: [{ id: 30 }], preserveDefaultVlan: true }), w2.env),
        pluginContext(),
      );
      assertEquals(await show(r2.interfaces![1]!.name), [
        { vlan: 1, flags: ["PVID", "Egress Untagged"] },
        { vlan: 30 },
      ]);
      await plugin.del(cmdArgs("DEL", w.conf(), w2.env), pluginContext());
    });
  },
});

Deno.test({
  ...gated("plugin.add() mac from runtimeConfig, enabledad sysctls", NEEDS_ROOT),
  async fn() {
    await withWorld(async (w) => {
      const r = await add(
        w,
        w.conf({ enabledad: true, runtimeConfig: { mac: "0A:58:0A:F1:00:07" } }),
      );
      assertEquals(r.interfaces![2]!.mac, "0a:58:0a:f1:00:07");
      assertEquals((await ipLink("eth0", w.ns.name))?.address, "0a:58:0a:f1:00:07");
      assertEquals(await sysctlIn(w.ns.name, "net/ipv6/conf/eth0/accept_dad"), "1");
      assertEquals(await sysctlIn(w.ns.name, "net/ipv6/conf/eth0/enhanced_dad"), "1");
    });
  },
});

Deno.test({
  ...gated(
    "plugin.add() L2 mode: no addresses, interface up; CHECK works without IPAM",
    NEEDS_ROOT,
  ),
  async fn() {
    await withWorld(async (w) => {
      const conf = { ...w.conf(), ipam: {} };
      const r = await add(w, conf);
      assertEquals(r.ips, undefined);
      assertEquals(r.interfaces!.length, 3);
      assertEquals((await ipLink("eth0", w.ns.name))?.operstate, "UP");
      assertEquals(await ipAddrs("eth0", w.ns.name), []);
      assertEquals(await ipAddrs(w.br), []);
      await plugin.check(cmdArgs("CHECK", { ...conf, prevResult: r }, w.env), pluginContext());
      await del(w, conf);
      assertEquals(await containerLinks(w), ["lo"]);
    });
  },
});

Deno.test({
  ...gated("plugin.add() disableContainerInterface leaves the container end down", NEEDS_ROOT),
  async fn() {
    await withWorld(async (w) => {
      const conf = { ...w.conf({ disableContainerInterface: true }), ipam: {} };
      await add(w, conf);
      const link = await ipLink("eth0", w.ns.name);
      assert(!(link?.flags as string[]).includes("UP"), "eth0 must be down");
    });
  },
});

Deno.test({
  ...gated(
    "plugin.add() conflicting bridge address: error says what to do; forceAddress replaces",
    NEEDS_ROOT,
  ),
  async fn() {
    await withWorld(async (w) => {
      await sh("ip", "link", "add", w.br, "type", "bridge");
      await sh("ip", "addr", "add", "10.250.9.1/24", "dev", w.br);
      const conf = w.conf({ isGateway: true });
      const err = await assertRejects(() => add(w, conf), CniError);
      assertStringIncludes(
        err.message,
        `failed to set bridge addr: "${w.br}" already has an IP address different from 10.251.${w.octet}.1/24`,
      );
      assertStringIncludes(err.message, '"forceAddress": true');
      // rolled back: no veth in the container or on the bridge, no lease.
      assertEquals(await containerLinks(w), ["lo"]);
      assertEquals(await bridgePorts(w.br), []);
      assertEquals(await leaseFiles(w), []);
      await add(w, w.conf({ isGateway: true, forceAddress: true }));
      assertEquals(await ipAddrs(w.br), [`10.251.${w.octet}.1/24`]);
    });
  },
});

Deno.test({
  ...gated(
    "plugin.add() runs IPAM first: a failing IPAM creates no bridge and no veth",
    NEEDS_ROOT,
  ),
  async fn() {
    await withWorld(async (w) => {
      const conf = { ...w.conf(), ipam: { type: "no-such-ipam-plugin" } };
      const err = await assertRejects(() => add(w, conf), CniError);
      assertStringIncludes(err.message, "no-such-ipam-plugin");
      assertEquals(await containerLinks(w), ["lo"]);
      assertEquals(await ipLink(w.br), undefined);
    });
  },
});

Deno.test({
  ...gated("plugin.add() an existing non-bridge link with the bridge name is refused", NEEDS_ROOT),
  async fn() {
    await withWorld(async (w) => {
      await sh("ip", "link", "add", w.br, "type", "veth", "peer", "name", `${w.br}p`);
      const err = await assertRejects(() => add(w, w.conf()), CniError);
      assertEquals(
        err.msg,
        `failed to create bridge "${w.br}": "${w.br}" already exists but is not a bridge`,
      );
      assertEquals(await containerLinks(w), ["lo"]);
    });
  },
});

Deno.test({
  ...gated("plugin.add() bad input and a bad netns create nothing", NEEDS_ROOT),
  async fn() {
    await withWorld(async (w) => {
      for (
        const extra of [
          { mtu: "big" },
          { vlan: 5000 },
          { ipMasqBackend: "pf" },
          { vlanTrunk: [{ minID: 3 }] },
          { hairpinMode: true, promiscMode: true },
          { runtimeConfig: { mac: "nope" } },
          { portIsolation: "true" },
        ]
      ) {
        const err = await assertRejects(() => add(w, w.conf(extra)), CniError);
        assertEquals(err.code, 7);
        assertStringIncludes(err.msg, `field "${Object.keys(extra).at(-1)}`);
      }
      const bad = { ...w.env, netns: `/run/netns/does-not-exist-${rand(6)}` };
      const err = await assertRejects(
        () => plugin.add(cmdArgs("ADD", w.conf(), bad), pluginContext()),
        CniError,
      );
      assertStringIncludes(err.msg, "failed to open netns");
      assertEquals(await ipLink(w.br), undefined);
      assertEquals(await containerLinks(w), ["lo"]);
      assertEquals(await leaseFiles(w), []);
    });
  },
});

Deno.test({
  ...gated("plugin.add() ipMasq iptables: reference chain and rules; DEL removes them", NEEDS_ROOT),
  async fn() {
    await withWorld(async (w) => {
      const conf = w.conf({ ipMasq: true, ipMasqBackend: "iptables" });
      await add(w, conf);
      const chain = await ipMasqChainName(w.net, w.cid);
      const comment = `"name: \\"${w.net}\\" id: \\"${w.cid}\\""`;
      assertEquals(await natRules(chain), [
        `-N ${chain}`,
        `-A POSTROUTING -s 10.251.${w.octet}.2/32 -m comment --comment ${comment} -j ${chain}`,
        `-A ${chain} -d 10.251.${w.octet}.0/24 -m comment --comment ${comment} -j ACCEPT`,
        `-A ${chain} ! -d 224.0.0.0/4 -m comment --comment ${comment} -j MASQUERADE`,
      ]);
      await del(w, conf);
      assertEquals(await natRules(chain), []);
    });
  },
});

Deno.test({
  ...gated(
    "plugin.del() without the namespace still removes masquerade rules (plugins#810)",
    NEEDS_ROOT,
  ),
  async fn() {
    await withWorld(async (w) => {
      const conf = w.conf({ ipMasq: true, ipMasqBackend: "iptables" });
      const r = await add(w, conf);
      const chain = await ipMasqChainName(w.net, w.cid);
      assertEquals((await natRules(chain)).length, 4);
      await dropNetns(w.ns);
      await plugin.del(cmdArgs("DEL", { ...conf, prevResult: r }, w.env), pluginContext());
      assertEquals(await natRules(chain), []);
      assertEquals(await leaseFiles(w), []);
      // and with CNI_NETNS empty
      await plugin.del(
        cmdArgs("DEL", { ...conf, prevResult: r }, { ...w.env, netns: "" }),
        pluginContext(),
      );
    });
  },
});

Deno.test({
  ...gated(
    "plugin.add() ipMasq nftables; GC removes rules of attachments no longer valid",
    NEEDS_ROOT,
  ),
  async fn() {
    const tableBefore = (await run("nft", ["list", "table", "inet", "cni_plugins_masquerade"]))
      .code === 0;
    try {
      await withWorld(async (w) => {
        const conf = w.conf({ ipMasq: true, ipMasqBackend: "nftables" });
        await add(w, conf);
        const hash = await nftInstanceHash({ network: w.net, ifName: "eth0", containerId: w.cid });
        const rules = await nftRules("inet", "cni_plugins_masquerade", "masq_checks", hash);
        assertEquals(rules.length, 1);
        assertEquals(rules[0]!.comment, `${hash}, net: ${w.net}, if: eth0, id: ${w.cid}`);
        const text = await sh(
          "nft",
          "list",
          "chain",
          "inet",
          "cni_plugins_masquerade",
          "masq_checks",
        );
        assertStringIncludes(
          text,
          `ip saddr 10.251.${w.octet}.2 ip daddr != 10.251.${w.octet}.0/24 masquerade`,
        );
        // A second attachment, then GC keeping only it.
        const env2 = { ...w.env, ifName: "eth1" };
        await plugin.add(cmdArgs("ADD", conf, env2), pluginContext());
        assertEquals(
          (await nftRules(
            "inet",
            "cni_plugins_masquerade",
            "masq_checks",
            await nftNetworkHash(w.net),
          ))
            .length,
          2,
        );
        await plugin.gc!(
          cmdArgs("GC", {
            ...conf,
            cniVersion: "1.1.0",
            "cni.dev/valid-attachments": [{ containerID: w.cid, ifname: "eth1" }],
          }, { containerId: "", netns: "", ifName: "" }),
          pluginContext(),
        );
        const left = await nftRules(
          "inet",
          "cni_plugins_masquerade",
          "masq_checks",
          await nftNetworkHash(w.net),
        );
        assertEquals(left.map((r) => r.comment.split(",")[2]), [" if: eth1"]);
        await plugin.del(cmdArgs("DEL", conf, env2), pluginContext());
        await del(w, conf);
        assertEquals(
          await nftRules(
            "inet",
            "cni_plugins_masquerade",
            "masq_checks",
            await nftNetworkHash(w.net),
          ),
          [],
        );
      });
    } finally {
      if (!tableBefore) {
        const left = await nftRules("inet", "cni_plugins_masquerade", "masq_checks", "");
        if (left.length === 0) {
          await run("nft", ["delete", "table", "inet", "cni_plugins_masquerade"]);
        }
      }
    }
  },
});

Deno.test({
  ...gated("plugin.add() macspoofchk: bridge nat chains and rules; DEL removes them", NEEDS_ROOT),
  async fn() {
    const tableBefore = (await run("nft", ["list", "table", "bridge", "nat"])).code === 0;
    try {
      await withWorld(async (w) => {
        const conf = w.conf({ macspoofchk: true });
        const r = await add(w, conf);
        const refId = `${w.cid}-eth0`;
        const pre = await nftRules("bridge", "nat", "PREROUTING", `macspoofchk-${refId}`);
        assertEquals(pre.length, 1);
        const text = await sh("nft", "list", "chain", "bridge", "nat", `cni-br-iface-${refId}-mac`);
        assertStringIncludes(text, `ether saddr ${r.interfaces![2]!.mac} return`);
        assertStringIncludes(text, "drop");
        const iface = await sh("nft", "list", "chain", "bridge", "nat", "PREROUTING");
        assertStringIncludes(
          iface,
          `iifname "${r.interfaces![1]!.name}" jump cni-br-iface-${refId}`,
        );
        await del(w, conf);
        assertEquals(await nftRules("bridge", "nat", "PREROUTING", `macspoofchk-${refId}`), []);
        assertEquals(await nftChainExists("bridge", "nat", `cni-br-iface-${refId}`), false);
        assertEquals(await nftChainExists("bridge", "nat", `cni-br-iface-${refId}-mac`), false);
      });
    } finally {
      if (!tableBefore) {
        const left = await nftRules("bridge", "nat", "PREROUTING", "");
        if (left.length === 0) await run("nft", ["delete", "table", "bridge", "nat"]);
      }
    }
  },
});

Deno.test({
  ...gated("plugin.check() fails when the address was removed from the container", NEEDS_ROOT),
  async fn() {
    await withWorld(async (w) => {
      const conf = w.conf({ isGateway: true });
      const r = await add(w, conf);
      await sh("ip", "-n", w.ns.name, "addr", "flush", "dev", "eth0");
      const err = await assertRejects(
        () => plugin.check(cmdArgs("CHECK", { ...conf, prevResult: r }, w.env), pluginContext()),
        CniError,
      );
      assertStringIncludes(err.msg, `10.251.${w.octet}.2/24`);
    });
  },
});

Deno.test({
  ...gated("plugin.add() 20 concurrent ADDs on one new bridge, then 20 DELs", NEEDS_ROOT),
  async fn() {
    const nss: TestNetns[] = [];
    await withWorld(async (w) => {
      for (let i = 0; i < 20; i++) nss.push(await makeNetns("tbnc"));
      const conf = w.conf({ isGateway: true, ipMasq: true, ipMasqBackend: "nftables" });
      const envs = nss.map((ns, i) => ({
        containerId: `${w.cid}-${i}`,
        netns: ns.path,
        ifName: "eth0",
      }));
      try {
        const results = await Promise.all(
          envs.map((env) => plugin.add(cmdArgs("ADD", conf, env), pluginContext())),
        );
        const ips = new Set(results.map((r) => r.ips![0]!.address));
        assertEquals(ips.size, 20);
        assertEquals((await bridgePorts(w.br)).length, 20);
        await Promise.all(
          envs.map((env) => plugin.del(cmdArgs("DEL", conf, env), pluginContext())),
        );
        assertEquals(await bridgePorts(w.br), []);
        assertEquals(await leaseFiles(w), []);
        assertEquals(
          await nftRules(
            "inet",
            "cni_plugins_masquerade",
            "masq_checks",
            await nftNetworkHash(w.net),
          ),
          [],
        );
        assertEquals(await ipAddrs(w.br), [`10.251.${w.octet}.1/24`]);
      } finally {
        for (const ns of nss) await dropNetns(ns);
        await dropNftRules(
          "inet",
          "cni_plugins_masquerade",
          "masq_checks",
          await nftNetworkHash(w.net),
        );
      }
    });
  },
});
