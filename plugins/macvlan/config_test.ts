import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import type { NetConf } from "../../cni/types.ts";
import { loadMacvlanConf, macvlanMode } from "./config.ts";

function conf(extra: Record<string, unknown>): NetConf {
  return { cniVersion: "1.0.0", name: "n", type: "macvlan", ...extra } as NetConf;
}

function fails(fn: () => unknown, code = 999): string {
  const err = assertThrows(fn, CniError);
  assertEquals(err.code, code, err.msg);
  return err.msg;
}

Deno.test("loadMacvlanConf() defaults: bridge mode, no master (the default route's), L2", () => {
  assertEquals(loadMacvlanConf(conf({}), ""), {
    master: "",
    mode: "bridge",
    mtu: 0,
    linkInContainer: false,
    ipamType: "",
    dns: {},
  });
  assertEquals(loadMacvlanConf(conf({ ipam: {} }), "").ipamType, "");
});

Deno.test("loadMacvlanConf() reads every key", () => {
  assertEquals(
    loadMacvlanConf(
      conf({
        master: "eth1",
        mode: "passthru",
        mtu: 1400,
        mac: "C2-00-00-00-00-01",
        linkInContainer: true,
        bcqueuelen: 300,
        ipam: { type: "host-local" },
        dns: { nameservers: ["10.0.0.53"], search: [] },
      }),
      "",
    ),
    {
      master: "eth1",
      mode: "passthru",
      mtu: 1400,
      mac: "c2:00:00:00:00:01",
      linkInContainer: true,
      bcQueueLen: 300,
      ipamType: "host-local",
      dns: { nameservers: ["10.0.0.53"], search: [] },
    },
  );
});

Deno.test("loadMacvlanConf() MAC precedence: runtimeConfig > CNI_ARGS MAC > mac", () => {
  const mac = (n: number) => `c2:00:00:00:00:0${n}`;
  assertEquals(loadMacvlanConf(conf({ mac: mac(1) }), "").mac, mac(1));
  assertEquals(loadMacvlanConf(conf({ mac: mac(1) }), `MAC=${mac(2)}`).mac, mac(2));
  assertEquals(
    loadMacvlanConf(conf({ mac: mac(1), runtimeConfig: { mac: mac(3) } }), `MAC=${mac(2)}`).mac,
    mac(3),
  );
  // No args.cni.mac for macvlan (the reference has none).
  assertEquals(loadMacvlanConf(conf({ args: { cni: { mac: mac(4) } } }), "").mac, undefined);
});

Deno.test("loadMacvlanConf() refuses with the reference's words and code", () => {
  assertEquals(fails(() => loadMacvlanConf(conf({ mode: "x" }), "")), 'unknown macvlan mode: "x"');
  assertEquals(
    fails(() => loadMacvlanConf(conf({ mode: "source" }), "")),
    'unknown macvlan mode: "source"',
  );
  assertEquals(
    fails(() => loadMacvlanConf(conf({ mac: "zz" }), "")),
    "invalid args zz for MAC addr: address zz: invalid MAC address",
  );
  assertEquals(
    fails(() => loadMacvlanConf(conf({}), "MAC=01:00:00:00:00:01")),
    "invalid args 01:00:00:00:00:01 for MAC addr: not a unicast address (the kernel refuses " +
      "multicast and all-zero device addresses)",
  );
  assertEquals(
    fails(() => loadMacvlanConf(conf({ mtu: "x" }), "")),
    'failed to load netconf: field "mtu": expected number, got string',
  );
  assertEquals(
    fails(() => loadMacvlanConf(conf({ bcqueuelen: -1 }), "")),
    'failed to load netconf: field "bcqueuelen": must be between 0 and 4294967295',
  );
  // CNI_ARGS errors come from the shared parser (code 7).
  assertEquals(
    fails(() => loadMacvlanConf(conf({}), "FOO=1"), 7),
    'ARGS: unknown args ["FOO=1"]',
  );
  assertEquals(loadMacvlanConf(conf({}), "IgnoreUnknown=1;FOO=1").mac, undefined);
});

Deno.test("loadMacvlanConf() lenient (DEL): bad values read as not given", () => {
  const c = loadMacvlanConf(
    conf({ mode: "x", mtu: "x", mac: "zz", ipam: { type: "host-local" } }),
    "FOO=1",
    { lenient: true },
  );
  assertEquals([c.mode, c.mtu, c.mac, c.ipamType], ["bridge", 0, undefined, "host-local"]);
});

Deno.test("macvlanMode() maps the reference's names; empty is bridge", () => {
  assertEquals(["", "bridge", "private", "vepa", "passthru"].map(macvlanMode), [
    "bridge",
    "bridge",
    "private",
    "vepa",
    "passthru",
  ]);
  fails(() => macvlanMode("toString"));
});
