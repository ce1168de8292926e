import { assertEquals, assertRejects } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import type { ToolRunner } from "../../firewall/exec.ts";
import { parseCidr } from "../../ip/mod.ts";
import { gcIPMasq, setupIPMasq, teardownIPMasq } from "./ipmasq.ts";
import { ipMasqChainName, ipMasqComment, iptablesSetupLines } from "./ipmasq_iptables.ts";
import { iptablesUsable } from "../../firewall/support.ts";

const IDS = { network: "mynet", ifName: "eth0", containerId: "abc123" };
const CHAIN = "CNI-70a29d9dc18bc4d652ea5d59";
const COMMENT = 'name: "mynet" id: "abc123"';
const Q = '"name: \\"mynet\\" id: \\"abc123\\""';
const V4 = {
  multicast: "224.0.0.0/4",
  cidrs: [parseCidr("10.1.0.2/16")!, parseCidr("10.2.0.3/24")!],
};

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

Deno.test("teardownIPMasq(): one restore per family and one nft listing for the usual state", async () => {
  const f = fakeRunner('{"nftables":[]}', [0, 0]);
  await teardownIPMasq(["10.1.0.2/16", "fd00::2/64"], IDS, { run: f.run });
  assertEquals(f.calls.sort(), [
    "ip6tables-restore -w --noflush",
    "iptables-restore -w --noflush",
    "nft -j list chain inet cni_plugins_masquerade masq_checks",
  ]);
});

Deno.test("teardownIPMasq() without addresses reads both families and removes by owner", async () => {
  const listing = `-N ${CHAIN}
-A POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}
`;
  const scripts: string[] = [];
  const f = fakeRunner(listing, [0, 0]);
  const run: ToolRunner = (cmd, args, options) => {
    if (cmd.endsWith("-restore")) scripts.push(`${cmd}<<${options?.stdin}`);
    return cmd === "nft"
      ? Promise.resolve({ code: 0, stdout: '{"nftables":[]}', stderr: "" })
      : f.run(cmd, args, options);
  };
  await teardownIPMasq([], IDS, { run });
  assertEquals(f.calls.filter((c) => !c.includes("restore")).sort(), [
    "ip6tables -w -t nat -S",
    "iptables -w -t nat -S",
  ]);
  assertEquals(scripts.sort(), [
    `ip6tables-restore<<*nat\n-D POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}\n-F ${CHAIN}\n-X ${CHAIN}\nCOMMIT\n`,
    `iptables-restore<<*nat\n-D POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}\n-F ${CHAIN}\n-X ${CHAIN}\nCOMMIT\n`,
  ]);
});

Deno.test("setupIPMasq() nftables: the listing, then one transaction", async () => {
  const f = fakeRunner('{"nftables":[]}', []);
  await setupIPMasq("nftables", ["10.1.0.2/16"], IDS, { run: f.run });
  assertEquals(f.calls, [
    "nft -j list chain inet cni_plugins_masquerade masq_checks",
    "nft -f -",
  ]);
});

Deno.test("ipMasqComment() is the comment the iptables rules carry", () => {
  assertEquals(ipMasqComment(IDS.network, IDS.containerId), COMMENT);
});

Deno.test("gcIPMasq(): per usable backend, one read and one restore of the stale rules", async () => {
  const gone = 'name: "mynet" id: "gone"';
  const chain = await ipMasqChainName("mynet", "gone");
  const listing = `-N ${chain}
-A POSTROUTING -s 10.1.0.3/32 -m comment --comment "name: \\"mynet\\" id: \\"gone\\"" -j ${chain}
-A POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}
`;
  const f = fakeRunner(listing, [0, 0]);
  const run: ToolRunner = (cmd, args, options) =>
    cmd === "nft"
      ? Promise.resolve({ code: 0, stdout: '{"nftables":[]}', stderr: "" })
      : f.run(cmd, args, options);
  await gcIPMasq("mynet", [{ containerID: "abc123", ifname: "eth0" }], { run });
  // The backends a GC looks at are the ones usable on this host (the reference's probes).
  const want = (await iptablesUsable())
    ? [
      "iptables -w -t nat -S",
      "iptables-restore -w --noflush",
      "ip6tables -w -t nat -S",
      "ip6tables-restore -w --noflush",
    ]
    : [];
  assertEquals(f.calls, want);
  assertEquals(ipMasqComment("mynet", "gone"), gone);
});
