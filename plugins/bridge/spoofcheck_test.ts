import { assertEquals } from "../../tests/helpers/assert.ts";
import { spoofCheckNames, spoofCheckSetupTransaction } from "./spoofcheck.ts";

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
