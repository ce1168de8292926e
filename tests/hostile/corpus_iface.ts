/**
 * The malformed-input corpus for the interface plugins ptp, macvlan, ipvlan, vlan,
 * host-device, dummy, sbr and vrf: their config fields (`master` that does not exist, is too
 * long or no name at all; unknown `mode`s; MTUs above the master's, negative or huge; VLAN ids
 * outside 0..4094; bad MACs from the config, `runtimeConfig` and `CNI_ARGS`;
 * `linkInContainer`, `bcqueuelen`; host-device's `device`, `hwaddr`, `kernelpath` (climbing
 * out of /sys), `pciBusID` and `runtimeConfig.deviceID`; sbr's and vrf's `table`, sbr's
 * `gateways` and `addSourceHints`, vrf's `vrfname`; ptp's `ipMasq`, `ipMasqBackend`, `dns`), `ipam` missing, empty or of the wrong
 * type, `null` for every optional key (it means absent, as Go's decoder reads it), the common
 * fields and variables, and DEL and CHECK after a real ADD.
 *
 * macvlan, ipvlan and vlan get a master (`@MASTER@`: a veth made in the case's host namespace,
 * also its default route); host-device a device to move (`@DEV@`, another veth). sbr and vrf
 * are chained: the runner attaches the case's namespace with our bridge first
 * (`PREV_RESULT`). ipvlan, vlan, dummy and vrf need link kinds a kernel may lack: their cases
 * run everywhere (the configuration errors come before the kernel), and the corpus test checks
 * the "no kernel support" answer instead of success where the kind is missing
 * (`KERNEL_KINDS` in corpus.ts).
 *
 * @module
 */
import {
  baseConf,
  DELETE,
  type Expect,
  type Json,
  type Mutation,
  patch,
  type PluginName,
  PRIOR_RESULT,
} from "./corpus.ts";
import type { CaseBuilder } from "./corpus_meta.ts";
import {
  BACKEND_CHOICE,
  c4,
  c7,
  c8,
  c999,
  CLEAN,
  CTRL,
  FAILS,
  LONG,
  MTU_NOT_A_NUMBER,
  NAME_HOSTILE,
  OK,
  PREV_UNREADABLE_DEL,
  VERSION_UNSPOKEN,
} from "./expect.ts";

/** Mutations of a boolean field, with the code the plugin types its config errors with. */
function boolBad(code: Expect): Mutation[] {
  return [
    ["string", "true", code],
    ["number", 1, code],
    ["array", [], code],
    ["object", {}, code],
    ["null", null, OK],
  ];
}

/** An interface name field (a link that must exist, or one to make). */
function linkNameBad(code: Expect): Mutation[] {
  return [
    ["number", 5, code],
    ["array", ["eth0"], code],
    ["missing-link", "hcnosuch0", FAILS],
    ["16-bytes", "hc" + "m".repeat(14), FAILS],
    ["300-chars", LONG, FAILS],
    ["slash", "a/b", FAILS],
    ["dotdot", "..", FAILS],
    ["control", CTRL, FAILS],
    ["space", "a b", FAILS],
  ];
}

/** MTU attacks for a plugin whose MTU must fit under the master's (1500). */
function masterMtuBad(code: Expect): Mutation[] {
  return [
    ["string", "1400", code],
    ["float", 1400.5, code],
    ["bool", true, code],
    ["huge", 1e300, code],
    ["beyond-2^53", 9007199254740993, code],
    ["negative", -1, c999],
    ["int32-min", -2147483648, c999],
    ["above-master", 1600, c999],
    ["int32-max", 2147483647, c999],
    ["1400", 1400, OK],
    ["zero", 0, OK],
    ["null", null, OK],
  ];
}

/** `ipam` of an interface plugin (host-local below it). */
function ipamBad(code: Expect): Mutation[] {
  return [
    ["string", "host-local", code],
    ["number", 5, code],
    ["array", [], code],
    ["type-number", { type: 5 }, code],
    ["type-missing-plugin", { type: "hc-no-such-plugin" }, FAILS],
    ["type-dotdot", { type: "../../../../bin/true" }, FAILS],
    ["type-absolute", { type: "/bin/true" }, FAILS],
    ["subnet-garbage", { type: "host-local", subnet: "garbage", dataDir: "@DATA@" }, FAILS],
  ];
}

