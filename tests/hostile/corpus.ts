/**
 * The malformed-input corpus, generated as data: every config field of the bridge, host-local
 * and loopback plugins (and of tuning, static, bandwidth, portmap and firewall: corpus_meta.ts)
 * attacked with wrong types, `null`, huge and negative numbers, bad CIDRs
 * and ranges, unknown versions; missing and garbage `CNI_*` variables; `CNI_NETNS` as a file, a
 * directory, a missing path, a FIFO, the plugin's own namespace; names with `../`, `/`, control
 * bytes, 300 characters; garbage `CNI_ARGS` and `prevResult`; empty, malformed and oversized
 * stdin; files a config points at that are devices, FIFOs and symlinks; and state directories
 * booby-trapped with symlinks.
 *
 * A case is plain data: a config and environment with `@TOKEN@` placeholders, named setup
 * steps, and what the fixed plugin must do. {@linkcode materialize} turns it into a fresh
 * directory tree (`<root>/given` is the only place the plugin may write; `<root>/fx` holds the
 * fixtures, which must come out unchanged).
 *
 * @module
 */

import { ifacePluginCases } from "./corpus_iface.ts";
import { metaPluginCases } from "./corpus_meta.ts";
import { c1, c4, c6, c7, CLEAN, CTRL, FAILS, LONG, OK } from "./expect.ts";

/** JSON values. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The plugins of the corpus. */
export type PluginName =
  | "bridge"
  | "host-local"
  | "loopback"
  | "tuning"
  | "static"
  | "bandwidth"
  | "portmap"
  | "firewall"
  | "ptp"
  | "macvlan"
  | "ipvlan"
  | "vlan"
  | "host-device"
  | "dummy"
  | "sbr"
  | "vrf";

/** Every plugin of the corpus. */
export const PLUGINS: readonly PluginName[] = [
  "bridge",
  "host-local",
  "loopback",
  "tuning",
  "static",
  "bandwidth",
  "portmap",
  "firewall",
  "ptp",
  "macvlan",
  "ipvlan",
  "vlan",
  "host-device",
  "dummy",
  "sbr",
  "vrf",
];

/**
 * The placeholder for `prevResult` in a chained plugin's config: the runner attaches the case's
 * namespace with our bridge plugin first (in-process) and puts that result here.
 */
export const PREV_RESULT = "@PREVRESULT@";

/**
 * The placeholder for `prevResult` in the config of a CHECK after `add-first`: the runner puts
 * the result of that ADD here (what a runtime hands the CHECK of an attachment it made).
 */
export const PRIOR_RESULT = "@PRIORRESULT@";

/** Plugins that run after bridge in a chain (their base config carries {@linkcode PREV_RESULT}). */
export const CHAINED: ReadonlySet<PluginName> = new Set([
  "tuning",
  "bandwidth",
  "portmap",
  "firewall",
  "sbr",
  "vrf",
]);

/**
 * The link kind each plugin makes that a kernel may lack (module in parentheses of the
 * plugin's "no support" message): where the kind is missing, the corpus test expects that
 * answer instead of success (corpus_test.ts).
 */
export const KERNEL_KINDS: Readonly<Partial<Record<PluginName, string>>> = {
  ipvlan: "ipvlan",
  vlan: "vlan",
  dummy: "dummy",
  vrf: "vrf",
};

/** Plugins that never touch the kernel (IPAM): their cases skip the kernel checks. */
export const IPAM_ONLY: ReadonlySet<PluginName> = new Set(["host-local", "static"]);

/** What the fixed plugin must do with a case. */
export type Expect =
  /** Succeed (exit 0). */
  | { ok: true }
  /** Fail with one of these codes. */
  | { codes: number[] }
  /** Fail, with any code. */
  | { fails: true }
  /** Succeed or fail, cleanly either way. */
  | { clean: true };

/** Named steps run on the fresh tree before the call. */
export type SetupName =
  | "lease-symlink"
  | "last-reserved-symlink"
  | "lock-symlink"
  | "lock-fifo"
  | "netdir-symlink"
  | "index-symlink"
  | "add-first"
  | "drop-netns"
  | "drop-leases";

/** How stdin is made when it is not the case's config as JSON. */
export type StdinSpec =
  /** This text, tokens replaced. */
  | { text: string }
  /** These bytes. */
  | { bytes: number[] }
  /** The config with a padding field making it `size` bytes. */
  | { padTo: number }
  /** `size` bytes of `{` (not JSON). */
  | { garbage: number };

/** One corpus case. */
export interface Case {
  /** Unique, stable: `plugin/COMMAND/field/kind`. */
  id: string;
  /** The plugin called. */
  plugin: PluginName;
  /** `config`, `env`, `netns`, `stdin`, `file`, `state`. */
  group: string;
  /** What is attacked (a config path, a variable, `stdin`). */
  field: string;
  /** How. */
  kind: string;
  /** `CNI_COMMAND` (empty: unset). */
  command: string;
  /** The network configuration (stdin unless `stdin` says otherwise). */
  conf: Json;
  /** Stdin when not `conf`. */
  stdin?: StdinSpec;
  /** Environment overrides over the plugin's base; `null` unsets. */
  env?: Record<string, string | null>;
  /** Setup steps. */
  setup?: SetupName[];
  /** The config of the ADD that `add-first` runs (default: the plugin's base). */
  priorConf?: Json;
  /** What the fixed plugin must do. */
  expect: Expect;
  /** Why the case runs only exec'd (stdin size is a property of a process). */
  execOnly?: string;
  /** The defect (letter in the brief) a failure of this case points at. */
  defect?: string;
  /** The case may write under `/var/lib/cni/networks/<net>` (the default dataDir). */
  defaultDataDir?: boolean;
}

