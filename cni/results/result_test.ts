import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { gated } from "../../tests/helpers/gate.ts";
import { refMissing } from "../../tests/helpers/reference.ts";
import { execReference } from "../../tests/helpers/exec_plugin.ts";
import { CniError } from "../errors.ts";
import { SUPPORTED_VERSIONS } from "../types.ts";
import { convertResult, formatResult, parseResult, toCurrentResult } from "./mod.ts";

// ---------------------------------------------------------------------------------------
// Conversion table over every (from, to) pair
// ---------------------------------------------------------------------------------------

const DNS_IN = {
  nameservers: ["10.0.0.53"],
  domain: "example",
  search: ["a"],
  options: ["ndots:2"],
};
const DNS_STRUCT = '{"nameservers":["10.0.0.53"],"domain":"example","search":["a"],' +
  '"options":["ndots:2"]}';
const DNS_SORTED = '{"domain":"example","nameservers":["10.0.0.53"],"options":["ndots:2"],' +
  '"search":["a"]}';
const MAC = "0a:58:0a:00:00:02";
const NS = "/var/run/netns/x";

const SAMPLES: Record<"020" | "040" | "100", Record<string, unknown>> = {
  "020": {
    ip4: {
      ip: "10.0.0.2/24",
      gateway: "10.0.0.1",
      routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1" }],
    },
    ip6: { ip: "fd00:0::2/64", gateway: "fd00::1", routes: [{ dst: "::/0" }] },
    dns: DNS_IN,
  },
  "040": {
    interfaces: [{ name: "eth0", mac: MAC, sandbox: NS }],
    ips: [
      { version: "4", interface: 0, address: "10.0.0.2/24", gateway: "10.0.0.1" },
      { version: "6", interface: 0, address: "fd00::2/64", gateway: "fd00::1" },
    ],
    routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1" }, { dst: "::/0" }],
    dns: DNS_IN,
  },
  "100": {
    interfaces: [{
      name: "eth0",
      mac: MAC,
      mtu: 1400,
      sandbox: NS,
      socketPath: "/run/sock",
      pciID: "0000:00:01.0",
    }],
    ips: [
      { interface: 0, address: "10.0.0.2/24", gateway: "10.0.0.1" },
      { interface: 0, address: "10.0.0.3/24" },
      { interface: 0, address: "fd00::2/64", gateway: "fd00::1" },
    ],
    routes: [
      { dst: "0.0.0.0/0", gw: "10.0.0.1", mtu: 1400, table: 0 },
      { dst: "::/0", priority: 10 },
    ],
    dns: DNS_IN,
  },
};

const AS_020 = '"ip4":{"ip":"10.0.0.2/24","gateway":"10.0.0.1","routes":[{"dst":"0.0.0.0/0",' +
  '"gw":"10.0.0.1"}]},"ip6":{"ip":"fd00::2/64","gateway":"fd00::1","routes":[{"dst":"::/0"}]},' +
  `"dns":${DNS_STRUCT}}`;

/** Expected JSON (after `{"cniVersion":V,`) for each (from family, to family). */
const EXPECTED: Record<string, string> = {
  "020>020": AS_020,
  "020>040": '"ips":[{"version":"4","address":"10.0.0.2/24","gateway":"10.0.0.1"},' +
    '{"version":"6","address":"fd00::2/64","gateway":"fd00::1"}],"routes":[{"dst":"0.0.0.0/0",' +
    `"gw":"10.0.0.1"},{"dst":"::/0"}],"dns":${DNS_STRUCT}}`,
  "020>100": `"dns":${DNS_SORTED},"ips":[{"address":"10.0.0.2/24","gateway":"10.0.0.1"},` +
    '{"address":"fd00::2/64","gateway":"fd00::1"}],"routes":[{"dst":"0.0.0.0/0",' +
    '"gw":"10.0.0.1"},{"dst":"::/0"}]}',
  "040>020": AS_020,
  "040>040": `"interfaces":[{"name":"eth0","mac":"${MAC}","sandbox":"${NS}"}],` +
    '"ips":[{"version":"4","interface":0,"address":"10.0.0.2/24","gateway":"10.0.0.1"},' +
    '{"version":"6","interface":0,"address":"fd00::2/64","gateway":"fd00::1"}],' +
    `"routes":[{"dst":"0.0.0.0/0","gw":"10.0.0.1"},{"dst":"::/0"}],"dns":${DNS_STRUCT}}`,
  "040>100": `"dns":${DNS_SORTED},"interfaces":[{"mac":"${MAC}","name":"eth0",` +
    `"sandbox":"${NS}"}],"ips":[{"address":"10.0.0.2/24","gateway":"10.0.0.1","interface":0},` +
    '{"address":"fd00::2/64","gateway":"fd00::1","interface":0}],"routes":[{"dst":"0.0.0.0/0",' +
    '"gw":"10.0.0.1"},{"dst":"::/0"}]}',
  "100>020": AS_020,
  "100>040": `"interfaces":[{"name":"eth0","mac":"${MAC}","sandbox":"${NS}"}],` +
    '"ips":[{"version":"4","interface":0,"address":"10.0.0.2/24","gateway":"10.0.0.1"},' +
    '{"version":"4","interface":0,"address":"10.0.0.3/24"},' +
    '{"version":"6","interface":0,"address":"fd00::2/64","gateway":"fd00::1"}],' +
    '"routes":[{"dst":"0.0.0.0/0","gw":"10.0.0.1","mtu":1400,"table":0},' +
    `{"dst":"::/0","priority":10}],"dns":${DNS_STRUCT}}`,
  "100>100": `"dns":${DNS_SORTED},"interfaces":[{"mac":"${MAC}","mtu":1400,"name":"eth0",` +
    `"pciID":"0000:00:01.0","sandbox":"${NS}","socketPath":"/run/sock"}],` +
    '"ips":[{"address":"10.0.0.2/24","gateway":"10.0.0.1","interface":0},' +
    '{"address":"10.0.0.3/24","interface":0},' +
    '{"address":"fd00::2/64","gateway":"fd00::1","interface":0}],' +
    '"routes":[{"dst":"0.0.0.0/0","gw":"10.0.0.1","mtu":1400,"table":0},' +
    '{"dst":"::/0","priority":10}]}',
};

