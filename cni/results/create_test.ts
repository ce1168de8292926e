import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../errors.ts";
import { SUPPORTED_VERSIONS } from "../types.ts";
import { familyOf, modelJson, parseModel, resultTypeVersions } from "./create.ts";

Deno.test("familyOf() and resultTypeVersions() cover every supported version, one family each", () => {
  assertEquals(familyOf(""), "020");
  assertEquals(SUPPORTED_VERSIONS.map(familyOf), [
    "020",
    "020",
    "040",
    "040",
    "040",
    "100",
    "100",
  ]);
  assertEquals(resultTypeVersions(""), ["0.1.0", "0.2.0"]);
  assertEquals(resultTypeVersions("1.0.0"), ["1.0.0", "1.1.0"]);
  assertEquals(resultTypeVersions("0.5.0"), []);
});

Deno.test("parseModel() refuses an unknown version with code 1; modelJson() prints by family", () => {
  const e = assertThrows(() => parseModel({}, "0.5.0"), CniError);
  assertEquals([e.code, e.msg], [1, 'unsupported CNI result version "0.5.0"']);
  assertEquals(modelJson(parseModel({ cniVersion: "0.4.0" }, "0.4.0")), {
    cniVersion: "0.4.0",
    dns: {},
  });
  assertEquals(modelJson(parseModel({ cniVersion: "1.1.0", dns: {} }, "1.1.0")), {
    cniVersion: "1.1.0",
  });
});
