import { CniError } from "../../cni/errors.ts";
import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { collectVlanTrunk, loadBridgeConf } from "./config.ts";

const BASE = { cniVersion: "1.0.0", name: "n", type: "bridge" };

Deno.test("loadBridgeConf() applies the reference defaults", () => {
  const c = loadBridgeConf(BASE, "");
  assertEquals(
    {
      brName: c.brName,
      isGateway: c.isGateway,
      ipMasq: c.ipMasq,
      mtu: c.mtu,
      vlan: c.vlan,
      preserveDefaultVlan: c.preserveDefaultVlan,
      hasVlanTrunk: c.hasVlanTrunk,
      ipamType: c.ipamType,
      mac: c.mac,
      dns: c.dns,
      ipMasqBackend: c.ipMasqBackend,
    },
    {
      brName: "cni0",
      isGateway: false,
      ipMasq: false,
      mtu: 0,
      vlan: 0,
      preserveDefaultVlan: false,
      hasVlanTrunk: false,
      ipamType: "",
      mac: undefined,
      dns: undefined,
      ipMasqBackend: undefined,
    },
  );
});

Deno.test("loadBridgeConf() isDefaultGateway forces isGateway", () => {
  const c = loadBridgeConf({ ...BASE, isDefaultGateway: true }, "");
  assertEquals([c.isGateway, c.isDefaultGateway], [true, true]);
});

/** Every option with a wrong type or value, and the field the error must name. */
const BAD: [Record<string, unknown>, string, string][] = [
  [{ bridge: 5 }, "bridge", "expected string"],
  [{ bridge: "a/b" }, "bridge", "valid interface name"],
  [{ bridge: "0123456789abcdefg" }, "bridge", "valid interface name"],
  [{ isGateway: "true" }, "isGateway", "expected boolean"],
  [{ isDefaultGateway: 1 }, "isDefaultGateway", "expected boolean"],
  [{ forceAddress: "yes" }, "forceAddress", "expected boolean"],
  [{ ipMasq: "true" }, "ipMasq", "expected boolean"],
  [{ ipMasqBackend: "ipfw" }, "ipMasqBackend", `"iptables", "nftables"`],
  [{ ipMasqBackend: 3 }, "ipMasqBackend", "expected one of"],
  [{ mtu: "1500" }, "mtu", "expected number"],
  [{ mtu: 1500.5 }, "mtu", "expected int"],
  [{ mtu: -1 }, "mtu", "between 68 and 65535"],
  [{ mtu: 70000 }, "mtu", "between 68 and 65535"],
  [{ hairpinMode: "on" }, "hairpinMode", "expected boolean"],
  [{ promiscMode: 0 }, "promiscMode", "expected boolean"],
  [{ vlan: 5000 }, "vlan", "invalid VLAN ID (must be between 0 and 4094)"],
  [{ vlan: -2 }, "vlan", "invalid VLAN ID"],
  [{ vlan: "10" }, "vlan", "expected number"],
  [{ vlanTrunk: { id: 5 } }, "vlanTrunk", "expected array"],
  [{ vlanTrunk: [{ id: "5" }] }, "vlanTrunk[0].id", "expected number"],
  [{ vlanTrunk: [{ id: 0 }] }, "vlanTrunk[0]", "incorrect trunk id parameter"],
  [{ vlanTrunk: [{ id: 4095 }] }, "vlanTrunk[0]", "incorrect trunk id parameter"],
  [{ vlanTrunk: [{ minID: 5 }] }, "vlanTrunk[0]", "maxID is missing"],
  [{ vlanTrunk: [{ id: 3 }, { maxID: 5 }] }, "vlanTrunk[1]", "minID is missing"],
  [{ vlanTrunk: [{ minID: 0, maxID: 5 }] }, "vlanTrunk[0]", "incorrect trunk minID parameter"],
  [{ vlanTrunk: [{ minID: 1, maxID: 5000 }] }, "vlanTrunk[0]", "incorrect trunk maxID parameter"],
  [{ vlanTrunk: [{ minID: 9, maxID: 5 }] }, "vlanTrunk[0]", "minID is greater than maxID"],
  [{ preserveDefaultVlan: "false" }, "preserveDefaultVlan", "expected boolean"],
  [{ enabledad: 1 }, "enabledad", "expected boolean"],
  [{ macspoofchk: "true" }, "macspoofchk", "expected boolean"],
  [{ disableContainerInterface: 1 }, "disableContainerInterface", "expected boolean"],
  [{ portIsolation: "true" }, "portIsolation", "expected boolean"], // the cni.dev doc's example
  [{ ipam: "host-local" }, "ipam", "expected object"],
  [{ ipam: { type: 5 } }, "ipam.type", "expected string"],
  [{ dns: { nameservers: "1.1.1.1" } }, "dns.nameservers", "expected array"],
  [{ args: { cni: { mac: "zz:00:00:00:00:01" } } }, "args.cni.mac", "invalid MAC address"],
  [{ runtimeConfig: { mac: "0a:58:0a" } }, "runtimeConfig.mac", "invalid MAC address"],
  [{ runtimeConfig: { mac: "01:00:5e:00:00:01" } }, "runtimeConfig.mac", "must be unicast"],
  [{ runtimeConfig: { mac: 7 } }, "runtimeConfig.mac", "expected string"],
  [
    { disableContainerInterface: true, ipam: { type: "host-local" } },
    "disableContainerInterface",
    "cannot use IPAM when DisableContainerInterface flag is set",
  ],
  [
    { hairpinMode: true, promiscMode: true },
    "promiscMode",
    "cannot set hairpin mode and promiscuous mode at the same time",
  ],
  [
    { bridge: "bridge01234567", vlan: 100, isGateway: true },
    "vlan",
    `"bridge01234567.100" is longer than 15 bytes`,
  ],
];

