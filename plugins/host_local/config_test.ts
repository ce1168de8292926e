import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import { DEFAULT_DATA_DIR, loadIpamConfig } from "./config.ts";
import { formatIp } from "../../ip/mod.ts";

function net(ipam: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}) {
  const c: Record<string, unknown> = {
    cniVersion: "1.0.0",
    name: "net1",
    type: "bridge",
    ...extra,
  };
  if (ipam) c.ipam = { type: "host-local", ...ipam };
  return c;
}

function bounds(conf: ReturnType<typeof loadIpamConfig>) {
  return conf.ranges.map((set) =>
    set.map((r) => ({
      start: formatIp(r.rangeStart),
      end: formatIp(r.rangeEnd),
      gw: r.gateway ? formatIp(r.gateway) : undefined,
    }))
  );
}

function fails(config: unknown, args: string, code: number, includes: string): CniError {
  const err = assertThrows(() => loadIpamConfig(config as never, args), CniError, includes);
  assertEquals(err.code, code, err.message);
  return err;
}

Deno.test("loadIpamConfig() applies the reference defaults (v4 ends before broadcast, v6 at the last address)", () => {
  const conf = loadIpamConfig(
    net({ ranges: [[{ subnet: "10.9.0.0/29" }], [{ subnet: "fd00::/120" }]] }),
    "",
  );
  assertEquals(bounds(conf), [
    [{ start: "10.9.0.1", end: "10.9.0.6", gw: "10.9.0.1" }],
    [{ start: "fd00::1", end: "fd00::ff", gw: "fd00::1" }],
  ]);
  assertEquals(conf.dataDir, "/var/lib/cni/networks");
  assertEquals(conf.name, "net1");
  assertEquals(conf.routes, []);
});

Deno.test("loadIpamConfig() orders ipRanges, then the legacy range, then ranges", () => {
  const conf = loadIpamConfig(
    net(
      {
        subnet: "10.2.0.0/24",
        rangeStart: "10.2.0.10",
        rangeEnd: "10.2.0.20",
        gateway: "10.2.0.254",
        ranges: [[{ subnet: "10.3.0.0/24" }]],
      },
      { runtimeConfig: { ipRanges: [[{ subnet: "10.1.0.0/24" }]] } },
    ),
    "",
  );
  assertEquals(bounds(conf).map((s) => s[0]!.start), ["10.1.0.1", "10.2.0.10", "10.3.0.1"]);
  assertEquals(bounds(conf)[1], [{ start: "10.2.0.10", end: "10.2.0.20", gw: "10.2.0.254" }]);
});

Deno.test("loadIpamConfig() collects requested IPs: CNI_ARGS IP first, then args.cni.ips, then runtimeConfig.ips", () => {
  const conf = loadIpamConfig(
    net({ subnet: "10.2.0.0/24" }, {
      args: { cni: { ips: ["10.2.0.7/24"] } },
      runtimeConfig: { ips: ["10.2.0.8"] },
    }),
    "IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.2.0.6",
  );
  assertEquals(conf.requestedIps.map(formatIp), ["10.2.0.6", "10.2.0.7", "10.2.0.8"]);
});

Deno.test("loadIpamConfig() passes routes through with the 1.1 fields, canonical text", () => {
  const conf = loadIpamConfig(
    net({
      subnet: "10.2.0.0/24",
      routes: [{ dst: "0.0.0.0/0" }, {
        dst: "FD00::/8",
        gw: "fd00:0::1",
        mtu: 1400,
        priority: 0,
        table: 0,
      }],
    }),
    "",
  );
  assertEquals(conf.routes, [{ dst: "0.0.0.0/0" }, {
    dst: "fd00::/8",
    gw: "fd00::1",
    mtu: 1400,
    table: 0,
  }]);
});

Deno.test("loadIpamConfig() accepts /31 and /32 as point-to-point with every address usable", () => {
  assertEquals(bounds(loadIpamConfig(net({ subnet: "10.0.0.4/31" }), "")), [[{
    start: "10.0.0.4",
    end: "10.0.0.5",
    gw: undefined,
  }]]);
  assertEquals(bounds(loadIpamConfig(net({ subnet: "10.0.0.4/32" }), "")), [[{
    start: "10.0.0.4",
    end: "10.0.0.4",
    gw: undefined,
  }]]);
});