/** The base config of each plugin (ADD). */
export function baseConf(plugin: PluginName): { [key: string]: Json } {
  switch (plugin) {
    case "bridge":
      return {
        cniVersion: "1.0.0",
        name: "@NET@",
        type: "bridge",
        bridge: "@BR@",
        isGateway: true,
        ipam: { type: "host-local", subnet: "10.99.0.0/24", dataDir: "@DATA@" },
      };
    case "host-local":
      return {
        cniVersion: "1.0.0",
        name: "@NET@",
        type: "host-local",
        ipam: { type: "host-local", subnet: "10.99.0.0/24", dataDir: "@DATA@" },
      };
    case "loopback":
      return { cniVersion: "1.0.0", name: "@NET@", type: "loopback" };
    case "static":
      return {
        cniVersion: "1.0.0",
        name: "@NET@",
        type: "static",
        ipam: {
          type: "static",
          addresses: [{ address: "10.99.0.5/24", gateway: "10.99.0.1" }],
          routes: [{ dst: "0.0.0.0/0" }],
          dns: { nameservers: ["10.99.0.53"] },
        },
      };
    case "tuning":
      return {
        cniVersion: "1.0.0",
        name: "@NET@",
        type: "tuning",
        dataDir: "@GIVEN@/tuning",
        mtu: 1400,
        sysctl: { "net.ipv4.conf.eth0.arp_notify": "1" },
        prevResult: PREV_RESULT,
      };
    case "bandwidth":
      return {
        cniVersion: "1.0.0",
        name: "@NET@",
        type: "bandwidth",
        ingressRate: 1000000,
        ingressBurst: 100000,
        egressRate: 1000000,
        egressBurst: 100000,
        prevResult: PREV_RESULT,
      };
    case "portmap":
      return {
        cniVersion: "1.0.0",
        name: "@NET@",
        type: "portmap",
        runtimeConfig: { portMappings: [{ hostPort: 18080, containerPort: 80, protocol: "tcp" }] },
        prevResult: PREV_RESULT,
      };
    case "firewall":
      return { cniVersion: "1.0.0", name: "@NET@", type: "firewall", prevResult: PREV_RESULT };
    case "ptp":
      return {
        cniVersion: "1.0.0",
        name: "@NET@",
        type: "ptp",
        ipMasq: true,
        mtu: 1400,
        ipam: { type: "host-local", subnet: "10.99.0.0/24", dataDir: "@DATA@" },
      };
    case "macvlan":
    case "ipvlan":
    case "vlan":
      return {
        cniVersion: "1.0.0",
        name: "@NET@",
        type: plugin,
        master: "@MASTER@",
        ...(plugin === "macvlan" ? { mode: "bridge" } : {}),
        ...(plugin === "ipvlan" ? { mode: "l2" } : {}),
        ...(plugin === "vlan" ? { vlanId: 100 } : {}),
        ipam: { type: "host-local", subnet: "10.99.0.0/24", dataDir: "@DATA@" },
      };
    case "host-device":
      return { cniVersion: "1.0.0", name: "@NET@", type: "host-device", device: "@DEV@" };
    case "dummy":
      return {
        cniVersion: "1.0.0",
        name: "@NET@",
        type: "dummy",
        ipam: { type: "host-local", subnet: "10.99.0.0/24", dataDir: "@DATA@" },
      };
    case "sbr":
      return { cniVersion: "1.0.0", name: "@NET@", type: "sbr", prevResult: PREV_RESULT };
    case "vrf":
      return {
        cniVersion: "1.0.0",
        name: "@NET@",
        type: "vrf",
        vrfname: "hcvrf",
        prevResult: PREV_RESULT,
      };
  }
}

/**
 * The bridge config the runner attaches a chained plugin's namespace with before the case.
 *
 * @returns The config (tokens unreplaced).
 */
export function chainBaseConf(): { [key: string]: Json } {
  return { ...baseConf("bridge"), name: "@NET@", bridge: "@BR@" };
}

/** The base environment of each plugin. */
export function baseEnv(plugin: PluginName, command: string): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: "@CID@",
    // IPAM plugins never open the namespace: a path that does not exist is enough.
    CNI_NETNS: IPAM_ONLY.has(plugin) ? "@GIVEN@/no-such-netns" : "@NETNS@",
    CNI_IFNAME: "eth0",
    CNI_PATH: "@CNIPATH@",
  };
}

/** Deletes a key in a patch. */
export const DELETE: unique symbol = Symbol("delete");

/** One attack on a field: its name, the value (or a deletion), what must happen. */
export type Mutation = [kind: string, value: Json | typeof DELETE, expect: Expect];

const BOOL_BAD: Mutation[] = [
  ["string", "true", c7],
  ["number", 1, c7],
  ["array", [], c7],
  ["object", {}, c7],
  ["null", null, OK],
];

const INT_BAD: Mutation[] = [
  ["string", "1500", c7],
  ["float", 1500.5, c7],
  ["bool", true, c7],
  ["array", [1500], c7],
  ["negative", -1, c7],
  ["huge", 1e300, c7],
  ["beyond-2^53", 9007199254740993, c7],
  ["int32-min", -2147483648, c7],
  ["null", null, OK],
];

const VERSION_BAD: Mutation[] = [
  ["unknown", "9.9.9", c1],
  ["newer-minor", "1.2.0", c1],
  ["zero", "0.0.0", c1],
  ["two-parts", "1.0", c1],
  ["v-prefix", "v1.0.0", c1],
  ["trailing-nul", "1.0.0\u0000", c1],
  ["long", "1".repeat(300), c1],
  ["negative", "-1.0.0", c1],
  ["number", 1, CLEAN],
  ["object", {}, CLEAN],
  ["empty", "", OK],
  ["null", null, OK],
];

const NAME_BAD: Mutation[] = [
  ["null", null, c7],
  ["empty", "", c7],
  ["number", 5, CLEAN],
  ["dotdot", "../hcx", c7],
  ["slash", "a/b", c7],
  ["control", CTRL, c7],
  ["leading-dash", "-hc", c7],
  ["space", "a b", c7],
  ["unicode", "n\u00e4me", c7],
  ["nul", "a\u0000b", c7],
  ["300-chars", LONG, CLEAN],
];

const PREV_BAD: Mutation[] = [
  ["string", "garbage", CLEAN],
  ["number", 5, CLEAN],
  ["array", [], CLEAN],
  ["ips-string", { ips: "x" }, CLEAN],
  ["iface-name-number", { interfaces: [{ name: 5 }] }, CLEAN],
  ["unknown-version", { cniVersion: "9.9.9", ips: [] }, CLEAN],
  ["bad-address", { ips: [{ address: "garbage" }] }, CLEAN],
  ["huge-iface-index", { ips: [{ address: "10.99.0.5/24", interface: 1e300 }] }, CLEAN],
  ["null", null, OK],
];

const CIDR_BAD: Mutation[] = [
  ["no-prefix", "10.99.0.0", c7],
  ["prefix-33", "10.99.0.0/33", c7],
  ["prefix-negative", "10.99.0.0/-1", c7],
  ["octet-300", "300.99.0.0/24", c7],
  ["host-bits", "10.99.0.1/24", c7],
  ["v6-prefix-129", "fd00::/129", c7],
  ["garbage", "garbage", c7],
  ["trailing-space", "10.99.0.0/24 ", c7],
  ["number", 5, c7],
  ["array", ["10.99.0.0/24"], c7],
];

