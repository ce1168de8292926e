import { join } from "node:path";
import { assertEquals, assertStringIncludes, assertThrows } from "../tests/helpers/assert.ts";
import { confListFromConf, parseConf, parseConfList, selectConfigVersion } from "./conf.ts";
import { confFiles, listNetworks, loadConfList } from "./conf_files.ts";
import { buildPluginConfig, injectConf } from "./conf_inject.ts";
import { CniError, ConfigNotFoundError } from "./errors.ts";

const FIXTURES = new URL("../tests/fixtures/conf/", import.meta.url).pathname;
const GOOD = join(FIXTURES, "good");
const BAD = join(FIXTURES, "bad");
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function withTempDir(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = Deno.makeTempDirSync({ prefix: "denocni-conf-" });
  try {
    for (const [name, content] of Object.entries(files)) {
      const path = join(dir, name);
      Deno.mkdirSync(join(path, ".."), { recursive: true });
      Deno.writeTextFileSync(path, content);
    }
    fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

// ---------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------

Deno.test("parseConfList() keeps unknown keys and Go-marshals inline plugin bytes", () => {
  const list = parseConfList(
    '{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"x","zeta":1,"alpha":{"b":2,"a":"<"}}]}',
  );
  assertEquals(list.name, "n");
  assertEquals(list.cniVersion, "1.0.0");
  assertEquals([list.disableCheck, list.disableGC, list.loadOnlyInlinedPlugins], [
    false,
    false,
    false,
  ]);
  assertEquals(list.plugins[0]!.network, { type: "x", zeta: 1, alpha: { b: 2, a: "<" } });
  assertEquals(text(list.plugins[0]!.bytes), '{"alpha":{"a":"\\u003c","b":2},"type":"x","zeta":1}');
});

Deno.test("parseConfList() reports malformed JSON as code 6 naming the file", () => {
  const err = assertThrows(() => parseConfList("{nope", "/etc/x.conflist"), CniError);
  assertEquals(err.code, 6);
  assertStringIncludes(err.msg, "error parsing configuration list /etc/x.conflist: ");
  assertThrows(() => parseConfList(""), CniError, "unexpected end of JSON input");
  assertThrows(() => parseConfList("[]"), CniError, "expected a JSON object");
});

Deno.test("parseConfList() names missing and mistyped fields (code 7)", () => {
  const e1 = assertThrows(() => parseConfList('{"plugins":[{"type":"a"}]}', "f"), CniError);
  assertEquals(e1.code, 7);
  assertEquals(e1.msg, 'invalid configuration list f: field "name": is required (expected string)');
  const e2 = assertThrows(
    () => parseConfList('{"name":"n","cniVersion":"1.0.0","plugins":[{"bridge":"x"}]}', "f"),
    CniError,
  );
  assertEquals(e2.code, 7);
  assertStringIncludes(e2.msg, 'plugins[0]: field "type": is required');
  const e3 = assertThrows(
    () => parseConfList('{"name":"n","disableCheck":"yes","plugins":[{"type":"a"}]}'),
    CniError,
  );
  assertStringIncludes(e3.msg, 'field "disableCheck"');
  const e4 = assertThrows(
    () => parseConfList('{"name":"n","plugins":[{"type":"a","capabilities":{"mac":"yes"}}]}', "f"),
    CniError,
  );
  assertStringIncludes(e4.msg, 'field "capabilities.mac": expected boolean, got string');
  assertThrows(() => parseConfList('{"name":7}'), CniError, 'field "name": expected string');
  assertThrows(
    () => parseConfList('{"name":"a/b","plugins":[{"type":"a"}]}'),
    CniError,
    "invalid characters found in network name",
  );
  assertThrows(() => parseConfList('{"name":"n","plugins":[]}'), CniError, "no plugins in list");
  assertThrows(() => parseConfList('{"name":"n","plugins":{}}'), CniError, 'field "plugins"');
  assertThrows(() => parseConfList('{"name":"n","plugins":[5]}'), CniError, '"plugins[0]"');
  assertThrows(() => parseConfList('{"name":"n","plugins":[{"type":""}]}'), CniError, "'type'");
});

Deno.test("parseConfList() accepts libcni's string booleans in any case", () => {
  const list = parseConfList(
    '{"name":"n","disableCheck":"True","disableGC":"FALSE","loadOnlyInlinedPlugins":true,' +
      '"plugins":[{"type":"a"}]}',
  );
  assertEquals([list.disableCheck, list.disableGC, list.loadOnlyInlinedPlugins], [
    true,
    false,
    true,
  ]);
  assertThrows(
    () => parseConfList('{"name":"n","loadOnlyInlinedPlugins":"true"}'),
    CniError,
    "`loadOnlyInlinedPlugins` is true, and no 'plugins' key",
  );
  assertEquals(parseConfList('{"name":"n"}').plugins, []);
});

Deno.test("parseConfList() refuses unknown and unsupported versions with code 1", () => {
  const e1 = assertThrows(
    () => parseConfList('{"name":"n","cniVersion":"9.9.9","plugins":[{"type":"a"}]}', "f"),
    CniError,
  );
  assertEquals(e1.code, 1);
  assertEquals(e1.msg, 'invalid configuration list f: unsupported cniVersion "9.9.9"');
  assertStringIncludes(e1.details, "0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0");
  const e2 = assertThrows(
    () => parseConfList('{"name":"n","cniVersion":"banana","plugins":[{"type":"a"}]}'),
    CniError,
    'invalid cniVersion "banana"',
  );
  assertEquals(e2.code, 1);
  const relaxed = parseConfList('{"name":"n","cniVersion":"1.2.3","plugins":[{"type":"a"}]}', "", {
    allowUnsupportedVersion: true,
  });
  assertEquals(relaxed.cniVersion, "1.2.3");
  assertEquals(parseConfList('{"name":"n","plugins":[{"type":"a"}]}').cniVersion, "");
});

Deno.test("selectConfigVersion() follows libcni's cniVersions rules (edge case 20)", () => {
  assertEquals(selectConfigVersion("", ["1.1.0", "0.4.0", "1.0.0"]), "1.1.0");
  assertEquals(selectConfigVersion("", ["99.0.0", "1.1.0"]), "1.1.0");
  assertEquals(selectConfigVersion("1.0.0", ["0.1.0", "0.4.0"]), "1.0.0");
  assertEquals(selectConfigVersion("", []), "");
  assertEquals(selectConfigVersion("1.2.3"), "1.2.3");
  assertEquals(selectConfigVersion("2.0.0", ["0.4.0"]), "0.4.0");
  assertEquals(selectConfigVersion("", ["1.0.5", "1.0.0"]), "1.0.0");
  const err = assertThrows(() => selectConfigVersion("", ["1.0.0", "1.0.f"]), CniError);
  assertEquals([err.code, err.msg], [1, 'invalid cniVersions entry "1.0.f" at index 1']);
  assertThrows(
    () => parseConfList('{"name":"n","cniVersions":["1.0.f"],"plugins":[{"type":"a"}]}'),
    CniError,
    "invalid cniVersions entry",
  );
  assertThrows(
    () => parseConfList('{"name":"n","cniVersions":"1.0.0","plugins":[{"type":"a"}]}'),
    CniError,
    'field "cniVersions"',
  );
});

Deno.test("parseConf() needs a type; confListFromConf() wraps like ConfListFromConf", () => {
  assertThrows(() => parseConf('{"name":"x"}', "a.conf"), CniError, 'a.conf: field "type"');
  const conf = parseConf('{"name":"x","cniVersion":"0.2.0","type":"b","k":[1,2]}', "a.conf");
  assertEquals(conf.network.k, [1, 2]);
  const list = confListFromConf(conf);
  assertEquals(
    text(list.bytes),
    '{"cniVersion":"0.2.0","name":"x","plugins":[{"cniVersion":"0.2.0","k":[1,2],"name":"x",' +
      '"type":"b"}]}',
  );
  assertEquals(list.cniVersion, "0.2.0");
  assertEquals(list.plugins.length, 1);
  assertThrows(() => confListFromConf(parseConf('{"type":"b"}')), CniError, '"name"');
});

// ---------------------------------------------------------------------------------------
// Discovery
// ---------------------------------------------------------------------------------------

Deno.test("confFiles() filters by exact extension, skips dirs, sorts by bytes", () => {
  withTempDir({
    "b.conf": "{}",
    "B.conflist": "{}",
    "a.json": "{}",
    "c.CONF": "{}",
    "d.conf.bak": "{}",
    "sub.conf/x.conf": "{}",
  }, (dir) => {
    assertEquals(confFiles(dir).map((f) => f.slice(dir.length + 1)), [
      "B.conflist",
      "a.json",
      "b.conf",
    ]);
    assertEquals(confFiles(dir, [".conflist"]).length, 1);
  });
  assertEquals(confFiles("/nonexistent/denocni"), []);
});

Deno.test("loadConfList() loads the C.1 list and the README .conf files", () => {
  const db = loadConfList(GOOD, "dbnet");
  assertEquals(db.plugins.map((p) => p.network.type), ["bridge", "tuning"]);
  assertEquals(text(db.bytes), Deno.readTextFileSync(join(GOOD, "10-dbnet.conflist")));
  const my = loadConfList(GOOD, "mynet");
  assertEquals(my.cniVersion, "0.2.0");
  assertEquals(
    text(my.bytes),
    '{"cniVersion":"0.2.0","name":"mynet","plugins":[{"bridge":"cni0","cniVersion":"0.2.0",' +
      '"ipMasq":true,"ipam":{"routes":[{"dst":"0.0.0.0/0"}],"subnet":"10.22.0.0/16",' +
      '"type":"host-local"},"isGateway":true,"name":"mynet","type":"bridge"}]}',
  );
  assertEquals(loadConfList(GOOD, "lo").plugins[0]!.network.type, "loopback");
});

Deno.test("loadConfList() selects cniVersions and appends <dir>/<name>/*.conf plugins", () => {
  const list = loadConfList(GOOD, "multi");
  assertEquals(list.cniVersion, "1.1.0");
  assertEquals(list.cniVersions, ["0.4.0", "1.1.0", "99.0.0"]);
  assertEquals([list.disableCheck, list.disableGC], [true, true]);
  assertEquals(list.plugins.map((p) => p.network.type), ["noop", "portmap"]);
  assertEquals(
    text(list.plugins[0]!.bytes),
    '{"big":1500,"note":"a\\u003cb\\u003e\\u0026c","type":"noop"}',
  );
  assertEquals(
    text(list.plugins[1]!.bytes),
    Deno.readTextFileSync(join(GOOD, "multi", "10-portmap.conf")),
  );
});

Deno.test("loadConfList() honours loadOnlyInlinedPlugins and needs some plugins", () => {
  withTempDir({
    "a.conflist": '{"name":"a","cniVersion":"1.0.0","loadOnlyInlinedPlugins":true,' +
      '"plugins":[{"type":"inline"}]}',
    "a/1.conf": '{"type":"fromdir"}',
    "b.conflist": '{"name":"b","cniVersion":"1.0.0"}',
    "b/1.conf": '{"type":"only-from-dir"}',
    "c.conflist": '{"name":"c","cniVersion":"1.0.0"}',
  }, (dir) => {
    assertEquals(loadConfList(dir, "a").plugins.map((p) => p.network.type), ["inline"]);
    assertEquals(loadConfList(dir, "b").plugins.map((p) => p.network.type), ["only-from-dir"]);
    const err = assertThrows(() => loadConfList(dir, "c"), CniError, "no plugin configs found");
    assertEquals(err.code, 7);
  });
});

Deno.test("loadConfList() prefers .conflist over .conf and the first file in order", () => {
  withTempDir({
    "00-x.conf": '{"name":"x","cniVersion":"1.0.0","type":"fromconf"}',
    "50-x.conflist": '{"name":"x","cniVersion":"1.0.0","plugins":[{"type":"first"}]}',
    "60-x.conflist": '{"name":"x","cniVersion":"1.0.0","plugins":[{"type":"second"}]}',
  }, (dir) => {
    assertEquals(loadConfList(dir, "x").plugins[0]!.network.type, "first");
  });
});

Deno.test("loadConfList() is not blinded by bad files next to good ones", () => {
  assertEquals(loadConfList(BAD, "good").plugins[0]!.network.type, "bridge");
  const future = assertThrows(() => loadConfList(BAD, "future"), CniError);
  assertEquals(future.code, 1);
  assertStringIncludes(future.msg, "01-future.conflist");
  const notype = assertThrows(() => loadConfList(BAD, "notype"), CniError);
  assertEquals(notype.code, 7);
  assertStringIncludes(notype.msg, 'plugins[0]: field "type"');
  const badtypes = assertThrows(() => loadConfList(BAD, "badtypes"), CniError);
  assertStringIncludes(badtypes.msg, 'field "disableCheck"');
  const missing = assertThrows(() => loadConfList(BAD, "nope"), ConfigNotFoundError);
  assertEquals([missing.code, missing.dir, missing.network], [7, BAD, "nope"]);
  assertEquals(missing.msg, `no net configuration with name "nope" in ${BAD}`);
  for (const f of ["00-malformed", "01-future", "02-noname", "03-notype", "04-badtypes"]) {
    assertStringIncludes(missing.details, `${f}.conflist`);
  }
  assertStringIncludes(missing.details, "error parsing configuration list");
  // the malformed file's network name cannot be read, so it is "not found" with the reason
  const broken = assertThrows(() => loadConfList(BAD, "broken"), ConfigNotFoundError);
  assertStringIncludes(broken.details, "00-malformed.conflist");
});

Deno.test("loadConfList() in an empty or missing directory says there are no configs", () => {
  withTempDir({}, (dir) => {
    const err = assertThrows(() => loadConfList(dir, "x"), ConfigNotFoundError);
    assertEquals(err.details, `no net configurations found in ${dir}`);
  });
  assertThrows(() => loadConfList("/nonexistent/denocni", "x"), ConfigNotFoundError);
});

Deno.test("listNetworks() lists good networks in lookup order and the bad files", () => {
  const good = listNetworks(GOOD);
  assertEquals(good.networks.map((n) => n.name), ["dbnet", "multi", "mynet", "lo"]);
  assertEquals(good.errors, []);
  const bad = listNetworks(BAD);
  assertEquals(bad.networks.map((n) => n.name), ["good"]);
  assertEquals(bad.errors.map((e) => e.file.slice(BAD.length + 1)), [
    "00-malformed.conflist",
    "01-future.conflist",
    "02-noname.conflist",
    "03-notype.conflist",
    "04-badtypes.conflist",
  ]);
  assertEquals(bad.errors.map((e) => e.error.code), [6, 1, 7, 7, 7]);
});

// ---------------------------------------------------------------------------------------
// Request bytes
// ---------------------------------------------------------------------------------------

const RT = {
  containerId: "c1",
  netns: "/var/run/netns/blue",
  ifName: "eth0",
  args: [["K8S_POD_NAME", "web"]] as [string, string][],
  capabilityArgs: {
    mac: "00:11:22:33:44:66",
    portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }],
  },
};

