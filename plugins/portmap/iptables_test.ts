import { assertEquals } from "../../tests/helpers/assert.ts";
import { parseListing, splitRuleLine } from "../../firewall/iptables.ts";
import { loadPortmapConf } from "./config.ts";
import {
  dnChainName,
  gcLines,
  markText,
  portmapRules,
  setupLines,
  snChainName,
  teardownLines,
} from "./iptables.ts";

const IDS = { network: "rnnet", containerId: "rnc1" };
const DN = "CNI-DN-cb4af05a74fc644b48978";
const C = '"dnat name: \\"rnnet\\" id: \\"rnc1\\""';

/** plugins-more §1.6: what 1.1.1 leaves in the v4 nat table for these mappings. */
const REFERENCE_V4 = `-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ
-A ${DN} -s 10.120.1.0/24 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK
-A ${DN} -s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK
-A ${DN} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.120.1.2:80
-A ${DN} -s 10.120.1.0/24 -p udp -m udp --dport 8053 -j CNI-HOSTPORT-SETMARK
-A ${DN} -s 127.0.0.1/32 -p udp -m udp --dport 8053 -j CNI-HOSTPORT-SETMARK
-A ${DN} -p udp -m udp --dport 8053 -j DNAT --to-destination 10.120.1.2:53
-A ${DN} -s 10.120.1.0/24 -d 10.120.1.1/32 -p tcp -m tcp --dport 9090 -j CNI-HOSTPORT-SETMARK
-A ${DN} -s 127.0.0.1/32 -d 10.120.1.1/32 -p tcp -m tcp --dport 9090 -j CNI-HOSTPORT-SETMARK
-A ${DN} -d 10.120.1.1/32 -p tcp -m tcp --dport 9090 -j DNAT --to-destination 10.120.1.2:90
-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment ${C} -m multiport --dports 8080,9090 -j ${DN}
-A CNI-HOSTPORT-DNAT -p udp -m comment --comment ${C} -m multiport --dports 8053 -j ${DN}
-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE
-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000`;

const MAPPINGS = [
  { hostPort: 8080, containerPort: 80, protocol: "tcp" },
  { hostPort: 8053, containerPort: 53, protocol: "udp" },
  { hostPort: 9090, containerPort: 90, protocol: "tcp", hostIP: "10.120.1.1" },
];

function conf(extra: Record<string, unknown> = {}, mappings: unknown[] = MAPPINGS) {
  return loadPortmapConf({
    cniVersion: "1.0.0",
    name: "rnnet",
    type: "portmap",
    runtimeConfig: { portMappings: mappings },
    ...extra,
  });
}

