import { assert, assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import { cidrContains, parseCidr, parseIp } from "../../ip/mod.ts";
import type { CmdArgs } from "../../cni/plugin.ts";
import type { NetConf } from "../../cni/types.ts";
import { loadStaticConf } from "./config.ts";
import { cmdAdd, cmdCheck, plugin } from "./commands.ts";

function conf(ipam: unknown, extra: Record<string, unknown> = {}, version = "1.0.0"): NetConf {
  return { cniVersion: version, name: "n", type: "bridge", ipam, ...extra } as NetConf;
}

function call(config: NetConf, cniArgs = "", command: "ADD" | "CHECK" = "ADD"): CmdArgs {
  return {
    command,
    containerId: "c1",
    netns: "/run/netns/x",
    ifName: "eth0",
    args: cniArgs,
    path: "",
    stdinData: new TextEncoder().encode(JSON.stringify(config)),
    config,
  };
}

function fails(config: NetConf, cniArgs: string, msg: string): void {
  const err = assertThrows(() => loadStaticConf(config, cniArgs), CniError);
  assertEquals([err.code, err.msg], [7, msg]);
}

const BASE = {
  type: "static",
  addresses: [{ address: "10.10.0.1/24", gateway: "10.10.0.254" }, {
    address: "3ffe:ffff:0:01ff::1/64",
  }],
  routes: [{ dst: "0.0.0.0/0" }, { dst: "10.9.0.1/16", gw: "10.10.0.1", mtu: 1400 }],
  dns: { nameservers: ["8.8.8.8"], search: [], domain: "" },
};

Deno.test("cmdAdd() reports addresses (host bits kept), routes and only the dns fields set", () => {
  assertEquals(cmdAdd(call(conf(BASE))), {
    cniVersion: "1.1.0",
    ips: [{ address: "10.10.0.1/24", gateway: "10.10.0.254" }, {
      address: "3ffe:ffff:0:1ff::1/64",
    }],
    routes: [{ dst: "0.0.0.0/0" }, { dst: "10.9.0.1/16", gw: "10.10.0.1", mtu: 1400 }],
    dns: { nameservers: ["8.8.8.8"] },
  });
  // Zero addresses is allowed; IPv4-mapped text prints as IPv4, as Go's IPNet.String does.
  assertEquals(cmdAdd(call(conf({}))), { cniVersion: "1.1.0", dns: {} });
  assertEquals(
    cmdAdd(
      call(conf({ addresses: [{ address: "::ffff:10.1.1.1/120", gateway: "::ffff:10.1.1.2" }] })),
    )
      .ips,
    [{ address: "10.1.1.1/24", gateway: "10.1.1.2" }],
  );
});

Deno.test("loadStaticConf() appends CNI_ARGS IP=, GATEWAY= sets only those addresses (last match wins)", () => {
  const c = loadStaticConf(
    conf({ addresses: [{ address: "10.10.0.1/24" }] }),
    "IP= 10.10.0.5/24 ,fd00::5/64,10.10.9.5/24;GATEWAY=10.10.0.9, 10.10.0.8,fd00::1",
  );
  assertEquals(
    cmdAdd(
      call(
        conf({ addresses: [{ address: "10.10.0.1/24" }] }),
        "IP= 10.10.0.5/24 ,fd00::5/64,10.10.9.5/24;GATEWAY=10.10.0.9, 10.10.0.8,fd00::1",
      ),
    ).ips,
    [
      { address: "10.10.0.1/24" },
      { address: "10.10.0.5/24", gateway: "10.10.0.8" },
      { address: "fd00::5/64", gateway: "fd00::1" },
      { address: "10.10.9.5/24" },
    ],
  );
  assertEquals(c.addresses.length, 4);
  // Empty values are ignored.
  assertEquals(loadStaticConf(conf({}), "IP=;GATEWAY=").addresses, []);
});

Deno.test("loadStaticConf() lets args.cni.ips replace everything and runtimeConfig.ips replace that", () => {
  const ipam = { addresses: [{ address: "10.1.1.1/24", gateway: "10.9.9.9" }] };
  const args = { args: { cni: { ips: ["10.2.2.2/24"] } } };
  const runtime = { runtimeConfig: { ips: ["10.3.3.3/24", "fd00::5/64"] } };
  assertEquals(cmdAdd(call(conf(ipam, args), "IP=10.4.4.4/24")).ips, [{ address: "10.2.2.2/24" }]);
  assertEquals(
    cmdAdd(call(conf(ipam, { ...args, ...runtime }), "GATEWAY=10.3.3.1")).ips,
    [{ address: "10.3.3.3/24" }, { address: "fd00::5/64" }],
  );
  // Empty lists replace nothing; a bad configured address is not read once replaced.
  assertEquals(
    cmdAdd(call(conf(ipam, { args: { cni: { ips: [] } }, runtimeConfig: { ips: null } }))).ips,
    [{ address: "10.1.1.1/24", gateway: "10.9.9.9" }],
  );
  assertEquals(
    cmdAdd(call(conf({ addresses: [{ address: "bad" }] }, runtime))).ips?.length,
    2,
  );
});

Deno.test("loadStaticConf() refuses bad input with the reference's messages, code 7", () => {
  fails({ cniVersion: "1.0.0", name: "n", type: "x" }, "", "IPAM config missing 'ipam' key");
  fails(conf(null), "", "IPAM config missing 'ipam' key");
  fails(
    conf({ addresses: [{ address: "10.10.0.1" }] }),
    "",
    "the 'address' field is expected to be in CIDR notation, got: '10.10.0.1'",
  );
  fails(
    conf({ addresses: [{}] }),
    "",
    "the 'address' field is expected to be in CIDR notation, got: ''",
  );
  for (const bad of ["10.1.1.1/33", "010.1.1.1/24", "10.1.1.1/-1", "fd00::1/129"]) {
    fails(
      conf({ addresses: [{ address: bad }] }),
      "",
      `the 'address' field is expected to be in CIDR notation, got: '${bad}'`,
    );
  }
  fails(
    conf({ addresses: [{ address: "10.1.1.1/24", gateway: "foo" }] }),
    "",
    "invalid IP address: foo",
  );
  fails(conf({ routes: [{ dst: "10.0.0.0" }] }), "", "invalid CIDR address: 10.0.0.0");
  fails(conf({ routes: [{ dst: "10.0.0.0/8", gw: "x" }] }), "", "invalid IP address: x");
  fails(
    conf({}),
    "IP=10.120.3.7",
    "the 'ip' field is expected to be in CIDR notation, got: '10.120.3.7'",
  );
  fails(conf({}), "IP=10.1.1.5/24,", "the 'ip' field is expected to be in CIDR notation, got: ''");
  fails(conf({}), "GATEWAY=foo", "invalid gateway address: foo");
  fails(conf({}), "ip=1", 'ARGS: unknown args ["ip=1"]');
  fails(conf({}), "MAC=x", 'ARGS: unknown args ["MAC=x"]');
  assertEquals(loadStaticConf(conf({}), "IgnoreUnknown=1;MAC=x").addresses, []);
  fails(
    conf({}, { args: { cni: { ips: ["10.2.2.2"] } } }),
    "",
    "an entry in the 'ips' field is NOT in CIDR notation, got: '10.2.2.2'",
  );
  fails(
    conf({ addresses: [{ address: "10.1.1.1/24" }, { address: "10.1.1.2/24" }] }, {}, "0.2.0"),
    "",
    "CNI version 0.2.0 does not support more than 1 address per family",
  );
  // One per family is fine below 0.3.0.
  assertEquals(
    loadStaticConf(
      conf({ addresses: [{ address: "10.1.1.1/24" }, { address: "fd::2/64" }] }, {}, "0.2.0"),
      "",
    ).addresses.length,
    2,
  );
  const typed = assertThrows(
    () => loadStaticConf(conf({ addresses: {} }), ""),
    CniError,
  );
  assertEquals(typed.code, 7);
  assert(typed.msg.includes("ipam.addresses"), typed.msg);
  const ips = assertThrows(
    () => loadStaticConf(conf({}, { runtimeConfig: { ips: "10.1.1.1/24" } }), ""),
    CniError,
  );
  assert(ips.msg.includes("runtimeConfig.ips"), ips.msg);
});

Deno.test("cidrContains() follows Go's IPNet.Contains across families and mapped forms", () => {
  const c = (s: string) => parseCidr(s)!;
  const ip = (s: string) => parseIp(s)!;
  assert(cidrContains(c("10.1.1.9/24"), ip("10.1.1.200")));
  assert(!cidrContains(c("10.1.1.9/24"), ip("10.1.2.1")));
  assert(cidrContains(c("10.1.1.9/23"), ip("10.1.0.1")));
  assert(cidrContains(c("10.1.1.9/0"), ip("192.0.2.1")));
  assert(!cidrContains(c("10.1.1.9/24"), ip("fd00::1")));
  assert(cidrContains(c("::ffff:10.1.1.1/120"), ip("10.1.1.7")));
  assert(cidrContains(c("10.1.1.1/24"), ip("::ffff:10.1.1.7")));
  assert(cidrContains(c("fd00::1/64"), ip("fd00::ffff")));
  assert(!cidrContains(c("fd00::1/65"), ip("fd00::8000:0:0:1")));
  assert(!cidrContains(c("fd00::1/64"), ip("10.1.1.1")));
});

Deno.test("cmdCheck() needs prevResult and a configured gateway where the address appears", () => {
  const ipam = { addresses: [{ address: "10.10.0.1/24", gateway: "10.10.0.254" }] };
  const prev = (gateway?: string) => ({
    prevResult: {
      cniVersion: "1.1.0",
      ips: [{ address: "10.10.0.1/24", ...(gateway ? { gateway } : {}) }],
    },
  });
  const missing = assertThrows(() => cmdCheck(call(conf(ipam), "", "CHECK")), CniError);
  assertEquals([missing.code, missing.msg], [999, "Required prevResult missing"]);
  cmdCheck(call(conf(ipam, prev("10.10.0.254")), "", "CHECK"));
  for (const gw of ["10.10.0.1", undefined]) {
    const err = assertThrows(() => cmdCheck(call(conf(ipam, prev(gw)), "", "CHECK")), CniError);
    assertEquals(err.msg, "static: Failed to match addr 10.10.0.1 on interface eth0");
  }
  // An address absent from prevResult passes; no configured gateway passes.
  cmdCheck(
    call(
      conf({ addresses: [{ address: "10.10.9.1/24", gateway: "10.10.9.254" }] }, prev()),
      "",
      "CHECK",
    ),
  );
  cmdCheck(call(conf({ addresses: [{ address: "10.10.0.1/24" }] }, prev()), "", "CHECK"));
  // The configuration is validated first.
  const bad = assertThrows(
    () => cmdCheck(call(conf({ addresses: [{ address: "x" }] }, prev()), "", "CHECK")),
    CniError,
  );
  assertEquals(bad.code, 7);
});

Deno.test("plugin: DEL succeeds without reading the config; about and versions", async () => {
  await plugin.del(call({ cniVersion: "1.0.0", name: "n", type: "x" } as NetConf), {} as never);
  assertEquals(plugin.about, "CNI static plugin denocni");
  assertEquals(plugin.supportedVersions.at(-1), "1.1.0");
  await plugin.add(call(conf({ addresses: [{ address: "x" }] })), {} as never).then(
    () => assert(false, "ADD must fail"),
    (err) => assertEquals((err as CniError).code, 7),
  );
});
