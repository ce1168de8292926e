import { assertEquals } from "../../tests/helpers/assert.ts";
import { parseNftRules, parseNftTable } from "../../firewall/nft.ts";
import { loadPortmapConf } from "./config.ts";
import {
  aimsAt,
  containerRules,
  elementComment,
  nftCheckProblem,
  nftGcLines,
  nftSetupLines,
  nftTeardownLines,
} from "./nftables.ts";

const OWNER = { network: "n", containerId: "cid1" };
const own = (containerId: string) => ({ network: "n", containerId });

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

Deno.test("nftSetupLines() sends the reference's (knftables') transaction for IPv4, then the owner element", () => {
  assertEquals(nftSetupLines(conf(), 4, "10.0.0.2", OWNER), [
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
    "add set ip cni_hostport containers { type ipv4_addr ; }",
    "add element ip cni_hostport containers { 10.0.0.2 }",
    "delete element ip cni_hostport containers { 10.0.0.2 }",
    'add element ip cni_hostport containers { 10.0.0.2 comment "portmap net: n, id: cid1" }',
  ]);
});

Deno.test("nftSetupLines() IPv6, conditions, masqAll and no snat", () => {
  const v6 = nftSetupLines(
    conf({ conditionsV6: ["ip6", "saddr", "!=", "fd99::/64"] }),
    6,
    "fd00::2",
    own("c"),
  );
  assertEquals(
    v6[9],
    "add rule ip6 cni_hostport prerouting ip6 saddr != fd99::/64 fib daddr type local jump hostports_all",
  );
  assertEquals(v6.slice(14), [
    'add rule ip6 cni_hostport hostports tcp dport 8080 dnat to [fd00::2]:80 comment "c"',
    'add rule ip6 cni_hostport hostports ip6 daddr fd00::1 udp dport 8053 dnat to [fd00::2]:53 comment "c"',
    'add rule ip6 cni_hostport masquerading ip6 saddr fd00::2 ip6 daddr fd00::2 masquerade comment "c"',
    "add set ip6 cni_hostport containers { type ipv6_addr ; }",
    "add element ip6 cni_hostport containers { fd00::2 }",
    "delete element ip6 cni_hostport containers { fd00::2 }",
    'add element ip6 cni_hostport containers { fd00::2 comment "portmap net: n, id: c" }',
  ]);
  assertEquals(
    nftSetupLines(conf({ masqAll: true }), 4, "10.0.0.2", own("c")).at(-5),
    'add rule ip cni_hostport masquerading ip saddr 0.0.0.0/0 ip daddr 10.0.0.2 masquerade comment "c"',
  );
  const plain = nftSetupLines(conf({ snat: false }), 4, "10.0.0.2", own("c"));
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
  assertEquals(containerRules(rules, "c1", ["10.0.0.2"]).map((r) => r.handle), [5, 7]);
  assertEquals(containerRules(rules, "c1", ["10.0.0.2", "10.9.0.2"]).map((r) => r.handle), [
    5,
    6,
    7,
  ]);
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
  const rules = containerRules(parseNftRules(LISTING), "c1", ["10.0.0.2"]);
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

/** A listed `ip cni_hostport` table: owner elements, and rules as `[handle, chain, comment, target]`. */
function table(elements: [string, string?][], rules: [number, string, string, string][]) {
  const rule = ([handle, chain, comment, target]: [number, string, string, string]) => ({
    rule: {
      family: "ip",
      table: "cni_hostport",
      chain,
      handle,
      comment,
      expr: chain === "hostports" ? [{ dnat: { addr: target, port: 80 } }] : [{
        match: {
          op: "==",
          left: { payload: { protocol: "ip", field: "daddr" } },
          right: target,
        },
      }, { masquerade: null }],
    },
  });
  return parseNftTable(JSON.stringify({
    nftables: [
      {
        set: {
          family: "ip",
          name: "containers",
          table: "cni_hostport",
          type: "ipv4_addr",
          elem: elements.map(([val, comment]) => comment ? { elem: { val, comment } } : val),
        },
      },
      { rule: { family: "ip", table: "cni_hostport", chain: "prerouting", handle: 2, expr: [] } },
      ...rules.map(rule),
    ],
  }));
}

const LONG = "x".repeat(120); // the owner comment of a container with this ID is cut by nft
const TABLE = table([
  ["10.0.0.2", elementComment(own("a"))],
  ["10.0.0.3", elementComment(own("b"))],
  ["10.0.0.6", elementComment(own(`${LONG}valid`))],
  ["10.0.0.7", elementComment(own(`${LONG}stale`))],
  ["10.9.0.4", elementComment({ network: "m", containerId: "c" })],
  ["10.0.0.9"],
], [
  [10, "hostports", "a", "10.0.0.2"],
  [11, "masquerading", "a", "10.0.0.2"],
  [12, "hostports", "b", "10.0.0.3"],
  [13, "masquerading", "b", "10.0.0.3"],
  [14, "hostports", "b", "10.9.0.3"], // b on network m: no element here
  [15, "hostports", "c", "10.9.0.4"],
  [16, "hostports", "d", "10.0.0.5"], // made by the reference: no element
  [17, "hostports", `${LONG}valid`, "10.0.0.6"],
  [18, "hostports", `${LONG}stale`, "10.0.0.7"],
]);

Deno.test("elementComment() is the firewall's nft owner comment, cut as nft stores it", () => {
  assertEquals(elementComment(own("cid1")), "portmap net: n, id: cid1");
  assertEquals(elementComment(own('q"uote')), "portmap net: n, id: quote");
  assertEquals(elementComment(own(LONG + "valid")).length, 128);
  assertEquals(elementComment(own(LONG + "valid")), elementComment(own(LONG + "stale")));
});

Deno.test("nftGcLines() removes the stale owner elements of this network and the rules aimed at them", () => {
  assertEquals(nftGcLines(4, TABLE, "n", new Set(["a", `${LONG}valid`])), [
    "delete rule ip cni_hostport hostports handle 12",
    "delete rule ip cni_hostport masquerading handle 13",
    "delete element ip cni_hostport containers { 10.0.0.3 }",
  ]);
  // The cut comments of two long IDs read the same: neither is collected while one is valid;
  // with neither valid, both the element and the rule aimed at its address go.
  assertEquals(nftGcLines(4, TABLE, "n", new Set(["a", "b", `${LONG}valid`])), []);
  assertEquals(nftGcLines(4, TABLE, "n", new Set(["a", "b"])), [
    "delete rule ip cni_hostport hostports handle 17",
    "delete rule ip cni_hostport hostports handle 18",
    "delete element ip cni_hostport containers { 10.0.0.6 }",
    "delete element ip cni_hostport containers { 10.0.0.7 }",
  ]);
  assertEquals(nftGcLines(6, undefined, "n", new Set()), []);
  // Network m: c is stale, b's rule aimed at 10.9.0.3 has no element and stays.
  assertEquals(nftGcLines(4, TABLE, "m", new Set()), [
    "delete rule ip cni_hostport hostports handle 15",
    "delete element ip cni_hostport containers { 10.9.0.4 }",
  ]);
});

Deno.test("nftTeardownLines() removes the container's rules and element, by address or by owner", () => {
  // No prevResult: the rules aimed at the owner element's address; b's on network m stay.
  assertEquals(nftTeardownLines(4, TABLE, own("b"), undefined), [
    "delete rule ip cni_hostport hostports handle 12",
    "delete rule ip cni_hostport masquerading handle 13",
    "delete element ip cni_hostport containers { 10.0.0.3 }",
  ]);
  // The address known: the rules aimed at it; the element found by owner.
  assertEquals(nftTeardownLines(4, TABLE, own("a"), "10.0.0.2"), [
    "delete rule ip cni_hostport hostports handle 10",
    "delete rule ip cni_hostport masquerading handle 11",
    "delete element ip cni_hostport containers { 10.0.0.2 }",
  ]);
  // Rules without an owner element (the reference's ADD): every rule with the ID.
  assertEquals(nftTeardownLines(4, TABLE, own("d"), undefined), [
    "delete rule ip cni_hostport hostports handle 16",
  ]);
  assertEquals(nftTeardownLines(4, undefined, own("a"), undefined), []);
});
