// Privileged netlink scenarios in throwaway namespaces, checked with `ip -j` as the oracle.
import { assert, assertEquals, assertRejects, assertThrows } from "./helpers/assert.ts";
import { shSync } from "./helpers/run.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import * as nl from "../netlink/mod.ts";
import { netlinkStats } from "../netlink/_socket_stats.ts";
import { NotNetnsError, openNetns } from "../netns/netns.ts";

function suffix(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 8);
}

// deno-lint-ignore no-explicit-any
function ipJson(ns: string, ...args: string[]): any[] {
  const text = shSync("ip", "-j", "-n", ns, ...args);
  return text.trim() === "" ? [] : JSON.parse(text);
}

function ownNetnsInode(): number {
  return Deno.statSync("/proc/thread-self/ns/net").ino!;
}

/** Creates throwaway named namespaces (with `ip netns add`, an independent tool) for `fn`. */
function withNamespaces(count: number, fn: (names: string[]) => void): void {
  const names = Array.from({ length: count }, () => `dnl-${suffix()}`);
  const made: string[] = [];
  try {
    for (const n of names) {
      shSync("ip", "netns", "add", n);
      made.push(n);
    }
    fn(names);
  } finally {
    for (const n of made) {
      try {
        shSync("ip", "netns", "del", n);
      } catch { /* already gone */ }
    }
  }
}

