import { CniError } from "../../cni/errors.ts";
import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { bridgeOf, loadFirewallConf, resultIps } from "./config.ts";

const base = { cniVersion: "1.0.0", name: "n", type: "firewall" };

Deno.test("loadFirewallConf() defaults as the reference", () => {
  const conf = loadFirewallConf(base);
  assertEquals(conf, {
    name: "n",
    cniVersion: "1.0.0",
    backend: undefined,
    adminChain: "CNI-ADMIN",
    firewalldZone: "trusted",
    ingressPolicy: "open",
    validAttachments: undefined,
  });
  assertEquals(loadFirewallConf({ ...base, ingressPolicy: "", backend: "" }).ingressPolicy, "open");
  assertEquals(loadFirewallConf({ ...base, backend: "nftables" }).backend, "nftables");
  assertEquals(
    loadFirewallConf({ ...base, iptablesAdminChainName: "MYADMIN" }).adminChain,
    "MYADMIN",
  );
});

Deno.test("loadFirewallConf() refuses unknown values before anything is done, code 7", () => {
  const err = assertThrows(
    () =>
      loadFirewallConf({
        ...base,
        backend: "pf",
        ingressPolicy: "x",
        iptablesAdminChainName: "bad name",
      }),
    CniError,
  );
  assertEquals(err.code, 7);
  assertEquals(
    err.msg,
    'failed to load netconf: unknown backend "pf": expected "iptables", "nftables" or "firewalld"; ' +
      'invalid iptablesAdminChainName "bad name": 1-28 characters, no blanks, quotes or control characters, not starting with "-" or "!"; ' +
      'unknown ingress policy: "x"',
  );
  assertThrows(
    () => loadFirewallConf({ ...base, iptablesAdminChainName: "X".repeat(29) }),
    CniError,
    "invalid iptablesAdminChainName",
  );
});

Deno.test("resultIps() takes every address by family; bridgeOf() the first interface", () => {
  const prev = {
    cniVersion: "1.1.0",
    interfaces: [{ name: "cni0" }, { name: "eth0", sandbox: "/x" }],
    ips: [
      { interface: 1, address: "10.0.0.2/24" },
      { address: "10.1.0.2/24" },
      { interface: 1, address: "fd00::2/64" },
      { interface: 1, address: "10.0.0.2/24" },
    ],
  };
  assertEquals(resultIps(prev), { v4: ["10.0.0.2", "10.1.0.2"], v6: ["fd00::2"] });
  assertEquals(bridgeOf(prev, "same-bridge"), "cni0");
  assertThrows(
    () => bridgeOf({ cniVersion: "1.1.0" }, "same-bridge"),
    CniError,
    'interface needs to be set for ingress policy "same-bridge", make sure to chain "firewall" plugin with "bridge"',
  );
  assertThrows(
    () => bridgeOf({ cniVersion: "1.1.0", interfaces: [{ name: "" }] }, "isolated"),
    CniError,
    "got empty bridge name",
  );
});