const IP_BAD: Mutation[] = [
  ["outside", "10.98.0.5", c7],
  ["octet-300", "10.99.0.300", c7],
  ["garbage", "garbage", c7],
  ["wrong-family", "fd00::5", c7],
  ["number", 5, c7],
  ["cidr", "10.99.0.5/24", c7],
  ["null", null, OK],
];

function clone(j: Json): Json {
  return JSON.parse(JSON.stringify(j));
}

/** Sets (or deletes) `path` (dot-separated; `[n]` for indexes not used) in a copy of `conf`. */
export function patch(conf: Json, path: string, value: Json | typeof DELETE): Json {
  const out = clone(conf) as { [key: string]: Json };
  // `cni.dev/...` keys hold a dot of their own.
  const keys = path.startsWith("cni.dev/") ? [path] : path.split(".");
  let node = out;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (next === null || typeof next !== "object" || Array.isArray(next)) node[k] = {};
    node = node[k] as { [key: string]: Json };
  }
  const last = keys[keys.length - 1]!;
  if (value === DELETE) delete node[last];
  else node[last] = value;
  return out;
}

/** Builds every case (deterministic; ids are unique). */
export function hostileCases(): Case[] {
  const cases: Case[] = [];
  const ids = new Set<string>();
  const add = (c: Omit<Case, "id"> & { id?: string }): void => {
    const id = c.id ?? `${c.plugin}/${c.command || "-"}/${c.field}/${c.kind}`;
    if (ids.has(id)) throw new Error(`duplicate corpus case ${id}`);
    ids.add(id);
    cases.push({ ...c, id });
  };
  const fieldCases = (
    plugin: PluginName,
    field: string,
    mutations: readonly Mutation[],
    options: { command?: string; base?: Json; nullMeansDefaultDir?: boolean } = {},
  ): void => {
    const command = options.command ?? "ADD";
    for (const [kind, value, expect] of mutations) {
      const c: Omit<Case, "id"> = {
        plugin,
        group: "config",
        field,
        kind,
        command,
        conf: patch(options.base ?? baseConf(plugin), field, value),
        expect,
      };
      if (kind === "null") c.defect = "f";
      if (field.endsWith("resolvConf") && "fails" in expect) c.defect = "a";
      if (command === "DEL" && field === "prevResult") c.defect = "d";
      add(c);
    }
  };
  /** Cases of one `CNI_*` variable set (or unset: `null`) in the plugin's base config. */
  const envCaseFor = (plugin: PluginName) =>
  (
    variable: string,
    kind: string,
    value: string | null,
    expect: Expect,
    command = "ADD",
  ): void => {
    add({
      plugin,
      group: variable === "CNI_NETNS" ? "netns" : "env",
      field: variable,
      kind,
      command,
      conf: baseConf(plugin),
      env: { [variable]: value },
      expect,
    });
  };

  // ---------------------------------------------------------------- bridge config fields
  for (
    const f of [
      "isGateway",
      "isDefaultGateway",
      "forceAddress",
      "ipMasq",
      "hairpinMode",
      "promiscMode",
      "preserveDefaultVlan",
      "enabledad",
      "macspoofchk",
      "disableContainerInterface",
      "portIsolation",
    ]
  ) fieldCases("bridge", f, BOOL_BAD);
  fieldCases("bridge", "mtu", [
    ...INT_BAD,
    ["below-68", 67, c7],
    ["above-65535", 65536, c7],
    ["zero", 0, OK],
    ["minimum", 68, CLEAN],
  ]);
  fieldCases("bridge", "vlan", [
    ...INT_BAD.filter(([k]) => k !== "null"),
    ["4095", 4095, c7],
    ["null", null, OK],
  ]);
  fieldCases("bridge", "vlanTrunk", [
    ["string", "1-10", c7],
    ["object", {}, c7],
    ["numbers", [5], c7],
    ["null-entry", [null], c7],
    ["id-negative", [{ id: -1 }], c7],
    ["id-4095", [{ id: 4095 }], c7],
    ["id-huge", [{ id: 1e300 }], c7],
    ["id-string", [{ id: "5" }], c7],
    ["min-only", [{ minID: 5 }], c7],
    ["max-only", [{ maxID: 5 }], c7],
    ["min-gt-max", [{ minID: 10, maxID: 5 }], c7],
    ["null", null, OK],
  ]);
  fieldCases("bridge", "ipMasqBackend", [
    ["unknown", "ebpf", c7],
    ["number", 1, c7],
    ["bool", true, c7],
    ["empty", "", CLEAN],
    ["null", null, OK],
  ]);
  fieldCases("bridge", "bridge", [
    ["number", 5, c7],
    ["empty", "", CLEAN],
    ["dotdot", "../hc", c7],
    ["slash", "a/b", c7],
    ["colon", "a:b", c7],
    ["space", "a b", c7],
    ["16-bytes", "hc" + "b".repeat(14), c7],
    ["300-chars", LONG, c7],
    ["dot", ".", c7],
    ["control", "hc\u0001", CLEAN],
    ["array", ["hc"], c7],
  ]);
  fieldCases("bridge", "ipam", [
    ["string", "host-local", c7],
    ["number", 5, c7],
    ["array", [], c7],
    ["type-number", { type: 5 }, c7],
    ["type-dotdot", { type: "../../../../bin/true" }, FAILS],
    ["type-absolute", { type: "/bin/true" }, FAILS],
    ["type-missing-plugin", { type: "hc-no-such-plugin" }, FAILS],
    ["type-control", { type: CTRL }, FAILS],
    ["null", null, OK],
  ]);
  fieldCases("bridge", "dns", [
    ["string", "8.8.8.8", c7],
    ["nameservers-string", { nameservers: "8.8.8.8" }, c7],
    ["nameservers-numbers", { nameservers: [5] }, c7],
    ["domain-number", { domain: 5 }, c7],
    ["long-strings", { nameservers: [LONG], search: [LONG, CTRL], domain: LONG }, OK],
    ["null", null, OK],
  ]);
  fieldCases("bridge", "args", [
    ["string", "x", c7],
    ["cni-string", { cni: "x" }, c7],
    ["mac-garbage", { cni: { mac: "zz:zz" } }, c7],
    ["mac-multicast", { cni: { mac: "01:00:5e:00:00:01" } }, c7],
    ["mac-number", { cni: { mac: 5 } }, c7],
    ["null", null, OK],
  ]);
  fieldCases("bridge", "runtimeConfig", [
    ["string", "x", c7],
    ["mac-garbage", { mac: "garbage" }, c7],
    ["mac-300", { mac: LONG }, c7],
    ["null", null, OK],
  ]);
  fieldCases("bridge", "prevResult", PREV_BAD);
  fieldCases("bridge", "cni.dev/valid-attachments", [
    ["string", "x", CLEAN],
    ["numbers", [5], CLEAN],
    ["null", null, OK],
  ]);
  // IPAM fields through the bridge's delegation (the bulk is under host-local).
  fieldCases("bridge", "ipam.subnet", CIDR_BAD.slice(0, 5));
  fieldCases("bridge", "ipam.dataDir", [
    ["number", 5, c7],
    ["file", "@FX@/file", FAILS],
  ]);
  fieldCases("bridge", "ipam.resolvConf", [
    ["dev-zero", "/dev/zero", FAILS],
    ["fifo", "@FX@/fifo", FAILS],
  ]);
  for (
    const [kind, conf, expect] of [
      ["unknown-field-huge-number", { ...baseConf("bridge"), hcExtra: 1e308 }, OK],
      ["unknown-field-deep", { ...baseConf("bridge"), hcExtra: deep(2000) }, OK],
      ["gateway-with-vlan-long-name", {
        ...baseConf("bridge"),
        bridge: "hc" + "v".repeat(11),
        vlan: 4000,
      }, c7],
      ["hairpin-and-promisc", { ...baseConf("bridge"), hairpinMode: true, promiscMode: true }, c7],
      ["no-container-iface-with-ipam", {
        ...baseConf("bridge"),
        disableContainerInterface: true,
      }, c7],
    ] as [string, Json, Expect][]
  ) {
    add({
      plugin: "bridge",
      group: "config",
      field: "combination",
      kind,
      command: "ADD",
      conf,
      expect,
    });
  }

  // ----------------------------------------------------------------- host-local fields
  const hl = "host-local" as const;
  fieldCases(hl, "ipam.type", [["number", 5, c7], ["null", null, OK]]);
  fieldCases(hl, "ipam.subnet", [
    ...CIDR_BAD,
    ["empty", "", c7],
    ["null", null, c7],
    ["slash-32", "10.99.0.7/32", OK],
    ["slash-31", "10.99.0.6/31", OK],
    ["everything-v4", "0.0.0.0/0", OK],
    ["everything-v6", "::/0", OK],
  ]);
  fieldCases(hl, "ipam.rangeStart", [
    ...IP_BAD,
    ["network", "10.99.0.0", c7],
    ["broadcast", "10.99.0.255", c7],
    ["after-end", "10.99.0.200", CLEAN],
  ]);
  const hlEnd = patch(baseConf(hl), "ipam.rangeStart", "10.99.0.100");
  fieldCases(hl, "ipam.rangeEnd", [
    ...IP_BAD,
    ["broadcast", "10.99.0.255", c7],
    ["before-start", "10.99.0.50", c7],
  ], { base: hlEnd });
  fieldCases(hl, "ipam.gateway", [
    ...IP_BAD,
    ["network", "10.99.0.0", c7],
    ["empty", "", OK],
  ]);
  const hlRanges = patch(baseConf(hl), "ipam.subnet", DELETE);
  fieldCases(hl, "ipam.ranges", [
    ["string", "10.99.0.0/24", c7],
    ["empty", [], c7],
    ["empty-set", [[]], c7],
    ["number-set", [[5]], c7],
    ["string-set", [["10.99.0.0/24"]], c7],
    ["subnet-number", [[{ subnet: 5 }]], c7],
    ["subnet-missing", [[{}]], c7],
    ["subnet-garbage", [[{ subnet: "garbage" }]], c7],
    ["null-entry", [null], c7],
    ["overlap-in-set", [[{ subnet: "10.99.0.0/24" }, { subnet: "10.99.0.0/25" }]], c7],
    ["overlap-across-sets", [[{ subnet: "10.99.0.0/24" }], [{ subnet: "10.99.0.128/25" }]], c7],
    ["mixed-families", [[{ subnet: "10.99.0.0/24" }, { subnet: "fd99::/64" }]], c7],
    ["start-outside", [[{ subnet: "10.99.0.0/24", rangeStart: "10.98.0.1" }]], c7],
    ["gateway-garbage", [[{ subnet: "10.99.0.0/24", gateway: "garbage" }]], c7],
    ["three-v4-sets", [[{ subnet: "10.99.0.0/26" }], [{ subnet: "10.99.0.64/26" }], [{
      subnet: "10.99.0.128/26",
    }]], OK],
    ["sixty-four-sets", Array.from({ length: 64 }, (_, i) => [{ subnet: `10.99.${i}.0/24` }]), OK],
    ["null", null, c7],
  ], { base: hlRanges });
  fieldCases(hl, "ipam.routes", [
    ["string", "0.0.0.0/0", c7],
    ["object", { dst: "0.0.0.0/0" }, c7],
    ["numbers", [5], c7],
    ["dst-missing", [{}], c7],
    ["dst-garbage", [{ dst: "garbage" }], c7],
    ["dst-no-prefix", [{ dst: "10.0.0.0" }], c7],
    ["gw-garbage", [{ dst: "0.0.0.0/0", gw: "garbage" }], c7],
    ["mtu-string", [{ dst: "0.0.0.0/0", mtu: "1500" }], c7],
    ["priority-huge", [{ dst: "0.0.0.0/0", priority: 1e300 }], c7],
    ["table-negative", [{ dst: "0.0.0.0/0", table: -1 }], CLEAN],
    [
      "thousand",
      Array.from({ length: 1000 }, (_, i) => ({ dst: `10.${i >> 8}.${i & 255}.0/24` })),
      OK,
    ],
    ["null", null, OK],
  ]);
  fieldCases(hl, "ipam.dataDir", [
    ["number", 5, c7],
    ["array", ["/tmp"], c7],
    ["regular-file", "@FX@/file", FAILS],
    ["fifo", "@FX@/fifo", FAILS],
    ["char-device", "/dev/null", FAILS],
    ["300-char-component", `@GIVEN@/${LONG}`, FAILS],
    ["symlink-into-given", "@GIVEN@/link-to-real", OK],
    ["control-bytes", `@GIVEN@/d${CTRL}`, OK],
    ["dotdot-inside", "@GIVEN@/x/../data", OK],
    ["relative", "rel/data", CLEAN],
    ["empty", "", OK],
    ["null", null, OK],
  ]);
  fieldCases(hl, "ipam.resolvConf", [
    ["dev-zero", "/dev/zero", FAILS],
    ["dev-urandom", "/dev/urandom", FAILS],
    ["dev-stdin", "/dev/stdin", FAILS],
    ["fifo", "@FX@/fifo", FAILS],
    ["symlink-to-dev-zero", "@FX@/zero", FAILS],
    ["symlink-loop", "@FX@/loop1", FAILS],
    ["directory", "@FX@/dir", FAILS],
    ["missing", "@FX@/missing", FAILS],
    ["two-mib-file", "@FX@/big", FAILS],
    ["valid", "@FX@/resolv.conf", OK],
    ["number", 5, c7],
    ["empty", "", OK],
    ["null", null, OK],
  ]);
  fieldCases(hl, "runtimeConfig.ips", [
    ["string", "10.99.0.9", c7],
    ["numbers", [5], c7],
    ["garbage", ["garbage"], c7],
    ["outside", ["10.98.0.9"], FAILS],
    ["network-address", ["10.99.0.0"], FAILS],
    ["valid", ["10.99.0.9"], OK],
    ["null", null, OK],
  ]);
  fieldCases(hl, "runtimeConfig.ipRanges", [
    ["string", "x", c7],
    ["empty-set", [[]], c7],
    ["subnet-garbage", [[{ subnet: "garbage" }]], c7],
    ["overlaps-ipam", [[{ subnet: "10.99.0.0/25" }]], c7],
    ["null", null, OK],
  ]);
  fieldCases(hl, "args.cni.ips", [
    ["string", "10.99.0.9", c7],
    ["numbers", [5], c7],
    ["garbage", ["10.99.0.999"], c7],
    ["valid", ["10.99.0.9"], OK],
    ["null", null, OK],
  ]);
  fieldCases(hl, "args", [["string", "x", c7], ["cni-string", { cni: "x" }, c7], [
    "null",
    null,
    OK,
  ]]);
  fieldCases(hl, "runtimeConfig", [["string", "x", c7], ["null", null, OK]]);
  fieldCases(hl, "ipam", [
    ["string", "x", c7],
    ["array", [], c7],
    ["null", null, c7],
    ["empty", {}, c7],
  ]);
  // 0.2.0 allows one address per family.
  add({
    plugin: hl,
    group: "config",
    field: "cniVersion+ranges",
    kind: "two-v4-at-0.2.0",
    command: "ADD",
    conf: patch(
      patch(hlRanges, "cniVersion", "0.2.0"),
      "ipam.ranges",
      [[{ subnet: "10.99.0.0/25" }], [{ subnet: "10.99.0.128/25" }]],
    ),
    expect: c7,
  });
  // GC and STATUS (1.1.0).
  const hl11 = patch(baseConf(hl), "cniVersion", "1.1.0");
  fieldCases(hl, "cni.dev/valid-attachments", [
    ["string", "x", c7],
    ["numbers", [5], c7],
    ["id-number", [{ containerID: 5, ifname: "eth0" }], c7],
    ["null", null, OK],
  ], { command: "GC", base: hl11 });
  fieldCases(hl, "ipam.dataDir", [
    ["fifo", "@FX@/fifo", FAILS],
    ["regular-file", "@FX@/file", FAILS],
  ], { command: "STATUS", base: hl11 });
  fieldCases(hl, "cniVersion", [["older", "1.0.0", CLEAN]], { command: "GC" });

  // ------------------------------------- tuning, static, bandwidth, portmap, firewall
  metaPluginCases({ add, fieldCases, envCaseFor });

  // ----------------- ptp, macvlan, ipvlan, vlan, host-device, dummy, sbr, vrf
  ifacePluginCases({ add, fieldCases, envCaseFor });

  // -------------------------------------------------------------- every plugin: common
  for (const plugin of ["bridge", "host-local", "loopback"] as const) {
    fieldCases(plugin, "cniVersion", VERSION_BAD);
    fieldCases(plugin, "name", NAME_BAD);
    fieldCases(plugin, "type", [["number", 5, CLEAN], ["null", null, OK], ["empty", "", OK]]);
    if (plugin !== "bridge") fieldCases(plugin, "prevResult", PREV_BAD);
    // DEL is best effort: a prevResult it cannot parse does not stop it (defect d).
    fieldCases(
      plugin,
      "prevResult",
      PREV_BAD.slice(0, 4).map(([k, v]) => [k, v, OK] as Mutation),
      { command: "DEL" },
    );
    fieldCases(plugin, "cniVersion", VERSION_BAD.slice(0, 3), { command: "DEL" });
    fieldCases(plugin, "name", NAME_BAD.slice(0, 4), { command: "DEL" });

    // Environment.
    const envCase = envCaseFor(plugin);
    envCase("CNI_COMMAND", "unset", null, OK, "");
    envCase("CNI_COMMAND", "lower-case", "add", c4);
    envCase("CNI_COMMAND", "unknown", "ADDX", c4);
    envCase("CNI_COMMAND", "control", "\u0001", c4);
    envCase("CNI_COMMAND", "300-chars", LONG, c4);
    envCase("CNI_COMMAND", "check-without-prev", "CHECK", CLEAN);
    envCase("CNI_COMMAND", "gc-at-1.0.0", "GC", CLEAN);
    envCase("CNI_COMMAND", "status-at-1.0.0", "STATUS", CLEAN);
    envCase("CNI_CONTAINERID", "unset", null, c4);
    envCase("CNI_CONTAINERID", "dotdot", "../hc", c4);
    envCase("CNI_CONTAINERID", "slash", "a/b", c4);
    envCase("CNI_CONTAINERID", "control", CTRL, c4);
    envCase("CNI_CONTAINERID", "leading-dash", "-hc", c4);
    envCase("CNI_CONTAINERID", "unicode", "c\u00e4", c4);
    envCase("CNI_CONTAINERID", "300-chars", "hc" + LONG, CLEAN);
    envCase("CNI_CONTAINERID", "dotdot-del", "../hc", c4, "DEL");
    envCase("CNI_IFNAME", "unset", null, c4);
    envCase("CNI_IFNAME", "dotdot", "../x", c4);
    envCase("CNI_IFNAME", "slash", "a/b", c4);
    envCase("CNI_IFNAME", "colon", "eth:0", c4);
    envCase("CNI_IFNAME", "space", "eth 0", c4);
    envCase("CNI_IFNAME", "dot", ".", c4);
    envCase("CNI_IFNAME", "dotdot-only", "..", c4);
    envCase("CNI_IFNAME", "16-bytes", "e".repeat(16), c4);
    envCase("CNI_IFNAME", "300-chars", LONG, c4);
    envCase("CNI_IFNAME", "control", "e\u0001", CLEAN);
    envCase("CNI_IFNAME", "15-bytes", "e".repeat(15), OK);
    envCase("CNI_IFNAME", "lo", "lo", CLEAN);
    envCase("CNI_IFNAME", "slash-del", "a/b", c4, "DEL");
    envCase("CNI_PATH", "unset", null, CLEAN);
    envCase("CNI_PATH", "colons", ":::", CLEAN);
    envCase("CNI_PATH", "missing-dir", "/hc-no-such-dir", CLEAN);
    for (
      const [kind, value, expect] of [
        ["empty-pair", "=", CLEAN],
        ["semicolons", ";;", CLEAN],
        ["no-equals", "a", CLEAN],
        ["two-equals", "a=b=c", CLEAN],
        ["bad-ignore-unknown", "IgnoreUnknown=maybe", CLEAN],
        ["unknown-key", "K=V", CLEAN],
        ["ignored-unknown-key", "IgnoreUnknown=1;K8S_POD_NAME=x", OK],
        ["ip-garbage", "IP=garbage", CLEAN],
        ["mac-garbage", "MAC=zz", CLEAN],
        ["300-chars", `IgnoreUnknown=1;${LONG}=${LONG}`, OK],
        ["control", "IgnoreUnknown=1;\u0001=\u0002", OK],
        ["empty-values", "IgnoreUnknown=1;IP=;MAC=", OK],
      ] as [string, string, Expect][]
    ) envCase("CNI_ARGS", kind, value, expect);
    // CNI_NETNS (host-local never opens it, but skel checks for its own namespace).
    if (plugin !== "host-local") {
      envCase("CNI_NETNS", "unset", null, c4);
      envCase("CNI_NETNS", "regular-file", "@FX@/file", FAILS);
      envCase("CNI_NETNS", "directory", "@FX@/dir", FAILS);
      envCase("CNI_NETNS", "missing", "@FX@/missing", FAILS);
      envCase("CNI_NETNS", "char-device", "/dev/null", FAILS);
      envCase("CNI_NETNS", "fifo", "@FX@/fifo", FAILS); // new: open() blocks on a FIFO
      envCase("CNI_NETNS", "mount-namespace", "/proc/self/ns/mnt", FAILS);
      envCase("CNI_NETNS", "relative", "hc/netns", FAILS);
      envCase("CNI_NETNS", "symlink-loop", "@FX@/loop1", FAILS);
      envCase("CNI_NETNS", "300-char-path", `/run/netns/${LONG}`, FAILS);
      envCase("CNI_NETNS", "missing-del", "@FX@/missing", OK, "DEL");
      envCase("CNI_NETNS", "regular-file-del", "@FX@/file", CLEAN, "DEL");
      envCase("CNI_NETNS", "fifo-del", "@FX@/fifo", CLEAN, "DEL");
    }
    envCase("CNI_NETNS", "own-proc-self", "/proc/self/ns/net", { codes: [8] });
    envCase("CNI_NETNS", "own-named", "@SELFNS@", { codes: [8] });
    envCase("CNI_NETNS", "own-del", "/proc/self/ns/net", { codes: [8] }, "DEL");

    // Stdin.
    const stdinCase = (
      kind: string,
      stdin: StdinSpec,
      expect: Expect,
      extra: Partial<Case> = {},
    ): void => {
      add({
        plugin,
        group: "stdin",
        field: "stdin",
        kind,
        command: "ADD",
        conf: baseConf(plugin),
        stdin,
        expect,
        ...extra,
      });
    };
    stdinCase("empty", { text: "" }, c6);
    stdinCase("whitespace", { text: " \n\t " }, c6);
    stdinCase("null", { text: "null" }, { codes: [6, 7] });
    stdinCase("array", { text: "[]" }, c6);
    stdinCase("number", { text: "5" }, c6);
    stdinCase("string", { text: '"x"' }, c6);
    stdinCase("truncated", { text: '{"cniVersion":"1.0.0","name":' }, c6);
    stdinCase("invalid-utf8", { bytes: [0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d] }, {
      codes: [6, 7],
    });
    stdinCase("nul", { bytes: [0] }, c6);
    stdinCase("comment", { text: `// hi\n${JSON.stringify(baseConf(plugin))}` }, c6);
    stdinCase("trailing-garbage", { text: `${JSON.stringify(baseConf(plugin))}x` }, c6);
    stdinCase("two-objects", { text: JSON.stringify(baseConf(plugin)).repeat(2) }, c6);
    stdinCase("deep-array", { text: "[".repeat(50_000) + "]".repeat(50_000) }, c6);
    stdinCase("number-1e400", {
      text: JSON.stringify({ ...baseConf(plugin), hcNum: 0 }).replace('"hcNum":0', '"hcNum":1e400'),
    }, CLEAN);
    stdinCase("duplicate-name", {
      text: JSON.stringify(baseConf(plugin)).replace('"name":', '"name":"hc-dup","name":'),
    }, OK);
    stdinCase("two-mib-valid", { padTo: 2 * 1024 * 1024 }, FAILS, {
      execOnly: "stdin size is a property of the process",
      defect: "a",
    });
    stdinCase("two-mib-garbage", { garbage: 2 * 1024 * 1024 }, FAILS, {
      execOnly: "stdin size is a property of the process",
      defect: "a",
    });
    add({
      plugin,
      group: "stdin",
      field: "stdin",
      kind: "version-with-garbage",
      command: "VERSION",
      conf: null,
      stdin: { text: "}{ garbage" },
      expect: OK,
    });
    add({
      plugin,
      group: "stdin",
      field: "stdin",
      kind: "version-with-two-mib",
      command: "VERSION",
      conf: null,
      stdin: { garbage: 2 * 1024 * 1024 },
      expect: OK,
      execOnly: "stdin size is a property of the process",
    });
  }

  // ------------------------------------------------------------ booby-trapped state dirs
  const trap = (kind: SetupName, command = "ADD"): void => {
    add({
      plugin: hl,
      group: "state",
      field: "dataDir",
      kind: command === "ADD" ? kind : `${kind}-${command.toLowerCase()}`,
      command,
      conf: baseConf(hl),
      setup: [kind],
      expect: CLEAN,
      defect: "c",
    });
  };
  for (
    const s of [
      "lease-symlink",
      "last-reserved-symlink",
      "lock-symlink",
      "lock-fifo",
      "netdir-symlink",
      "index-symlink",
    ] as SetupName[]
  ) trap(s);
  trap("lease-symlink", "DEL");
  trap("netdir-symlink", "DEL");
  trap("lock-symlink", "DEL");

  // ------------------------------------------------------------------ stateful DELs
  const masq = { ...baseConf("bridge"), ipMasq: true };
  for (
    const [kind, prev] of [
      ["garbage-string", "garbage"],
      ["bad-address", { cniVersion: "1.0.0", ips: [{ address: "garbage" }] }],
      ["unknown-version", { cniVersion: "9.9.9" }],
      ["array", []],
    ] as [string, Json][]
  ) {
    add({
      plugin: "bridge",
      group: "state",
      field: "prevResult",
      kind: `after-add-${kind}`,
      command: "DEL",
      conf: { ...masq, prevResult: prev },
      priorConf: masq,
      setup: ["add-first"],
      expect: OK,
      defect: "d",
    });
  }
  add({
    plugin: "bridge",
    group: "state",
    field: "netns+leases",
    kind: "after-add-both-gone",
    command: "DEL",
    conf: masq,
    priorConf: masq,
    setup: ["add-first", "drop-netns", "drop-leases"],
    expect: OK,
    defect: "e",
  });
  add({
    plugin: "bridge",
    group: "state",
    field: "netns",
    kind: "after-add-netns-gone",
    command: "DEL",
    conf: masq,
    priorConf: masq,
    setup: ["add-first", "drop-netns"],
    expect: OK,
    defect: "e",
  });
  add({
    plugin: hl,
    group: "state",
    field: "leases",
    kind: "after-add-twice",
    command: "ADD",
    conf: baseConf(hl),
    setup: ["add-first"],
    expect: CLEAN,
  });
  add({
    plugin: "bridge",
    group: "state",
    field: "prevResult",
    kind: "check-after-add-garbage",
    command: "CHECK",
    conf: { ...masq, prevResult: "garbage" },
    priorConf: masq,
    setup: ["add-first"],
    expect: FAILS,
  });
  for (const c of cases) {
    if (c.id.includes("ipam.dataDir") && /\/(empty|null)$/.test(c.id)) c.defaultDataDir = true;
  }
  return cases;
}

