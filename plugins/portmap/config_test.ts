import { CniError } from "../../cni/errors.ts";
import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { containerIps, loadPortmapConf } from "./config.ts";

const base = { cniVersion: "1.0.0", name: "rnnet", type: "portmap" };
const withMaps = (portMappings: unknown[], extra: Record<string, unknown> = {}) => ({
  ...base,
  ...extra,
  runtimeConfig: { portMappings },
});

function failure(config: unknown, wrap = true): CniError {
  return assertThrows(() => loadPortmapConf(config, { wrap }), CniError);
}

Deno.test("loadPortmapConf() defaults as the reference and normalises mappings", () => {
  const conf = loadPortmapConf(withMaps([
    { hostPort: 8080, containerPort: 80, protocol: "TCP" },
    { hostPort: 9090, containerPort: 90, protocol: "udp", hostIP: "10.0.0.1" },
    { hostPort: 9091, containerPort: 91, protocol: "sctp", hostIP: "0.0.0.0" },
    { hostPort: 9092, containerPort: 92, protocol: "tcp", hostIP: "fd00:0::1" },
  ]));
  assertEquals(conf.snat, true);
  assertEquals(conf.masqAll, false);
  assertEquals(conf.markMasqBit, 13);
  assertEquals(conf.externalSetMarkChain, undefined);
  assertEquals(conf.backend, undefined);
  assertEquals(conf.mappings, [
    { hostPort: 8080, containerPort: 80, protocol: "tcp", hostIP: "" },
    { hostPort: 9090, containerPort: 90, protocol: "udp", hostIP: "10.0.0.1", hostFamily: 4 },
    { hostPort: 9091, containerPort: 91, protocol: "sctp", hostIP: "", hostFamily: 4 },
    { hostPort: 9092, containerPort: 92, protocol: "tcp", hostIP: "fd00::1", hostFamily: 6 },
  ]);
  assertEquals(loadPortmapConf(base).mappings, []);
  assertEquals(loadPortmapConf({ ...base, runtimeConfig: null }).mappings, []);
});

Deno.test("loadPortmapConf() names every bad mapping with the reference's texts, code 7", () => {
  const err = failure(withMaps([
    { hostPort: 0, containerPort: 80, protocol: "tcp" },
    { hostPort: 70000, containerPort: -1, protocol: "tcp" },
    { hostPort: 8080, containerPort: 80, protocol: "icmp" },
    { hostPort: 8081, containerPort: 80, protocol: "tcp", hostIP: "nope" },
  ]));
  assertEquals(err.code, 7);
  assertEquals(
    err.msg,
    "failed to parse config: Invalid host port number: 0; Invalid container port number: -1; " +
      'Invalid host port number: 70000; Invalid protocol "icmp" for host port 8080: must be tcp, udp or sctp; ' +
      'Invalid host IP "nope" for host port 8081',
  );
  assertEquals(
    failure(withMaps([{ hostPort: 0, containerPort: 80, protocol: "tcp" }]), false).msg,
    "Invalid host port number: 0",
  );
  assertEquals(
    failure({ ...base, runtimeConfig: { portMappings: [{ hostPort: "80" }] } }).msg,
    'failed to parse config: failed to parse network configuration: field "runtimeConfig.portMappings[0].hostPort": expected number, got string',
  );
});

Deno.test("loadPortmapConf() checks the mark bit and the external chain as the reference", () => {
  assertEquals(
    failure({ ...base, markMasqBit: 32 }).msg,
    "failed to parse config: MasqMarkBit must be between 0 and 31",
  );
  assertEquals(
    failure({ ...base, markMasqBit: 13, externalSetMarkChain: "X" }).msg,
    "failed to parse config: Cannot specify externalSetMarkChain and markMasqBit",
  );
  const ext = loadPortmapConf({ ...base, externalSetMarkChain: "KUBE-MARK-MASQ" });
  assertEquals([ext.externalSetMarkChain, ext.backend], ["KUBE-MARK-MASQ", "iptables"]);
});