function familyOf(v: string): "020" | "040" | "100" {
  return v < "0.3.0" ? "020" : v < "1.0.0" ? "040" : "100";
}

for (const from of SUPPORTED_VERSIONS) {
  Deno.test(`convertResult() converts ${from} to every version`, () => {
    const input = { cniVersion: from, ...SAMPLES[familyOf(from)] };
    for (const to of SUPPORTED_VERSIONS) {
      const key = `${familyOf(from)}>${familyOf(to)}`;
      const expected = `{"cniVersion":"${to}",${EXPECTED[key]}`;
      assertEquals(JSON.stringify(convertResult(input, to)), expected, `${from} -> ${to}`);
      // The same through text input, and the chain back to the source version keeps the
      // source's shape whenever nothing was lost on the way.
      assertEquals(JSON.stringify(convertResult(JSON.stringify(input), to)), expected);
    }
  });
}

Deno.test("convertResult() round-trips through a same-family version unchanged", () => {
  for (const from of SUPPORTED_VERSIONS) {
    const input = { cniVersion: from, ...SAMPLES[familyOf(from)] };
    const there = SUPPORTED_VERSIONS.find((v) => familyOf(v) === familyOf(from) && v !== from)!;
    const back = convertResult(convertResult(input, there), from);
    assertEquals(back, parseResult(input), from);
  }
});

// ---------------------------------------------------------------------------------------
// Appendix C.4 worked fixtures and edge cases
// ---------------------------------------------------------------------------------------

Deno.test("convertResult() C.4: 1.1.0 -> 0.2.0 keeps the first address of each family", () => {
  const input = {
    cniVersion: "1.1.0",
    interfaces: [{ name: "eth0" }, { name: "x" }, { name: "y" }],
    ips: [
      { address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 2 },
      { address: "10.0.0.3/24" },
      { address: "fd00::2/64", gateway: "fd00::1" },
    ],
    routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1", mtu: 1400 }, { dst: "::/0" }],
  };
  assertEquals(
    JSON.stringify(convertResult(input, "0.2.0")),
    '{"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.2/24","gateway":"10.0.0.1","routes":' +
      '[{"dst":"0.0.0.0/0","gw":"10.0.0.1"}]},"ip6":{"ip":"fd00::2/64","gateway":"fd00::1",' +
      '"routes":[{"dst":"::/0"}]},"dns":{}}',
  );
});

Deno.test("convertResult() C.4: 0.2.0 -> 1.0.0 flattens routes, no interfaces, no dns", () => {
  const input = {
    cniVersion: "0.2.0",
    ip4: { ip: "10.0.0.2/24", routes: [{ dst: "0.0.0.0/0" }] },
    ip6: { ip: "fd00::2/64", routes: [{ dst: "::/0" }] },
  };
  assertEquals(
    JSON.stringify(convertResult(input, "1.0.0")),
    '{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"},{"address":"fd00::2/64"}],' +
      '"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}]}',
  );
});

