import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import type { RouteInfo } from "../../netlink/mod.ts";
import { addressesFor, copiesRoute, firstFreeTable, hostPrefix } from "./plan.ts";
import { loadSbrConf } from "./config.ts";

Deno.test("addressesFor() keeps the interface's addresses and those without an index", () => {
  const prev = {
    cniVersion: "1.1.0",
    interfaces: [{ name: "veth1" }, { name: "eth0", sandbox: "/x" }, { name: "net1" }],
    ips: [
      { address: "10.0.0.2/24", interface: 1 },
      { address: "10.0.1.2/24", interface: 2 },
      { address: "10.0.2.2/24" },
      { address: "10.0.3.2/24", interface: 9 },
    ],
  };
  assertEquals(addressesFor("eth0", prev).map((i) => i.address), [
    "10.0.0.2/24",
    "10.0.2.2/24",
    "10.0.3.2/24",
  ]);
  const err = assertThrows(() => addressesFor("eth0", { cniVersion: "1.1.0" }), CniError);
  assertEquals([err.code, err.msg], [999, "No IP addresses supplied on interface: eth0"]);
});

Deno.test("firstFreeTable() skips tables in use", () => {
  assertEquals(firstFreeTable(new Set(), 100), 100);
  assertEquals(firstFreeTable(new Set([100, 101, 103]), 100), 102);
  assertEquals(firstFreeTable(new Set([100, 101, 103]), 103), 104);
});

Deno.test("hostPrefix() is the address alone", () => {
  assertEquals(hostPrefix("10.1.2.3/24"), "10.1.2.3/32");
  assertEquals(hostPrefix("fd00::3/64"), "fd00::3/128");
});

Deno.test("copiesRoute() takes routes whose source or gateway is in the subnet, or neither", () => {
  const r = (x: Partial<RouteInfo>): RouteInfo => ({
    family: 4,
    dst: "0.0.0.0/0",
    scope: 0,
    table: 254,
    protocol: 3,
    type: 1,
    ...x,
  });
  assertEquals(copiesRoute("10.1.2.3/24", r({ gw: "10.1.2.1" })), true);
  assertEquals(copiesRoute("10.1.2.3/24", r({ src: "10.1.2.3", dst: "10.1.2.1/32" })), true);
  assertEquals(copiesRoute("10.1.2.3/24", r({ dst: "10.1.2.0/24" })), true);
  assertEquals(copiesRoute("10.1.2.3/24", r({ gw: "10.9.9.1" })), false);
  assertEquals(copiesRoute("10.1.2.3/24", r({ family: 6, gw: "fd00::1", dst: "::/0" })), false);
});

Deno.test("loadSbrConf() reads table, gateways and addSourceHints, and checks gateways first", () => {
  const base = { cniVersion: "1.0.0", name: "n", type: "sbr" };
  assertEquals(loadSbrConf(base), {
    name: "n",
    cniVersion: "1.0.0",
    table: undefined,
    gatewayV4: undefined,
    gatewayV6: undefined,
    addSourceHints: false,
  });
  const c = loadSbrConf({
    ...base,
    table: 0,
    gateways: ["fd00::0:1", "10.0.0.1"],
    addSourceHints: true,
  });
  assertEquals([c.table, c.gatewayV4, c.gatewayV6, c.addSourceHints], [
    0,
    "10.0.0.1",
    "fd00::1",
    true,
  ]);
  const many = assertThrows(
    () => loadSbrConf({ ...base, gateways: ["10.0.0.1", "10.0.0.2", "fd00::1"] }),
    CniError,
  );
  assertEquals(many.code, 7);
  assertEquals(
    many.msg,
    "gateways list cannot contain more than 2 entries (one IPv4, one IPv6); gateways list contains multiple IPv4 addresses: 10.0.0.1 and 10.0.0.2",
  );
  assertThrows(
    () => loadSbrConf({ ...base, gateways: ["nope"] }),
    CniError,
    "invalid static gateway IP address: nope",
  );
  assertThrows(() => loadSbrConf({ ...base, table: -1 }), CniError, 'field "table"');
  assertEquals(
    loadSbrConf({ ...base, gateways: ["nope"] }, { lenient: true }).gatewayV4,
    undefined,
  );
});