Deno.test("loadIpamConfig() names the field of every bad key with code 7", () => {
  const cases: [Record<string, unknown> | undefined, Record<string, unknown>, string][] = [
    [undefined, {}, "IPAM config missing 'ipam' key"],
    [{}, {}, "no IP ranges specified"],
    [{ ranges: "x" }, {}, 'field "ipam.ranges": expected array'],
    [{ ranges: [{}] }, {}, 'field "ipam.ranges[0]": expected array'],
    [{ ranges: [[{}]] }, {}, 'field "ipam.ranges[0][0].subnet": is required'],
    [
      { ranges: [[{ subnet: "10.0.0.0" }]] },
      {},
      'field "ipam.ranges[0][0].subnet": invalid subnet',
    ],
    [{ ranges: [[{ subnet: 5 }]] }, {}, 'field "ipam.ranges[0][0].subnet": expected string'],
    [
      { ranges: [[{ subnet: "10.0.0.0/24", rangeStart: "x" }]] },
      {},
      'field "ipam.ranges[0][0].rangeStart": invalid rangeStart',
    ],
    [
      { ranges: [[{ subnet: "10.0.0.0/24", rangeEnd: 3 }]] },
      {},
      'field "ipam.ranges[0][0].rangeEnd": expected string',
    ],
    [
      { ranges: [[{ subnet: "10.0.0.0/24", gateway: "10.0.0" }]] },
      {},
      'field "ipam.ranges[0][0].gateway": invalid gateway',
    ],
    [{ ranges: [[]] }, {}, 'invalid range set 0: field "ipam.ranges[0]": empty range set'],
    [{ subnet: "10.0.0.0/24", rangeStart: "nope" }, {}, 'field "ipam.rangeStart"'],
    [{ subnet: "bad" }, {}, 'field "ipam.subnet": invalid CIDR bad'],
    [
      { subnet: "10.0.0.0/24", routes: [{ gw: "10.0.0.1" }] },
      {},
      'field "ipam.routes[0].dst": is required',
    ],
    [
      { subnet: "10.0.0.0/24", routes: [{ dst: "0.0.0.0/0", gw: "x" }] },
      {},
      'field "ipam.routes[0].gw"',
    ],
    [
      { subnet: "10.0.0.0/24", routes: [{ dst: "0.0.0.0/0", mtu: "9000" }] },
      {},
      'field "ipam.routes[0].mtu"',
    ],
    [{ subnet: "10.0.0.0/24", dataDir: 1 }, {}, 'field "ipam.dataDir": expected string'],
    [{ subnet: "10.0.0.0/24", resolvConf: [] }, {}, 'field "ipam.resolvConf": expected string'],
    [{ subnet: "10.0.0.0/24" }, { runtimeConfig: { ips: ["x"] } }, 'field "runtimeConfig.ips[0]"'],
    [
      { subnet: "10.0.0.0/24" },
      { runtimeConfig: { ipRanges: [[{ subnet: 1 }]] } },
      'field "runtimeConfig.ipRanges[0][0].subnet"',
    ],
    [{ subnet: "10.0.0.0/24" }, { args: { cni: { ips: [7] } } }, 'field "args.cni.ips[0]"'],
    [{ subnet: "10.0.0.0/24" }, { name: "../x" }, 'field "name"'],
  ];
  for (const [ipam, extra, includes] of cases) fails(net(ipam, extra), "", 7, includes);
});

Deno.test("loadIpamConfig() validates ranges beyond the reference", () => {
  const r = (range: Record<string, unknown>) =>
    net({ ranges: [[{ subnet: "10.6.0.0/24", ...range }]] });
  const f = 'invalid range set 0: field "ipam.ranges[0][0].';
  fails(
    r({ rangeStart: "10.6.0.0" }),
    "",
    7,
    `${f}rangeStart": rangeStart 10.6.0.0 is the network address of 10.6.0.0/24`,
  );
  fails(
    r({ rangeEnd: "10.6.0.255" }),
    "",
    7,
    `${f}rangeEnd": rangeEnd 10.6.0.255 is the broadcast address of 10.6.0.0/24`,
  );
  fails(r({ rangeStart: "10.6.0.255" }), "", 7, "broadcast address"); // reference #1293: walked past the subnet
  fails(
    r({ rangeStart: "10.6.1.1" }),
    "",
    7,
    `${f}rangeStart": rangeStart 10.6.1.1 not in network 10.6.0.0/24`,
  );
  fails(
    r({ rangeStart: "10.6.0.50", rangeEnd: "10.6.0.40" }),
    "",
    7,
    `${f}rangeStart": rangeStart 10.6.0.50 is after rangeEnd 10.6.0.40`,
  );
  fails(
    r({ rangeStart: "10.6.0.50", rangeEnd: "fd00::1" }),
    "",
    7,
    `${f}rangeEnd": rangeEnd fd00::1 not in network`,
  );
  fails(
    r({ gateway: "10.7.0.1" }),
    "",
    7,
    `${f}gateway": gateway 10.7.0.1 not in network 10.6.0.0/24`,
  );
  fails(r({ gateway: "10.6.0.0" }), "", 7, "gateway 10.6.0.0 is the network address");
  fails(
    net({ ranges: [[{ subnet: "10.6.0.1/24" }]] }),
    "",
    7,
    "Network has host bits set. For a subnet mask of length 24 the network address is 10.6.0.0",
  );
  fails(
    net({ ranges: [[{ subnet: "fd00::/64", rangeStart: "fd00::" }]] }),
    "",
    7,
    "rangeStart fd00:: is the network address",
  );
  fails(
    net({ ranges: [[{ subnet: "10.6.0.0/24" }, { subnet: "fd00::/64" }]] }),
    "",
    7,
    'invalid range set 0: field "ipam.ranges[0][1]": mixed address families',
  );
  fails(
    net({
      ranges: [[{ subnet: "10.6.0.0/24", rangeEnd: "10.6.0.100" }, {
        subnet: "10.6.0.0/24",
        rangeStart: "10.6.0.100",
      }]],
    }),
    "",
    7,
    "subnets 10.6.0.1-10.6.0.100 and 10.6.0.100-10.6.0.254 overlap",
  );
  fails(
    net({ ranges: [[{ subnet: "10.6.0.0/24" }], [{ subnet: "10.6.0.0/25" }]] }),
    "",
    7,
    "range set 0 overlaps with 1",
  );
  fails(
    net({ ranges: [[{ subnet: "10.6.0.0/24" }], [{ subnet: "10.7.0.0/25" }]] }, {
      cniVersion: "0.2.0",
    }),
    "",
    7,
    "CNI version 0.2.0 does not support more than 1 address per family",
  );
  // IPv6 all-ones is allocatable, as in the reference.
  assertEquals(
    bounds(
      loadIpamConfig(net({ ranges: [[{ subnet: "fd00::/120", rangeEnd: "fd00::ff" }]] }), ""),
    )[0]![0]!.end,
    "fd00::ff",
  );
});

