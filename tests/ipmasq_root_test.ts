/**
 * Masquerade and spoof-check rules against the real `iptables`/`nft`, inside throwaway
 * network namespaces (the tools run under `ip netns exec`, so the host's tables are never
 * touched): the exact table contents after ADD and DEL, and how many firewall tool
 * processes each step starts, so that a regression to one process per rule fails here.
 * Also 8 in-process ADDs and DELs of one network at once, in a sandbox.
 */
import { CniError } from "../cni/errors.ts";
import { runTool, type ToolRunner } from "../firewall/exec.ts";
import {
  gcIPMasq,
  ipMasqChainName,
  nftInstanceComment,
  setupIPMasq,
  teardownIPMasq,
} from "../plugins/bridge/ipmasq.ts";
import { setupSpoofCheck, teardownSpoofCheck } from "../plugins/bridge/spoofcheck.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { dropNetns, makeNetns, type TestNetns } from "./helpers/namespaces.ts";
import { inSandbox } from "./helpers/sandbox.ts";

const POLICIES = [
  "-P PREROUTING ACCEPT",
  "-P INPUT ACCEPT",
  "-P OUTPUT ACCEPT",
  "-P POSTROUTING ACCEPT",
];

/** A namespace whose tool runs are counted: `calls` lists the tool of each process. */
interface Fw {
  ns: TestNetns;
  run: ToolRunner;
  calls: string[];
  /** `iptables -S` (or ip6tables) of the nat table in the namespace. */
  nat(cmd?: string): Promise<string[]>;
  /** `nft` output in the namespace. */
  nft(...args: string[]): Promise<string>;
  /** The tools run since the last call, sorted, and forgets them. */
  take(): string[];
}

async function withFw(body: (fw: Fw) => Promise<void>): Promise<void> {
  const ns = await makeNetns("tmq");
  const calls: string[] = [];
  const inNs = (cmd: string, args: readonly string[], options?: { stdin?: string }) =>
    runTool("ip", ["netns", "exec", ns.name, cmd, ...args], options);
  const fw: Fw = {
    ns,
    calls,
    run: (cmd, args, options) => {
      calls.push(cmd);
      return inNs(cmd, args, options);
    },
    nat: async (cmd = "iptables") =>
      (await inNs(cmd, ["-w", "-t", "nat", "-S"])).stdout.split("\n").filter((l) => l !== ""),
    nft: async (...args) => (await inNs("nft", args)).stdout,
    take: () => calls.splice(0).sort(),
  };
  try {
    await body(fw);
  } finally {
    await dropNetns(ns);
  }
}

const IDS = { network: "tmqnet", ifName: "eth0", containerId: "tmqcid01" };
const CHAIN = await ipMasqChainName(IDS.network, IDS.containerId);
const Q = `"name: \\"${IDS.network}\\" id: \\"${IDS.containerId}\\""`;

