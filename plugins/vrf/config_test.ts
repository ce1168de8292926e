import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import { freeVrfTable, loadVrfConf } from "./config.ts";

const base = { cniVersion: "1.0.0", name: "n", type: "vrf" };

Deno.test("loadVrfConf() reads vrfname and table", () => {
  assertEquals(loadVrfConf({ ...base, vrfname: "blue" }), {
    name: "n",
    cniVersion: "1.0.0",
    vrfName: "blue",
    table: 0,
  });
  assertEquals(loadVrfConf({ ...base, vrfname: "blue", table: 1001 }).table, 1001);
});

Deno.test("loadVrfConf() refuses a missing or bad vrfname and a bad table", () => {
  const missing = assertThrows(() => loadVrfConf(base), CniError);
  assertEquals([missing.code, missing.msg], [
    999,
    "configuration is expected to have a valid vrf name",
  ]);
  assertThrows(() => loadVrfConf(base, { lenient: true }), CniError, "valid vrf name");
  const bad = assertThrows(() => loadVrfConf({ ...base, vrfname: "a/b" }), CniError);
  assertEquals(bad.code, 7);
  assertThrows(() => loadVrfConf({ ...base, vrfname: "x".repeat(16) }), CniError, '"vrfname"');
  assertThrows(() => loadVrfConf({ ...base, vrfname: "b", table: -1 }), CniError, '"table"');
  assertEquals(loadVrfConf({ ...base, vrfname: "b", table: "x" }, { lenient: true }).table, 0);
});

Deno.test("freeVrfTable() is the lowest id from 1 no VRF uses", () => {
  assertEquals(freeVrfTable([]), 1);
  assertEquals(freeVrfTable([1, 2, 4]), 3);
  assertEquals(freeVrfTable([2, 3]), 1);
});
