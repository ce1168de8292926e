import { assertEquals } from "../../tests/helpers/assert.ts";
import { addrSpec } from "./configure.ts";

Deno.test("addrSpec() asks for the derived broadcast on IPv4 only, as the Go netlink library", () => {
  assertEquals(addrSpec("10.22.0.2/16"), { address: "10.22.0.2/16", broadcast: true });
  assertEquals(addrSpec("fd00::2/64"), { address: "fd00::2/64" });
});
