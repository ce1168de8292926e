import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { randomVethName } from "./veth_name.ts";

Deno.test("randomVethName() is veth + 8 lower-case hex digits, fresh each time", () => {
  const names = new Set(Array.from({ length: 64 }, () => randomVethName()));
  for (const n of names) assert(/^veth[0-9a-f]{8}$/.test(n), n);
  assertEquals(names.size, 64);
});
