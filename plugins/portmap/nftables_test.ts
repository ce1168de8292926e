import { assertEquals } from "../../tests/helpers/assert.ts";
import { parseNftRules } from "../../firewall/nft.ts";
import { loadPortmapConf } from "./config.ts";
import { aimsAt, containerRules, nftCheckProblem, nftSetupLines } from "./nftables.ts";

function conf(extra: Record<string, unknown> = {}) {
  return loadPortmapConf({
    cniVersion: "1.0.0",
    name: "n",
    type: "portmap",
    backend: "nftables",
    runtimeConfig: {
      portMappings: [
        { hostPort: 8080, containerPort: 80, protocol: "tcp" },
        { hostPort: 8083, containerPort: 83, protocol: "tcp", hostIP: "192.168.0.2" },
        { hostPort: 8053, containerPort: 53, protocol: "udp", hostIP: "fd00::1" },
      ],
    },
    ...extra,
  });
}

Deno.test("nftSetupLines() sends the reference's (knftables') transaction for IPv4", () => {
  assertEquals(nftSetupLines(conf(), 4, "10.0.0.2", "cid1"), [
    'add table ip cni_hostport { comment "CNI portmap plugin" ; }',
    "add chain ip cni_hostport hostports",
    "add chain ip cni_hostport hostip_hostports",
    "add chain ip cni_hostport hostports_all",
    "flush chain ip cni_hostport hostports_all",
    "add rule ip cni_hostport hostports_all jump hostip_hostports",
    "add rule ip cni_hostport hostports_all jump hostports",
    "add chain ip cni_hostport prerouting { type nat hook prerouting priority dstnat ; }",
    "flush chain ip cni_hostport prerouting",
    "add rule ip cni_hostport prerouting fib daddr type local jump hostports_all",
    "add chain ip cni_hostport output { type nat hook output priority -100 ; }",
    "flush chain ip cni_hostport output",
    "add rule ip cni_hostport output fib daddr type local jump hostports_all",
    "add chain ip cni_hostport masquerading { type nat hook postrouting priority srcnat ; }",
    'add rule ip cni_hostport hostports tcp dport 8080 dnat to 10.0.0.2:80 comment "cid1"',
    'add rule ip cni_hostport hostports ip daddr 192.168.0.2 tcp dport 8083 dnat to 10.0.0.2:83 comment "cid1"',
    'add rule ip cni_hostport masquerading ip saddr 10.0.0.2 ip daddr 10.0.0.2 masquerade comment "cid1"',
    'add rule ip cni_hostport masquerading ip saddr 127.0.0.1 ip daddr 10.0.0.2 masquerade comment "cid1"',
  ]);
});

Deno.test("nftSetupLines() IPv6, conditions, masqAll and no snat", () => {
  const v6 = nftSetupLines(
    conf({ conditionsV6: ["ip6", "saddr", "!=", "fd99::/64"] }),
    6,
    "fd00::2",
    "c",
  );
  assertEquals(
    v6[9],
    "add rule ip6 cni_hostport prerouting ip6 saddr != fd99::/64 fib daddr type local jump hostports_all",
  );
  assertEquals(v6.slice(14), [
    'add rule ip6 cni_hostport hostports tcp dport 8080 dnat to [fd00::2]:80 comment "c"',
    'add rule ip6 cni_hostport hostports ip6 daddr fd00::1 udp dport 8053 dnat to [fd00::2]:53 comment "c"',
    'add rule ip6 cni_hostport masquerading ip6 saddr fd00::2 ip6 daddr fd00::2 masquerade comment "c"',
  ]);
  assertEquals(
    nftSetupLines(conf({ masqAll: true }), 4, "10.0.0.2", "c").at(-1),
    'add rule ip cni_hostport masquerading ip saddr 0.0.0.0/0 ip daddr 10.0.0.2 masquerade comment "c"',
  );
  const plain = nftSetupLines(conf({ snat: false }), 4, "10.0.0.2", "c");
  assertEquals(plain.some((l) => l.includes("masquerad")), false);
});

const LISTING = JSON.stringify({
  nftables: [
    {
      rule: {
        family: "ip",
        table: "cni_hostport",
        chain: "hostports",
        handle: 5,
        comment: "c1",
        expr: [
          {
            match: {
              op: "==",
              left: { payload: { protocol: "tcp", field: "dport" } },
              right: 8080,
            },
          },
          { dnat: { addr: "10.0.0.2", port: 80 } },
        ],
      },
    },
    {
      rule: {
        family: "ip",
        table: "cni_hostport",
        chain: "hostports",
        handle: 6,
        comment: "c1",
        expr: [{ dnat: { addr: "10.9.0.2", port: 80 } }], // the same container on another network
      },
    },
    {
      rule: {
        family: "ip",
        table: "cni_hostport",
        chain: "masquerading",
        handle: 7,
        comment: "c1",
        expr: [
          {
            match: {
              op: "==",
              left: { payload: { protocol: "ip", field: "saddr" } },
              right: "10.0.0.2",
            },
          },
          {
            match: {
              op: "==",
              left: { payload: { protocol: "ip", field: "daddr" } },
              right: "10.0.0.2",
            },
          },
          { masquerade: null },
        ],
      },
    },
    { rule: { family: "ip", table: "cni_hostport", chain: "prerouting", handle: 2, expr: [] } },
    {
      rule: {
        family: "ip",
        table: "cni_hostport",
        chain: "hostports",
        handle: 8,
        comment: "c2",
        expr: [],
      },
    },
  ],
});

Deno.test("containerRules() picks the container's rules, by address when it is known", () => {
  const rules = parseNftRules(LISTING);
  assertEquals(containerRules(rules, "c1", "10.0.0.2").map((r) => r.handle), [5, 7]);
  assertEquals(containerRules(rules, "c1", undefined).map((r) => r.handle), [5, 6, 7]);
  assertEquals(aimsAt([{ dnat: { addr: "10.0.0.2", port: 1 } }], "10.0.0.2"), true);
  assertEquals(aimsAt([{ masquerade: null }], "10.0.0.2"), false);
});

Deno.test("nftCheckProblem() wants each mapping's dnat and the masquerade rules", () => {
  const one = loadPortmapConf({
    cniVersion: "1.0.0",
    name: "n",
    type: "portmap",
    backend: "nftables",
    runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] },
  });
  const rules = containerRules(parseNftRules(LISTING), "c1", "10.0.0.2");
  assertEquals(
    nftCheckProblem(one, 4, "10.0.0.2", rules),
    'missing hostport rules in "masquerading" chain',
  );
  assertEquals(nftCheckProblem({ ...one, snat: false }, 4, "10.0.0.2", rules), undefined);
  assertEquals(nftCheckProblem({ ...one, masqAll: true }, 4, "10.0.0.2", rules), undefined);
  assertEquals(
    nftCheckProblem({ ...one, snat: false }, 4, "10.0.0.2", []),
    'missing hostport rules in "hostports" chain: tcp dport 8080 dnat to 10.0.0.2:80',
  );
});
