import { assertEquals } from "../../tests/helpers/assert.ts";
import {
  ipMasqChainName,
  ipMasqComment,
  nftInstanceComment,
  nftInstanceHash,
  nftMasqSetupScript,
  nftNetworkHash,
} from "./ipmasq.ts";

Deno.test("ipMasqChainName() matches the reference test vector", () => {
  assertEquals(ipMasqChainName("mynet", "abc123"), "CNI-70a29d9dc18bc4d652ea5d59");
  assertEquals(ipMasqChainName("mynet", "abc123").length, 28);
});

Deno.test("ipMasqComment() quotes like Go %q", () => {
  assertEquals(ipMasqComment("mynet", "abc123"), 'name: "mynet" id: "abc123"');
});

Deno.test("nftInstanceComment() matches the reference test vector", () => {
  assertEquals(nftNetworkHash("mynet"), "d23676b4f2d9fe04");
  assertEquals(nftInstanceHash("mynet", "eth0", "abc123"), "d23676b4f2d9fe04-ebce0e3dd4dafae3");
  assertEquals(
    nftInstanceComment("mynet", "eth0", "abc123"),
    "d23676b4f2d9fe04-ebce0e3dd4dafae3, net: mynet, if: eth0, id: abc123",
  );
});

Deno.test("nftInstanceComment() strips quotes and cuts to 128 characters", () => {
  const c = nftInstanceComment('my"net', "eth0", "x".repeat(200));
  assertEquals(c.length, 128);
  assertEquals(c.includes('"'), false);
});

Deno.test("nftMasqSetupScript() is the knftables transaction of the reference", () => {
  const script = nftMasqSetupScript(["10.22.0.5/16", "fd00::5/64"], "C", [7]);
  assertEquals(script.split("\n"), [
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
    "",
  ]);
});