/** Lines `-A <chain> <spec>` of every rule, as `iptables -S` would print them. */
function asListing(rules: Awaited<ReturnType<typeof portmapRules>>): string[] {
  const q = (t: string) => (/[\s"]/.test(t) ? `"${t.replace(/["\\]/g, "\\$&")}"` : t);
  const line = (chain: string, spec: readonly string[]) => ["-A", chain, ...spec].map(q).join(" ");
  return [
    ...rules.shared.map((r) => line(r.chain, r.spec)),
    ...rules.dnRules.map((s) => line(rules.dnChain, s)),
    ...rules.entries.map((s) => line("CNI-HOSTPORT-DNAT", s)),
  ];
}

Deno.test("dnChainName() and markText() follow the reference", async () => {
  assertEquals(await dnChainName("rnnet", "rnc1"), DN);
  assertEquals(await snChainName("rnnet", "rnc1"), "CNI-SN-cb4af05a74fc644b48978");
  assertEquals(markText(13), "0x2000/0x2000");
  assertEquals(markText(0), "0x1/0x1");
  assertEquals(markText(31), "0x80000000/0x80000000");
});

Deno.test("portmapRules() writes the rules exactly as iptables -S shows the reference's", async () => {
  const rules = await portmapRules(conf(), { ip: "10.120.1.2", cidr: "10.120.1.2/24" }, IDS);
  assertEquals(rules.cmd, "iptables");
  assertEquals(asListing(rules).sort(), REFERENCE_V4.split("\n").sort());
});

Deno.test("portmapRules() IPv6: no localhost rule, bracketed target, other-family hostIP skipped", async () => {
  const rules = await portmapRules(conf(), { ip: "fd00:120::2", cidr: "fd00:120::2/64" }, IDS);
  assertEquals(rules.cmd, "ip6tables");
  assertEquals(rules.dnRules.map((s) => s.join(" ")), [
    "-s fd00:120::/64 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK",
    "-p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd00:120::2]:80",
    "-s fd00:120::/64 -p udp -m udp --dport 8053 -j CNI-HOSTPORT-SETMARK",
    "-p udp -m udp --dport 8053 -j DNAT --to-destination [fd00:120::2]:53",
  ]);
  // The entry rules still list every port of the protocol, as the reference's do.
  assertEquals(rules.entries.map((s) => s[9]), ["8080,9090", "8053"]);
});

Deno.test("portmapRules() options: snat off, masqAll, external mark chain, conditions, mark bit", async () => {
  const c = { ip: "10.1.0.2", cidr: "10.1.0.2/16" };
  const one = [{ hostPort: 80, containerPort: 8080, protocol: "tcp" }];
  assertEquals((await portmapRules(conf({ snat: false }, one), c, IDS)).dnRules, [
    ["-p", "tcp", "-m", "tcp", "--dport", "80", "-j", "DNAT", "--to-destination", "10.1.0.2:8080"],
  ]);
  assertEquals(
    (await portmapRules(conf({ snat: false }, one), c, IDS)).shared.map((r) => r.chain),
    [
      "PREROUTING",
      "OUTPUT",
    ],
  );
  assertEquals(
    (await portmapRules(conf({ masqAll: true }, one), c, IDS)).dnRules.map((s) => s.join(" ")),
    [
      "-p tcp -m tcp --dport 80 -j CNI-HOSTPORT-SETMARK",
      "-p tcp -m tcp --dport 80 -j DNAT --to-destination 10.1.0.2:8080",
    ],
  );
  const ext = await portmapRules(conf({ externalSetMarkChain: "KUBE-MARK-MASQ" }, one), c, IDS);
  assertEquals(ext.dnRules[0]!.at(-1), "KUBE-MARK-MASQ");
  assertEquals(ext.sharedChains, ["CNI-HOSTPORT-DNAT"]);
  const cond = await portmapRules(conf({ conditionsV4: ["!", "-d", "10.9.0.0/24"] }, one), c, IDS);
  assertEquals(cond.entries[0]!.slice(10), ["!", "-d", "10.9.0.0/24", "-j", DN]);
  assertEquals(
    (await portmapRules(conf({ markMasqBit: 5 }, one), c, IDS)).shared[0]!.spec.at(-1),
    "0x20/0x20",
  );
});

Deno.test("portmapRules() splits the entry rules at 15 ports per protocol, protocols sorted", async () => {
  const many = Array.from({ length: 17 }, (_, i) => ({
    hostPort: 10000 + i,
    containerPort: 80,
    protocol: i % 8 === 0 ? "udp" : "tcp",
  }));
  const rules = await portmapRules(conf({}, many), { ip: "10.1.0.2", cidr: "10.1.0.2/16" }, IDS);
  assertEquals(rules.entries.map((s) => [s[1], s[9]!.split(",").length]), [
    ["tcp", 14],
    ["udp", 3],
  ]);
  const more = Array.from({ length: 16 }, (_, i) => ({
    hostPort: 20000 + i,
    containerPort: 80,
    protocol: "sctp",
  }));
  const split = await portmapRules(conf({}, more), { ip: "10.1.0.2", cidr: "10.1.0.2/16" }, IDS);
  assertEquals(split.entries.map((s) => s[9]!.split(",").length), [15, 1]);
});

const RULES = await portmapRules(conf(), { ip: "10.120.1.2", cidr: "10.120.1.2/24" }, IDS);

Deno.test("setupLines() without a snapshot asserts the shared rules and creates the chain", () => {
  const lines = setupLines(undefined, RULES);
  assertEquals(lines.slice(0, 6), [
    '-C CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000',
    "-C CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE",
    '-C POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
    "-C PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
    "-C OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
    `-N ${DN}`,
  ]);
  assertEquals(lines.length, 6 + 9 + 2);
});

Deno.test("setupLines() on an empty table creates everything in the reference's order", () => {
  const lines = setupLines(parseListing("-P PREROUTING ACCEPT\n"), RULES);
  assertEquals(lines.slice(0, 11), [
    "-N CNI-HOSTPORT-SETMARK",
    '-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000',
    "-N CNI-HOSTPORT-MASQ",
    "-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE",
    '-I POSTROUTING 1 -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
    "-N CNI-HOSTPORT-DNAT",
    "-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
    "-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
    `-N ${DN}`,
    `-A ${DN} -s 10.120.1.0/24 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK`,
    `-A ${DN} -s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK`,
  ]);
  assertEquals(lines.filter((l) => l.startsWith("-A CNI-HOSTPORT-DNAT")).length, 2);
});

Deno.test("setupLines() on the full table refills the chain and keeps wanted entries in place", () => {
  const snap = parseListing(
    `-N ${DN}\n-N CNI-HOSTPORT-DNAT\n-N CNI-HOSTPORT-SETMARK\n-N CNI-HOSTPORT-MASQ\n${REFERENCE_V4}
-A CNI-HOSTPORT-DNAT -p sctp -m comment --comment ${C} -m multiport --dports 7 -j ${DN}`,
  );
  assertEquals(setupLines(snap, RULES), [
    `-F ${DN}`,
    ...RULES.dnRules.map((s) => `-A ${DN} ${s.join(" ")}`),
    `-D CNI-HOSTPORT-DNAT -p sctp -m comment --comment ${C} -m multiport --dports 7 -j ${DN}`,
  ]);
});

Deno.test("teardownLines() deletes by the known entries, or everything that names the chain", () => {
  assertEquals(teardownLines(undefined, RULES, RULES.entries), [
    `-D CNI-HOSTPORT-DNAT -p tcp -m comment --comment ${C} -m multiport --dports 8080,9090 -j ${DN}`,
    `-D CNI-HOSTPORT-DNAT -p udp -m comment --comment ${C} -m multiport --dports 8053 -j ${DN}`,
    `-F ${DN}`,
    `-X ${DN}`,
  ]);
  const SN = "CNI-SN-cb4af05a74fc644b48978";
  const snap = parseListing(
    `-N ${DN}\n-N ${SN}\n-N CNI-HOSTPORT-DNAT\n-N CNI-HOSTPORT-SNAT\n${REFERENCE_V4}\n-A CNI-HOSTPORT-SNAT -j ${SN}\n-A OUTPUT -p tcp -j ${DN}\n`,
  );
  assertEquals(teardownLines(snap, RULES), [
    `-D OUTPUT -p tcp -j ${DN}`,
    `-D CNI-HOSTPORT-DNAT -p tcp -m comment --comment ${C} -m multiport --dports 8080,9090 -j ${DN}`,
    `-D CNI-HOSTPORT-DNAT -p udp -m comment --comment ${C} -m multiport --dports 8053 -j ${DN}`,
    `-F ${DN}`,
    `-X ${DN}`,
    `-D CNI-HOSTPORT-SNAT -j ${SN}`,
    `-F ${SN}`,
    `-X ${SN}`,
  ]);
  assertEquals(teardownLines(parseListing("-P OUTPUT ACCEPT\n"), RULES), []);
});

Deno.test("gcLines() removes the containers of the network that are not valid", async () => {
  const other = await dnChainName("rnnet", "gone");
  const foreign = await dnChainName("othernet", "x");
  const snap = parseListing(`-N ${DN}\n-N ${other}\n-N ${foreign}\n${REFERENCE_V4}
-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"rnnet\\" id: \\"gone\\"" -m multiport --dports 1 -j ${other}
-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"othernet\\" id: \\"x\\"" -m multiport --dports 2 -j ${foreign}
`);
  const lines = await gcLines(snap, "rnnet", new Set(["rnc1"]));
  assertEquals(lines, [
    `-D CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"rnnet\\" id: \\"gone\\"" -m multiport --dports 1 -j ${other}`,
    `-F ${other}`,
    `-X ${other}`,
  ]);
  assertEquals(splitRuleLine(lines[0]!)[7], 'dnat name: "rnnet" id: "gone"');
  assertEquals(await gcLines(snap, "rnnet", new Set(["rnc1", "gone"])), []);
});
