// deno-lint-ignore-file no-explicit-any -- JSON from the `ip -j` oracle is read loosely
// Privileged: rule add/list/delete, link aliases and VRF devices against the kernel, in throwaway
// namespaces, with `ip -j` as the oracle. VRF tests are ignored, with the reason in their name,
// on a kernel without vrf support; the refusal itself is tested there instead.
import { assertEquals, assertThrows } from "./helpers/assert.ts";
import { shSync } from "./helpers/run.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { vrfProbe } from "./helpers/vrf_probe.ts";
import {
  linkAddVeth,
  linkAddVrf,
  linkGet,
  linkSetAlias,
  NetlinkError,
  openNetlink,
  ruleAdd,
  ruleDel,
  ruleList,
} from "../netlink/mod.ts";

const vrf = await vrfProbe();

function ip(...args: string[]): string {
  return shSync("ip", ...args);
}

async function withNs(fn: (ns: string) => void | Promise<void>): Promise<void> {
  const ns = `tnr-${crypto.randomUUID().slice(0, 8)}`;
  ip("netns", "add", ns);
  try {
    await fn(ns);
  } finally {
    ip("netns", "del", ns);
  }
}

Deno.test({
  ...gated(
    "ruleAdd()/ruleList()/ruleDel() agree with `ip -j rule show` (IPv4 and IPv6)",
    NEEDS_ROOT,
  ),
  fn: () =>
    withNs((ns) => {
      using sock = openNetlink({ netns: `/run/netns/${ns}` });
      ruleAdd(sock, { src: "10.1.2.3/32", table: 100 });
      ruleAdd(sock, { src: "fd00::5/128", table: 1000, priority: 500 });
      const ours = ruleList(sock);
      const v4 = ours.filter((r) => r.family === 4).map((
        r,
      ) => [r.priority, r.src ?? "all", r.table]);
      assertEquals(v4, [[0, "all", 255], [32765, "10.1.2.3/32", 100], [32766, "all", 254], [
        32767,
        "all",
        253,
      ]]);
      const oracle4 = JSON.parse(ip("-n", ns, "-j", "rule", "show")) as any[];
      assertEquals(
        oracle4.map((r) => [r.priority, r.src === "all" ? "all" : `${r.src}/${r.srclen ?? 32}`]),
        v4.map(([p, s]) => [p, s]),
      );
      const oracle6 = JSON.parse(ip("-n", ns, "-6", "-j", "rule", "show")) as any[];
      const mine6 = oracle6.find((r) => r.priority === 500);
      assertEquals([mine6.src, mine6.table], ["fd00::5", "1000"]);
      assertEquals(ruleList(sock, { family: 6 }).find((r) => r.priority === 500)?.table, 1000);
      // An identical rule is refused (EXCL), a missing one cannot be deleted.
      const dup = assertThrows(
        () => ruleAdd(sock, { src: "10.1.2.3/32", table: 100, priority: 32765 }),
        NetlinkError,
      );
      assertEquals(dup.code, "EEXIST");
      ruleDel(sock, { src: "10.1.2.3/32", table: 100, priority: 32765 });
      ruleDel(sock, { src: "fd00::5/128", table: 1000 });
      const gone = assertThrows(
        () => ruleDel(sock, { src: "10.1.2.3/32", table: 100 }),
        NetlinkError,
      );
      assertEquals(gone.code, "ENOENT");
      assertEquals(ruleList(sock).filter((r) => r.src !== undefined), []);
    }),
});

Deno.test({
  ...gated("linkSetAlias() sets and clears the alias `ip -j link` shows as ifalias", NEEDS_ROOT),
  fn: () =>
    withNs((ns) => {
      using sock = openNetlink({ netns: `/run/netns/${ns}` });
      linkAddVeth(sock, { name: "al0", peerName: "al1" });
      linkSetAlias(sock, { name: "al0" }, "was eth1");
      assertEquals(linkGet(sock, { name: "al0" }).alias, "was eth1");
      assertEquals(JSON.parse(ip("-n", ns, "-j", "link", "show", "al0"))[0].ifalias, "was eth1");
      linkSetAlias(sock, { name: "al0" }, "");
      assertEquals(linkGet(sock, { name: "al0" }).alias, undefined);
      assertEquals(JSON.parse(ip("-n", ns, "-j", "link", "show", "al0"))[0].ifalias, undefined);
    }),
});

Deno.test({
  ...gated(
    "linkAddVrf() makes a VRF whose table `ip -j -d link` shows",
    NEEDS_ROOT,
    vrf.reason,
  ),
  fn: () =>
    withNs((ns) => {
      using sock = openNetlink({ netns: `/run/netns/${ns}` });
      linkAddVrf(sock, { name: "blue", table: 1001, up: true });
      const link = linkGet(sock, { name: "blue" });
      assertEquals([link.kind, link.vrfTable, link.up], ["vrf", 1001, true]);
      const j = JSON.parse(ip("-n", ns, "-j", "-d", "link", "show", "blue"))[0];
      assertEquals(j.linkinfo.info_data.table, 1001);
    }),
});

Deno.test({
  ...gated(
    "linkAddVrf() is refused with EOPNOTSUPP and the kernel's text without vrf support",
    NEEDS_ROOT,
    vrf.supported && "this kernel has vrf",
  ),
  fn: () =>
    withNs((ns) => {
      using sock = openNetlink({ netns: `/run/netns/${ns}` });
      const err = assertThrows(() => linkAddVrf(sock, { name: "blue", table: 10 }), NetlinkError);
      assertEquals([err.code, err.extack], ["EOPNOTSUPP", "Unknown device type"]);
      assertEquals(ip("-n", ns, "-o", "link", "show").includes("blue"), false);
    }),
});
