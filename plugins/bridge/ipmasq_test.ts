import { assertEquals, assertRejects } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import type { ToolRunner } from "../../firewall/exec.ts";
import { parseListing } from "../../firewall/iptables.ts";
import { parseCidr } from "../../ip/mod.ts";
import { setupIPMasq } from "./ipmasq.ts";
import {
  ipMasqChainName,
  ipMasqComment,
  iptablesSetupLines,
  iptablesTeardownLines,
} from "./ipmasq_iptables.ts";
import {
  nftInstanceComment,
  nftInstanceHash,
  nftMasqSetupLines,
  nftNetworkHash,
} from "./ipmasq_nft.ts";

const IDS = { network: "mynet", ifName: "eth0", containerId: "abc123" };

Deno.test("ipMasqChainName() matches the reference test vector", async () => {
  assertEquals(await ipMasqChainName("mynet", "abc123"), "CNI-70a29d9dc18bc4d652ea5d59");
});

Deno.test("ipMasqComment() quotes like Go %q", () => {
  assertEquals(ipMasqComment("mynet", "abc123"), 'name: "mynet" id: "abc123"');
});

Deno.test("nftInstanceComment() matches the reference test vector", async () => {
  assertEquals(await nftNetworkHash("mynet"), "d23676b4f2d9fe04");
  assertEquals(await nftInstanceHash(IDS), "d23676b4f2d9fe04-ebce0e3dd4dafae3");
  assertEquals(
    await nftInstanceComment(IDS),
    "d23676b4f2d9fe04-ebce0e3dd4dafae3, net: mynet, if: eth0, id: abc123",
  );
});

Deno.test("nftInstanceComment() strips quotes and cuts to 128 characters", async () => {
  const c = await nftInstanceComment({
    network: 'my"net',
    ifName: "eth0",
    containerId: "x".repeat(200),
  });
  assertEquals(c.length, 128);
  assertEquals(c.includes('"'), false);
});

Deno.test("nftMasqSetupLines() is the knftables transaction of the reference", () => {
  const stale = {
    family: "inet",
    table: "cni_plugins_masquerade",
    chain: "masq_checks",
    handle: 7,
    expr: [],
  };
  const lines = nftMasqSetupLines(["10.22.0.5/16", "fd00::5/64"], "C", [stale]);
  assertEquals(lines, [
    'add table inet cni_plugins_masquerade { comment "Masquerading for plugins from github.com/containernetworking/plugins" ; }',
    'add chain inet cni_plugins_masquerade masq_checks { comment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet" ; }',
    "add chain inet cni_plugins_masquerade postrouting { type nat hook postrouting priority srcnat ; }",
    "flush chain inet cni_plugins_masquerade postrouting",
    "add rule inet cni_plugins_masquerade postrouting ip daddr == 224.0.0.0/4  return",
    "add rule inet cni_plugins_masquerade postrouting ip6 daddr == ff00::/8  return",
    "add rule inet cni_plugins_masquerade postrouting goto masq_checks",
    "delete rule inet cni_plugins_masquerade masq_checks handle 7",
    'add rule inet cni_plugins_masquerade masq_checks ip saddr == 10.22.0.5 ip daddr != 10.22.0.0/16 masquerade comment "C"',
    'add rule inet cni_plugins_masquerade masq_checks ip6 saddr == fd00::5 ip6 daddr != fd00::/64 masquerade comment "C"',
  ]);
});

const CHAIN = "CNI-70a29d9dc18bc4d652ea5d59";
const COMMENT = 'name: "mynet" id: "abc123"';
const Q = '"name: \\"mynet\\" id: \\"abc123\\""';
const V4 = {
  multicast: "224.0.0.0/4",
  cidrs: [parseCidr("10.1.0.2/16")!, parseCidr("10.2.0.3/24")!],
};

Deno.test("iptablesSetupLines() without a snapshot is the reference's whole ADD, in its order", () => {
  assertEquals(iptablesSetupLines(undefined, CHAIN, COMMENT, V4), [
    `-N ${CHAIN}`,
    `-A ${CHAIN} -d 10.1.0.0/16 -m comment --comment ${Q} -j ACCEPT`,
    `-A ${CHAIN} ! -d 224.0.0.0/4 -m comment --comment ${Q} -j MASQUERADE`,
    `-A POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}`,
    `-A ${CHAIN} -d 10.2.0.0/24 -m comment --comment ${Q} -j ACCEPT`,
    `-A POSTROUTING -s 10.2.0.3/32 -m comment --comment ${Q} -j ${CHAIN}`,
  ]);
});