Deno.test("buildPluginConfig() produces the Appendix C.1 request bytes", () => {
  const list = loadConfList(GOOD, "dbnet");
  assertEquals(
    text(buildPluginConfig(list, list.plugins[0]!, RT)),
    '{"bridge":"cni0","cniVersion":"1.1.0","ipam":{"subnet":"10.1.0.0/16","type":"host-local"},' +
      '"name":"dbnet","type":"bridge"}',
  );
  const prev = {
    cniVersion: "1.1.0",
    interfaces: [{ name: "cni0", mac: "aa:bb:cc:dd:ee:ff" }],
    ips: [{ address: "10.1.0.5/16", gateway: "10.1.0.1", interface: 0 }],
  };
  assertEquals(
    text(buildPluginConfig(list, list.plugins[1]!, RT, prev)),
    '{"capabilities":{"mac":true},"cniVersion":"1.1.0","name":"dbnet","prevResult":' +
      '{"cniVersion":"1.1.0","interfaces":[{"mac":"aa:bb:cc:dd:ee:ff","name":"cni0"}],' +
      '"ips":[{"address":"10.1.0.5/16","gateway":"10.1.0.1","interface":0}]},' +
      '"runtimeConfig":{"mac":"00:11:22:33:44:66"},"sysctl":{"net.core.somaxconn":"500"},' +
      '"type":"tuning"}',
  );
});

