import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import { setDns } from "../_iface/config.ts";
import { loadPtpConf } from "./config.ts";

const base = { cniVersion: "1.0.0", name: "n", type: "ptp", ipam: { type: "host-local" } };

Deno.test("loadPtpConf() defaults and reads every key", () => {
  assertEquals(loadPtpConf(base), {
    name: "n",
    cniVersion: "1.0.0",
    ipMasq: false,
    ipMasqBackend: undefined,
    mtu: 0,
    ipamType: "host-local",
    dns: undefined,
  });
  const full = loadPtpConf({
    ...base,
    ipMasq: true,
    ipMasqBackend: "nftables",
    mtu: 1400,
    dns: { nameservers: ["10.0.0.53"], domain: "" },
  });
  assertEquals(
    [full.ipMasq, full.ipMasqBackend, full.mtu, full.dns],
    [true, "nftables", 1400, { nameservers: ["10.0.0.53"] }],
  );
});

Deno.test("loadPtpConf() names a bad field with code 7; lenient drops it", () => {
  const err = assertThrows(() => loadPtpConf({ ...base, mtu: 20 }), CniError);
  assertEquals(err.code, 7);
  assertEquals(err.msg.startsWith('failed to load netconf: field "mtu"'), true);
  assertThrows(() => loadPtpConf({ ...base, ipMasqBackend: "pf" }), CniError, "ipMasqBackend");
  assertEquals(loadPtpConf({ ...base, mtu: "big", ipMasq: true }, { lenient: true }).mtu, 0);
});

Deno.test("loadPtpConf() ignores prevResult (ADD does not need it)", () => {
  assertEquals(loadPtpConf({ ...base, prevResult: "not a result" }).ipamType, "host-local");
});

Deno.test("setDns() keeps only the fields that are set", () => {
  assertEquals(setDns(undefined), undefined);
  assertEquals(setDns({ nameservers: [], domain: "" }), { nameservers: [] });
  assertEquals(setDns({ domain: "" }), undefined);
  assertEquals(setDns({ search: ["a"], options: ["ndots:2"] }), {
    search: ["a"],
    options: ["ndots:2"],
  });
});
