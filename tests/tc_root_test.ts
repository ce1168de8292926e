// deno-lint-ignore-file no-explicit-any -- JSON from the tc/ip oracles is read loosely
// Privileged traffic-control scenarios in a throwaway namespace: ifb creation, tbf and ingress
// qdiscs, a u32 filter redirecting to the ifb, read back through our dumps and checked with
// `tc -j` / `ip -j` as the independent oracle.
import { assert, assertEquals, assertThrows } from "./helpers/assert.ts";
import { runSync } from "./helpers/run.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import {
  ETH_P_ALL,
  filterAdd,
  filterDel,
  filterList,
  INGRESS_HANDLE,
  linkAddIfb,
  linkAddVeth,
  LinkNotFoundError,
  linkSetUp,
  NetlinkError,
  openNetlink,
  qdiscAdd,
  qdiscDel,
  qdiscList,
  redirectAllFilter,
  TC_H_INGRESS,
  tcHandle,
  u32MatchAll,
} from "../netlink/mod.ts";
import { formatU32Handle } from "../netlink/tc_u32.ts";

function tcJson(ns: string, ...args: string[]): any[] {
  const out = runSync("tc", ["-n", ns, "-j", ...args]);
  if (out.code !== 0) throw new Error(`tc ${args.join(" ")}: ${out.stderr}`);
  return out.stdout.trim() === "" ? [] : JSON.parse(out.stdout);
}

function withNetns(fn: (ns: string) => void): void {
  const ns = `dtc-${crypto.randomUUID().slice(0, 8)}`;
  const made = runSync("ip", ["netns", "add", ns]);
  if (made.code !== 0) throw new Error(made.stderr);
  try {
    fn(ns);
  } finally {
    runSync("ip", ["netns", "del", ns]);
  }
}

/** The plugin's tbf for 1 Mbit/s with a 200 000 bit burst: 25 ms of latency. */
const TBF_1MBIT = { rate: 125_000, limit: 28_125, buffer: 3_125_000 };