Deno.test("buildPluginConfig() keeps a 0.x prevResult in struct order unless runtimeConfig is added", () => {
  const list = parseConfList(
    '{"cniVersion":"0.4.0","name":"n","plugins":[{"type":"a"},' +
      '{"type":"b","capabilities":{"mac":true}}]}',
  );
  const prev = { cniVersion: "0.4.0", ips: [{ version: "4", address: "10.0.0.2/24" }] };
  assertEquals(
    text(buildPluginConfig(list, list.plugins[0]!, RT, prev)),
    '{"cniVersion":"0.4.0","name":"n","prevResult":{"cniVersion":"0.4.0","ips":[{"version":"4",' +
      '"address":"10.0.0.2/24"}],"dns":{}},"type":"a"}',
  );
  assertEquals(
    text(buildPluginConfig(list, list.plugins[1]!, RT, prev)),
    '{"capabilities":{"mac":true},"cniVersion":"0.4.0","name":"n","prevResult":{"cniVersion":' +
      '"0.4.0","dns":{},"ips":[{"address":"10.0.0.2/24","version":"4"}]},"runtimeConfig":' +
      '{"mac":"00:11:22:33:44:66"},"type":"b"}',
  );
});

Deno.test("buildPluginConfig() filters capabilities (edge case 22)", () => {
  const list = parseConfList(
    '{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"p","name":"own","cniVersion":"0.1.0",' +
      '"capabilities":{"portMappings":true,"noCapability":false}},' +
      '{"type":"q","capabilities":{"other":true},"runtimeConfig":{"keep":1}}]}',
  );
  const rt = {
    ...RT,
    capabilityArgs: { portMappings: [1], noCapability: "x", notAdded: true },
  };
  const first = JSON.parse(text(buildPluginConfig(list, list.plugins[0]!, rt)));
  assertEquals(first, {
    capabilities: { noCapability: false, portMappings: true },
    cniVersion: "1.0.0",
    name: "net",
    runtimeConfig: { portMappings: [1] },
    type: "p",
  });
  assertEquals(
    text(buildPluginConfig(list, list.plugins[1]!, rt)),
    '{"capabilities":{"other":true},"cniVersion":"1.0.0","name":"net","runtimeConfig":' +
      '{"keep":1},"type":"q"}',
  );
});

