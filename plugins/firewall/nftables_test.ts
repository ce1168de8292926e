import { assertEquals } from "../../tests/helpers/assert.ts";
import { parseNftTable } from "../../firewall/nft.ts";
import { nftCheckProblem, nftGcLines, nftSetupLines, nftTeardownLines } from "./nftables.ts";

const OWNER = { network: "n", containerId: "c1" };
const PLAN = {
  admin: "CNI-ADMIN",
  owner: OWNER,
  isolation: { bridge: "br0", policy: "isolated" as const },
};

Deno.test("nftSetupLines() refills the fixed chains and re-adds each address with its comment", () => {
  const lines = nftSetupLines({ v4: ["10.0.0.2"], v6: ["fd00::2"] }, PLAN);
  assertEquals(lines[0], 'add table inet cni_firewall { comment "CNI firewall plugin" ; }');
  assertEquals(lines.slice(-9), [
    "add element inet cni_firewall containers_v4 { 10.0.0.2 }",
    "delete element inet cni_firewall containers_v4 { 10.0.0.2 }",
    'add element inet cni_firewall containers_v4 { 10.0.0.2 comment "firewall net: n, id: c1" }',
    "add element inet cni_firewall containers_v6 { fd00::2 }",
    "delete element inet cni_firewall containers_v6 { fd00::2 }",
    'add element inet cni_firewall containers_v6 { fd00::2 comment "firewall net: n, id: c1" }',
    'add element inet cni_firewall isolated_bridges { "br0" }',
    'add element inet cni_firewall isolated_pairs { "br0" . "br0" }',
    'add element inet cni_firewall self_isolated_pairs { "br0" . "br0" }',
  ]);
  assertEquals(
    nftSetupLines({ v4: [], v6: [] }, { admin: "MYADMIN", owner: OWNER }).filter((l) =>
      l.includes("MYADMIN")
    ),
    ["add chain inet cni_firewall MYADMIN", "add rule inet cni_firewall CNI-FORWARD jump MYADMIN"],
  );
});

const TABLE = parseNftTable(JSON.stringify({
  nftables: [
    { table: { family: "inet", name: "cni_firewall" } },
    { chain: { family: "inet", table: "cni_firewall", name: "forward" } },
    {
      set: {
        family: "inet",
        table: "cni_firewall",
        name: "containers_v4",
        elem: [
          { elem: { val: "10.0.0.2", comment: "firewall net: n, id: c1" } },
          { elem: { val: "10.0.0.3", comment: "firewall net: n, id: gone" } },
          { elem: { val: "10.0.0.4", comment: "firewall net: m, id: gone" } },
          "10.0.0.5",
        ],
      },
    },
    { set: { family: "inet", table: "cni_firewall", name: "isolated_bridges", elem: ["br0"] } },
    {
      set: {
        family: "inet",
        table: "cni_firewall",
        name: "self_isolated_pairs",
        elem: [{ concat: ["br0", "br0"] }],
      },
    },
    {
      rule: {
        family: "inet",
        table: "cni_firewall",
        chain: "forward",
        handle: 3,
        expr: [{ jump: { target: "CNI-ISOLATION" } }],
      },
    },
    {
      rule: {
        family: "inet",
        table: "cni_firewall",
        chain: "forward",
        handle: 4,
        expr: [{ jump: { target: "CNI-FORWARD" } }],
      },
    },
    {
      rule: {
        family: "inet",
        table: "cni_firewall",
        chain: "CNI-FORWARD",
        handle: 5,
        expr: [{ jump: { target: "CNI-ADMIN" } }],
      },
    },
  ],
}));

Deno.test("nftTeardownLines() and nftGcLines() delete elements by their owner comment", () => {
  assertEquals(nftTeardownLines(TABLE, OWNER), [
    "delete element inet cni_firewall containers_v4 { 10.0.0.2 }",
  ]);
  assertEquals(nftTeardownLines(undefined, OWNER), []);
  assertEquals(nftGcLines(TABLE, "n", new Set(["c1"])), [
    "delete element inet cni_firewall containers_v4 { 10.0.0.3 }",
  ]);
});

Deno.test("nftCheckProblem() wants the jumps, the elements and the isolation", () => {
  assertEquals(nftCheckProblem(TABLE, { v4: ["10.0.0.2"], v6: [] }, PLAN), undefined);
  assertEquals(
    nftCheckProblem(TABLE, { v4: ["10.0.0.3"], v6: [] }, PLAN),
    "expected element 10.0.0.3 of set containers_v4 not found in table inet cni_firewall",
  );
  assertEquals(
    nftCheckProblem(TABLE, { v4: [], v6: [] }, { ...PLAN, admin: "MYADMIN" }),
    "expected CNI-FORWARD rule [jump MYADMIN] not found in table inet cni_firewall",
  );
  assertEquals(
    nftCheckProblem(TABLE, { v4: [], v6: [] }, {
      ...PLAN,
      isolation: { bridge: "br9", policy: "same-bridge" },
    }),
    'expected isolation of bridge "br9" not found in table inet cni_firewall',
  );
  assertEquals(
    nftCheckProblem(undefined, { v4: [], v6: [] }, PLAN),
    "table inet cni_firewall not found",
  );
});