function deep(n: number): Json {
  let v: Json = 0;
  for (let i = 0; i < n; i++) v = [v];
  return v;
}

/** The case's text with every token, for deciding which fixtures it needs. */
function caseText(c: Case): string {
  return JSON.stringify([c.conf, c.env ?? {}, c.stdin ?? null, c.priorConf ?? null]);
}

/** A fresh case tree, ready to run. */
export interface Prepared {
  /** The case. */
  case: Case;
  /** Which binary or plugin. */
  plugin: PluginName;
  /** The full `CNI_*` environment of the call (unset variables absent). */
  env: Record<string, string>;
  /** Stdin bytes. */
  stdin: Uint8Array;
  /** The environment and stdin of the `add-first` ADD, when the case has one. */
  prior?: { env: Record<string, string>; stdin: Uint8Array };
  /**
   * The bridge ADD (run in-process) whose result replaces {@linkcode PREV_RESULT} in the
   * stdin of the case and of its `add-first` ADD, when they hold it.
   */
  chainBase?: { env: Record<string, string>; stdin: Uint8Array };
  /** Working directory of the call (inside `given`, for relative paths in configs). */
  cwd: string;
  /** The case root. */
  root: string;
  /** `<root>/given`: the only place the plugin may write. */
  given: string;
  /** `<root>/fx`: fixtures that must come out unchanged. */
  fx: string;
  /** The data dir the base config names. */
  dataDir: string;
  /** Network name. */
  net: string;
  /** Bridge name. */
  br: string;
  /** Container ID. */
  cid: string;
  /** Named namespace made for the case, if any. */
  netnsName?: string;
  /** Named bind of the runner's own namespace, if any. */
  selfNsName?: string;
  /**
   * Links the case's host namespace was given (a master, a device to move): not leftovers,
   * and they must be there again after the case (unless it dropped the container namespace).
   */
  fixtureLinks: string[];
}

