import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { ifbDeviceName, isZero, loadBandwidthConf } from "./config.ts";
import { CniError } from "../../cni/errors.ts";
import type { NetConf } from "../../cni/types.ts";

function conf(extra: Record<string, unknown>): NetConf {
  return { cniVersion: "1.0.0", name: "net1", type: "bandwidth", ...extra };
}

const ZERO = { ingressRate: 0, ingressBurst: 0, egressRate: 0, egressBurst: 0 };

Deno.test("loadBandwidthConf() reads top-level limits, else the bandwidth capability", () => {
  assertEquals(loadBandwidthConf(conf({})), {
    name: "net1",
    cniVersion: "1.0.0",
    bandwidth: undefined,
  });
  assertEquals(
    loadBandwidthConf(conf({ ingressRate: 1000, ingressBurst: 80 })).bandwidth,
    { ...ZERO, ingressRate: 1000, ingressBurst: 80 },
  );
  const runtime = { runtimeConfig: { bandwidth: { egressRate: 5000, egressBurst: 800 } } };
  assertEquals(loadBandwidthConf(conf(runtime)).bandwidth, {
    ...ZERO,
    egressRate: 5000,
    egressBurst: 800,
  });
  assertEquals(
    loadBandwidthConf(conf({ runtimeConfig: { bandwidth: null } })).bandwidth,
    undefined,
  );
  assertEquals(loadBandwidthConf(conf({ runtimeConfig: {} })).bandwidth, undefined);
});

Deno.test("loadBandwidthConf() lets any top-level key, even 0 or null, mask runtimeConfig", () => {
  const runtime = { runtimeConfig: { bandwidth: { ingressRate: 1000, ingressBurst: 80 } } };
  assertEquals(loadBandwidthConf(conf({ ...runtime, ingressRate: 0 })).bandwidth, ZERO);
  assertEquals(loadBandwidthConf(conf({ ...runtime, egressBurst: null })).bandwidth, ZERO);
});

Deno.test("loadBandwidthConf() checks rate and burst pairs with the reference's texts (code 999)", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ ingressRate: 1000 }, "if rate is set, burst must also be set"],
    [{ ingressBurst: 1000 }, "if burst is set, rate must also be set"],
    [{ egressRate: 1000 }, "if rate is set, burst must also be set"],
    [{ egressBurst: 1, egressRate: 0 }, "if burst is set, rate must also be set"],
    [{ ingressRate: 1, ingressBurst: 8 * 0xffffffff }, "burst cannot be more than 4GB"],
    [
      { runtimeConfig: { bandwidth: { egressRate: 1, egressBurst: 8 * 0xffffffff + 7 } } },
      "burst cannot be more than 4GB",
    ],
  ];
  for (const [extra, msg] of cases) {
    const err = assertThrows(() => loadBandwidthConf(conf(extra)), CniError);
    assertEquals([err.code, err.msg], [999, msg], JSON.stringify(extra));
  }
  // Just below 4 GB is accepted.
  assertEquals(
    loadBandwidthConf(conf({ ingressRate: 1, ingressBurst: 8 * 0xffffffff - 1 })).bandwidth
      ?.ingressBurst,
    8 * 0xffffffff - 1,
  );
});

Deno.test("loadBandwidthConf() refuses non-uint64 values as Go's JSON decoder words it", () => {
  const prefix = "failed to parse network configuration: json: cannot unmarshal";
  const cases: [Record<string, unknown>, string][] = [
    [{ ingressRate: -1 }, "number -1 into Go struct field PluginConf.ingressRate of type uint64"],
    [{ ingressRate: "5" }, "string into Go struct field PluginConf.ingressRate of type uint64"],
    [{ egressBurst: 1.5 }, "number 1.5 into Go struct field PluginConf.egressBurst of type uint64"],
    [{ egressRate: true }, "bool into Go struct field PluginConf.egressRate of type uint64"],
    [
      { runtimeConfig: { bandwidth: { ingressRate: "x" } } },
      "string into Go struct field BandwidthEntry.runtimeConfig.bandwidth.ingressRate of type uint64",
    ],
    [{ ingressRate: 2 ** 64 }, `number ${2 ** 64} into Go struct field PluginConf.ingressRate`],
  ];
  for (const [extra, tail] of cases) {
    const err = assertThrows(() => loadBandwidthConf(conf(extra)), CniError);
    assertEquals(err.code, 999);
    assertEquals(err.msg.startsWith(`${prefix} ${tail}`), true, err.msg);
  }
  const rc = assertThrows(() => loadBandwidthConf(conf({ runtimeConfig: [] })), CniError);
  assertEquals(
    rc.msg.startsWith(`${prefix} array into Go struct field PluginConf.runtimeConfig`),
    true,
  );
});

Deno.test("isZero() is true only when all four limits are 0", () => {
  assertEquals(isZero(ZERO), true);
  assertEquals(isZero({ ...ZERO, egressBurst: 1 }), false);
});

Deno.test("ifbDeviceName() is bwp + 12 hex of SHA-512(network + container ID), as the reference", async () => {
  // Observed from the reference 1.1.1 binary (plugins-more.md §4.2).
  assertEquals(await ifbDeviceName("rnnet", "rnc1"), "bwpcb4af05a74fc");
  assertEquals((await ifbDeviceName("rnnet", "rnc2")).length, 15);
  assertEquals(await ifbDeviceName("rn", "netrnc1"), await ifbDeviceName("rnnet", "rnc1"));
});