Deno.test({
  ...gated(
    "setupIPMasq()/teardownIPMasq() iptables: one restore per family per ADD and DEL",
    NEEDS_ROOT,
  ),
  async fn() {
    await withFw(async (fw) => {
      const cidrs = ["10.217.0.2/24", "fd00:217::2/64"];
      const v4 = [
        ...POLICIES,
        `-N ${CHAIN}`,
        `-A POSTROUTING -s 10.217.0.2/32 -m comment --comment ${Q} -j ${CHAIN}`,
        `-A ${CHAIN} -d 10.217.0.0/24 -m comment --comment ${Q} -j ACCEPT`,
        `-A ${CHAIN} ! -d 224.0.0.0/4 -m comment --comment ${Q} -j MASQUERADE`,
      ];
      const v6 = [
        ...POLICIES,
        `-N ${CHAIN}`,
        `-A POSTROUTING -s fd00:217::2/128 -m comment --comment ${Q} -j ${CHAIN}`,
        `-A ${CHAIN} -d fd00:217::/64 -m comment --comment ${Q} -j ACCEPT`,
        `-A ${CHAIN} ! -d ff00::/8 -m comment --comment ${Q} -j MASQUERADE`,
      ];

      await setupIPMasq("iptables", cidrs, IDS, { run: fw.run });
      assertEquals(fw.take(), ["ip6tables-restore", "iptables-restore"]);
      assertEquals(await fw.nat(), v4);
      assertEquals(await fw.nat("ip6tables"), v6);

      // Second ADD: the restore is refused, one read shows everything is there, no write.
      await setupIPMasq("iptables", cidrs, IDS, { run: fw.run });
      assertEquals(fw.take(), ["ip6tables", "ip6tables-restore", "iptables", "iptables-restore"]);
      assertEquals(await fw.nat(), v4);
      assertEquals(await fw.nat("ip6tables"), v6);

      await teardownIPMasq(cidrs, IDS, { run: fw.run });
      assertEquals(fw.take(), ["ip6tables-restore", "iptables-restore", "nft"]);
      assertEquals(await fw.nat(), POLICIES);
      assertEquals(await fw.nat("ip6tables"), POLICIES);

      // Second DEL: refused restore, one read per family, nothing to delete.
      await teardownIPMasq(cidrs, IDS, { run: fw.run });
      assertEquals(fw.take(), [
        "ip6tables",
        "ip6tables-restore",
        "iptables",
        "iptables-restore",
        "nft",
      ]);
      assertEquals(await fw.nat(), POLICIES);
    });
  },
});

Deno.test({
  ...gated(
    "setupIPMasq() iptables: repairs a partial chain with one read and one restore",
    NEEDS_ROOT,
  ),
  async fn() {
    await withFw(async (fw) => {
      const cidrs = ["10.217.0.2/24"];
      await setupIPMasq(undefined, cidrs, IDS, { run: fw.run });
      assertEquals(fw.take(), ["iptables-restore"]);
      const full = await fw.nat();
      const masq = full.find((l) => l.endsWith("-j MASQUERADE"))!;
      const out = await runTool("ip", [
        "netns",
        "exec",
        fw.ns.name,
        "iptables-restore",
        "-w",
        "--noflush",
      ], { stdin: `*nat\n${masq.replace(/^-A /, "-D ")}\nCOMMIT\n` });
      assertEquals(out.code, 0, out.stderr);
      assertEquals((await fw.nat()).length, full.length - 1);

      await setupIPMasq(undefined, cidrs, IDS, { run: fw.run });
      assertEquals(fw.take(), ["iptables", "iptables-restore", "iptables-restore"]);
      assertEquals(await fw.nat(), full);
    });
  },
});

Deno.test({
  ...gated(
    "teardownIPMasq() iptables: keeps the chain another interface of the container uses",
    NEEDS_ROOT,
  ),
  async fn() {
    await withFw(async (fw) => {
      await setupIPMasq("iptables", ["10.217.0.2/24"], IDS, { run: fw.run });
      await setupIPMasq("iptables", ["10.218.0.2/24"], { ...IDS, ifName: "eth1" }, {
        run: fw.run,
      });
      fw.take();
      await teardownIPMasq(["10.217.0.2/24"], IDS, { run: fw.run });
      // The guess (delete the chain too) is refused; the read shows eth1 still jumps to it.
      assertEquals(fw.take(), ["iptables", "iptables-restore", "iptables-restore", "nft"]);
      assertEquals(await fw.nat(), [
        ...POLICIES,
        `-N ${CHAIN}`,
        `-A POSTROUTING -s 10.218.0.2/32 -m comment --comment ${Q} -j ${CHAIN}`,
        `-A ${CHAIN} -d 10.217.0.0/24 -m comment --comment ${Q} -j ACCEPT`,
        `-A ${CHAIN} ! -d 224.0.0.0/4 -m comment --comment ${Q} -j MASQUERADE`,
        `-A ${CHAIN} -d 10.218.0.0/24 -m comment --comment ${Q} -j ACCEPT`,
      ]);
      await teardownIPMasq(["10.218.0.2/24"], { ...IDS, ifName: "eth1" }, { run: fw.run });
      assertEquals(fw.take(), ["iptables-restore", "nft"]);
      assertEquals(await fw.nat(), POLICIES);
    });
  },
});