function dnsBad(code: Expect): Mutation[] {
  return [
    ["string", "10.99.0.53", code],
    ["nameservers-string", { nameservers: "10.99.0.53" }, code],
    ["nameservers-numbers", { nameservers: [5] }, code],
    ["domain-number", { domain: 5 }, code],
    ["long-strings", { nameservers: [LONG], search: [LONG, CTRL], domain: LONG }, OK],
    ["null", null, OK],
  ];
}

const MACS: Mutation[] = [
  ["garbage", "zz:zz", c999],
  ["too-short", "c2:11:22:33:44", c999],
  ["300-chars", LONG, c999],
  ["number", 5, c999],
  ["valid", "c2:11:22:33:44:55", OK],
  ["empty", "", OK],
  ["null", null, OK],
];

/** The host-local IPAM the base configs use (ours in-process, Go's exec'd). */
const HOST_LOCAL: Json = { type: "host-local", subnet: "10.99.0.0/24", dataDir: "@DATA@" };

/**
 * Adds the cases of the eight interface plugins.
 *
 * @param b The builder of corpus.ts.
 */
export function ifacePluginCases(b: CaseBuilder): void {
  const { add, fieldCases, envCaseFor } = b;

  // ------------------------------------------------------------------------------- ptp
  const pt = "ptp" as const;
  fieldCases(pt, "ipMasq", [...boolBad(c7), ["false", false, OK]]);
  fieldCases(pt, "ipMasqBackend", BACKEND_CHOICE);
  fieldCases(pt, "mtu", [
    ...MTU_NOT_A_NUMBER,
    ["below-68", 67, c7],
    ["above-65535", 65536, c7],
    ["int32-max", 2147483647, c7],
    ["9000", 9000, OK],
    ["zero", 0, OK],
    ["null", null, OK],
  ]);
  fieldCases(pt, "ipam", [...ipamBad(c7), ["null", null, FAILS], ["empty", {}, FAILS]]);
  fieldCases(pt, "ipam.type", [["null", null, FAILS], ["empty", "", FAILS]]);
  fieldCases(pt, "dns", dnsBad(c7));
  fieldCases(pt, "prevResult", [
    ["string", "garbage", CLEAN],
    ["bad-address", { cniVersion: "1.0.0", ips: [{ address: "garbage" }] }, CLEAN],
    ["null", null, OK],
  ]);

  // --------------------------------------------------------------------------- macvlan
  const mv = "macvlan" as const;
  fieldCases(mv, "master", [
    ...linkNameBad(c999),
    ["empty-default-route", "", OK],
    ["null", null, OK],
  ]);
  fieldCases(mv, "mode", [
    ["unknown", "l4", c999],
    ["upper", "BRIDGE", c999],
    ["source", "source", c999],
    ["number", 1, c999],
    ["300-chars", LONG, c999],
    ["private", "private", OK],
    ["vepa", "vepa", OK],
    ["passthru", "passthru", CLEAN],
    ["empty", "", OK],
    ["null", null, OK],
  ]);
  fieldCases(mv, "mtu", masterMtuBad(c999));
  fieldCases(mv, "mac", [
    ...MACS,
    ["multicast", "01:00:5e:00:00:01", CLEAN],
    ["all-zero", "00:00:00:00:00:00", CLEAN],
  ]);
  fieldCases(mv, "runtimeConfig", [
    ["string", "x", c999],
    ["mac-garbage", { mac: "garbage" }, c999],
    ["mac-number", { mac: 5 }, c999],
    ["mac-valid", { mac: "c2:00:00:00:00:07" }, OK],
    ["null", null, OK],
  ]);
  fieldCases(mv, "linkInContainer", [...boolBad(c999), ["true-master-on-host", true, FAILS]]);
  fieldCases(mv, "bcqueuelen", [
    ["negative", -1, c999],
    ["above-uint32", 4294967296, c999],
    ["huge", 1e300, c999],
    ["float", 1.5, c999],
    ["string", "100", c999],
    ["zero", 0, OK],
    ["valid", 100, OK],
    ["null", null, OK],
  ]);
  fieldCases(mv, "ipam", [...ipamBad(c999), ["null-l2-only", null, OK], ["empty-l2-only", {}, OK]]);
  fieldCases(mv, "dns", dnsBad(c999));
  const macArgs = (kind: string, value: string, expect: Expect) =>
    add({
      plugin: mv,
      group: "env",
      field: "CNI_ARGS",
      kind,
      command: "ADD",
      conf: baseConf(mv),
      env: { CNI_ARGS: value },
      expect,
    });
  macArgs("mac-garbage", "MAC=zz", c999);
  macArgs("mac-300-chars", `MAC=${LONG}`, c999);
  macArgs("mac-unknown-key", "MAC=c2:00:00:00:00:09;K=V", CLEAN);
  // host-local reads CNI_ARGS too, and knows no `MAC`: without IgnoreUnknown it refuses it.
  macArgs("mac-valid-without-ignore-unknown", "MAC=c2:00:00:00:00:09", FAILS);
  macArgs("mac-valid-ignore-unknown", "IgnoreUnknown=1;MAC=c2:00:00:00:00:09;K=V", OK);

  // ---------------------------------------------------------------------------- ipvlan
  const iv = "ipvlan" as const;
  fieldCases(iv, "master", [...linkNameBad(c999), ["null", null, OK], ["empty", "", OK]]);
  fieldCases(iv, "mode", [
    ["unknown", "l4", c999],
    ["upper", "L2", c999],
    ["number", 2, c999],
    ["l3", "l3", OK],
    ["l3s", "l3s", OK],
    ["empty", "", OK],
    ["null", null, OK],
  ]);
  fieldCases(iv, "mtu", masterMtuBad(c999));
  fieldCases(iv, "linkInContainer", [...boolBad(c999), ["true-master-on-host", true, FAILS]]);
  fieldCases(iv, "ipam", [...ipamBad(c999), ["null", null, FAILS], ["empty", {}, FAILS]]);
  fieldCases(iv, "dns", dnsBad(c999));
  // Chained ipvlan takes its master from prevResult when `master` is absent.
  fieldCases(iv, "prevResult", [
    ["string", "garbage", FAILS],
    ["no-interfaces", { cniVersion: "1.0.0", ips: [] }, c999],
    ["two-interfaces", {
      cniVersion: "1.0.0",
      interfaces: [{ name: "@MASTER@" }, { name: "hcother0" }],
      ips: [],
    }, c999],
    ["interface-name-number", { cniVersion: "1.0.0", interfaces: [{ name: 5 }] }, FAILS],
  ], { base: patch(baseConf(iv), "master", DELETE) });

  // ------------------------------------------------------------------------------ vlan
  const vl = "vlan" as const;
  fieldCases(vl, "vlanId", [
    ["negative", -1, c999],
    ["4095", 4095, c999],
    ["int32-max", 2147483647, c999],
    ["huge", 1e300, c999],
    ["float", 100.5, c999],
    ["string", "100", c999],
    ["bool", true, c999],
    ["zero", 0, OK],
    ["4094", 4094, OK],
    ["missing", DELETE, OK],
    ["null", null, OK],
  ]);
  fieldCases(vl, "master", [
    ...linkNameBad(c999),
    ["missing", DELETE, c999],
    ["empty", "", c999],
    ["null", null, c999],
  ]);
  fieldCases(vl, "mtu", masterMtuBad(c999));
  fieldCases(vl, "linkInContainer", [...boolBad(c999), ["true-master-on-host", true, FAILS]]);
  fieldCases(vl, "ipam", [...ipamBad(c999), ["null", null, FAILS], ["empty", {}, FAILS]]);
  fieldCases(vl, "dns", dnsBad(c999));

  // ----------------------------------------------------------------------- host-device
  const hd = "host-device" as const;
  const hdNone = patch(baseConf(hd), "device", DELETE);
  fieldCases(hd, "device", [
    ...linkNameBad(c7),
    ["lo", "lo", FAILS],
    ["empty", "", c999],
    ["null", null, c999],
  ]);
  fieldCases(hd, "hwaddr", [
    ["garbage", "zz:zz", FAILS],
    ["number", 5, c7],
    ["absent-mac", "c2:00:00:00:00:99", FAILS],
    ["300-chars", LONG, FAILS],
    ["null", null, c999],
  ], { base: hdNone });
  fieldCases(hd, "kernelpath", [
    ["number", 5, c7],
    ["relative", "sys/class/net/lo", FAILS],
    ["missing", "/sys/devices/hc-no-such", FAILS],
    ["dotdot-out", "/sys/../etc", FAILS],
    ["outside-sys", "@FX@/dir", FAILS],
    ["fifo", "@FX@/fifo", FAILS],
    ["300-chars", `/sys/${LONG}`, FAILS],
    ["null", null, c999],
  ], { base: hdNone });
  fieldCases(hd, "pciBusID", [
    ["number", 5, c7],
    ["garbage", "garbage", FAILS],
    ["dotdot", "../../../etc", FAILS],
    ["missing", "0000:ff:1f.7", FAILS],
    ["300-chars", LONG, FAILS],
    ["null", null, c999],
  ], { base: hdNone });
  fieldCases(hd, "runtimeConfig", [
    ["string", "x", c7],
    ["device-id-number", { deviceID: 5 }, c7],
    ["device-id-garbage", { deviceID: "garbage" }, FAILS],
    ["device-id-dotdot", { deviceID: "../../../etc" }, FAILS],
    ["null", null, c999],
  ], { base: hdNone });
  fieldCases(hd, "ipam", [
    ...ipamBad(c7),
    ["host-local", HOST_LOCAL, OK],
    ["null", null, OK],
    ["empty", {}, OK],
  ]);
  fieldCases(hd, "dns", dnsBad(c7));

  // ----------------------------------------------------------------------------- dummy
  const du = "dummy" as const;
  fieldCases(du, "ipam", [...ipamBad(c999), ["null", null, c999], ["empty", {}, c999]]);
  fieldCases(du, "ipam.type", [["null", null, c999], ["empty", "", c999]]);

  // ------------------------------------------------------------------------------- sbr
  const sb = "sbr" as const;
  fieldCases(sb, "table", [
    ["negative", -1, c7],
    ["above-uint32", 4294967296, c7],
    ["huge", 1e300, c7],
    ["float", 100.5, c7],
    ["string", "100", c7],
    ["bool", true, c7],
    ["valid", 500, OK],
    ["null", null, OK],
  ]);
  fieldCases(sb, "gateways", [
    ["string", "10.99.0.1", c7],
    ["numbers", [5], c7],
    ["garbage", ["garbage"], c7],
    ["cidr", ["10.99.0.1/24"], c7],
    ["two-v4", ["10.99.0.1", "10.99.0.254"], c7],
    ["three", ["10.99.0.1", "fd99::1", "fd99::2"], c7],
    ["300-chars", [LONG], c7],
    ["valid", ["10.99.0.1"], OK],
    ["empty", [], OK],
    ["null", null, OK],
  ]);
  fieldCases(sb, "addSourceHints", [...boolBad(c7), ["true", true, OK]]);
  fieldCases(sb, "prevResult", [
    ["string", "garbage", CLEAN],
    ["number", 5, CLEAN],
    ["bad-address", { cniVersion: "1.0.0", ips: [{ address: "garbage" }] }, CLEAN],
    ["unknown-version", { cniVersion: "9.9.9", ips: [] }, CLEAN],
    ["no-ips", { cniVersion: "1.0.0", ips: [] }, CLEAN],
    ["null", null, FAILS],
    ["missing", DELETE, FAILS],
  ]);

  // ------------------------------------------------------------------------------- vrf
  const vr = "vrf" as const;
  fieldCases(vr, "vrfname", [
    ["number", 5, c7],
    ["missing", DELETE, c999],
    ["empty", "", c999],
    ["null", null, c999],
    ["16-bytes", "hc" + "v".repeat(14), c7],
    ["300-chars", LONG, c7],
    ["slash", "a/b", c7],
    ["space", "a b", c7],
    ["dotdot", "..", c7],
  ]);
  fieldCases(vr, "table", [
    ["negative", -1, c7],
    ["above-uint32", 4294967296, c7],
    ["huge", 1e300, c7],
    ["string", "100", c7],
    ["valid", 100, OK],
    ["null", null, OK],
  ]);
  fieldCases(vr, "prevResult", [
    ["string", "garbage", CLEAN],
    ["bad-address", { cniVersion: "1.0.0", ips: [{ address: "garbage" }] }, CLEAN],
    ["null", null, FAILS],
    ["missing", DELETE, FAILS],
  ]);

  // ------------------------------------------------------------- common, per plugin
  const plugins: PluginName[] = [pt, mv, iv, vl, hd, du, sb, vr];
  for (const plugin of plugins) {
    const chained = plugin === "sbr" || plugin === "vrf";
    fieldCases(plugin, "cniVersion", [
      ...VERSION_UNSPOKEN,
      ["null", null, CLEAN],
    ]);
    fieldCases(plugin, "name", NAME_HOSTILE);
    fieldCases(plugin, "prevResult", PREV_UNREADABLE_DEL, { command: "DEL" });
    const envCase = envCaseFor(plugin);
    envCase("CNI_CONTAINERID", "dotdot", "../hc", c4);
    envCase("CNI_CONTAINERID", "unset", null, c4);
    envCase("CNI_IFNAME", "slash", "a/b", c4);
    envCase("CNI_IFNAME", "16-bytes", "e".repeat(16), c4);
    envCase("CNI_IFNAME", "unset", null, c4);
    envCase("CNI_NETNS", "unset", null, c4);
    envCase("CNI_NETNS", "own-proc-self", "/proc/self/ns/net", c8);
    envCase("CNI_NETNS", "own-del", "/proc/self/ns/net", c8, "DEL");
    envCase("CNI_NETNS", "missing", "@FX@/missing", FAILS);
    envCase("CNI_NETNS", "regular-file", "@FX@/file", FAILS);
    envCase("CNI_NETNS", "missing-del", "@FX@/missing", OK, "DEL");
    envCase("CNI_ARGS", "unknown-key", "K=V", CLEAN);
    envCase("CNI_ARGS", "ignored-unknown-key", "IgnoreUnknown=1;K8S_POD_NAME=x", OK);
    // After a real ADD: CHECK passes, DEL with a garbage or no prevResult cleans up.
    add({
      plugin,
      group: "state",
      field: "check",
      kind: "after-add",
      command: "CHECK",
      conf: chained ? baseConf(plugin) : { ...baseConf(plugin), prevResult: PRIOR_RESULT },
      priorConf: baseConf(plugin),
      setup: ["add-first"],
      expect: OK,
    });
    for (
      const [kind, prev] of [["garbage", "garbage"], ["missing", DELETE]] as [
        string,
        Json | typeof DELETE,
      ][]
    ) {
      add({
        plugin,
        group: "state",
        field: "prevResult",
        kind: `after-add-${kind}`,
        command: "DEL",
        conf: patch(baseConf(plugin), "prevResult", prev),
        priorConf: baseConf(plugin),
        setup: ["add-first"],
        expect: OK,
        defect: "d",
      });
    }
    if (!chained) {
      add({
        plugin,
        group: "state",
        field: "netns",
        kind: "after-add-netns-gone",
        command: "DEL",
        conf: baseConf(plugin),
        priorConf: baseConf(plugin),
        setup: ["add-first", "drop-netns"],
        expect: OK,
        defect: "e",
      });
    }
  }
}
