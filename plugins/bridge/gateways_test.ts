import type { Result } from "../../cni/types.ts";
import { assertEquals } from "../../tests/helpers/assert.ts";
import { calcGateways } from "./gateways.ts";

Deno.test("calcGateways() sets interface 2, fills gateways, adds one default route per family", () => {
  const r: Result = {
    cniVersion: "1.0.0",
    ips: [
      { address: "10.1.0.5/24" },
      { address: "10.2.0.5/16", gateway: "10.2.0.254" },
      { address: "fd00::5/64", gateway: "fd00::1" },
    ],
  };
  const gws = calcGateways(r, { isGateway: true, isDefaultGateway: true });
  assertEquals(r.ips, [
    { interface: 2, address: "10.1.0.5/24", gateway: "10.1.0.1" },
    { interface: 2, address: "10.2.0.5/16", gateway: "10.2.0.254" },
    { interface: 2, address: "fd00::5/64", gateway: "fd00::1" },
  ]);
  assertEquals(r.routes, [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }, { dst: "::/0", gw: "fd00::1" }]);
  assertEquals(gws.v4.gws, ["10.1.0.1/24", "10.2.0.254/16"]);
  assertEquals(gws.v6.gws, ["fd00::1/64"]);
});

Deno.test("calcGateways() keeps an IPAM default route that has a gw", () => {
  const r: Result = {
    cniVersion: "1.0.0",
    ips: [{ address: "10.1.0.5/24", gateway: "10.1.0.1" }],
    routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.9" }],
  };
  calcGateways(r, { isGateway: true, isDefaultGateway: true });
  assertEquals(r.routes, [{ dst: "0.0.0.0/0", gw: "10.1.0.9" }]);
});

Deno.test("calcGateways() appends a default route next to a gw-less one (reference quirk)", () => {
  const r: Result = {
    cniVersion: "1.0.0",
    ips: [{ address: "10.1.0.5/24", gateway: "10.1.0.1" }],
    routes: [{ dst: "0.0.0.0/0" }],
  };
  calcGateways(r, { isGateway: true, isDefaultGateway: true });
  assertEquals(r.routes, [{ dst: "0.0.0.0/0" }, { dst: "0.0.0.0/0", gw: "10.1.0.1" }]);
});

Deno.test("calcGateways() without isGateway leaves gateways and routes alone", () => {
  const r: Result = { cniVersion: "1.0.0", ips: [{ address: "10.1.0.5/24" }] };
  const gws = calcGateways(r, { isGateway: false, isDefaultGateway: false });
  assertEquals(r.ips, [{ interface: 2, address: "10.1.0.5/24" }]);
  assertEquals(r.routes, undefined);
  assertEquals(gws.v4.gws, []);
});