Deno.test({
  ...gated(
    "setupIPMasq()/teardownIPMasq() nftables: one list and one transaction each",
    NEEDS_ROOT,
  ),
  async fn() {
    await withFw(async (fw) => {
      const cidrs = ["10.217.0.2/24"];
      const comment = await nftInstanceComment(IDS);
      const rules = async () =>
        (await fw.nft("list", "chain", "inet", "cni_plugins_masquerade", "masq_checks"))
          .split("\n").map((l) => l.trim()).filter((l) => l.startsWith("ip "));
      await setupIPMasq("nftables", cidrs, IDS, { run: fw.run });
      assertEquals(fw.take(), ["nft", "nft"]);
      const want = [
        `ip saddr 10.217.0.2 ip daddr != 10.217.0.0/24 masquerade comment "${comment}"`,
      ];
      assertEquals(await rules(), want);
      await setupIPMasq("nftables", cidrs, IDS, { run: fw.run });
      assertEquals(fw.take(), ["nft", "nft"]);
      assertEquals(await rules(), want);

      // With the backend hint, the iptables side reads instead of guessing.
      await teardownIPMasq(cidrs, IDS, { run: fw.run, backend: "nftables" });
      assertEquals(fw.take(), ["iptables", "nft", "nft"]);
      assertEquals(await rules(), []);
      await teardownIPMasq(cidrs, IDS, { run: fw.run });
      assertEquals(fw.take(), ["iptables", "iptables-restore", "nft"]);
    });
  },
});

Deno.test({
  ...gated(
    "setupSpoofCheck()/teardownSpoofCheck(): one nft for set-up, two for teardown",
    NEEDS_ROOT,
  ),
  async fn() {
    await withFw(async (fw) => {
      const ids = {
        containerId: "tmqcid01",
        ifName: "eth0",
        hostIface: "vethtmq0",
        mac: "0a:58:0a:d9:00:02",
      };
      const ref = "tmqcid01-eth0";
      await setupSpoofCheck(ids, { run: fw.run });
      assertEquals(fw.take(), ["nft"]);
      const table = (await fw.nft("list", "table", "bridge", "nat")).split("\n").map((l) =>
        l.trim()
      ).filter((l) => l !== "" && l !== "}");
      assertEquals(table, [
        "table bridge nat {",
        "chain PREROUTING {",
        "type filter hook prerouting priority dstnat; policy accept;",
        `iifname "vethtmq0" jump cni-br-iface-${ref} comment "macspoofchk-${ref}"`,
        `chain cni-br-iface-${ref} {`,
        `jump cni-br-iface-${ref}-mac comment "macspoofchk-${ref}"`,
        `chain cni-br-iface-${ref}-mac {`,
        `ether saddr 0a:58:0a:d9:00:02 return comment "macspoofchk-${ref}"`,
        `drop comment "macspoofchk-${ref}"`,
      ]);
      await teardownSpoofCheck(ids.containerId, ids.ifName, { run: fw.run });
      assertEquals(fw.take(), ["nft", "nft"]);
      assertEquals(
        (await fw.nft("list", "table", "bridge", "nat")).split("\n").map((l) => l.trim())
          .filter((l) => l.includes("macspoofchk") || l.includes("cni-br-iface")),
        [],
      );
      // Nothing left: still no error.
      await teardownSpoofCheck(ids.containerId, ids.ifName, { run: fw.run });
    });
  },
});