Deno.test("convertResult() C.4: 1.0.0 -> 0.4.0 adds version and an empty dns", () => {
  const input = {
    cniVersion: "1.0.0",
    ips: [{ address: "10.0.0.2/24" }, { address: "::ffff:10.0.0.9/120" }, {
      address: "fd00::2/64",
    }],
  };
  assertEquals(
    JSON.stringify(convertResult(input, "0.4.0")),
    '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24"},' +
      '{"version":"4","address":"10.0.0.9/24"},{"version":"6","address":"fd00::2/64"}],' +
      '"dns":{}}',
  );
});

Deno.test("convertResult() refuses impossible conversions", () => {
  const e1 = assertThrows(
    () => convertResult({ cniVersion: "1.1.0", interfaces: [{ name: "eth0" }] }, "0.2.0"),
    CniError,
  );
  assertEquals(e1.msg, "cannot convert: no valid IP addresses");
  // a 0.4.0 entry without a version is ignored by the 0.2.0 converter
  assertThrows(
    () => convertResult({ cniVersion: "0.4.0", ips: [{ address: "10.0.0.2/24" }] }, "0.1.0"),
    CniError,
    "no valid IP addresses",
  );
  const e2 = assertThrows(() => convertResult({ cniVersion: "1.0.0" }, "0.5.0"), CniError);
  assertEquals([e2.code, e2.msg], [1, "no converter for CNI result version 1.0.0 to 0.5.0"]);
  const e3 = assertThrows(() => convertResult({ cniVersion: "7.0.0" }, "1.0.0"), CniError);
  assertEquals([e3.code, e3.msg], [1, 'unsupported CNI result version "7.0.0"']);
});

Deno.test("convertResult() treats a missing version as 0.1.0 and an empty target as 0.1.0", () => {
  const r = convertResult({ ip4: { ip: "10.1.0.5/16" } }, "");
  assertEquals(JSON.stringify(r), '{"cniVersion":"0.1.0","ip4":{"ip":"10.1.0.5/16"},"dns":{}}');
  assertEquals(
    JSON.stringify(convertResult({ ip4: { ip: "10.1.0.5/16" } }, "0.3.1")),
    '{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.1.0.5/16"}],"dns":{}}',
  );
});