function rand(n: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => (b % 36).toString(36))
    .join("");
}

function substitute(j: Json, tokens: Record<string, string>): Json {
  if (typeof j === "string") {
    return j.replace(/@([A-Z]+)@/g, (m, k: string) => tokens[k] ?? m);
  }
  if (Array.isArray(j)) return j.map((v) => substitute(v, tokens));
  if (j !== null && typeof j === "object") {
    // Keys too: a tuning sysctl key may name a fixture.
    return Object.fromEntries(
      Object.entries(j).map(([k, v]) => [substitute(k, tokens) as string, substitute(v, tokens)]),
    );
  }
  return j;
}

async function sh(cmd: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

const ENC = new TextEncoder();

function stdinBytes(c: Case, conf: Json, tokens: Record<string, string>): Uint8Array {
  const s = c.stdin;
  if (!s) return ENC.encode(JSON.stringify(conf));
  if ("text" in s) return ENC.encode(substitute(s.text, tokens) as string);
  if ("bytes" in s) return new Uint8Array(s.bytes);
  if ("garbage" in s) return new Uint8Array(s.garbage).fill(0x7b);
  const base = JSON.stringify({ ...(conf as object), hcPad: "" });
  return ENC.encode(base.replace('"hcPad":""', `"hcPad":"${"p".repeat(s.padTo - base.length)}"`));
}

/** The first address host-local hands out for the base config. */
export const FIRST_IP = "10.99.0.2";

/**
 * Makes the fresh tree of a case under `root` (which must not exist) and its call.
 *
 * @param c The case.
 * @param root Case root.
 * @param cniPath `CNI_PATH` of the mode (our launchers, or /usr/lib/cni).
 * @returns The prepared call.
 */
export async function materialize(c: Case, root: string, cniPath: string): Promise<Prepared> {
  const given = `${root}/given`;
  const fx = `${root}/fx`;
  const dataDir = `${given}/data`;
  await Deno.mkdir(dataDir, { recursive: true });
  await Deno.mkdir(fx);
  const tag = rand(8);
  const p: Prepared = {
    case: c,
    plugin: c.plugin,
    env: {},
    stdin: new Uint8Array(),
    cwd: given,
    root,
    given,
    fx,
    dataDir,
    net: `hcn-${tag}`,
    br: `hcb${tag}`,
    cid: `hcc${tag}`,
    fixtureLinks: [],
  };
  const effective = { ...baseEnv(c.plugin, c.command), ...c.env };
  const text = caseText(c) + JSON.stringify(effective) +
    (c.setup?.includes("add-first") ? JSON.stringify(baseEnv(c.plugin, "ADD")) : "");
  // Fixtures (only those the case names, but the victims always: they must stay unchanged).
  await Deno.writeTextFile(`${fx}/victim`, "victim\n");
  await Deno.mkdir(`${fx}/victimdir`);
  if (text.includes("@FX@/file")) await Deno.writeTextFile(`${fx}/file`, "not a namespace\n");
  if (text.includes("@FX@/dir")) await Deno.mkdir(`${fx}/dir`);
  if (text.includes("@FX@/fifo")) await sh("mkfifo", `${fx}/fifo`);
  if (text.includes("@FX@/zero")) await Deno.symlink("/dev/zero", `${fx}/zero`);
  if (text.includes("@FX@/loop1")) {
    await Deno.symlink(`${fx}/loop2`, `${fx}/loop1`);
    await Deno.symlink(`${fx}/loop1`, `${fx}/loop2`);
  }
  if (text.includes("@FX@/big")) {
    await Deno.writeTextFile(`${fx}/big`, "nameserver 10.99.0.53\n".repeat(100_000));
  }
  if (text.includes("@FX@/resolv.conf")) {
    await Deno.writeTextFile(`${fx}/resolv.conf`, "nameserver 10.99.0.53\nsearch hc.example\n");
  }
  if (text.includes("@GIVEN@/link-to-real")) {
    await Deno.mkdir(`${given}/real`);
    await Deno.symlink(`${given}/real`, `${given}/link-to-real`);
  }
  // A master for macvlan, ipvlan and vlan (also the default route's device, which macvlan
  // and ipvlan take when `master` is empty); a device for host-device to move. Each a veth
  // with its peer, both up.
  const links: Record<string, string> = {};
  for (const [token, letter] of [["MASTER", "m"], ["DEV", "d"]] as const) {
    const wanted = text.includes(`@${token}@`) ||
      (token === "MASTER" && ["macvlan", "ipvlan", "vlan"].includes(c.plugin)) ||
      (token === "DEV" && c.plugin === "host-device");
    if (!wanted) continue;
    const [name, peer] = [`hc${letter}${tag}`, `hc${letter}p${tag}`];
    await sh("ip", "link", "add", name, "type", "veth", "peer", "name", peer);
    await sh("ip", "link", "set", name, "up");
    await sh("ip", "link", "set", peer, "up");
    if (token === "MASTER") await sh("ip", "route", "add", "default", "dev", name);
    p.fixtureLinks.push(name, peer);
    links[token] = name;
  }
  const chainedCall = text.includes(PREV_RESULT);
  if (text.includes("@NETNS@") || chainedCall) {
    p.netnsName = `hcns-${tag}`;
    await sh("ip", "netns", "add", p.netnsName);
  }
  if (text.includes("@SELFNS@")) {
    p.selfNsName = `hcself-${tag}`;
    const path = `/run/netns/${p.selfNsName}`;
    await Deno.mkdir("/run/netns", { recursive: true });
    await Deno.writeFile(path, new Uint8Array());
    await sh("mount", "--bind", `/proc/${Deno.pid}/ns/net`, path);
  }
  const tokens: Record<string, string> = {
    ROOT: root,
    GIVEN: given,
    DATA: dataDir,
    FX: fx,
    NET: p.net,
    BR: p.br,
    CID: p.cid,
    NETNS: p.netnsName ? `/run/netns/${p.netnsName}` : "",
    SELFNS: p.selfNsName ? `/run/netns/${p.selfNsName}` : "",
    CNIPATH: cniPath,
    MASTER: links.MASTER ?? "",
    DEV: links.DEV ?? "",
  };
  for (const [k, v] of Object.entries(effective)) {
    if (v === null || v === "") continue;
    p.env[k] = substitute(v, tokens) as string;
  }
  const conf = substitute(c.conf, tokens);
  p.stdin = stdinBytes(c, conf, tokens);
  if (chainedCall) {
    p.chainBase = {
      env: Object.fromEntries(
        Object.entries(baseEnv("bridge", "ADD")).map(([k, v]) => [k, substitute(v, tokens)]),
      ) as Record<string, string>,
      stdin: ENC.encode(JSON.stringify(substitute(chainBaseConf(), tokens))),
    };
  }
  if (c.setup?.includes("add-first")) {
    const prior = substitute(c.priorConf ?? baseConf(c.plugin), tokens);
    p.prior = {
      env: Object.fromEntries(
        Object.entries(baseEnv(c.plugin, "ADD")).map(([k, v]) => [k, substitute(v, tokens)]),
      ) as Record<string, string>,
      stdin: ENC.encode(JSON.stringify(prior)),
    };
  }
  // Booby traps in the network's state directory.
  const netDir = `${dataDir}/${p.net}`;
  for (const s of c.setup ?? []) {
    switch (s) {
      case "lease-symlink":
        await Deno.mkdir(netDir);
        await Deno.symlink(`${fx}/victim`, `${netDir}/${FIRST_IP}`);
        break;
      case "last-reserved-symlink":
        await Deno.mkdir(netDir);
        await Deno.symlink(`${fx}/victim`, `${netDir}/last_reserved_ip.0`);
        break;
      case "lock-symlink":
        await Deno.mkdir(netDir);
        await Deno.symlink(`${fx}/victim`, `${netDir}/lock`);
        break;
      case "lock-fifo":
        await Deno.mkdir(netDir);
        await sh("mkfifo", `${netDir}/lock`);
        break;
      case "netdir-symlink":
        await Deno.symlink(`${fx}/victimdir`, netDir);
        break;
      case "index-symlink":
        await Deno.symlink(`${fx}/victimdir`, `${dataDir}/.denocni-index`);
        break;
      default:
        break; // run by the runner
    }
  }
  return p;
}

/** One entry of a tree listing: path relative to the listed root, kind and a content tag. */
export type TreeEntry = string;

/**
 * Lists a tree without following symlinks: `path kind [size hash|target]`, sorted.
 *
 * @param dir The root.
 * @returns The entries (empty when `dir` does not exist).
 */
export async function listTree(dir: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const abs = rel === "" ? dir : `${dir}/${rel}`;
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(abs));
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel === "" ? e.name : `${rel}/${e.name}`;
      const info = await Deno.lstat(`${dir}/${r}`);
      if (info.isSymlink) out.push(`${r} -> ${await Deno.readLink(`${dir}/${r}`)}`);
      else if (info.isDirectory) {
        out.push(`${r}/`);
        await walk(r);
      } else if (info.isFile) {
        const bytes = info.size <= 65536 ? await Deno.readFile(`${dir}/${r}`) : new Uint8Array();
        const hash = bytes.reduce((h, b) => (h * 31 + b) >>> 0, 7);
        out.push(`${r} ${info.size} ${hash.toString(16)}`);
      } else out.push(`${r} special`);
    }
  };
  await walk("");
  return out.sort();
}