for (const [patch, field, text] of BAD) {
  Deno.test(`loadBridgeConf() refuses ${JSON.stringify(patch)} with code 7 naming "${field}"`, () => {
    const err = assertThrows(() => loadBridgeConf({ ...BASE, ...patch }, ""), CniError);
    assertEquals(err.code, 7);
    if (!err.msg.includes(`field "${field}"`) || !err.msg.includes(text)) {
      throw new Error(`message does not name ${field} / ${text}: ${err.msg}`);
    }
    if (!err.msg.startsWith("failed to load netconf: ")) throw new Error(err.msg);
  });
}

Deno.test("loadBridgeConf() reports every bad field at once", () => {
  const err = assertThrows(
    () => loadBridgeConf({ ...BASE, mtu: "x", vlan: 9999, ipMasq: 1 }, ""),
    CniError,
  );
  for (const f of ["mtu", "vlan", "ipMasq"]) {
    if (!err.msg.includes(`field "${f}"`)) throw new Error(err.msg);
  }
});

Deno.test("loadBridgeConf() accepts null ipMasqBackend and vlanTrunk as unset", () => {
  const c = loadBridgeConf({ ...BASE, ipMasqBackend: null, vlanTrunk: null }, "");
  assertEquals([c.ipMasqBackend, c.hasVlanTrunk], [undefined, false]);
});

Deno.test("loadBridgeConf() an empty vlanTrunk still counts as present", () => {
  const c = loadBridgeConf({ ...BASE, vlanTrunk: [] }, "");
  assertEquals([c.hasVlanTrunk, c.vlanTrunk], [true, []]);
});

Deno.test("collectVlanTrunk() sorts and de-duplicates ranges and ids", () => {
  const t = collectVlanTrunk([{ minID: 5, maxID: 7 }, { id: 3 }, { id: 6, minID: 10, maxID: 10 }]);
  assertEquals(t, { vids: [3, 5, 6, 7, 10], problems: [] });
});

Deno.test("loadBridgeConf() MAC precedence: runtimeConfig > args.cni > CNI_ARGS", () => {
  const env = "IgnoreUnknown=1;MAC=0a:00:00:00:00:01;K8S_POD_NAME=x";
  assertEquals(loadBridgeConf(BASE, env).mac, "0a:00:00:00:00:01");
  assertEquals(
    loadBridgeConf({ ...BASE, args: { cni: { mac: "0A-00-00-00-00-02" } } }, env).mac,
    "0a:00:00:00:00:02",
  );
  assertEquals(
    loadBridgeConf({
      ...BASE,
      args: { cni: { mac: "0a:00:00:00:00:02" } },
      runtimeConfig: { mac: "0a:00:00:00:00:03" },
    }, env).mac,
    "0a:00:00:00:00:03",
  );
});