Deno.test("buildPluginConfig() injects GC keys; injectConf() refuses nil values", () => {
  const list = parseConfList('{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"a"}]}');
  const att = [{ containerID: "c2", ifname: "eth0" }];
  assertEquals(
    text(buildPluginConfig(list, list.plugins[0]!, undefined, undefined, {
      "cni.dev/valid-attachments": att,
      "cni.dev/attachments": att,
    })),
    '{"cni.dev/attachments":[{"containerID":"c2","ifname":"eth0"}],' +
      '"cni.dev/valid-attachments":[{"containerID":"c2","ifname":"eth0"}],' +
      '"cniVersion":"1.1.0","name":"n","type":"a"}',
  );
  const bytes = list.plugins[0]!.bytes;
  assertThrows(() => injectConf(bytes, { x: null }), CniError, "key 'x' value must not be nil");
  assertThrows(() => injectConf(bytes, { "": 1 }), CniError, "keys cannot be empty");
  const bad = assertThrows(
    () => buildPluginConfig(list, list.plugins[0]!, RT, { cniVersion: "1.0.0", ips: [{}] }),
    CniError,
  );
  assertEquals(bad.code, 6);
});

Deno.test("parseConfList() and parseConf() read JSON null as absent for every optional field", () => {
  const listKeys = [
    "cniVersion",
    "cniVersions",
    "disableCheck",
    "disableGC",
    "loadOnlyInlinedPlugins",
  ];
  const pluginKeys = ["name", "cniVersion", "capabilities", "ipam", "dns", "args", "runtimeConfig"];
  const plugin = { type: "loopback", ...Object.fromEntries(pluginKeys.map((k) => [k, null])) };
  for (const key of listKeys) {
    const list = parseConfList(
      JSON.stringify({ cniVersion: "1.0.0", name: "n", plugins: [plugin], [key]: null }),
    );
    assertEquals([list.name, list.plugins.length], ["n", 1], key);
  }
  const all = parseConfList(JSON.stringify({
    name: "n",
    plugins: [plugin],
    ...Object.fromEntries(listKeys.map((k) => [k, null])),
  }));
  assertEquals(
    [all.cniVersion, all.disableCheck, all.disableGC, all.loadOnlyInlinedPlugins],
    ["", false, false, false],
  );
  assertEquals(all.cniVersions, undefined);
  // `plugins: null` is no inline plugins (libcni: the list's own directory may add some)
  assertEquals(parseConfList('{"name":"n","cniVersion":"1.0.0","plugins":null}').plugins, []);
  for (const key of pluginKeys) {
    assertEquals(parseConf(JSON.stringify({ type: "bridge", [key]: null })).network.type, "bridge");
  }
  // a .conf with every optional field null up-converts like one without them
  const conf = parseConf(JSON.stringify({ ...plugin, name: "n", cniVersion: "1.0.0" }));
  assertEquals(confListFromConf(conf).name, "n");
  // still strict where a present value is wrong
  assertThrows(
    () => parseConfList('{"name":"n","disableCheck":3,"plugins":[{"type":"x"}]}'),
    CniError,
    'field "disableCheck"',
  );
});

