import { assertEquals } from "../../tests/helpers/assert.ts";
import { spoofCheckNames, spoofCheckSetupTransactions } from "./spoofcheck.ts";

Deno.test("spoofCheckNames() follows the reference naming", () => {
  assertEquals(spoofCheckNames("abc", "eth0"), {
    refId: "abc-eth0",
    ifaceChain: "cni-br-iface-abc-eth0",
    macChain: "cni-br-iface-abc-eth0-mac",
    comment: "macspoofchk-abc-eth0",
  });
});

Deno.test("spoofCheckSetupTransactions() declares then fills the chains", () => {
  const [declare, rules] = spoofCheckSetupTransactions({
    containerId: "abc",
    ifName: "eth0",
    hostIface: "veth01020304",
    mac: "0a:00:00:00:00:01",
  }) as [{ nftables: unknown[] }, { nftables: unknown[] }];
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
