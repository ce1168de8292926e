import { assertEquals, assertRejects } from "../tests/helpers/assert.ts";
import { observeToolRuns } from "./_tool_observers.ts";
import { defaultBackend, withBackend } from "./support.ts";

Deno.test("withBackend(): a configured backend runs as is, without a probe", async () => {
  const seen: string[] = [];
  using _watch = observeToolRuns((argv) => seen.push(argv.join(" ")));
  const used: string[] = [];
  await withBackend("nftables", (b) => Promise.resolve(used.push(b)));
  await withBackend("iptables", (b) => Promise.resolve(used.push(b)));
  assertEquals(used, ["nftables", "iptables"]);
  assertEquals(seen, []);
});

Deno.test("withBackend(): automatic tries iptables first and probes only when it fails", async () => {
  const seen: string[] = [];
  using _watch = observeToolRuns((argv) => seen.push(argv.join(" ")));
  assertEquals(await withBackend(undefined, (b) => Promise.resolve(b)), "iptables");
  assertEquals(seen, []);
  const used: string[] = [];
  const work = (b: string) => {
    used.push(b);
    return b === "iptables" ? Promise.reject(new Error("iptables broke")) : Promise.resolve(b);
  };
  // The probes' answer decides: the failure stands where iptables works, else nftables runs.
  if ((await defaultBackend()) === "iptables") {
    await assertRejects(() => withBackend(undefined, work), Error, "iptables broke");
    assertEquals(used, ["iptables"]);
  } else {
    assertEquals(await withBackend(undefined, work), "nftables");
    assertEquals(used, ["iptables", "nftables"]);
  }
});