Deno.test({
  ...gated(
    "tc ops: ifb, tbf, ingress and a u32 mirred filter, as tc -j shows them, then removed",
    NEEDS_ROOT,
  ),
  fn() {
    withNetns((ns) => {
      using sock = openNetlink({ netns: `/run/netns/${ns}` });
      linkAddVeth(sock, { name: "v0", peerName: "v1", mtu: 1400 });
      linkSetUp(sock, { name: "v0" });
      linkSetUp(sock, { name: "v1" });
      const ifb = linkAddIfb(sock, { name: "bwtest0", mtu: 1400, txqlen: 0, up: true })!;
      assertEquals([ifb.name, ifb.kind, ifb.mtu, ifb.up], ["bwtest0", "ifb", 1400, true]);
      assert(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(ifb.mac), ifb.mac);
      const ipIfb =
        JSON.parse(runSync("ip", ["-n", ns, "-j", "-d", "link", "show", "bwtest0"]).stdout)[0];
      assertEquals(
        [ipIfb.linkinfo.info_kind, ipIfb.mtu, ipIfb.address, ipIfb.flags.includes("UP")],
        ["ifb", 1400, ifb.mac, true],
      );
      assertEquals(ipIfb.txqlen ?? 0, 0);

      qdiscAdd(sock, { name: "v0" }, { kind: "tbf", handle: tcHandle(1, 0), tbf: TBF_1MBIT });
      qdiscAdd(sock, { name: "v0" }, { kind: "ingress", emptyOptions: true });
      filterAdd(sock, { name: "v0" }, redirectAllFilter(ifb.index, tcHandle(1, 1)));

      // refcnt is the kernel's business.
      assertEquals(tcJson(ns, "qdisc", "show", "dev", "v0").map(({ refcnt: _, ...q }) => q), [
        {
          kind: "tbf",
          handle: "1:",
          root: true,
          options: { rate: 125000, burst: 25000, lat: 25000 },
        },
        { kind: "ingress", handle: "ffff:", parent: "ffff:fff1", options: {} },
      ]);
      const tcFilter = tcJson(ns, "filter", "show", "dev", "v0", "ingress").at(-1).options;
      assertEquals([tcFilter.fh, tcFilter.flowid, tcFilter.match], ["800::800", "1:1", {
        value: "0",
        mask: "0",
        offmask: "",
        off: 0,
      }]);
      assertEquals(tcFilter.actions.length, 1);
      const act = tcFilter.actions[0];
      assertEquals(
        [act.kind, act.mirred_action, act.direction, act.to_dev, act.control_action.type],
        ["mirred", "redirect", "egress", "bwtest0", "stolen"],
      );

      // Our own dumps agree with tc.
      const ours = qdiscList(sock, { link: { name: "v0" } });
      assertEquals(ours.map((q) => [q.kind, q.handle, q.parent]), [
        ["tbf", 0x10000, 0xffffffff],
        ["ingress", 0xffff0000, TC_H_INGRESS],
      ]);
      assertEquals(
        [ours[0]!.tbf!.rate, ours[0]!.tbf!.limit, ours[0]!.tbf!.buffer],
        [125_000, 28_125, 3_125_000],
      );
      const filters = filterList(sock, { name: "v0" }, { parent: INGRESS_HANDLE });
      const f = filters.find((x) => x.u32?.actions.length)!;
      assertEquals(formatU32Handle(f.handle), "800::800");
      assertEquals(f.u32!.actions[0]!.mirred!.ifindex, ifb.index);
      assertEquals(f.u32!.classId, 0x10001);

      // A second add fails as tc does; replace changes the rate.
      const again = assertThrows(
        () =>
          qdiscAdd(sock, { name: "v0" }, { kind: "tbf", handle: tcHandle(1, 0), tbf: TBF_1MBIT }),
        NetlinkError,
      );
      assertEquals([again.code, again.description], ["EEXIST", "file exists"]);
      qdiscAdd(sock, { name: "v0" }, {
        kind: "tbf",
        handle: tcHandle(1, 0),
        replace: true,
        tbf: { rate: 250_000, limit: 31_250, buffer: 1_562_500 },
      });
      assertEquals(tcJson(ns, "qdisc", "show", "dev", "v0")[0].options, {
        rate: 250000,
        burst: 25000,
        lat: 25000,
      });

      // 64-bit rates go through TCA_TBF_RATE64.
      qdiscAdd(sock, { name: "bwtest0" }, {
        kind: "tbf",
        handle: tcHandle(1, 0),
        tbf: { rate: 5_000_000_000, limit: 126_048_576, buffer: 3265 },
      });
      assertEquals(tcJson(ns, "qdisc", "show", "dev", "bwtest0")[0].options.rate, 5_000_000_000);
      assertEquals(qdiscList(sock, { link: { index: ifb.index } })[0]!.tbf!.rate, 5_000_000_000);

      // A filter needs its qdisc; a missing device is LinkNotFoundError.
      assertThrows(
        () =>
          filterAdd(sock, { name: "v1" }, {
            kind: "u32",
            parent: INGRESS_HANDLE,
            priority: 1,
            protocol: ETH_P_ALL,
            u32: { sel: u32MatchAll() },
          }),
        NetlinkError,
      );
      assertThrows(
        () => qdiscAdd(sock, { name: "nosuch0" }, { kind: "ingress" }),
        LinkNotFoundError,
      );

      filterDel(sock, { name: "v0" }, { parent: INGRESS_HANDLE, priority: 1, protocol: ETH_P_ALL });
      assertEquals(tcJson(ns, "filter", "show", "dev", "v0", "ingress"), []);
      qdiscDel(sock, { name: "v0" }, { parent: TC_H_INGRESS });
      qdiscDel(sock, { name: "v0" });
      assertEquals(tcJson(ns, "qdisc", "show", "dev", "v0").map((q) => q.kind), ["noqueue"]);
      assertThrows(() => qdiscDel(sock, { name: "v0" }, { parent: TC_H_INGRESS }), NetlinkError);
    });
  },
});