Deno.test({
  ...gated(
    "netlink ops: two namespaces, veth across them, bridge port with hairpin, v4+v6, default routes",
    NEEDS_ROOT,
  ),
  fn() {
    const inodeBefore = ownNetnsInode();
    let ourNames: string[] = [];
    let names: string[] = [];
    withNamespaces(2, (ns) => {
      names = ns;
      const [nsA, nsB] = ns as [string, string];
      using sockA = nl.openNetlink({ netns: `/run/netns/${nsA}` });
      using sockB = nl.openNetlink({ netns: `/run/netns/${nsB}` });
      using handleB = openNetns(`/run/netns/${nsB}`);
      const br = `br${suffix()}`;
      const hv = `hv${suffix()}`;
      ourNames = [br, hv];

      // Fresh namespaces hold only lo, seen by the sockets (not the host's links).
      assertEquals(nl.linkList(sockA).map((l) => l.name), ["lo"]);
      assertEquals(nl.linkList(sockB).map((l) => l.name), ["lo"]);

      nl.linkAddBridge(sockA, { name: br, mtu: 1400 });
      nl.linkAddVeth(sockA, {
        name: hv,
        peerName: "eth0",
        peerNetnsFd: handleB.fd,
        mtu: 1400,
        peerMac: "02:11:22:33:44:55",
      });
      nl.linkSetMaster(sockA, { name: hv }, { name: br });
      nl.linkSetBrportFlags(sockA, { name: hv }, { hairpin: true });
      nl.linkSetUp(sockA, { name: br });
      nl.linkSetUp(sockA, { name: hv });
      nl.addrAdd(sockA, { name: br }, { address: "10.123.0.1/24", broadcast: true });
      nl.addrAdd(sockA, { name: br }, { address: "fd00:123::1/64", noDad: true });
      nl.linkSetUp(sockB, { name: "lo" });
      nl.linkSetUp(sockB, { name: "eth0" });
      nl.addrAdd(sockB, { name: "eth0" }, { address: "10.123.0.2/24", broadcast: true });
      nl.addrAdd(sockB, { name: "eth0" }, { address: "fd00:123::2/64", noDad: true });
      nl.routeAdd(sockB, { dst: "0.0.0.0/0", gw: "10.123.0.1" });
      nl.routeAdd(sockB, { dst: "::/0", gw: "fd00:123::1", link: { name: "eth0" } });

      // Oracle: ip -j in namespace A.
      const linksA = ipJson(nsA, "-d", "link", "show");
      assertEquals(linksA.map((l) => l.ifname).sort(), [br, hv, "lo"].sort());
      const brA = linksA.find((l) => l.ifname === br);
      assertEquals(brA.linkinfo.info_kind, "bridge");
      assertEquals(brA.mtu, 1400);
      const hvA = linksA.find((l) => l.ifname === hv);
      assertEquals(hvA.linkinfo.info_kind, "veth");
      assertEquals(hvA.master, br);
      assertEquals(hvA.mtu, 1400);
      assertEquals(hvA.linkinfo.info_slave_kind, "bridge");
      assertEquals(hvA.linkinfo.info_slave_data.hairpin, true);
      assert(hvA.flags.includes("UP"));
      const brAddrs = ipJson(nsA, "addr", "show", "dev", br)[0].addr_info
        .filter((a: { scope: string }) => a.scope === "global")
        .map((
          a: { local: string; prefixlen: number; broadcast?: string },
        ) => [a.local, a.prefixlen, a.broadcast ?? null]);
      assertEquals(brAddrs, [["10.123.0.1", 24, "10.123.0.255"], ["fd00:123::1", 64, null]]);

      // Oracle: ip -j in namespace B.
      const linksB = ipJson(nsB, "-d", "link", "show");
      assertEquals(linksB.map((l) => l.ifname).sort(), ["eth0", "lo"]);
      const eth0 = linksB.find((l) => l.ifname === "eth0");
      assertEquals(eth0.address, "02:11:22:33:44:55");
      assertEquals(eth0.mtu, 1400);
      assertEquals(eth0.linkinfo.info_kind, "veth");
      const ethAddrs = ipJson(nsB, "addr", "show", "dev", "eth0")[0].addr_info
        .filter((a: { scope: string }) => a.scope === "global")
        .map((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`);
      assertEquals(ethAddrs, ["10.123.0.2/24", "fd00:123::2/64"]);
      const def4 = ipJson(nsB, "-4", "route", "show", "default");
      assertEquals(def4.map((r) => [r.dst, r.gateway, r.dev]), [["default", "10.123.0.1", "eth0"]]);
      const def6 = ipJson(nsB, "-6", "route", "show", "default");
      assertEquals(def6.map((r) => [r.dst, r.gateway, r.dev]), [[
        "default",
        "fd00:123::1",
        "eth0",
      ]]);

      // Our own view agrees with ip -j.
      const ours = nl.linkList(sockA);
      for (const l of linksA) {
        const o = ours.find((x) => x.index === l.ifindex)!;
        assertEquals([o.name, o.mtu, o.mac], [l.ifname, l.mtu, l.address]);
      }
      const hvLink = nl.linkGet(sockA, { name: hv });
      assertEquals(hvLink.masterIndex, brA.ifindex);
      assertEquals(hvLink.brport?.hairpin, true);
      assertEquals(hvLink.kind, "veth");
      assertEquals(typeof hvLink.netnsId, "number");
      const eth0Ours = nl.linkGet(sockB, { name: "eth0" });
      assertEquals(eth0Ours.parentIndex, hvLink.index);
      assertEquals(
        nl.addrList(sockB, { link: { name: "eth0" }, family: 4 }).map((a) => a.address),
        ["10.123.0.2/24"],
      );
      const routesB = nl.routeList(sockB, { family: 4 });
      assertEquals(
        routesB.filter((r) => r.dst === "0.0.0.0/0").map((r) => [r.gw, r.linkIndex]),
        [["10.123.0.1", eth0Ours.index]],
      );

      // Delete everything: the veth's peer in B goes with it.
      nl.routeDel(sockB, { dst: "0.0.0.0/0" });
      assertEquals(ipJson(nsB, "-4", "route", "show", "default"), []);
      nl.addrDel(sockA, { name: br }, { address: "10.123.0.1/24" });
      nl.linkDel(sockA, { name: hv });
      nl.linkDel(sockA, { name: br });
      assertEquals(ipJson(nsA, "link", "show").map((l) => l.ifname), ["lo"]);
      assertEquals(ipJson(nsB, "link", "show").map((l) => l.ifname), ["lo"]);
    });
    const listed = shSync("ip", "netns", "list");
    for (const n of names) assert(!listed.includes(n), `namespace ${n} left behind`);
    assertEquals(ownNetnsInode(), inodeBefore);
    // Nothing of ours leaked into the host namespace (other tests may add links there, so
    // only our own names are checked).
    const hostNames = JSON.parse(shSync("ip", "-j", "link", "show"))
      .map((l: { ifname: string }) => l.ifname);
    assertEquals(ourNames.length, 2);
    for (const n of ourNames) assert(!hostNames.includes(n), `${n} appeared in the host namespace`);
  },
});

Deno.test({
  ...gated(
    "netlink ops: set mtu/mac/name/promisc/down/nomaster, move to netns, replace route",
    NEEDS_ROOT,
  ),
  fn() {
    withNamespaces(2, ([nsA, nsB]) => {
      using sock = nl.openNetlink({ netns: `/run/netns/${nsA!}` });
      using sockB = nl.openNetlink({ netns: `/run/netns/${nsB!}` });
      using handleB = openNetns(`/run/netns/${nsB!}`);
      nl.linkAddBridge(sock, { name: "br0", mac: "02:00:00:00:aa:01" });
      nl.linkAddVeth(sock, { name: "va", peerName: "vb" });
      nl.linkSetPromisc(sock, { name: "va" }, true);
      let va = ipJson(nsA!, "-d", "link", "show", "dev", "va")[0];
      assertEquals([va.promiscuity, va.flags.includes("PROMISC")], [1, true]);
      assertEquals(nl.linkGet(sock, { name: "va" }).promisc, true);
      nl.linkSetPromisc(sock, { name: "va" }, false);
      assertEquals(ipJson(nsA!, "-d", "link", "show", "dev", "va")[0].promiscuity, 0);
      nl.linkSetMaster(sock, { name: "va" }, { name: "br0" });
      nl.linkSetMtu(sock, { name: "va" }, 1280);
      nl.linkSetMac(sock, { name: "va" }, "02:00:00:00:aa:02");
      va = ipJson(nsA!, "-d", "link", "show", "dev", "va")[0];
      assertEquals([va.mtu, va.address, va.master], [1280, "02:00:00:00:aa:02", "br0"]);
      assertEquals(ipJson(nsA!, "link", "show", "dev", "br0")[0].address, "02:00:00:00:aa:01");
      nl.linkSetNoMaster(sock, { name: "va" });
      nl.linkSetName(sock, { name: "va" }, "va-renamed");
      va = ipJson(nsA!, "-d", "link", "show", "dev", "va-renamed")[0];
      assertEquals([va.master, va.mtu], [undefined, 1280]);
      assertEquals(nl.linkFind(sock, { name: "va" }), undefined);

      nl.linkSetUp(sock, { name: "vb" });
      assert(ipJson(nsA!, "link", "show", "dev", "vb")[0].flags.includes("UP"));
      nl.linkSetDown(sock, { name: "vb" });
      assert(!ipJson(nsA!, "link", "show", "dev", "vb")[0].flags.includes("UP"));

      nl.linkSetNsFd(sock, { name: "vb" }, handleB.fd);
      assertEquals(nl.linkFind(sock, { name: "vb" }), undefined);
      assertEquals(ipJson(nsB!, "link", "show", "dev", "vb")[0].ifname, "vb");

      nl.linkSetUp(sockB, { name: "vb" });
      nl.addrAdd(sockB, { name: "vb" }, { address: "10.124.0.2/24" });
      nl.routeAdd(sockB, { dst: "10.50.0.0/16", gw: "10.124.0.1", metric: 10 });
      nl.routeReplace(sockB, { dst: "10.50.0.0/16", gw: "10.124.0.9", metric: 10 });
      nl.routeAdd(sockB, { dst: "10.60.0.0/16", link: { name: "vb" }, table: 1000 });
      const r = ipJson(nsB!, "route", "show", "10.50.0.0/16");
      assertEquals(r.map((x) => [x.gateway, x.metric]), [["10.124.0.9", 10]]);
      const t = ipJson(nsB!, "route", "show", "table", "1000");
      assertEquals(t.map((x) => [x.dst, x.dev, x.scope]), [["10.60.0.0/16", "vb", "link"]]);
      assertEquals(nl.routeList(sockB, { table: 1000 }).map((x) => x.dst), ["10.60.0.0/16"]);
      const dup = assertThrows(
        () => nl.routeAdd(sockB, { dst: "10.60.0.0/16", link: { name: "vb" }, table: 1000 }),
        nl.NetlinkError,
      );
      assertEquals(dup.code, "EEXIST");
      nl.routeDel(sockB, { dst: "10.60.0.0/16", table: 1000 });
      assertEquals(ipJson(nsB!, "route", "show", "table", "1000"), []);
      const gone = assertThrows(
        () => nl.routeDel(sockB, { dst: "10.60.0.0/16", table: 1000 }),
        nl.NetlinkError,
      );
      assertEquals(gone.code, "ESRCH");
    });
  },
});

Deno.test({
  ...gated(
    "routePrepend() vs routeAdd(): default routes on two devices (the kernel's EXCL rules)",
    NEEDS_ROOT,
  ),
  fn() {
    withNamespaces(1, ([ns]) => {
      using sock = nl.openNetlink({ netns: `/run/netns/${ns!}` });
      nl.linkAddVeth(sock, { name: "va", peerName: "va2" });
      nl.linkAddVeth(sock, { name: "vb", peerName: "vb2" });
      for (const name of ["va", "va2", "vb", "vb2"]) nl.linkSetUp(sock, { name });
      nl.addrAdd(sock, { name: "va" }, { address: "10.1.0.2/24" });
      nl.addrAdd(sock, { name: "vb" }, { address: "10.2.0.2/24" });
      nl.addrAdd(sock, { name: "va" }, { address: "fd01::2/64", noDad: true });
      nl.addrAdd(sock, { name: "vb" }, { address: "fd02::2/64", noDad: true });
      const defaults = (fam: string) =>
        ipJson(ns!, fam, "route", "show", "default").map((r) =>
          r.nexthops
            ? r.nexthops.map((h: { gateway: string; dev: string }) => `${h.gateway} ${h.dev}`)
            : `${r.gateway} ${r.dev}`
        );

      // EXCL (`ip route add`): a second default route is refused in both families, even on
      // another device with another gateway.
      nl.routeAdd(sock, { dst: "0.0.0.0/0", gw: "10.1.0.1", link: { name: "va" } });
      nl.routeAdd(sock, { dst: "::/0", gw: "fd01::1", link: { name: "va" } });
      for (const [dst, gw] of [["0.0.0.0/0", "10.2.0.1"], ["::/0", "fd02::1"]]) {
        const err = assertThrows(
          () => nl.routeAdd(sock, { dst: dst!, gw: gw!, link: { name: "vb" } }),
          nl.NetlinkError,
        );
        assertEquals(err.code, "EEXIST");
      }

      // Create-only (the reference's RouteAddEcmp): accepted; IPv4 keeps two routes, newest
      // first; IPv6 joins them into one multipath route.
      nl.routePrepend(sock, { dst: "0.0.0.0/0", gw: "10.2.0.1", link: { name: "vb" } });
      nl.routePrepend(sock, { dst: "::/0", gw: "fd02::1", link: { name: "vb" } });
      assertEquals(defaults("-4"), ["10.2.0.1 vb", "10.1.0.1 va"]);
      assertEquals(defaults("-6"), [["fd01::1 va", "fd02::1 vb"]]);

      // An identical route (same gateway, device, metric) is still refused in both.
      for (const [dst, gw] of [["0.0.0.0/0", "10.2.0.1"], ["::/0", "fd02::1"]]) {
        const err = assertThrows(
          () => nl.routePrepend(sock, { dst: dst!, gw: gw!, link: { name: "vb" } }),
          nl.NetlinkError,
        );
        assertEquals(err.code, "EEXIST");
        assertEquals(err.message, `route prepend "${dst} via ${gw} dev vb": file exists (EEXIST)`);
      }
      // Another metric is another route, even with EXCL.
      nl.routeAdd(sock, { dst: "0.0.0.0/0", gw: "10.2.0.1", link: { name: "vb" }, metric: 50 });

      // Deleting a device takes its routes (and its multipath leg) along.
      nl.linkDel(sock, { name: "vb" });
      assertEquals(defaults("-4"), ["10.1.0.1 va"]);
      assertEquals(defaults("-6"), ["fd01::1 va"]);
    });
  },
});

Deno.test({
  ...gated(
    "netlink bad input: missing link, duplicate name, long name, non-namespace path",
    NEEDS_ROOT,
  ),
  fn() {
    withNamespaces(1, ([ns]) => {
      using sock = nl.openNetlink({ netns: `/run/netns/${ns!}` });
      const missing = assertThrows(
        () => nl.linkGet(sock, { name: "nosuch0" }),
        nl.LinkNotFoundError,
      );
      assertEquals(missing.message, 'link show "nosuch0": no such device (ENODEV)');
      assertEquals([missing.errno, missing.code], [19, "ENODEV"]);
      const delMissing = assertThrows(
        () => nl.linkDel(sock, { index: 4242 }),
        nl.LinkNotFoundError,
      );
      assertEquals(delMissing.message, 'link del "index 4242": no such device (ENODEV)');
      assertThrows(
        () => nl.linkSetMaster(sock, { name: "lo" }, { name: "nobr0" }),
        nl.LinkNotFoundError,
        'link set master "nobr0"',
      );

      nl.linkAddVeth(sock, { name: "dup0", peerName: "dup1" });
      const dup = assertThrows(() => nl.linkAddBridge(sock, { name: "dup0" }), nl.NetlinkError);
      assert(dup.message.startsWith('link add "dup0": file exists (EEXIST)'), dup.message);
      assertEquals([dup.errno, dup.code, dup.op, dup.target], [17, "EEXIST", "link add", "dup0"]);
      const dupAddr = assertThrows(() => {
        nl.addrAdd(sock, { name: "dup0" }, { address: "10.125.0.1/24" });
        nl.addrAdd(sock, { name: "dup0" }, { address: "10.125.0.1/24" });
      }, nl.NetlinkError);
      assertEquals(dupAddr.code, "EEXIST");
      const noAddr = assertThrows(
        () => nl.addrDel(sock, { name: "dup0" }, { address: "10.125.9.9/24" }),
        nl.NetlinkError,
      );
      assertEquals(noAddr.code, "EADDRNOTAVAIL");
      // The kernel's extended-ack text is appended.
      assertEquals(noAddr.extack, "ipv4: Address not found");
      assert(noAddr.message.endsWith(": ipv4: Address not found"), noAddr.message);
      const notPort = assertThrows(
        () => nl.linkSetBrportFlags(sock, { name: "dup1" }, { hairpin: true }),
        nl.NetlinkError,
      );
      assertEquals(notPort.code, "EOPNOTSUPP");

      const long = assertThrows(
        () => nl.linkAddVeth(sock, { name: "a-very-long-name0", peerName: "p0" }),
        nl.NetlinkInputError,
      );
      assertEquals(
        long.message,
        'link add "a-very-long-name0": invalid interface name: 17 bytes, at most 15 allowed (EINVAL)',
      );
      assertEquals(ipJson(ns!, "link", "show").map((l) => l.ifname).sort(), ["dup0", "dup1", "lo"]);
    });
    const notNs = assertThrows(() => nl.openNetlink({ netns: "/etc/hostname" }), NotNetnsError);
    assert(notNs.message.includes('"/etc/hostname" is not a network namespace'), notNs.message);
    const absent = assertThrows(
      () => nl.openNetlink({ netns: `/run/netns/dnl-absent-${suffix()}` }),
      NotNetnsError,
    );
    assert(absent.message.includes("does not exist"), absent.message);
  },
});

Deno.test({
  ...gated(
    "openNetlink() without netns talks to the caller's namespace and leaves it unchanged",
    NEEDS_ROOT,
  ),
  fn() {
    const before = ownNetnsInode();
    using sock = nl.openNetlink();
    assert(sock.portId > 0);
    const ours = nl.linkList(sock).map((l) => [l.index, l.name]).sort();
    const ip = JSON.parse(shSync("ip", "-j", "link", "show"))
      .map((l: { ifindex: number; ifname: string }) => [l.ifindex, l.ifname]).sort();
    assertEquals(ours, ip);
    sock.close();
    assertEquals(sock.closed, true);
    sock.close(); // idempotent
    assertEquals(ownNetnsInode(), before);
  },
});

Deno.test({
  ...gated(
    "bridgeVlanAdd()/bridgeVlanList()/bridgeVlanDel() on a vlan_filtering bridge",
    NEEDS_ROOT,
  ),
  fn() {
    withNamespaces(1, ([ns]) => {
      using sock = nl.openNetlink({ netns: `/run/netns/${ns!}` });
      try {
        nl.linkAddBridge(sock, { name: "vbr0", vlanFiltering: true, defaultPvid: 1 });
      } catch (err) {
        // Kernels built without CONFIG_BRIDGE_VLAN_FILTERING refuse the attribute, exactly
        // as `ip link add ... type bridge vlan_filtering 1` is refused there.
        assert(err instanceof nl.NetlinkError && err.code === "EOPNOTSUPP", String(err));
        return;
      }
      nl.linkAddVeth(sock, { name: "vp0", peerName: "vp1" });
      nl.linkSetMaster(sock, { name: "vp0" }, { name: "vbr0" });
      assertEquals(nl.linkGet(sock, { name: "vbr0" }).bridge?.vlanFiltering, true);
      nl.bridgeVlanDel(sock, { name: "vp0" }, { vid: 1 });
      nl.bridgeVlanAdd(sock, { name: "vp0" }, { vid: 10, pvid: true, untagged: true });
      nl.bridgeVlanAdd(sock, { name: "vp0" }, { vid: 20, vidEnd: 22 });
      assertEquals(nl.bridgeVlanList(sock, { name: "vp0" }), [
        { vid: 10, pvid: true, untagged: true },
        { vid: 20, pvid: false, untagged: false },
        { vid: 21, pvid: false, untagged: false },
        { vid: 22, pvid: false, untagged: false },
      ]);
      const oracle = JSON.parse(
        shSync("bridge", "-n", ns!, "-j", "vlan", "show", "dev", "vp0"),
      );
      assertEquals(oracle[0].vlans.map((v: { vlan: number }) => v.vlan), [10, 20, 21, 22]);
      nl.bridgeVlanDel(sock, { name: "vp0" }, { vid: 20, vidEnd: 22 });
      assertEquals(nl.bridgeVlanList(sock, { name: "vp0" }).map((v) => v.vid), [10]);
    });
  },
});

Deno.test({
  ...gated(
    "linkDelBackground() returns with both veth ends gone; the kernel finishes after",
    NEEDS_ROOT,
  ),
  async fn() {
    const [nsA, nsB] = [`dnl-${suffix()}`, `dnl-${suffix()}`];
    shSync("ip", "netns", "add", nsA);
    try {
      shSync("ip", "netns", "add", nsB);
      using sockA = nl.openNetlink({ netns: `/run/netns/${nsA}` });
      using handleB = openNetns(`/run/netns/${nsB}`);
      nl.linkAddBridge(sockA, { name: "br0" });
      nl.linkSetUp(sockA, { name: "br0" });
      const host = nl.linkAddVeth(sockA, {
        name: "vh0",
        peerName: "eth0",
        peerNetnsFd: handleB.fd,
        up: true,
        master: { name: "br0" },
      });
      // The echo is this end before it joined the bridge; its parent is the peer's index.
      assertEquals(host?.name, "vh0");
      assertEquals(host?.up, true);
      const eth0 = ipJson(nsB, "link", "show", "dev", "eth0")[0];
      assertEquals(host?.parentIndex, eth0.ifindex);
      assertEquals(ipJson(nsA, "link", "show", "dev", "vh0")[0].master, "br0");
      {
        using sockB = nl.openNetlink({ netns: handleB });
        nl.linkSetUp(sockB, { name: "eth0" });
        nl.addrAdd(sockB, { name: "eth0" }, { address: "10.99.0.2/24" });
        const before = netlinkStats();
        await nl.linkDelBackground(sockB, { name: "eth0" });
        const after = netlinkStats();
        // Gone at once, both ends, though the kernel may still be tearing them down.
        assertEquals(ipJson(nsB, "link", "show").map((l) => l.ifname), ["lo"]);
        assertEquals(ipJson(nsA, "link", "show").map((l) => l.ifname).sort(), ["br0", "lo"]);
        assertEquals(after.offThread - before.offThread, 1 + after.probes - before.probes);
        // Deleting what is gone is no error (unlike linkDel).
        await nl.linkDelBackground(sockB, { name: "eth0" });
      } // sockB is closed here; its descriptor once the kernel has answered
      await nl.pendingKernelWork();
    } finally {
      await nl.pendingKernelWork();
      for (const n of [nsA, nsB]) {
        new Deno.Command("ip", { args: ["netns", "del", n] }).outputSync();
      }
    }
  },
});

Deno.test({
  ...gated(
    "linkDelBackground() surfaces the kernel's refusal (lo cannot be deleted: EOPNOTSUPP)",
    NEEDS_ROOT,
  ),
  async fn() {
    const ns = `dnl-${suffix()}`;
    shSync("ip", "netns", "add", ns);
    try {
      using sock = nl.openNetlink({ netns: `/run/netns/${ns}` });
      const e = await assertRejects(
        () => nl.linkDelBackground(sock, { name: "lo" }),
        nl.NetlinkError,
      );
      assertEquals(e.code, "EOPNOTSUPP");
      assertEquals(ipJson(ns, "link", "show").map((l) => l.ifname), ["lo"]);
    } finally {
      await nl.pendingKernelWork();
      shSync("ip", "netns", "del", ns);
    }
  },
});

Deno.test({
  ...gated("linkDelBackground() calls overlap: 8 veths deleted at once are all gone", NEEDS_ROOT),
  async fn() {
    const ns = `dnl-${suffix()}`;
    shSync("ip", "netns", "add", ns);
    try {
      using sock = nl.openNetlink({ netns: `/run/netns/${ns}` });
      for (let i = 0; i < 8; i++) nl.linkAddVeth(sock, { name: `va${i}`, peerName: `vb${i}` });
      assertEquals(ipJson(ns, "link", "show").length, 17);
      await Promise.all(
        Array.from({ length: 8 }, (_, i) => nl.linkDelBackground(sock, { name: `va${i}` })),
      );
      assertEquals(ipJson(ns, "link", "show").map((l) => l.ifname), ["lo"]);
    } finally {
      await nl.pendingKernelWork();
      shSync("ip", "netns", "del", ns);
    }
  },
});