Deno.test("iptablesSetupLines() adds only what the table lacks", () => {
  const snap = parseListing(`-N ${CHAIN}
-A POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}
-A ${CHAIN} -d 10.1.0.0/16 -m comment --comment ${Q} -j ACCEPT
-A ${CHAIN} ! -d 224.0.0.0/4 -m comment --comment ${Q} -j MASQUERADE
`);
  assertEquals(
    iptablesSetupLines(snap, CHAIN, COMMENT, { ...V4, cidrs: V4.cidrs.slice(0, 1) }),
    [],
  );
  assertEquals(iptablesSetupLines(snap, CHAIN, COMMENT, V4), [
    `-A ${CHAIN} -d 10.2.0.0/24 -m comment --comment ${Q} -j ACCEPT`,
    `-A POSTROUTING -s 10.2.0.3/32 -m comment --comment ${Q} -j ${CHAIN}`,
  ]);
});

Deno.test("iptablesTeardownLines() deletes what exists, old jump form included", () => {
  assertEquals(iptablesTeardownLines(undefined, CHAIN, COMMENT, V4.cidrs), [
    `-D POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}`,
    `-D POSTROUTING -s 10.2.0.3/32 -m comment --comment ${Q} -j ${CHAIN}`,
    `-F ${CHAIN}`,
    `-X ${CHAIN}`,
  ]);
  const snap = parseListing(`-N ${CHAIN}
-A POSTROUTING -s 10.1.0.0/16 -m comment --comment ${Q} -j ${CHAIN}
-A POSTROUTING -s 10.2.0.3/32 -m comment --comment ${Q} -j ${CHAIN}
-A ${CHAIN} -d 10.1.0.0/16 -m comment --comment ${Q} -j ACCEPT
`);
  assertEquals(iptablesTeardownLines(snap, CHAIN, COMMENT, V4.cidrs), [
    `-D POSTROUTING -s 10.1.0.0/16 -m comment --comment ${Q} -j ${CHAIN}`,
    `-D POSTROUTING -s 10.2.0.3/32 -m comment --comment ${Q} -j ${CHAIN}`,
    `-F ${CHAIN}`,
    `-X ${CHAIN}`,
  ]);
  assertEquals(iptablesTeardownLines(parseListing(""), CHAIN, COMMENT, V4.cidrs), []);
});

Deno.test("iptablesTeardownLines() keeps a chain another interface still jumps to", () => {
  const snap = parseListing(`-N ${CHAIN}
-A POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}
-A POSTROUTING -s 10.9.0.2/32 -m comment --comment ${Q} -j ${CHAIN}
`);
  assertEquals(iptablesTeardownLines(snap, CHAIN, COMMENT, V4.cidrs.slice(0, 1)), [
    `-D POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}`,
  ]);
});

/** A fake runner over a listing; `restoreCodes` are the exit codes of successive restores. */
function fakeRunner(listing: string, restoreCodes: number[]) {
  const calls: string[] = [];
  const run: ToolRunner = (cmd, args) => {
    calls.push([cmd, ...args].join(" "));
    if (cmd.endsWith("-restore")) {
      const code = restoreCodes.shift() ?? 0;
      return Promise.resolve({ code, stdout: "", stderr: code ? "line 2 failed" : "" });
    }
    return Promise.resolve({ code: 0, stdout: listing, stderr: "" });
  };
  return { run, calls };
}

Deno.test("setupIPMasq() iptables: one restore for a new container", async () => {
  const f = fakeRunner("", [0]);
  await setupIPMasq("iptables", ["10.1.0.2/16"], IDS, { run: f.run });
  assertEquals(f.calls, ["iptables-restore -w --noflush"]);
});

Deno.test("setupIPMasq() iptables: reads and spawns nothing more when all is there", async () => {
  // Restore lines are written the way `iptables -S` prints: they serve as the listing.
  const listing = iptablesSetupLines(undefined, CHAIN, COMMENT, V4).join("\n");
  const f = fakeRunner(listing, [1]);
  await setupIPMasq("iptables", ["10.1.0.2/16", "10.2.0.3/24"], IDS, { run: f.run });
  assertEquals(f.calls, ["iptables-restore -w --noflush", "iptables -w -t nat -S"]);
});

Deno.test("setupIPMasq() iptables: re-reads and retries once, then names the command", async () => {
  const f = fakeRunner("", [1, 1, 1]);
  const err = await assertRejects(
    () => setupIPMasq("iptables", ["10.1.0.2/16"], IDS, { run: f.run }),
    CniError,
  );
  assertEquals(err.code, 999);
  assertEquals(err.msg, "running [iptables-restore -w --noflush]: exit status 1: line 2 failed");
  assertEquals(f.calls, [
    "iptables-restore -w --noflush",
    "iptables -w -t nat -S",
    "iptables-restore -w --noflush",
    "iptables -w -t nat -S",
    "iptables-restore -w --noflush",
  ]);
  const g = fakeRunner("", [1, 1, 0]);
  await setupIPMasq("iptables", ["10.1.0.2/16"], IDS, { run: g.run });
  assertEquals(g.calls.length, 5);
});