Deno.test("parseResult() validates fields and names them (code 6)", () => {
  const e1 = assertThrows(
    () => parseResult({ cniVersion: "1.0.0", ips: [{ address: "10.0.0.2" }] }),
    CniError,
  );
  assertEquals(e1.code, 6);
  assertEquals(
    e1.msg,
    'invalid CNI result: field "ips[0].address": invalid CIDR address: 10.0.0.2',
  );
  const e2 = assertThrows(
    () => parseResult({ cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/8", gateway: "x" }] }),
    CniError,
    'field "ips[0].gateway": invalid IP address: x',
  );
  assertEquals(e2.code, 6);
  assertThrows(
    () => parseResult({ cniVersion: "1.0.0", interfaces: [{ name: 3 }] }),
    CniError,
    'field "interfaces[0].name": expected string, got number',
  );
  assertThrows(
    () => parseResult({ cniVersion: "0.4.0", ips: [{ version: "4", interface: "0" }] }),
    CniError,
    'field "ips[0].interface"',
  );
  assertThrows(() => parseResult("not json"), CniError, "decoding CNI result");
  assertThrows(() => parseResult(""), CniError, "unexpected end of JSON input");
  assertThrows(() => parseResult("[1]"), CniError, "expected a JSON object, got array");
  assertThrows(
    () => parseResult({ cniVersion: "0.2.0", ip4: { ip: "010.0.0.1/8" } }),
    CniError,
    'field "ip4.ip": invalid CIDR address',
  );
});

Deno.test("parseResult() canonicalises like Go and keeps index 0 and table 0", () => {
  const r = parseResult({
    cniVersion: "1.1.0",
    interfaces: [{ name: "eth0", mac: "", mtu: 0, sandbox: "" }],
    ips: [{ address: "FD00:0:0:0::0002/64", gateway: "fd00:0::1", interface: 0 }],
    routes: [{ dst: "10.0.0.0/8", gw: "", mtu: 0, table: 0, scope: 253 }],
    dns: { nameservers: [], search: [] },
    extra: "dropped",
  });
  assertEquals(
    JSON.stringify(r),
    '{"cniVersion":"1.1.0","interfaces":[{"name":"eth0"}],"ips":[{"address":"fd00::2/64",' +
      '"gateway":"fd00::1","interface":0}],"routes":[{"dst":"10.0.0.0/8","scope":253,' +
      '"table":0}]}',
  );
  assertEquals(parseResult("null"), { cniVersion: "0.1.0", dns: {} });
  assertEquals(parseResult("{}", { defaultVersion: "1.0.0" }), { cniVersion: "1.0.0" });
  assertEquals(parseResult('{"cniVersion":"0.4.0"}', { defaultVersion: "1.0.0" }), {
    cniVersion: "0.4.0",
    dns: {},
  });
  // A lazy default is asked for only by a result without a version.
  const asked: string[] = [];
  const lazy = () => (asked.push("asked"), "1.0.0");
  assertEquals(parseResult('{"cniVersion":"0.4.0"}', { defaultVersion: lazy }), {
    cniVersion: "0.4.0",
    dns: {},
  });
  assertEquals(asked, []);
  assertEquals(parseResult('{"cniVersion":""}', { defaultVersion: lazy }), { cniVersion: "1.0.0" });
  assertEquals(asked, ["asked"]);
});

Deno.test("parseResult() reads addresses as the reference's go1.19 net does", () => {
  // Long hex groups and zero-padded prefix lengths parse; IPv4-mapped text prints as IPv4.
  const r = parseResult({
    cniVersion: "1.0.0",
    ips: [
      { address: "fd00::00002/064", gateway: "fd00::0000001" },
      { address: "::ffff:10.0.0.9/120", gateway: "::ffff:10.0.0.1" },
    ],
  });
  assertEquals(r.ips, [
    { address: "fd00::2/64", gateway: "fd00::1" },
    { address: "10.0.0.9/24", gateway: "10.0.0.1" },
  ]);
  assertThrows(
    () => parseResult({ cniVersion: "1.0.0", ips: [{ address: "fd00::10000/64" }] }),
    CniError,
    "invalid CIDR address: fd00::10000/64",
  );
});

Deno.test("toCurrentResult() gives the typed 1.1.0 shape", () => {
  const r = toCurrentResult({ cniVersion: "0.2.0", ip4: { ip: "10.22.0.5/16" } });
  assertEquals(r, { cniVersion: "1.1.0", ips: [{ address: "10.22.0.5/16" }] });
});

Deno.test("formatResult() prints like types.PrintResult (4 spaces, Go escaping)", () => {
  const out = formatResult({ cniVersion: "1.0.0", dns: { domain: "a<b>&c" } }, "0.4.0");
  assertEquals(
    out,
    '{\n    "cniVersion": "0.4.0",\n    "dns": {\n        "domain": "a\\u003cb\\u003e\\u0026c"\n' +
      "    }\n}",
  );
  assertEquals(formatResult({ cniVersion: "1.0.0" }), '{\n    "cniVersion": "1.0.0"\n}');
});

// ---------------------------------------------------------------------------------------
// The reference Go plugins as an oracle (host-local needs no root with a private dataDir)
// ---------------------------------------------------------------------------------------

async function goHostLocal(version: string, dataDir: string, id: string): Promise<string> {
  const conf = {
    cniVersion: version,
    name: "oracle",
    type: "host-local",
    ipam: {
      type: "host-local",
      dataDir,
      ranges: [[{ subnet: "10.9.0.0/24" }], [{ subnet: "fd00:0:0:0::/64" }]],
      routes: [{ dst: "0.0.0.0/0", gw: "10.9.0.254" }, { dst: "::/0" }],
    },
  };
  const out = await execReference("host-local", {
    command: "ADD",
    containerId: id,
    netns: "/nonexistent",
    ifName: "eth0",
  }, conf);
  assertEquals(out.code, 0, out.stdout + out.stderr);
  return out.stdout;
}

Deno.test({
  ...gated(
    "formatResult() reprints the Go plugin's 0.2.0 and 0.4.0 output byte for byte",
    refMissing("host-local"),
  ),
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "denocni-oracle-" });
    try {
      for (const [i, version] of ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0"].entries()) {
        const go = await goHostLocal(version, dir, `oracle${i}`);
        assertEquals(formatResult(go), go, version);
        assertEquals(formatResult(JSON.parse(go), version), go, version);
      }
      // 1.0.0: the plugins' vendored library predates libcni's `dns` dropping and key
      // sorting, so compare the content instead of the bytes.
      const go100 = await goHostLocal("1.0.0", dir, "oracle100");
      const ours = JSON.parse(formatResult(go100));
      const { dns, ...rest } = JSON.parse(go100);
      assertEquals(dns, {});
      assertEquals(ours, rest);
      // Go's own down-conversion 1.0.0 -> 0.2.0 path gives what ours gives from its output
      const go020 = JSON.parse(await goHostLocal("0.2.0", dir, "oracle020"));
      const ours020 = convertResult(go100, "0.2.0") as { ip4: { routes: unknown } };
      assertEquals(Object.keys(ours020), Object.keys(go020));
      assertEquals(ours020.ip4.routes, go020.ip4.routes);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
