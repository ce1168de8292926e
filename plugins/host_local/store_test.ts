import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { leaseContent, matches, parseLease, releasable } from "./store.ts";

Deno.test("leaseContent() and parseLease() speak the reference's format, legacy files included", () => {
  assertEquals(leaseContent(" c1 ", "eth0"), "c1\r\neth0");
  assertEquals(parseLease("c1\r\neth0", "10.0.0.2"), {
    ip: "10.0.0.2",
    containerId: "c1",
    ifName: "eth0",
  });
  assertEquals(parseLease(" legacy\n", "10.0.0.3"), { ip: "10.0.0.3", containerId: "legacy" });
  assertEquals(parseLease("", "10.0.0.4"), { ip: "10.0.0.4", containerId: "" });
});

Deno.test("releasable() picks the attachment's leases, else the container's legacy ones", () => {
  const all = [
    parseLease("c1\r\neth0", "10.0.0.2"),
    parseLease("c1\r\neth1", "10.0.0.3"),
    parseLease("c1", "10.0.0.4"),
    parseLease("", "10.0.0.5"),
  ];
  assertEquals(releasable(all, "c1", "eth0"), ["10.0.0.2"]);
  assertEquals(releasable(all, "c1", "eth9"), ["10.0.0.4"]);
  assertEquals(releasable(all, "", "eth0"), []);
  assert(matches(all[2]!, " c1 ", undefined));
  assert(!matches(all[3]!, "", undefined));
});