Deno.test("loadPortmapConf() refuses what would reach beyond its rule: line breaks, nft separators, bad chain names", () => {
  const err = failure({
    ...base,
    backend: "iptables",
    conditionsV4: ["-m", "comment", "--comment", "x\n-A PREROUTING -j ACCEPT"],
    conditionsV6: ["-s", "fd00::/8\r"],
  });
  assertEquals(err.code, 7);
  assertEquals(
    err.msg,
    'failed to parse config: conditionsV4[3] "x\\n-A PREROUTING -j ACCEPT" holds a control character; ' +
      'conditionsV6[1] "fd00::/8\\r" holds a control character',
  );
  assertEquals(
    failure({ ...base, conditionsV4: ["ip saddr 10.0.0.0/8 accept; add table ip x"] }).msg,
    'failed to parse config: conditionsV4[0] "ip saddr 10.0.0.0/8 accept; add table ip x": ' +
      '";" and "#" would end the nftables rule',
  );
  assertEquals(
    failure({ ...base, backend: "nftables", conditionsV6: ["ip6 saddr ::1 #"] }).code,
    7,
  );
  // In iptables tokens `;` and `#` are quoted, so they stay inside their token.
  assertEquals(
    loadPortmapConf({ ...base, conditionsV4: ["-m", "comment", "--comment", "a;b#c"] }).backend,
    "iptables",
  );
  for (const chain of ["A B", "-X", "X\n-A INPUT -j DROP", "X".repeat(29)]) {
    assertEquals(
      failure({ ...base, externalSetMarkChain: chain }).msg,
      `failed to parse config: invalid externalSetMarkChain ${
        JSON.stringify(chain)
      }: 1-28 characters, no blanks, quotes or control characters, not starting with "-" or "!"`,
    );
  }
});

Deno.test("loadPortmapConf() picks the backend from the options, refusing misfits", () => {
  assertEquals(loadPortmapConf({ ...base, backend: "nftables" }).backend, "nftables");
  assertEquals(
    failure({ ...base, backend: "pf" }).msg,
    'failed to parse config: unrecognized backend "pf"',
  );
  // Beyond the reference: nft-style conditions without a backend select nftables.
  assertEquals(
    loadPortmapConf({ ...base, conditionsV4: ["ip", "saddr", "10.0.0.0/8"] }).backend,
    "nftables",
  );
  assertEquals(
    loadPortmapConf({ ...base, conditionsV6: ["!", "-d", "fd00::/8"] }).backend,
    "iptables",
  );
  assertEquals(
    failure({ ...base, backend: "iptables", conditionsV4: ["ip", "saddr", "1.2.3.4"] }).msg,
    "failed to parse config: iptables backend was requested but configuration contains nftables-specific options [conditionsV4]",
  );
  assertEquals(
    failure({
      ...base,
      backend: "nftables",
      externalSetMarkChain: "X",
      conditionsV6: ["-s", "::1"],
    })
      .msg,
    "failed to parse config: nftables backend was requested but configuration contains iptables-specific options [externalSetMarkChain conditionsV6]",
  );
  assertEquals(
    failure({ ...base, externalSetMarkChain: "X", conditionsV4: ["ip", "saddr", "1.2.3.4"] }).msg,
    "failed to parse config: configuration contains both iptables-specific options [externalSetMarkChain] and nftables-specific options [conditionsV4]",
  );
});

Deno.test("containerIps() keeps the first address of each family on CNI_IFNAME", () => {
  const prev = {
    cniVersion: "1.1.0",
    interfaces: [
      { name: "br0", mac: "aa:bb:cc:dd:ee:ff" },
      { name: "eth0", sandbox: "/run/netns/x" },
      { name: "eth1", sandbox: "/run/netns/x" },
    ],
    ips: [
      { interface: 0, address: "10.9.0.1/24" }, // host-side interface: skipped
      { interface: 2, address: "10.8.0.2/24" }, // other container interface: skipped
      { interface: 1, address: "10.7.0.2/24" },
      { interface: 1, address: "10.7.0.3/24" }, // second IPv4: not used
      { address: "fd00::2/64" }, // no interface index: accepted
      { interface: 9, address: "fd00::3/64" },
    ],
  };
  assertEquals(containerIps(prev, "eth0"), {
    v4: { ip: "10.7.0.2", cidr: "10.7.0.2/24" },
    v6: { ip: "fd00::2", cidr: "fd00::2/64" },
  });
  assertEquals(containerIps({ cniVersion: "1.1.0" }, "eth0"), {});
});
