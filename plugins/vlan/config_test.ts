import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import type { NetConf } from "../../cni/types.ts";
import { loadVlanConf } from "./config.ts";

function conf(extra: Record<string, unknown>): NetConf {
  return { cniVersion: "1.0.0", name: "n", type: "vlan", ...extra } as NetConf;
}

function fails(fn: () => unknown): string {
  const err = assertThrows(fn, CniError);
  assertEquals(err.code, 999, err.msg);
  return err.msg;
}

Deno.test("loadVlanConf() reads every key; vlanId 0 and 4094 are accepted", () => {
  assertEquals(
    loadVlanConf(
      conf({
        master: "eth0",
        vlanId: 4094,
        mtu: 1400,
        linkInContainer: true,
        ipam: { type: "static" },
      }),
    ),
    {
      master: "eth0",
      vlanId: 4094,
      mtu: 1400,
      linkInContainer: true,
      ipamType: "static",
      dns: {},
    },
  );
  assertEquals(loadVlanConf(conf({ master: "eth0" })).vlanId, 0);
});

Deno.test("loadVlanConf() refuses a missing master and an id outside 0-4094", () => {
  assertEquals(
    fails(() => loadVlanConf(conf({ vlanId: 5 }))),
    '"master" field is required. It specifies the host interface name to create the VLAN for',
  );
  for (const id of [-1, 4095, 70000]) {
    assertEquals(
      fails(() => loadVlanConf(conf({ master: "eth0", vlanId: id }))),
      `invalid VLAN ID ${id} (must be between 0 and 4094 inclusive)`,
    );
  }
  assertEquals(
    fails(() => loadVlanConf(conf({ master: "eth0", vlanId: "5" }))),
    'failed to load netconf: field "vlanId": expected number, got string',
  );
});

Deno.test("loadVlanConf() lenient (DEL): no master needed, bad values ignored", () => {
  const c = loadVlanConf(conf({ vlanId: 9999, mtu: "x", ipam: { type: "host-local" } }), {
    lenient: true,
  });
  assertEquals([c.master, c.mtu, c.ipamType], ["", 0, "host-local"]);
});
