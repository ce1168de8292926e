import { assert, assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import type { NetConf } from "../../cni/types.ts";
import * as config from "./config.ts";

function conf(extra: Record<string, unknown>): NetConf {
  return { cniVersion: "1.0.0", name: "n", type: "tuning", ...extra } as NetConf;
}

function code7(fn: () => unknown): string {
  const err = assertThrows(fn, CniError);
  assertEquals(err.code, 7, err.msg);
  return err.msg;
}

Deno.test("loadTuningConf() defaults and the reference's MAC precedence", () => {
  assertEquals(config.loadTuningConf(conf({}), ""), {
    dataDir: "/run/cni/tuning",
    sysctl: [],
    mtu: 0,
    promisc: false,
  });
  const mac = (n: number) => `c2:00:00:00:00:0${n}`;
  const all = conf({
    mac: mac(1),
    runtimeConfig: { mac: mac(3) },
    args: { cni: { mac: mac(4) } },
  });
  assertEquals(config.loadTuningConf(conf({ mac: mac(1) }), "").mac, mac(1));
  assertEquals(config.loadTuningConf(conf({ mac: mac(1) }), `MAC=${mac(2)}`).mac, mac(2));
  assertEquals(
    config.loadTuningConf(conf({ ...all, args: undefined }), `MAC=${mac(2)}`).mac,
    mac(3),
  );
  assertEquals(config.loadTuningConf(all, `MAC=${mac(2)}`).mac, mac(4));
  // An empty runtimeConfig or CNI_ARGS MAC does not override; an empty args.cni.mac does.
  assertEquals(
    config.loadTuningConf(conf({ mac: mac(1), runtimeConfig: { mac: "" } }), "MAC=").mac,
    mac(1),
  );
  assertEquals(
    config.loadTuningConf(conf({ mac: mac(1), args: { cni: { mac: "" } } }), "").mac,
    undefined,
  );
});

Deno.test("loadTuningConf() lets args.cni override each value and merges args.cni.sysctl", () => {
  const c = config.loadTuningConf(
    conf({
      sysctl: { "net.a": "1", "net.b": "2" },
      mtu: 1400,
      promisc: true,
      allmulti: true,
      txQLen: 5,
      dataDir: "/tmp/x",
      args: {
        cni: { sysctl: { "net.b": "3", "net.c": "4" }, mtu: 0, promisc: false, allmulti: false },
      },
    }),
    "",
  );
  assertEquals(c, {
    dataDir: "/tmp/x",
    sysctl: [["net.a", "1"], ["net.b", "3"], ["net.c", "4"]],
    mtu: 0,
    promisc: false,
    allmulti: false,
    txQLen: 5,
  });
  // args.cni.sysctl without a top-level sysctl (the reference panics).
  assertEquals(
    config.loadTuningConf(conf({ args: { cni: { sysctl: { "net.x": "1" } } } }), "").sysctl,
    [["net.x", "1"]],
  );
  // null reads as absent.
  assertEquals(
    config.loadTuningConf(conf({ allmulti: null, txQLen: null, args: { cni: { mtu: null } } }), ""),
    config.loadTuningConf(conf({}), ""),
  );
  assertEquals(
    config.changesLink(config.loadTuningConf(conf({ sysctl: { "net.a": "1" } }), "")),
    false,
  );
  for (const extra of [{ mtu: 9000 }, { promisc: true }, { allmulti: false }, { txQLen: 0 }]) {
    assert(config.changesLink(config.loadTuningConf(conf(extra), "")), JSON.stringify(extra));
  }
});

Deno.test("loadTuningConf() refuses bad values before anything is done, code 7", () => {
  assert(code7(() => config.loadTuningConf(conf({ mtu: -5 }), "")).includes('field "mtu"'));
  assert(code7(() => config.loadTuningConf(conf({ mtu: 1.5 }), "")).includes('field "mtu"'));
  assert(code7(() => config.loadTuningConf(conf({ txQLen: -1 }), "")).includes('field "txQLen"'));
  assert(
    code7(() => config.loadTuningConf(conf({ txQLen: 2 ** 32 }), "")).includes('field "txQLen"'),
  );
  assert(
    code7(() => config.loadTuningConf(conf({ promisc: "yes" }), "")).includes('field "promisc"'),
  );
  assert(
    code7(() => config.loadTuningConf(conf({ sysctl: { "net.a": 1 } }), "")).includes("sysctl"),
  );
  assert(
    code7(() => config.loadTuningConf(conf({ args: { cni: { mtu: "9000" } } }), "")).includes(
      'field "args.cni.mtu"',
    ),
  );
  assertEquals(
    code7(() => config.loadTuningConf(conf({ mac: "zz" }), "")),
    "invalid args zz for MAC addr: address zz: invalid MAC address",
  );
  assertEquals(
    code7(() => config.loadTuningConf(conf({}), "FOO=1")),
    'ARGS: unknown args ["FOO=1"]',
  );
  assertEquals(config.loadTuningConf(conf({}), "IgnoreUnknown=1;FOO=1").mac, undefined);
});

Deno.test("parseTuningMac() takes Go's 6-byte forms and refuses what the kernel refuses", () => {
  for (const ok of ["C2:11:22:33:44:55", "c2-11-22-33-44-55", "c211.2233.4455"]) {
    assertEquals(config.parseTuningMac(ok), "c2:11:22:33:44:55", ok);
  }
  for (
    const bad of [
      "c2:11:22:33:44",
      "c2:11-22:33:44:55",
      "c2:11:22:33:44:55:66",
      "",
      "gg:11:22:33:44:55",
    ]
  ) {
    assert(
      code7(() => config.parseTuningMac(bad)).startsWith(`invalid args ${bad} for MAC addr: `),
      bad,
    );
  }
  for (const bad of ["01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00"]) {
    assert(code7(() => config.parseTuningMac(bad)).includes("not a unicast address"), bad);
  }
});

Deno.test("sysctlKeyPath() converts like the newest reference and refuses escapes", () => {
  assertEquals(config.sysctlKeyPath("net.ipv4.ip_forward", "eth0"), "net/ipv4/ip_forward");
  assertEquals(config.sysctlKeyPath("net/ipv4/ip_forward", "eth0"), "net/ipv4/ip_forward");
  // IFNAME is substituted after the dots are converted: dotted interface names work.
  assertEquals(
    config.sysctlKeyPath("net.ipv4.conf.IFNAME.arp_notify", "eth0.100"),
    "net/ipv4/conf/eth0.100/arp_notify",
  );
  // Only the first IFNAME.
  assertEquals(config.sysctlKeyPath("net.IFNAME.IFNAME", "e"), "net/e/IFNAME");
  const bad: [string, string][] = [
    ["kernel.hostname", "kernel/hostname"],
    ["net", "net"],
    ["net/../../etc/x", "net///////etc/x"],
    ["/net/ipv4/ip_forward", "/net/ipv4/ip_forward"],
    ["net.ipv4.", "net/ipv4/"],
    ["net..ipv4", "net//ipv4"],
    ["", ""],
    ["net/ipv4/\0", "net/ipv4/\0"],
    ["netfilter.x", "netfilter/x"],
  ];
  for (const [key, path] of bad) {
    assertEquals(
      code7(() => config.sysctlKeyPath(key, "eth0")),
      `invalid net sysctl key: ${JSON.stringify(path)}`,
    );
  }
});

Deno.test("checkDuplicateSysctls() refuses a key written twice, top level or in args.cni", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  config.checkDuplicateSysctls(enc('{"name":"n","sysctl":{"net.a":"1","net.b":"1"}}'));
  config.checkDuplicateSysctls(enc('{"name":"n","mtu":1}'));
  for (
    const text of [
      '{"sysctl":{"net.a":"1","net.a":"0"}}',
      '{"args":{"cni":{"sysctl":{"net.a":"1","net.a":"0"}}},"sysctl":{}}',
    ]
  ) {
    const err = assertThrows(() => config.checkDuplicateSysctls(enc(text)), CniError);
    assertEquals([err.code, err.msg], [7, "duplicated sysctl keys are not allowed"]);
    assert(err.details?.includes('"net.a"'), err.details);
  }
});

Deno.test("dataDirOf() reads dataDir leniently for DEL", () => {
  assertEquals(config.dataDirOf(conf({ dataDir: "/x" })), "/x");
  for (const d of [undefined, "", 5, null, { a: 1 }]) {
    assertEquals(config.dataDirOf(conf({ dataDir: d, mtu: "broken" })), "/run/cni/tuning");
  }
});
