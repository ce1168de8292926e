import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import type { NetConf } from "../../cni/types.ts";
import { loadDummyConf } from "./config.ts";

function conf(extra: Record<string, unknown>): NetConf {
  return { cniVersion: "1.0.0", name: "n", type: "dummy", ...extra } as NetConf;
}

Deno.test("loadDummyConf() requires an IPAM type, except leniently (DEL)", () => {
  assertEquals(loadDummyConf(conf({ ipam: { type: "static" } })), { ipamType: "static" });
  for (const extra of [{}, { ipam: {} }, { ipam: null }, { ipam: { type: "" } }]) {
    const err = assertThrows(() => loadDummyConf(conf(extra)), CniError);
    assertEquals([err.code, err.msg], [999, "dummy interface requires an IPAM configuration"]);
    assertEquals(loadDummyConf(conf(extra), { lenient: true }), { ipamType: "" });
  }
  const bad = assertThrows(() => loadDummyConf(conf({ ipam: { type: 5 } })), CniError);
  assertEquals(bad.msg, 'failed to load netconf: field "ipam.type": expected string, got number');
});
