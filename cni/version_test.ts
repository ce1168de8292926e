import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { CniError } from "./errors.ts";
import { SUPPORTED_VERSIONS } from "./types.ts";
import {
  checkCommandVersion,
  compareVersions,
  decodeVersion,
  decodeVersionInfo,
  negotiateVersion,
  parseVersion,
  pluginSupports,
  versionGte,
  versionInfoJson,
  versionsStartingFrom,
} from "./version.ts";

// ---------------------------------------------------------------------------------------
// Version strings
// ---------------------------------------------------------------------------------------

Deno.test("parseVersion() follows Go's ParseVersion", () => {
  assertEquals(parseVersion("1.1.0"), [1, 1, 0]);
  assertEquals(parseVersion(""), [0, 1, 0]);
  assertEquals(parseVersion("1"), [1, 0, 0]);
  assertEquals(parseVersion("1.1"), [1, 1, 0]);
  assertEquals(parseVersion("0.-42.0"), [0, -42, 0]);
  for (const bad of ["1.0.f", "v1.0.0", "1.0.0-rc1", "1..0", "x"]) {
    const err = assertThrows(() => parseVersion(bad), CniError, `invalid version "${bad}"`);
    assertEquals(err.code, 1);
  }
  assertThrows(() => parseVersion("1.0.0.0"), CniError, "too many parts");
});

Deno.test("compareVersions() and versionGte() compare numerically", () => {
  assertEquals(compareVersions("0.10.0", "0.9.0"), 1);
  assertEquals(compareVersions("1.0.0", "1"), 0);
  assertEquals(compareVersions("0.3.1", "0.4.0"), -1);
  assertEquals(versionGte("1.1.0", "1.1.0"), true);
  assertEquals(versionGte("", "0.1.0"), true);
  assertEquals(versionGte("0.3.1", "0.4.0"), false);
});

Deno.test("versionsStartingFrom() returns the tail of the supported list", () => {
  assertEquals(versionsStartingFrom("0.4.0"), ["0.4.0", "1.0.0", "1.1.0"]);
  assertEquals(versionsStartingFrom("9.9.9"), []);
});

Deno.test("decodeVersion() defaults to 0.1.0 and rejects non-strings", () => {
  assertEquals(decodeVersion('{"name":"x"}'), "0.1.0");
  assertEquals(decodeVersion({ cniVersion: "" }), "0.1.0");
  assertEquals(decodeVersion(new TextEncoder().encode('{"cniVersion":"1.0.0"}')), "1.0.0");
  assertEquals(decodeVersion(null), "0.1.0");
  const e1 = assertThrows(() => decodeVersion("{nope"), CniError, "decoding version from");
  assertEquals(e1.code, 6);
  const e2 = assertThrows(() => decodeVersion({ cniVersion: 1 }), CniError, '"cniVersion"');
  assertEquals(e2.code, 6);
  assertThrows(() => decodeVersion("[]"), CniError, "expected a JSON object, got array");
});

// ---------------------------------------------------------------------------------------
// Gates and VERSION
// ---------------------------------------------------------------------------------------

Deno.test("checkCommandVersion() gates CHECK, GC and STATUS like skel", () => {
  checkCommandVersion("CHECK", "0.4.0");
  checkCommandVersion("ADD", "0.1.0");
  checkCommandVersion("VERSION", "garbage");
  checkCommandVersion("GC", "1.1.0");
  const e1 = assertThrows(() => checkCommandVersion("CHECK", "0.3.1"), CniError);
  assertEquals([e1.code, e1.msg], [1, "config version does not allow CHECK"]);
  const e2 = assertThrows(() => checkCommandVersion("GC", "1.0.0"), CniError);
  assertEquals([e2.code, e2.msg], [1, "config version does not allow GC"]);
  const e3 = assertThrows(() => checkCommandVersion("STATUS", "0.4.0"), CniError);
  assertEquals([e3.code, e3.msg], [1, "config version does not allow STATUS"]);
  const e4 = assertThrows(() => checkCommandVersion("CHECK", "1.x"), CniError);
  assertEquals(e4.code, 6);
  const e5 = assertThrows(
    () => checkCommandVersion("CHECK", "1.1.0", { supported: ["0.4.0", "1.0.0"] }),
    CniError,
  );
  assertEquals([e5.code, e5.msg], [1, "plugin version does not allow CHECK"]);
});

Deno.test("checkCommandVersion() reports incompatible versions with Go's details", () => {
  const err = assertThrows(
    () => checkCommandVersion("ADD", "9.9.9", { supported: ["0.3.1", "1.0.0"] }),
    CniError,
  );
  assertEquals(err.toJSON(), {
    code: 1,
    msg: "incompatible CNI versions",
    details: 'config is "9.9.9", plugin supports ["0.3.1" "1.0.0"]',
  });
  checkCommandVersion("DEL", "0.3.1", { supported: ["0.3.1", "1.0.0"] });
});

Deno.test("versionInfoJson() matches skel's VERSION answer byte for byte", () => {
  assertEquals(
    JSON.stringify(versionInfoJson(SUPPORTED_VERSIONS)),
    '{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0",' +
      '"1.0.0","1.1.0"]}',
  );
});

Deno.test("decodeVersionInfo() follows PluginDecoder", () => {
  assertEquals(decodeVersionInfo('{"cniVersion":"1.0.0","supportedVersions":["0.4.0"]}'), {
    cniVersion: "1.0.0",
    supportedVersions: ["0.4.0"],
  });
  assertEquals(decodeVersionInfo('{"cniVersion":"0.2.0"}').supportedVersions, [
    "0.1.0",
    "0.2.0",
  ]);
  assertThrows(() => decodeVersionInfo("{}"), CniError, "missing field cniVersion");
  assertThrows(
    () => decodeVersionInfo('{"cniVersion":"0.3.0"}'),
    CniError,
    "decoding version info: missing field supportedVersions",
  );
  const err = assertThrows(() => decodeVersionInfo("nope"), CniError, "decoding version info");
  assertEquals(err.code, 6);
  assertThrows(
    () => decodeVersionInfo('{"cniVersion":"1.0.0","supportedVersions":"1.0.0"}'),
    CniError,
    'field "supportedVersions"',
  );
});

Deno.test("pluginSupports() and negotiateVersion() pick exact, highest shared versions", () => {
  const info = { cniVersion: "1.1.0", supportedVersions: ["0.1.0", "0.4.0"] };
  assertEquals(pluginSupports(info, ""), true);
  assertEquals(pluginSupports(info, "0.4.0"), true);
  assertEquals(pluginSupports(info, "1.0.0"), false);
  assertEquals(negotiateVersion(["1.1.0", "0.4.0", "1.0.0"]), "1.1.0");
  assertEquals(negotiateVersion(["99.0.0", "1.0.0"]), "1.0.0");
  assertEquals(negotiateVersion(["1.1.0", "0.4.0"], ["0.3.1", "0.4.0"]), "0.4.0");
  assertEquals(negotiateVersion(["2.0.0"]), undefined);
});
