/**
 * The malformed-input corpus for tuning, static, bandwidth, portmap and firewall: their config
 * fields (sysctl keys that climb out of `/proc/sys/net`, huge MTUs, bad MACs, negative queue
 * lengths; bad addresses, routes, DNS and `CNI_ARGS` `IP`/`GATEWAY`; negative, huge and
 * unpaired rates; bad port mappings, conditions and mark bits; unknown backends and policies,
 * admin chain names with blanks, quotes or line breaks), the common fields and variables that
 * each of them reads itself (`prevResult`, `CNI_ARGS`, `CNI_NETNS`, `cniVersion`, `name`), and
 * DEL and CHECK after a real ADD.
 *
 * The chained plugins (tuning, bandwidth, portmap, firewall) get a real `prevResult`: the
 * runner attaches the case's namespace with our bridge plugin first (see `PREV_RESULT`).
 * Cases are added through the builder of corpus.ts, so ids, defaults and the fixtures work the
 * same as for the other plugins.
 *
 * @module
 */
import {
  baseConf,
  type Case,
  DELETE,
  type Expect,
  type Json,
  type Mutation,
  patch,
  type PluginName,
  PREV_RESULT,
} from "./corpus.ts";
import {
  BACKEND_CHOICE,
  c1,
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

/** What corpus.ts hands over to add cases. */
export interface CaseBuilder {
  /** Adds one case (the id is derived when absent). */
  add(c: Omit<Case, "id"> & { id?: string }): void;
  /** Adds one case per mutation of `field` in the plugin's base config (or `options.base`). */
  fieldCases(
    plugin: PluginName,
    field: string,
    mutations: readonly Mutation[],
    options?: { command?: string; base?: Json },
  ): void;
  /** Adds cases of one `CNI_*` variable for `plugin`: `(variable, kind, value, expect, command?)`. */
  envCaseFor(
    plugin: PluginName,
  ): (
    variable: string,
    kind: string,
    value: string | null,
    expect: Expect,
    command?: string,
  ) => void;
}

const BOOL_BAD: Mutation[] = [
  ["string", "true", c7],
  ["number", 1, c7],
  ["array", [], c7],
  ["null", null, OK],
];

/** A chained plugin's `prevResult` under attack (ADD): ours parses it (6), a missing one fails. */
const CHAINED_PREV_BAD: Mutation[] = [
  ["string", "garbage", CLEAN],
  ["number", 5, CLEAN],
  ["array", [], CLEAN],
  ["ips-string", { cniVersion: "1.0.0", ips: "x" }, CLEAN],
  ["bad-address", { cniVersion: "1.0.0", ips: [{ address: "garbage" }] }, CLEAN],
  ["unknown-version", { cniVersion: "9.9.9", ips: [] }, CLEAN],
  ["huge-iface-index", {
    cniVersion: "1.0.0",
    ips: [{ address: "10.99.0.2/24", interface: 1e300 }],
  }, CLEAN],
  ["empty-object", {}, CLEAN],
  ["null", null, FAILS],
];

function mappings(n: number): Json {
  return Array.from({ length: n }, (_, i) => ({
    hostPort: 20000 + i,
    containerPort: 80,
    protocol: "tcp",
  }));
}

function mapping(fields: { [key: string]: Json }): Json {
  return [{ hostPort: 18080, containerPort: 80, protocol: "tcp", ...fields }];
}

/**
 * Adds the cases of the five plugins.
 *
 * @param b The builder of corpus.ts.
 */
export function metaPluginCases(b: CaseBuilder): void {
  const { add, fieldCases, envCaseFor } = b;

  // ---------------------------------------------------------------------------- tuning
  const tu = "tuning" as const;
  fieldCases(tu, "sysctl", [
    ["string", "x", c7],
    ["array", [["net.ipv4.ip_forward", "1"]], c7],
    ["value-number", { "net.ipv4.conf.eth0.arp_notify": 1 }, c7],
    ["value-bool", { "net.ipv4.conf.eth0.arp_notify": true }, c7],
    ["value-null", { "net.ipv4.conf.eth0.arp_notify": null }, c7],
    ["key-kernel", { "kernel.hostname": "hc" }, c7],
    ["key-kernel-slashes", { "kernel/hostname": "hc" }, c7],
    ["key-dotdot-out", { "net/../kernel/hostname": "hc" }, c7],
    ["key-dotdot-in", { "net/ipv4/../ipv4/conf/eth0/arp_notify": "1" }, c7],
    ["key-dotdot-to-fixture", { "net/../../../../../../../@FX@/victim": "hc" }, c7],
    ["key-absolute", { "/proc/sys/net/ipv4/conf/eth0/arp_notify": "1" }, c7],
    ["key-absolute-fixture", { "@FX@/victim": "hc" }, c7],
    ["key-empty", { "": "1" }, c7],
    ["key-net-only", { net: "1" }, c7],
    ["key-double-dot", { "net..ipv4.conf.eth0.arp_notify": "1" }, c7],
    ["key-nul", { "net.ipv4.conf.eth0.arp\u0000notify": "1" }, c7],
    ["key-missing-file", { "net.ipv4.conf.eth0.hc_no_such": "1" }, FAILS],
    ["key-300-chars", { [`net.${LONG}`]: "1" }, FAILS],
    ["key-other-iface", { "net.ipv4.conf.lo.arp_notify": "1" }, OK],
    ["value-not-a-number", { "net.ipv4.conf.eth0.arp_notify": "hc" }, FAILS],
    ["value-100k", { "net.ipv4.conf.eth0.arp_notify": "9".repeat(100_000) }, FAILS],
    ["empty", {}, OK],
    ["null", null, OK],
  ]);
  fieldCases(tu, "mtu", [
    ...MTU_NOT_A_NUMBER,
    ["above-veth-max", 65536, c7],
    ["int32-max", 2147483647, c7],
    ["below-68", 67, c7],
    ["zero", 0, OK],
    ["null", null, OK],
  ]);
  fieldCases(tu, "mac", [
    ["garbage", "zz:zz", c7],
    ["too-short", "c2:11:22:33:44", c7],
    ["eui64", "c2:11:22:33:44:55:66:77", c7],
    ["multicast", "01:00:5e:00:00:01", c7],
    ["broadcast", "ff:ff:ff:ff:ff:ff", c7],
    ["all-zero", "00:00:00:00:00:00", c7],
    ["number", 5, c7],
    ["300-chars", LONG, c7],
    ["control", CTRL, c7],
    ["dashes", "c2-11-22-33-44-55", OK],
    ["dotted", "c211.2233.4455", OK],
    ["empty", "", OK],
    ["null", null, OK],
  ]);
  fieldCases(tu, "promisc", [...BOOL_BAD, ["true", true, OK]]);
  fieldCases(tu, "allmulti", [...BOOL_BAD, ["true", true, OK]]);
  fieldCases(tu, "txQLen", [
    ["negative", -1, c7],
    ["int32-min", -2147483648, c7],
    ["above-uint32", 4294967296, c7],
    ["huge", 1e300, c7],
    ["float", 1.5, c7],
    ["string", "1000", c7],
    ["zero", 0, OK],
    ["valid", 500, OK],
    ["null", null, OK],
  ]);
  fieldCases(tu, "dataDir", [
    ["number", 5, c7],
    ["regular-file", "@FX@/file", FAILS],
    ["fifo", "@FX@/fifo", FAILS],
    ["char-device", "/dev/null", FAILS],
    ["300-char-component", `@GIVEN@/${LONG}`, FAILS],
    ["relative", "rel/tuning", CLEAN],
    ["empty", "", OK],
    ["null", null, OK],
  ]);
  fieldCases(tu, "runtimeConfig", [
    ["string", "x", c7],
    ["mac-garbage", { mac: "garbage" }, c7],
    ["mac-multicast", { mac: "03:00:00:00:00:01" }, c7],
    ["mac-number", { mac: 5 }, c7],
    ["mac-valid", { mac: "c2:00:00:00:00:07" }, OK],
    ["null", null, OK],
  ]);
  fieldCases(tu, "args", [
    ["string", "x", c7],
    ["cni-string", { cni: "x" }, c7],
    ["cni-mtu-negative", { cni: { mtu: -1 } }, c7],
    ["cni-mac-garbage", { cni: { mac: "zz" } }, c7],
    ["cni-sysctl-kernel", { cni: { sysctl: { "kernel.hostname": "hc" } } }, c7],
    ["cni-txqlen-string", { cni: { txQLen: "1" } }, c7],
    ["cni-sysctl-valid", { cni: { sysctl: { "net.ipv4.conf.eth0.arp_notify": "0" } } }, OK],
    ["null", null, OK],
  ]);
  // args.cni.sysctl with no top-level sysctl: 1.1.1 writes into a nil map and panics.
  fieldCases(tu, "args", [
    ["cni-sysctl-without-top-level", {
      cni: { sysctl: { "net.ipv4.conf.eth0.arp_notify": "1" } },
    }, OK],
  ], { base: patch(baseConf(tu), "sysctl", DELETE) });
  add({
    plugin: tu,
    group: "config",
    field: "sysctl",
    kind: "duplicate-key",
    command: "ADD",
    conf: baseConf(tu),
    stdin: {
      text: JSON.stringify(baseConf(tu)).replace(
        '"sysctl":{',
        '"sysctl":{"net.ipv4.conf.eth0.arp_notify":"0",',
      ),
    },
    expect: c7,
  });

  // ---------------------------------------------------------------------------- static
  const st = "static" as const;
  fieldCases(st, "ipam.addresses", [
    ["string", "10.99.0.5/24", c7],
    ["object", { address: "10.99.0.5/24" }, c7],
    ["numbers", [5], c7],
    ["null-entry", [null], c7],
    ["address-missing", [{}], c7],
    ["address-number", [{ address: 5 }], c7],
    ["address-no-prefix", [{ address: "10.99.0.5" }], c7],
    ["address-garbage", [{ address: "garbage" }], c7],
    ["address-prefix-33", [{ address: "10.99.0.5/33" }], c7],
    ["address-octet-300", [{ address: "10.99.0.300/24" }], c7],
    ["address-v6-prefix-129", [{ address: "fd99::5/129" }], c7],
    ["address-trailing-space", [{ address: "10.99.0.5/24 " }], c7],
    ["gateway-garbage", [{ address: "10.99.0.5/24", gateway: "garbage" }], c7],
    ["gateway-cidr", [{ address: "10.99.0.5/24", gateway: "10.99.0.1/24" }], c7],
    ["gateway-number", [{ address: "10.99.0.5/24", gateway: 5 }], c7],
    ["gateway-outside", [{ address: "10.99.0.5/24", gateway: "10.98.0.1" }], CLEAN],
    ["gateway-other-family", [{ address: "10.99.0.5/24", gateway: "fd99::1" }], CLEAN],
    ["v6", [{ address: "fd99::5/64", gateway: "fd99::1" }], OK],
    ["two-v4", [{ address: "10.99.0.5/24" }, { address: "10.99.1.5/24" }], OK],
    [
      "thousand",
      Array.from({ length: 1000 }, (_, i) => ({ address: `10.${i >> 8}.${i & 255}.5/24` })),
      OK,
    ],
    ["empty", [], OK],
    ["null", null, OK],
  ]);
  fieldCases(st, "ipam.routes", [
    ["string", "0.0.0.0/0", c7],
    ["numbers", [5], c7],
    ["dst-missing", [{}], c7],
    ["dst-garbage", [{ dst: "garbage" }], c7],
    ["dst-no-prefix", [{ dst: "10.0.0.0" }], c7],
    ["gw-garbage", [{ dst: "0.0.0.0/0", gw: "garbage" }], c7],
    ["gw-number", [{ dst: "0.0.0.0/0", gw: 5 }], c7],
    ["null", null, OK],
  ]);
  fieldCases(st, "ipam.dns", [
    ["string", "10.99.0.53", c7],
    ["nameservers-string", { nameservers: "10.99.0.53" }, c7],
    ["nameservers-numbers", { nameservers: [5] }, c7],
    ["domain-number", { domain: 5 }, c7],
    ["search-string", { search: "hc.example" }, c7],
    ["long-strings", { nameservers: [LONG], search: [LONG, CTRL], domain: LONG }, OK],
    ["null", null, OK],
  ]);
  fieldCases(st, "ipam", [
    ["string", "static", c7],
    ["array", [], c7],
    ["null", null, c7],
    ["empty", {}, OK],
  ]);
  fieldCases(st, "args.cni.ips", [
    ["string", "10.99.0.9/24", c7],
    ["numbers", [5], c7],
    ["garbage", ["garbage"], c7],
    ["no-prefix", ["10.99.0.9"], c7],
    ["valid", ["10.99.0.9/24"], OK],
    ["null", null, OK],
  ]);
  fieldCases(st, "runtimeConfig.ips", [
    ["string", "10.99.0.9/24", c7],
    ["numbers", [5], c7],
    ["garbage", ["garbage"], c7],
    ["no-prefix", ["10.99.0.9"], c7],
    ["valid", ["10.99.0.9/24"], OK],
    ["null", null, OK],
  ]);
  add({
    plugin: st,
    group: "config",
    field: "cniVersion+addresses",
    kind: "two-v4-at-0.2.0",
    command: "ADD",
    conf: patch(
      patch(baseConf(st), "cniVersion", "0.2.0"),
      "ipam.addresses",
      [{ address: "10.99.0.5/24" }, { address: "10.99.1.5/24" }],
    ),
    expect: c7,
  });

  // ------------------------------------------------------------------------- bandwidth
  const bw = "bandwidth" as const;
  for (const f of ["ingressRate", "ingressBurst", "egressRate", "egressBurst"]) {
    fieldCases(bw, f, [
      ["string", "1000000", c999],
      ["bool", true, c999],
      ["float", 1000.5, c999],
      ["negative", -1, c999],
      ["huge", 1e300, c999],
      ["beyond-uint64", 2 ** 64, c999],
      ["zero", 0, c999],
      ["missing", DELETE, c999],
      ["null", null, c999],
    ]);
  }
  fieldCases(bw, "ingressBurst", [
    ["4-gb", 8 * 2 ** 32, c999],
    ["just-below-4-gb", 8 * (2 ** 32 - 2), CLEAN],
    ["one-bit", 1, CLEAN],
  ]);
  fieldCases(bw, "ingressRate", [["one-bit", 1, CLEAN], ["2^53", 2 ** 53, CLEAN]]);
  const bwCap = {
    cniVersion: "1.0.0",
    name: "@NET@",
    type: "bandwidth",
    runtimeConfig: {
      bandwidth: {
        ingressRate: 1000000,
        ingressBurst: 100000,
        egressRate: 1000000,
        egressBurst: 100000,
      },
    },
    prevResult: PREV_RESULT,
  };
  fieldCases(bw, "runtimeConfig.bandwidth", [
    ["string", "x", c999],
    ["number", 5, c999],
    ["array", [], c999],
    ["rate-negative", { ingressRate: -1, ingressBurst: 100000 }, c999],
    ["rate-string", { ingressRate: "1000", ingressBurst: 100000 }, c999],
    ["rate-without-burst", { egressRate: 1000000 }, c999],
    ["burst-without-rate", { egressBurst: 100000 }, c999],
    ["burst-4-gb", { ingressRate: 1000000, ingressBurst: 8 * 2 ** 32 }, c999],
    ["empty", {}, OK],
    ["null", null, OK],
  ], { base: bwCap });
  fieldCases(bw, "runtimeConfig", [["string", "x", c999], ["array", [], c999], [
    "null",
    null,
    OK,
  ]], { base: bwCap });
  add({
    plugin: bw,
    group: "config",
    field: "combination",
    kind: "top-level-zero-masks-capability",
    command: "ADD",
    conf: { ...bwCap, ingressRate: 0 } as Json,
    expect: OK,
  });
  add({
    plugin: bw,
    group: "config",
    field: "combination",
    kind: "nothing-to-limit-without-prevResult",
    command: "ADD",
    conf: { cniVersion: "1.0.0", name: "@NET@", type: "bandwidth" },
    expect: FAILS,
  });

  // --------------------------------------------------------------------------- portmap
  const pm = "portmap" as const;
  fieldCases(pm, "runtimeConfig.portMappings", [
    ["string", "8080:80", c7],
    ["object", { hostPort: 18080 }, c7],
    ["numbers", [5], c7],
    ["null-entry", [null], c7],
    ["host-port-0", mapping({ hostPort: 0 }), c7],
    ["host-port-65536", mapping({ hostPort: 65536 }), c7],
    ["host-port-negative", mapping({ hostPort: -1 }), c7],
    ["host-port-float", mapping({ hostPort: 8080.5 }), c7],
    ["host-port-string", mapping({ hostPort: "8080" }), c7],
    ["host-port-huge", mapping({ hostPort: 1e300 }), c7],
    ["host-port-missing", [{ containerPort: 80, protocol: "tcp" }], c7],
    ["container-port-0", mapping({ containerPort: 0 }), c7],
    ["container-port-65536", mapping({ containerPort: 65536 }), c7],
    ["container-port-negative", mapping({ containerPort: -80 }), c7],
    ["protocol-icmp", mapping({ protocol: "icmp" }), c7],
    ["protocol-empty", mapping({ protocol: "" }), c7],
    ["protocol-missing", [{ hostPort: 18080, containerPort: 80 }], c7],
    ["protocol-number", mapping({ protocol: 6 }), c7],
    ["protocol-injection", mapping({ protocol: "tcp -j ACCEPT" }), c7],
    ["protocol-newline", mapping({ protocol: "tcp\n-A INPUT -j DROP" }), c7],
    ["protocol-upper", mapping({ protocol: "TCP" }), OK],
    ["host-ip-garbage", mapping({ hostIP: "garbage" }), c7],
    ["host-ip-cidr", mapping({ hostIP: "10.99.0.1/24" }), c7],
    ["host-ip-number", mapping({ hostIP: 5 }), c7],
    ["host-ip-newline", mapping({ hostIP: "10.99.0.1\n-A INPUT -j DROP" }), c7],
    ["host-ip-any", mapping({ hostIP: "0.0.0.0" }), OK],
    ["host-ip-v6", mapping({ hostIP: "::1" }), CLEAN],
    ["duplicate", [...(mapping({}) as Json[]), ...(mapping({}) as Json[])], CLEAN],
    ["three-hundred", mappings(300), OK],
    ["empty", [], OK],
    ["null", null, OK],
  ]);
  fieldCases(pm, "markMasqBit", [
    ["negative", -1, c7],
    ["32", 32, c7],
    ["huge", 1e300, c7],
    ["float", 1.5, c7],
    ["string", "13", c7],
    ["zero", 0, OK],
    ["31", 31, OK],
    ["null", null, OK],
  ]);
  fieldCases(pm, "externalSetMarkChain", [
    ["number", 5, c7],
    ["missing-chain", "HC-NO-SUCH-CHAIN", FAILS],
    ["blank", "HC MARK", c7],
    ["leading-dash", "-HC", c7],
    ["29-chars", "HC-" + "M".repeat(26), c7],
    ["newline", "HC\n-A INPUT -j DROP", c7],
    ["null", null, OK],
  ]);
  fieldCases(pm, "externalSetMarkChain", [
    ["with-markMasqBit", "HC-MARK", c7],
  ], { base: patch(baseConf(pm), "markMasqBit", 13) });
  for (const f of ["conditionsV4", "conditionsV6"]) {
    fieldCases(pm, f, [
      ["string", "-s 10.0.0.0/8", c7],
      ["numbers", [5], c7],
      ["null-entry", [null], c7],
      // The bridge gives the container no IPv6 address: conditionsV6 are then never used.
      ["unknown-match", ["-m", "hcnosuchmatch"], f === "conditionsV4" ? FAILS : CLEAN],
      ["newline", ["-d", "10.99.0.0/24\n-A INPUT -j DROP"], FAILS],
      ["empty-token", [""], CLEAN],
      ["valid", ["!", "-d", "192.0.2.0/24"], OK],
      ["empty", [], OK],
      ["null", null, OK],
    ]);
  }
  fieldCases(pm, "conditionsV4", [
    ["nft-style-with-iptables", ["ip", "saddr", "10.0.0.0/8"], c7],
    // A line break inside a token would end the iptables-restore line and start another.
    ["restore-injection", [
      "-m",
      "comment",
      "--comment",
      "hc\n-A PREROUTING -j ACCEPT\n-A CNI-HOSTPORT-DNAT -m comment --comment hc",
    ], c7],
    ["carriage-return", ["-m", "comment", "--comment", "hc\rx"], c7],
  ], { base: patch(baseConf(pm), "backend", "iptables") });
  // nft conditions are nft text, but one rule's worth: no second command (`;`, a line break)
  // and no comment swallowing the rest of the rule.
  fieldCases(pm, "conditionsV4", [
    ["nft-newline-injection", [
      "ip saddr 10.0.0.0/8 accept\nadd table ip hcinj\nadd chain ip hcinj c\n" +
      "add rule ip hcinj c accept\nadd rule ip cni_hostport prerouting ip saddr 10.0.0.0/8",
    ], c7],
    ["nft-semicolon-injection", [
      "ip saddr 10.0.0.0/8 accept; add table ip hcinj; add chain ip hcinj c; " +
      "add rule ip hcinj c accept; add rule ip cni_hostport prerouting ip saddr 10.0.0.0/8",
    ], c7],
    ["nft-hash-comment", ["ip saddr 10.0.0.0/8 #"], c7],
    ["nft-valid", ["ip", "saddr", "!=", "192.0.2.0/24"], OK],
  ], { base: patch(baseConf(pm), "backend", "nftables") });
  fieldCases(pm, "externalSetMarkChain", [
    [
      "restore-injection",
      "HC-MARK\n-A PREROUTING -j ACCEPT\n-A CNI-HOSTPORT-DNAT -m comment --comment hc",
      c7,
    ],
  ]);
  fieldCases(pm, "snat", BOOL_BAD);
  fieldCases(pm, "masqAll", BOOL_BAD);
  fieldCases(pm, "backend", BACKEND_CHOICE);
  fieldCases(pm, "runtimeConfig", [["string", "x", c7], ["null", null, OK]]);

  // -------------------------------------------------------------------------- firewall
  const fw = "firewall" as const;
  fieldCases(fw, "backend", [
    ["unknown", "ebpf", c7],
    ["number", 1, c7],
    ["upper", "IPTABLES", c7],
    ["firewalld", "firewalld", c7],
    ["iptables", "iptables", OK],
    ["nftables", "nftables", OK],
    ["empty", "", OK],
    ["null", null, OK],
  ]);
  fieldCases(fw, "ingressPolicy", [
    ["unknown", "hc", c7],
    ["upper", "ISOLATED", c7],
    ["number", 5, c7],
    ["array", ["isolated"], c7],
    ["open", "open", OK],
    ["same-bridge", "same-bridge", OK],
    ["isolated", "isolated", OK],
    ["empty", "", OK],
    ["null", null, OK],
  ]);
  fieldCases(fw, "iptablesAdminChainName", [
    ["blank", "HC ADMIN", c7],
    ["29-chars", "HC-" + "A".repeat(26), c7],
    ["300-chars", LONG, c7],
    ["leading-dash", "-HC", c7],
    ["bang", "!HC", c7],
    ["quote", 'HC"A', c7],
    ["newline", "HC\n-A INPUT -j DROP", c7],
    ["tab", "HC\tA", c7],
    ["number", 5, c7],
    ["28-chars", "HC-" + "A".repeat(25), OK],
    ["valid", "HC-ADMIN", OK],
    ["empty", "", OK],
    ["null", null, OK],
  ]);
  fieldCases(fw, "firewalldZone", [["number", 5, c7], ["null", null, OK]]);
  add({
    plugin: fw,
    group: "config",
    field: "combination",
    kind: "same-bridge-without-interfaces",
    command: "ADD",
    conf: {
      ...baseConf(fw),
      ingressPolicy: "same-bridge",
      prevResult: { cniVersion: "1.0.0", ips: [{ address: "10.99.0.2/24" }] },
    } as Json,
    expect: c7,
  });

  // --------------------------------------------------------------- common, per plugin
  for (const plugin of ["tuning", "static", "bandwidth", "portmap", "firewall"] as const) {
    const chained = plugin !== "static";
    fieldCases(plugin, "cniVersion", [
      ...VERSION_UNSPOKEN,
      // The bridge's prevResult is a 1.0.0 result: a 0.2.0 plugin cannot read it.
      ["0.2.0", "0.2.0", plugin === "bandwidth" || plugin === "firewall" ? c1 : CLEAN],
      ["null", null, CLEAN],
    ]);
    fieldCases(plugin, "name", NAME_HOSTILE);
    if (chained) {
      fieldCases(plugin, "prevResult", CHAINED_PREV_BAD);
      fieldCases(plugin, "prevResult", [["missing", DELETE, FAILS]]);
      // DEL is best effort: a prevResult it cannot parse, or none, does not stop it.
      fieldCases(plugin, "prevResult", [
        ...PREV_UNREADABLE_DEL,
        ["missing", DELETE, OK],
      ], { command: "DEL" });
    }
    const envCase = envCaseFor(plugin);
    envCase("CNI_CONTAINERID", "dotdot", "../hc", c4);
    envCase("CNI_IFNAME", "slash", "a/b", c4);
    envCase("CNI_NETNS", "own-proc-self", "/proc/self/ns/net", c8);
    envCase("CNI_NETNS", "own-del", "/proc/self/ns/net", c8, "DEL");
    if (plugin === "tuning" || plugin === "bandwidth") {
      envCase("CNI_IFNAME", "not-in-namespace", "hc0", FAILS);
      envCase("CNI_NETNS", "missing", "@FX@/missing", FAILS);
      envCase("CNI_NETNS", "regular-file", "@FX@/file", FAILS);
      envCase("CNI_NETNS", "missing-del", "@FX@/missing", OK, "DEL");
    }
    if (plugin === "tuning" || plugin === "static") {
      envCase("CNI_ARGS", "unknown-key", "K=V", CLEAN);
      envCase("CNI_ARGS", "ignored-unknown-key", "IgnoreUnknown=1;K8S_POD_NAME=x", OK);
    }
    if (chained) {
      // After a real ADD: DEL with a garbage prevResult, and a CHECK, must clean up / pass.
      add({
        plugin,
        group: "state",
        field: "prevResult",
        kind: "after-add-garbage",
        command: "DEL",
        conf: { ...baseConf(plugin), prevResult: "garbage" },
        priorConf: baseConf(plugin),
        setup: ["add-first"],
        expect: OK,
        defect: "d",
      });
      add({
        plugin,
        group: "state",
        field: "prevResult",
        kind: "after-add-missing",
        command: "DEL",
        conf: patch(baseConf(plugin), "prevResult", DELETE),
        priorConf: baseConf(plugin),
        setup: ["add-first"],
        expect: OK,
        defect: "d",
      });
      add({
        plugin,
        group: "state",
        field: "check",
        kind: "after-add",
        command: "CHECK",
        conf: baseConf(plugin),
        priorConf: baseConf(plugin),
        setup: ["add-first"],
        expect: OK,
      });
    }
  }
  const tuningArgs = (kind: string, value: string, expect: Expect) =>
    add({
      plugin: tu,
      group: "env",
      field: "CNI_ARGS",
      kind,
      command: "ADD",
      conf: baseConf(tu),
      env: { CNI_ARGS: value },
      expect,
    });
  tuningArgs("mac-garbage", "MAC=zz", c7);
  tuningArgs("mac-multicast", "MAC=01:00:5e:00:00:01", c7);
  tuningArgs("mac-valid", "MAC=c2:00:00:00:00:09", OK);
  const staticArgs = (kind: string, value: string, expect: Expect) =>
    add({
      plugin: st,
      group: "env",
      field: "CNI_ARGS",
      kind,
      command: "ADD",
      conf: baseConf(st),
      env: { CNI_ARGS: value },
      expect,
    });
  staticArgs("ip-garbage", "IP=garbage", c7);
  staticArgs("ip-no-prefix", "IP=10.99.0.9", c7);
  staticArgs("ip-empty-item", "IP=10.99.0.9/24,", c7);
  staticArgs("ip-300-chars", `IP=${LONG}`, c7);
  staticArgs("ip-valid", "IP=10.99.0.9/24", OK);
  staticArgs("ip-list", "IP=10.99.0.9/24,fd99::9/64", OK);
  staticArgs("gateway-garbage", "IP=10.99.0.9/24;GATEWAY=garbage", c7);
  staticArgs("gateway-cidr", "IP=10.99.0.9/24;GATEWAY=10.99.0.1/24", c7);
  staticArgs("gateway-without-ip", "GATEWAY=10.99.0.1", CLEAN);
  staticArgs("gateway-outside", "IP=10.99.0.9/24;GATEWAY=10.98.0.1", CLEAN);
  staticArgs("gateway-valid", "IP=10.99.0.9/24;GATEWAY=10.99.0.1", OK);
  // GC of the firewall plugins (1.1.0).
  for (const plugin of ["portmap", "firewall"] as const) {
    fieldCases(plugin, "cni.dev/valid-attachments", [
      ["string", "x", c7],
      ["numbers", [5], c7],
      ["id-number", [{ containerID: 5, ifname: "eth0" }], c7],
      ["empty", [], OK],
      ["null", null, OK],
    ], {
      command: "GC",
      base: patch(patch(baseConf(plugin), "cniVersion", "1.1.0"), "prevResult", DELETE),
    });
  }
}