Deno.test("loadBridgeConf() reads CNI_ARGS as types.LoadArgs does (the reference's messages, code 7)", () => {
  // The reference bridge 1.1.1 prints these messages (with code 999, its catch-all).
  for (
    const [cniArgs, msg] of [
      ["MAC", 'ARGS: invalid pair "MAC"'],
      ["MAC=a=b", 'ARGS: invalid pair "MAC=a=b"'],
      ["A=1;B=2", 'ARGS: unknown args ["A=1" "B=2"]'],
      ["=1", 'ARGS: unknown args ["=1"]'],
      ["mac=0a:00:00:00:00:01", 'ARGS: unknown args ["mac=0a:00:00:00:00:01"]'],
      [
        "IgnoreUnknown=x",
        'ARGS: error parsing value of pair "IgnoreUnknown=x": boolean unmarshal error: invalid input x',
      ],
    ]
  ) {
    const err = assertThrows(() => loadBridgeConf(BASE, cniArgs!), CniError);
    assertEquals([err.code, err.msg], [7, msg], cniArgs);
  }
  assertEquals(
    loadBridgeConf(BASE, "IgnoreUnknown=true;A=1;MAC=0a:00:00:00:00:04").mac,
    "0a:00:00:00:00:04",
  );
  assertEquals(loadBridgeConf(BASE, "").mac, undefined);
});

Deno.test("loadBridgeConf() lenient (DEL) ignores bad CNI_ARGS", () => {
  assertEquals(loadBridgeConf(BASE, "MAC", { lenient: true }).mac, undefined);
  assertEquals(loadBridgeConf(BASE, "A=1", { lenient: true }).mac, undefined);
  assertEquals(loadBridgeConf(BASE, "MAC=nope", { lenient: true }).mac, undefined);
});

Deno.test("loadBridgeConf() a bad CNI_ARGS MAC is code 7", () => {
  const err = assertThrows(() => loadBridgeConf(BASE, "MAC=nope"), CniError);
  assertEquals(err.code, 7);
  assertEquals(err.msg, 'failed to load netconf: CNI_ARGS "MAC": invalid MAC address "nope"');
});

Deno.test("loadBridgeConf() keeps netconf dns only when a field is set", () => {
  assertEquals(loadBridgeConf({ ...BASE, dns: {} }, "").dns, undefined);
  assertEquals(loadBridgeConf({ ...BASE, dns: { domain: "x" } }, "").dns, { domain: "x" });
});

/** Every optional key of the bridge netconf, as the reference's NetConf declares them. */
const BRIDGE_OPTIONAL = [
  "type",
  "bridge",
  "isGateway",
  "isDefaultGateway",
  "forceAddress",
  "ipMasq",
  "ipMasqBackend",
  "mtu",
  "hairpinMode",
  "promiscMode",
  "vlan",
  "vlanTrunk",
  "preserveDefaultVlan",
  "enabledad",
  "macspoofchk",
  "disableContainerInterface",
  "portIsolation",
  "ipam",
  "dns",
  "args",
  "runtimeConfig",
  "prevResult",
  "cni.dev/valid-attachments",
];

Deno.test("loadBridgeConf() reads JSON null as absent for every optional field", () => {
  const defaults = loadBridgeConf(BASE, "");
  for (const key of BRIDGE_OPTIONAL) {
    assertEquals(loadBridgeConf({ ...BASE, [key]: null }, ""), defaults, key);
  }
  const all = Object.fromEntries(BRIDGE_OPTIONAL.map((k) => [k, null]));
  assertEquals(loadBridgeConf({ ...BASE, ...all }, ""), defaults);
  // nested optional fields too
  const nested = loadBridgeConf({
    ...BASE,
    ipam: { type: null },
    dns: { nameservers: null, domain: null, search: null, options: null },
    args: { cni: { mac: null } },
    runtimeConfig: { mac: null },
    vlanTrunk: [{ id: 5, minID: null, maxID: null }],
  }, "");
  assertEquals([nested.ipamType, nested.dns, nested.mac, nested.vlanTrunk], [
    "",
    undefined,
    undefined,
    [
      5,
    ],
  ]);
  // null is not a licence for nonsense: a wrong type still fails and names the field
  assertThrows(() => loadBridgeConf({ ...BASE, mtu: "1500" }, ""), CniError, 'field "mtu"');
});

Deno.test("loadBridgeConf() lenient (DEL) reads bad fields as absent and skips cross checks", () => {
  const bad = {
    ...BASE,
    bridge: "br-del0",
    ipMasq: true,
    mtu: "big",
    vlan: 9999,
    vlanTrunk: [{ minID: 5 }],
    hairpinMode: true,
    promiscMode: true,
    dns: { nameservers: "1.1.1.1" },
    ipam: { type: "host-local", subnet: 5 },
    runtimeConfig: { mac: "zz" },
  };
  assertThrows(() => loadBridgeConf(bad, "FOO=bar"), CniError);
  const c = loadBridgeConf(bad, "FOO=bar", { lenient: true });
  assertEquals(
    [c.brName, c.ipMasq, c.mtu, c.vlan, c.ipamType, c.dns, c.mac],
    ["br-del0", true, 0, 0, "host-local", undefined, undefined],
  );
});
