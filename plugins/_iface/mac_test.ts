import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import { parseLinkMac } from "./mac.ts";

Deno.test("parseLinkMac() reads Go's 6-byte forms and normalises them", () => {
  for (const text of ["c2:11:22:33:44:55", "C2-11-22-33-44-55", "c211.2233.4455"]) {
    assertEquals(parseLinkMac(text), "c2:11:22:33:44:55");
  }
});

Deno.test("parseLinkMac() refuses what Go or the kernel refuses, code 999", () => {
  for (const text of ["zz", "c2:11:22:33:44", "c2:11:22:33:44:55:66:77", "c2:11-22:33:44:55"]) {
    const err = assertThrows(() => parseLinkMac(text), CniError);
    assertEquals([err.code, err.msg], [
      999,
      `invalid args ${text} for MAC addr: address ${text}: invalid MAC address`,
    ]);
  }
  for (const text of ["01:00:5e:00:00:01", "00:00:00:00:00:00"]) {
    const err = assertThrows(() => parseLinkMac(text), CniError);
    assertEquals(err.code, 999);
  }
});
