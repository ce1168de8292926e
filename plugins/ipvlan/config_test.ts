import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import type { NetConf } from "../../cni/types.ts";
import { ipvlanMode, loadIpvlanConf } from "./config.ts";

function conf(extra: Record<string, unknown>): NetConf {
  return { cniVersion: "1.0.0", name: "n", type: "ipvlan", ...extra } as NetConf;
}

function fails(fn: () => unknown): string {
  const err = assertThrows(fn, CniError);
  assertEquals(err.code, 999, err.msg);
  return err.msg;
}

Deno.test("loadIpvlanConf() defaults: l2, no master (the default route's)", () => {
  assertEquals(loadIpvlanConf(conf({})), {
    master: "",
    mode: "l2",
    mtu: 0,
    linkInContainer: false,
    ipamType: "",
    dns: {},
  });
});

Deno.test("loadIpvlanConf() reads every key", () => {
  const c = loadIpvlanConf(conf({
    master: "eth1",
    mode: "l3s",
    mtu: 9000,
    linkInContainer: true,
    ipam: { type: "static" },
    dns: { domain: "example.org" },
  }));
  assertEquals(c, {
    master: "eth1",
    mode: "l3s",
    mtu: 9000,
    linkInContainer: true,
    ipamType: "static",
    dns: { domain: "example.org" },
  });
});

Deno.test("loadIpvlanConf() chained: the master is the previous result's single interface", () => {
  const prevResult = {
    cniVersion: "1.0.0",
    interfaces: [{ name: "ens5" }],
    ips: [{ address: "10.0.0.2/24", interface: 0 }],
  };
  const c = loadIpvlanConf(conf({ prevResult }));
  assertEquals(c.master, "ens5");
  assertEquals(c.prevResult?.ips, [{ address: "10.0.0.2/24", interface: 0 }]);
  // A configured master wins.
  assertEquals(loadIpvlanConf(conf({ master: "eth9", prevResult })).master, "eth9");
  for (const interfaces of [[], [{ name: "a" }, { name: "b" }], [{ name: "" }]]) {
    assertEquals(
      fails(() => loadIpvlanConf(conf({ prevResult: { cniVersion: "1.0.0", interfaces } }))),
      "chained master failure. PrevResult lacks a single named interface",
    );
  }
});

Deno.test("ipvlanMode() and bad modes", () => {
  assertEquals(["", "l2", "l3", "l3s"].map(ipvlanMode), ["l2", "l2", "l3", "l3s"]);
  assertEquals(fails(() => loadIpvlanConf(conf({ mode: "l4" }))), 'unknown ipvlan mode: "l4"');
  assertEquals(loadIpvlanConf(conf({ mode: "l4" }), { lenient: true }).mode, "l2");
});
