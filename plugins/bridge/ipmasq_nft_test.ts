import { assertEquals } from "../../tests/helpers/assert.ts";
import type { ToolRunner } from "../../firewall/exec.ts";
import {
  gcNftMasq,
  nftInstanceComment,
  nftInstanceHash,
  nftMasqSetupLines,
  nftNetworkHash,
  setupNftMasq,
  teardownNftMasq,
} from "./ipmasq_nft.ts";

const IDS = { network: "mynet", ifName: "eth0", containerId: "abc123" };

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

/** A fake `nft`: lists `rules` (comment and handle) and records every call with its stdin. */
function fakeNft(rules: { comment: string; handle: number }[]) {
  const calls: string[] = [];
  const run: ToolRunner = (cmd, args, options) => {
    calls.push([cmd, ...args].join(" ") + (options?.stdin ? `<<${options.stdin}` : ""));
    const listing = {
      nftables: rules.map((r) => ({
        rule: {
          family: "inet",
          table: "cni_plugins_masquerade",
          chain: "masq_checks",
          handle: r.handle,
          comment: r.comment,
          expr: [],
        },
      })),
    };
    return Promise.resolve({ code: 0, stdout: JSON.stringify(listing), stderr: "" });
  };
  return { run, calls };
}

const LIST = "nft -j list chain inet cni_plugins_masquerade masq_checks";
const DEL = "delete rule inet cni_plugins_masquerade masq_checks handle";

Deno.test("setupNftMasq(): one listing, one transaction replacing the attachment's old rules", async () => {
  const mine = await nftInstanceComment(IDS);
  const other = await nftInstanceComment({ ...IDS, ifName: "eth1" });
  const f = fakeNft([{ comment: mine, handle: 4 }, { comment: other, handle: 5 }]);
  await setupNftMasq(["10.22.0.5/16"], IDS, f.run);
  assertEquals(f.calls.length, 2);
  assertEquals(f.calls[0], LIST);
  const script = f.calls[1]!.split("<<")[1]!.split("\n");
  assertEquals(f.calls[1]!.split("<<")[0], "nft -f -");
  assertEquals(script.filter((l) => l.startsWith("delete")), [`${DEL} 4`]);
  assertEquals(script.at(-2), nftMasqSetupLines(["10.22.0.5/16"], mine, []).at(-1));
});

Deno.test("teardownNftMasq(): deletes the attachment's rules by handle; nothing to do is one listing", async () => {
  const mine = await nftInstanceComment(IDS);
  const f = fakeNft([{ comment: mine, handle: 9 }, { comment: "unrelated", handle: 2 }]);
  await teardownNftMasq(IDS, f.run);
  assertEquals(f.calls, [LIST, `nft -f -<<${DEL} 9\n`]);
  const g = fakeNft([{ comment: "unrelated", handle: 2 }]);
  await teardownNftMasq(IDS, g.run);
  assertEquals(g.calls, [LIST]);
});

Deno.test("gcNftMasq(): removes the network's rules whose attachment is not valid", async () => {
  const keep = await nftInstanceComment(IDS);
  const stale = await nftInstanceComment({ ...IDS, containerId: "gone" });
  const foreign = await nftInstanceComment({ ...IDS, network: "othernet", containerId: "gone" });
  const f = fakeNft([
    { comment: keep, handle: 1 },
    { comment: stale, handle: 2 },
    { comment: foreign, handle: 3 },
  ]);
  await gcNftMasq("mynet", [{ containerID: "abc123", ifname: "eth0" }], f.run);
  assertEquals(f.calls, [LIST, `nft -f -<<${DEL} 2\n`]);
});