Deno.test("loadConfList() skips a FIFO, a device link and a directory named *.conf", () => {
  withTempDir({
    "50-good.conf": '{"cniVersion":"1.0.0","name":"good","type":"loopback"}',
  }, (dir) => {
    const fifo = join(dir, "10-fifo.conf");
    const mk = new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
    assertEquals(mk.code, 0);
    Deno.symlinkSync("/dev/zero", join(dir, "20-zero.conf"));
    Deno.symlinkSync("/dev/zero", join(dir, "21-zero.conflist"));
    Deno.mkdirSync(join(dir, "30-dir.conflist"));
    Deno.symlinkSync(join(dir, "30-dir.conflist"), join(dir, "31-dirlink.conf"));
    // none of them hangs or reads without limit; the good network still loads
    assertEquals(loadConfList(dir, "good").plugins[0]?.network.type, "loopback");
    const { networks, errors } = listNetworks(dir);
    assertEquals(networks.map((n) => n.name), ["good"]);
    assertEquals(
      errors.map((e) => [e.file.slice(dir.length + 1), e.error.code]).sort(),
      [["10-fifo.conf", 5], ["20-zero.conf", 5], ["21-zero.conflist", 5], ["31-dirlink.conf", 5]],
    );
    assertStringIncludes(errors.find((e) => e.file === fifo)!.error.message, "a FIFO");
    const missing = assertThrows(() => loadConfList(dir, "other"), ConfigNotFoundError);
    assertStringIncludes(missing.details, "20-zero.conf");
  });
});

Deno.test("loadConfList() refuses an oversized file and still finds the good network", () => {
  const big = JSON.stringify({
    cniVersion: "1.0.0",
    name: "good",
    type: "loopback",
    pad: "x".repeat(1024 * 1024),
  });
  withTempDir({
    "10-big.conf": big,
    "50-good.conf": '{"cniVersion":"1.0.0","name":"good","type":"loopback"}',
  }, (dir) => {
    assertEquals(loadConfList(dir, "good").name, "good");
    const { errors } = listNetworks(dir);
    assertEquals(errors.length, 1);
    assertStringIncludes(errors[0]!.error.message, "larger than 1024 KiB");
  });
});
