import { assertEquals, assertRejects } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import type { ToolRunner } from "../../firewall/exec.ts";
import {
  setupSpoofCheck,
  spoofCheckNames,
  spoofCheckSetupTransaction,
  teardownSpoofCheck,
} from "./spoofcheck.ts";

Deno.test("spoofCheckNames() follows the reference naming", () => {
  assertEquals(spoofCheckNames("abc", "eth0"), {
    refId: "abc-eth0",
    ifaceChain: "cni-br-iface-abc-eth0",
    macChain: "cni-br-iface-abc-eth0-mac",
    comment: "macspoofchk-abc-eth0",
  });
});

Deno.test("spoofCheckSetupTransaction() declares then fills the chains in one batch", () => {
  const batch = spoofCheckSetupTransaction({
    containerId: "abc",
    ifName: "eth0",
    hostIface: "veth01020304",
    mac: "0a:00:00:00:00:01",
  });
  assertEquals(batch.nftables.length, 10);
  const declare = { nftables: batch.nftables.slice(0, 4) };
  const rules = { nftables: batch.nftables.slice(4) };
  assertEquals(declare.nftables.map((c) => Object.keys((c as { add: object }).add)[0]), [
    "table",
    "chain",
    "chain",
    "chain",
  ]);
  assertEquals(declare.nftables[1], {
    add: {
      chain: {
        family: "bridge",
        table: "nat",
        name: "PREROUTING",
        type: "filter",
        hook: "prerouting",
        prio: -300,
        policy: "accept",
      },
    },
  });
  assertEquals(rules.nftables.length, 6);
  assertEquals(rules.nftables[4], {
    add: {
      rule: {
        family: "bridge",
        table: "nat",
        chain: "cni-br-iface-abc-eth0-mac",
        expr: [
          {
            match: {
              op: "==",
              left: { payload: { protocol: "ether", field: "saddr" } },
              right: "0a:00:00:00:00:01",
            },
          },
          { return: null },
        ],
        comment: "macspoofchk-abc-eth0",
      },
    },
  });
});

/** A fake `nft`: answers each call with the next of `codes` (0 by default), recording it. */
function fakeNft(listing: unknown, codes: { code: number; stderr?: string }[]) {
  const calls: string[] = [];
  const run: ToolRunner = (cmd, args, options) => {
    calls.push([cmd, ...args].join(" ") + (options?.stdin ? `<<${options.stdin}` : ""));
    if (args.includes("list")) {
      return Promise.resolve({ code: 0, stdout: JSON.stringify(listing), stderr: "" });
    }
    const next = codes.shift() ?? { code: 0 };
    return Promise.resolve({ code: next.code, stdout: "", stderr: next.stderr ?? "" });
  };
  return { run, calls };
}

const JUMP = {
  rule: {
    family: "bridge",
    table: "nat",
    chain: "PREROUTING",
    handle: 12,
    comment: "macspoofchk-abc-eth0",
    expr: [],
  },
};
const OTHER = { rule: { ...JUMP.rule, handle: 13, comment: "macspoofchk-abd-eth0" } };

Deno.test("setupSpoofCheck(): one nft -j -f - batch; a refusal names the command", async () => {
  const ids = { containerId: "abc", ifName: "eth0", hostIface: "veth1", mac: "0a:00:00:00:00:01" };
  const ok = fakeNft({}, []);
  await setupSpoofCheck(ids, { run: ok.run });
  assertEquals(ok.calls, [
    `nft -j -f -<<${JSON.stringify(spoofCheckSetupTransaction(ids))}`,
  ]);
  const bad = fakeNft({}, [{ code: 1, stderr: "Error: Could not process rule" }]);
  const err = await assertRejects(() => setupSpoofCheck(ids, { run: bad.run }), CniError);
  assertEquals(err.code, 999);
  assertEquals(
    err.msg,
    "failed to setup spoof-check: running [nft -j -f -]: exit status 1: Error: Could not process rule",
  );
});

Deno.test("teardownSpoofCheck(): the listing and one batch deleting the jump and both chains", async () => {
  const f = fakeNft({ nftables: [JUMP, OTHER] }, []);
  await teardownSpoofCheck("abc", "eth0", { run: f.run });
  assertEquals(f.calls.length, 2);
  assertEquals(f.calls[0], "nft -j list chain bridge nat PREROUTING");
  assertEquals(JSON.parse(f.calls[1]!.split("<<")[1]!), {
    nftables: [
      { delete: { rule: { family: "bridge", table: "nat", chain: "PREROUTING", handle: 12 } } },
      { delete: { chain: { family: "bridge", table: "nat", name: "cni-br-iface-abc-eth0" } } },
      { delete: { chain: { family: "bridge", table: "nat", name: "cni-br-iface-abc-eth0-mac" } } },
    ],
  });
});

Deno.test("teardownSpoofCheck(): a refused batch goes piece by piece; absent chains are fine", async () => {
  const missing = { code: 1, stderr: "Error: No such file or directory" };
  const f = fakeNft({ nftables: [JUMP] }, [missing, { code: 0 }, missing, { code: 0 }]);
  await teardownSpoofCheck("abc", "eth0", { run: f.run });
  assertEquals(f.calls.length, 5);
  const g = fakeNft({ nftables: [] }, [missing, { code: 1, stderr: "Error: busy" }, missing]);
  const err = await assertRejects(
    () => teardownSpoofCheck("abc", "eth0", { run: g.run }),
    CniError,
  );
  assertEquals(g.calls.length, 4);
  assertEquals(
    err.msg,
    "failed to delete regular chains: running [nft -j -f -]: exit status 1: Error: busy",
  );
});
