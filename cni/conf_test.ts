import { assertEquals, assertStringIncludes, assertThrows } from "../tests/helpers/assert.ts";
import { confListFromConf, parseConf, parseConfList, selectConfigVersion } from "./conf.ts";
import { CniError } from "./errors.ts";

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

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