Deno.test({
  ...gated("teardownIPMasq() errors are CniErrors naming the tool command", NEEDS_ROOT),
  async fn() {
    await withFw(async (fw) => {
      await setupIPMasq("iptables", ["10.217.0.2/24"], IDS, { run: fw.run });
      const failing: ToolRunner = (cmd, args, options) =>
        cmd === "iptables-restore"
          ? Promise.resolve({ code: 4, stdout: "", stderr: "iptables-restore: boom" })
          : fw.run(cmd, args, options);
      let caught: unknown;
      try {
        await teardownIPMasq(["10.217.0.2/24"], IDS, { run: failing });
      } catch (err) {
        caught = err;
      }
      assert(caught instanceof CniError, String(caught));
      assertEquals(caught.code, 999);
      assertEquals(
        caught.msg,
        "running [iptables-restore -w --noflush]: exit status 4: iptables-restore: boom",
      );
    });
  },
});

Deno.test({
  ...gated(
    "8 in-process ADDs with ipMasq at once, then 8 DELs: exact rules, then none of ours",
    NEEDS_ROOT,
  ),
  async fn() {
    const n = 8;
    const run = await inSandbox(
      `"$DENO" run --quiet -A tests/helpers/masq_parallel.ts ${n} tmqpar tmqparbr`,
    );
    assertEquals(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as {
      addresses: string[];
      natAfterAdd: string[];
      natAfterDel: string[];
      addTools: string[];
      delTools: string[];
      errors: string[];
    };
    assertEquals(out.errors, []);
    assertEquals(new Set(out.addresses).size, n);
    const expected: string[] = [...POLICIES];
    const chains: string[] = [];
    const jumps: string[] = [];
    const rules: string[] = [];
    for (const [i, address] of out.addresses.entries()) {
      const cid = `mqpar${i}`;
      const chain = await ipMasqChainName("tmqpar", cid);
      const q = `"name: \\"tmqpar\\" id: \\"${cid}\\""`;
      chains.push(`-N ${chain}`);
      jumps.push(
        `-A POSTROUTING -s ${
          address.replace(/\/24$/, "/32")
        } -m comment --comment ${q} -j ${chain}`,
      );
      rules.push(
        `-A ${chain} -d 10.216.0.0/24 -m comment --comment ${q} -j ACCEPT\n` +
          `-A ${chain} ! -d 224.0.0.0/4 -m comment --comment ${q} -j MASQUERADE`,
      );
    }
    // iptables -S lists chains sorted by name, rules per chain in order; jump order varies.
    const sortedChains = chains.map((c, i) => [c, rules[i]!] as const).sort((a, b) =>
      a[0] < b[0] ? -1 : 1
    );
    const got = out.natAfterAdd;
    assertEquals(got.slice(0, 4 + n), [...expected, ...sortedChains.map(([c]) => c)]);
    assertEquals(got.slice(4 + n, 4 + 2 * n).sort(), jumps.sort());
    assertEquals(got.slice(4 + 2 * n).join("\n"), sortedChains.map(([, r]) => r).join("\n"));
    assertEquals(out.natAfterDel, POLICIES);
    // Usually one restore per ADD and one restore plus one nft list per DEL; a restore
    // refused because of a concurrent change costs a read and a retry, never more.
    assertEquals(out.addTools.filter((t) => t !== "iptables-restore" && t !== "iptables"), []);
    assert(out.addTools.length >= n && out.addTools.length <= 3 * n, out.addTools.join(" "));
    assertEquals(out.delTools.filter((t) => t === "nft").length, n);
    assert(out.delTools.length >= 2 * n && out.delTools.length <= 4 * n, out.delTools.join(" "));
  },
});

Deno.test({
  ...gated(
    "gcIPMasq() iptables: one read and one restore remove the stale containers' rules",
    NEEDS_ROOT,
  ),
  async fn() {
    await withFw(async (fw) => {
      const keep = { ...IDS, containerId: "tmqkeep1" };
      await setupIPMasq("iptables", ["10.217.0.2/24"], IDS, { run: fw.run });
      await setupIPMasq("iptables", ["10.217.0.3/24"], keep, { run: fw.run });
      const kept = (await fw.nat()).filter((l) => l.includes("tmqkeep1") || l.startsWith("-N"))
        .filter((l) => !l.includes(CHAIN));
      fw.take();
      await gcIPMasq(IDS.network, [{ containerID: keep.containerId, ifname: "eth0" }], {
        run: fw.run,
      });
      assertEquals(fw.take(), ["ip6tables", "iptables", "iptables-restore", "nft"]);
      assertEquals(await fw.nat(), [...POLICIES, ...kept]);
    });
  },
});

Deno.test({
  ...gated(
    "a failed ADD with ipMasq removes the masquerade rules it started and the lease",
    NEEDS_ROOT,
  ),
  async fn() {
    const run = await inSandbox(
      `"$DENO" run --quiet -A tests/helpers/masq_rollback.ts tmqrb tmqrbbr`,
    );
    assertEquals(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { error: string; natAfter: string[]; leases: string[] };
    assert(out.error.includes("tmqrbbr"), out.error);
    assertEquals(out.natAfter, POLICIES);
    assertEquals(out.leases, []);
  },
});

Deno.test({
  ...gated(
    "teardownIPMasq() without addresses finds the iptables rules by chain and comment",
    NEEDS_ROOT,
  ),
  async fn() {
    await withFw(async (fw) => {
      const other = { ...IDS, containerId: "tmqother" };
      await setupIPMasq("iptables", ["10.217.0.2/24", "fd00:217::2/64"], IDS, { run: fw.run });
      await setupIPMasq("iptables", ["10.217.0.3/24"], other, { run: fw.run });
      const others = (await fw.nat()).filter((l) => !l.includes(CHAIN));
      fw.take();
      await teardownIPMasq([], IDS, { run: fw.run });
      // one read and one restore per family, and nft's list
      assertEquals(fw.take(), [
        "ip6tables",
        "ip6tables-restore",
        "iptables",
        "iptables-restore",
        "nft",
      ]);
      assertEquals(await fw.nat(), others);
      assertEquals(await fw.nat("ip6tables"), POLICIES);
      // nothing left: reads only
      await teardownIPMasq([], IDS, { run: fw.run });
      assertEquals(fw.take(), ["ip6tables", "iptables", "nft"]);
    });
  },
});

for (const backend of ["iptables", "nftables"]) {
  Deno.test({
    ...gated(
      `bridge DEL (${backend}) removes masquerade with interface and lease gone, ` +
        "and everything despite an unparsable prevResult",
      NEEDS_ROOT,
    ),
    async fn() {
      const run = await inSandbox(
        `"$DENO" run --quiet -A tests/helpers/bridge_del_gone.ts ${backend} tmqdg tmqdgbr`,
      );
      assertEquals(run.code, 0, run.stderr);
      const out = JSON.parse(run.stdout);
      assertEquals(out.addErrors, ["", ""]);
      const added = backend === "iptables" ? out.afterAdd.nat.length : out.afterAdd.nft.length;
      assertEquals(added, backend === "iptables" ? 8 : 4, JSON.stringify(out.afterAdd));
      assertEquals(out.afterAdd.leases.length, 4);
      // `gone`: a plain DEL succeeds and leaves none of that container's rules
      assertEquals(out.goneError, "");
      const rules = (o: Record<string, string[]>) => [...o.nat!, ...o.nat6!, ...o.nft!];
      const goneLeft = rules(out.afterGone);
      assertEquals(goneLeft.filter((l: string) => l.includes("bdggone")), []);
      // the other container's rules are untouched
      const bad = (l: string) => l.includes("bdgbad");
      assertEquals(goneLeft.filter(bad), rules(out.afterAdd).filter(bad));
      // `badprev`: the DEL succeeds and removes veth, leases and rules
      assertEquals(out.badError, "");
      assertEquals(out.afterBad, { nat: [], nat6: [], nft: [], veths: [], leases: [] });
    },
  });
}