Deno.test("loadIpamConfig() reads JSON null as absent for every optional field", () => {
  const base = net({ subnet: "10.9.0.0/24" });
  const plain = loadIpamConfig(base, "");
  const top = ["cniVersion", "runtimeConfig", "args"];
  for (const key of top) {
    const want = key === "cniVersion" ? { ...plain, cniVersion: "0.1.0" } : plain;
    assertEquals(loadIpamConfig({ ...base, [key]: null }, ""), want, key);
  }
  const ipamKeys = ["type", "rangeStart", "rangeEnd", "gateway", "ranges", "routes", "dataDir"];
  for (const key of [...ipamKeys, "resolvConf"]) {
    assertEquals(loadIpamConfig(net({ subnet: "10.9.0.0/24", [key]: null }), ""), plain, key);
  }
  const allNull = Object.fromEntries([...ipamKeys, "resolvConf"].map((k) => [k, null]));
  assertEquals(loadIpamConfig(net({ subnet: "10.9.0.0/24", ...allNull }), ""), plain);
  // nested: a range's and a route's optional fields, runtimeConfig and args contents
  const nested = loadIpamConfig(
    net({
      subnet: null,
      ranges: [[{ subnet: "10.9.0.0/24", rangeStart: null, rangeEnd: null, gateway: null }]],
      routes: [{
        dst: "0.0.0.0/0",
        gw: null,
        mtu: null,
        advmss: null,
        priority: null,
        table: null,
        scope: null,
      }],
    }, {
      runtimeConfig: { ipRanges: null, ips: null },
      args: { cni: { ips: null } },
    }),
    "",
  );
  assertEquals(bounds(nested), bounds(plain));
  assertEquals(nested.routes, [{ dst: "0.0.0.0/0" }]);
  assertEquals(nested.requestedIps, []);
  // still strict about wrong types
  fails(net({ subnet: "10.9.0.0/24", dataDir: 5 }), "", 7, 'field "ipam.dataDir"');
});

Deno.test("loadIpamConfig() reads IPv4-mapped text as Go does: a subnet is refused, a requested IP or route is IPv4", () => {
  // The reference parses the subnet, then fails it: "IPNet IP and Mask version mismatch".
  fails(net({ subnet: "::ffff:10.0.0.0/120" }), "", 7, "subnet");
  const conf = loadIpamConfig(
    net(
      { subnet: "10.2.0.0/24", routes: [{ dst: "::ffff:10.3.0.0/112", gw: "::ffff:10.2.0.1" }] },
      { args: { cni: { ips: ["::ffff:10.2.0.7/120"] } } },
    ),
    "IP=::ffff:10.2.0.6",
  );
  assertEquals(conf.requestedIps.map(formatIp), ["10.2.0.6", "10.2.0.7"]);
  assertEquals(conf.requestedIps.map((ip) => ip.family), [4, 4]);
  assertEquals(conf.routes, [{ dst: "10.3.0.0/16", gw: "10.2.0.1" }]);
});

Deno.test("loadIpamConfig() defaults dataDir to the reference's /var/lib/cni/networks", () => {
  assertEquals(DEFAULT_DATA_DIR, "/var/lib/cni/networks");
  assertEquals(loadIpamConfig(net({ subnet: "10.9.0.0/24" }), "").dataDir, DEFAULT_DATA_DIR);
  assertEquals(loadIpamConfig(net({ subnet: "10.9.0.0/24", dataDir: "/x" }), "").dataDir, "/x");
});
