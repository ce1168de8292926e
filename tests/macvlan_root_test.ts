// deno-lint-ignore-file no-explicit-any -- JSON from the ip oracles is read loosely
/**
 * macvlan side by side with the reference (/usr/lib/cni/macvlan, Debian 1.1.1) and through our
 * two paths (the exec'd launcher `cnitool install` writes, and in-process `runPlugin`). Each
 * run gets its own world: a throwaway host namespace holding the master `m0` (a veth, with the
 * default route) and a throwaway container namespace, so the kernel state (`ip -j -d link`,
 * addresses, routes, sysctls), the printed result and the errors can be compared as they are.
 *
 * Known differences from 1.1.1, asserted as such: 1.1.1 creates the macvlan with txqueuelen 0
 * (the newest reference and ours leave the kernel's 1000) and does not set `ndisc_notify`
 * (the newest reference and ours do); 1.x results omit an empty `dns`; a failed ADD leaves
 * nothing here, while 1.1.1 leaks the macvlan when IPAM fails; CHECK messages are the newest
 * reference's (lower-case); a missing master says `failed to lookup master "x": Link not found`
 * (1.1.1: `Link not found`); DEL does not need the master (1.1.1 fails without it and keeps
 * the lease); errors of the IPAM plugin pass through with that plugin's code; CHECK of a host
 * prefix (/32) passes (1.1.1 looks for a subnet route the kernel never makes).
 */
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT, unless } from "./helpers/gate.ts";
import { refMissing } from "./helpers/reference.ts";
import { dropNetns, makeNetns } from "./helpers/namespaces.ts";
import { run, sh } from "./helpers/run.ts";
import {
  dropWorld,
  execd,
  inProcess,
  l3State,
  leases,
  linkIn,
  linkNames,
  makeWorld,
  normResult,
  type Runner,
  SIDES,
  sysctlIn,
  type World,
} from "./helpers/iface_env.ts";

const noRef = refMissing("macvlan");
const HAVE_BUSYBOX = (await run("sh", ["-c", "command -v busybox"])).code === 0;

function conf(_w: World, extra: Record<string, unknown> = {}, version = "1.0.0") {
  return { cniVersion: version, name: "tmv", type: "macvlan", ...extra };
}

function hostLocal(w: World, extra: Record<string, unknown> = {}) {
  return {
    type: "host-local",
    subnet: "10.78.0.0/24",
    dataDir: w.dataDir,
    routes: [{ dst: "0.0.0.0/0" }],
    ...extra,
  };
}

/** The macvlan as `ip -d` shows it, minus what differs between worlds. */
async function macvlanState(w: World, dev = "eth0") {
  const l = await linkIn(w.cont, dev);
  if (!l) return undefined;
  return {
    ifname: l.ifname,
    flags: l.flags,
    mtu: l.mtu,
    operstate: l.operstate,
    kind: l.linkinfo?.info_kind,
    mode: l.linkinfo?.info_data?.mode,
    bcqueuelen: l.linkinfo?.info_data?.bcqueuelen,
    linkNetns: l.link_netnsid !== undefined,
    minMtu: l.min_mtu,
    maxMtu: l.max_mtu,
    addrGenMode: l.inet6_addr_gen_mode,
  };
}

/** Runs `fn` with a fresh world per side, dropping them all afterwards. */
async function perSide(
  prefix: string,
  fn: (w: World, run: Runner, side: string) => Promise<void>,
  opts: { mtu?: number } = {},
): Promise<void> {
  for (const [side, run] of SIDES) {
    const w = await makeWorld(prefix, opts);
    try {
      await fn(w, run, side);
    } finally {
      await dropWorld(w);
    }
  }
}

Deno.test({
  ...gated(
    "macvlan ADD (L2, default master from the default route): same link and result as 1.1.1",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const seen: Record<string, unknown> = {};
    await perSide("tmv2", async (w, run, side) => {
      const c = conf(w, { ipam: {} });
      const out = await run(w, "macvlan", "ADD", c);
      assertEquals(out.code, 0, `${side}: ${out.stdout}${out.stderr}`);
      const result = JSON.parse(out.stdout);
      const link = await linkIn(w.cont, "eth0");
      assertEquals(result.interfaces[0].mac, link!.address, side);
      const m0 = await linkIn(w.host, "m0");
      assertEquals(link!.link_index, m0!.ifindex, `${side}: the master is m0`);
      seen[side] = {
        result: normResult(out.stdout, w),
        link: await macvlanState(w),
        names: await linkNames(w.cont),
        l3: await l3State(w.cont),
      };
      // DEL twice: both succeed, the link is gone.
      for (let i = 0; i < 2; i++) {
        const del = await run(w, "macvlan", "DEL", c);
        assertEquals(del.code, 0, `${side} DEL ${i}: ${del.stdout}${del.stderr}`);
        assertEquals(del.stdout, "", side);
      }
      assertEquals(await linkNames(w.cont), ["lo"], side);
      assertEquals(await linkNames(w.host), ["lo", "m0", "m0p"], side);
    });
    assertEquals(seen.exec, seen.reference);
    assertEquals(seen["in-process"], seen.reference);
    assertEquals((seen.reference as any).link.mode, "bridge");
    assertEquals((seen.reference as any).link.operstate, "UP");
  },
});

Deno.test({
  ...gated(
    "macvlan ADD/CHECK/DEL (L3 host-local, mode private, mtu 1400): same state and result as 1.1.1",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const seen: Record<string, any> = {};
    await perSide("tmv3", async (w, run, side) => {
      const c = conf(w, { master: "m0", mode: "private", mtu: 1400, ipam: hostLocal(w) });
      const out = await run(w, "macvlan", "ADD", c);
      assertEquals(out.code, 0, `${side}: ${out.stdout}${out.stderr}`);
      const l = await linkIn(w.cont, "eth0");
      seen[side] = {
        result: normResult(out.stdout, w),
        link: await macvlanState(w),
        l3: await l3State(w.cont),
        arpNotify: await sysctlIn(w.cont, "net/ipv4/conf/eth0/arp_notify"),
        ndiscNotify: await sysctlIn(w.cont, "net/ipv6/conf/eth0/ndisc_notify"),
        txqlen: l!.txqlen ?? 0,
        leases: await leases(w.dataDir),
      };
      // CHECK with the printed result passes; a changed mode or MAC fails the same way.
      const prevResult = JSON.parse(out.stdout);
      const check = await run(w, "macvlan", "CHECK", { ...c, prevResult });
      assertEquals([check.code, check.stdout], [0, ""], `${side} CHECK: ${check.stderr}`);
      const badMode = await run(w, "macvlan", "CHECK", { ...c, mode: "vepa", prevResult });
      const badMac = await run(w, "macvlan", "CHECK", {
        ...c,
        prevResult: {
          ...prevResult,
          interfaces: [{ ...prevResult.interfaces[0], mac: "02:00:00:00:00:99" }],
        },
      });
      seen[side].checkErrors = [badMode, badMac].map((o) => {
        const e = JSON.parse(o.stdout);
        return {
          exit: o.code,
          code: e.code,
          msg: e.msg.replace(/^./, (ch: string) => ch.toLowerCase())
            .replace(/container Mac: ([0-9a-f]{2}:){5}[0-9a-f]{2}/, "container Mac: <mac>"),
        };
      });
      const noPrev = await run(w, "macvlan", "CHECK", c);
      seen[side].noPrev = JSON.parse(noPrev.stdout).code;
      const del = await run(w, "macvlan", "DEL", { ...c, prevResult });
      assertEquals(del.code, 0, `${side} DEL: ${del.stdout}`);
      assertEquals(await linkNames(w.cont), ["lo"], side);
      assertEquals(await leases(w.dataDir), [], `${side}: the lease is released`);
    });
    const ref = seen.reference;
    for (const side of ["exec", "in-process"]) {
      const ours = seen[side];
      // Known differences: txqueuelen (1.1.1: 0), ndisc_notify (1.1.1 does not set it).
      assertEquals([ref.txqlen, ours.txqlen], [0, 1000], side);
      assertEquals([ref.ndiscNotify, ours.ndiscNotify], ["0", "1"], side);
      for (const k of ["result", "link", "l3", "arpNotify", "leases", "checkErrors", "noPrev"]) {
        assertEquals(ours[k], ref[k], `${side}: ${k}`);
      }
    }
    assertEquals(ref.link.mode, "private");
    assertEquals(ref.link.mtu, 1400);
    assertEquals(ref.arpNotify, "1");
    assertEquals(ref.l3.routes, [
      "10.78.0.0/24 dev eth0 src 10.78.0.2 scope link",
      "default via 10.78.0.1 dev eth0",
    ]);
    assertEquals(ref.checkErrors, [
      {
        exit: 1,
        code: 999,
        msg: "container macvlan mode private does not match expected value: vepa",
      },
      {
        exit: 1,
        code: 999,
        msg: ref.checkErrors[1].msg,
      },
    ]);
    assertEquals(
      ref.checkErrors[1].msg,
      "interface eth0 Mac 02:00:00:00:00:99 doesn't match container Mac: <mac>",
    );
  },
});

Deno.test({
  ...gated(
    "macvlan ADD with each mode (bridge, private, vepa, passthru): same mode in the kernel as 1.1.1",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    for (const mode of ["bridge", "private", "vepa", "passthru"]) {
      const seen: Record<string, unknown> = {};
      await perSide("tmvm", async (w, run, side) => {
        const out = await run(w, "macvlan", "ADD", conf(w, { master: "m0", mode, ipam: {} }));
        assertEquals(out.code, 0, `${mode} ${side}: ${out.stdout}`);
        seen[side] = await macvlanState(w);
      });
      assertEquals((seen.reference as any).mode, mode);
      assertEquals(seen.exec, seen.reference, mode);
      assertEquals(seen["in-process"], seen.reference, mode);
    }
  },
});

Deno.test({
  ...gated("macvlan MAC: runtimeConfig beats CNI_ARGS MAC beats mac, as 1.1.1", NEEDS_ROOT, noRef),
  async fn() {
    const cases: [string, Record<string, unknown>, string, string][] = [
      ["mac only", { mac: "02:aa:00:00:00:01" }, "", "02:aa:00:00:00:01"],
      [
        "CNI_ARGS over mac",
        { mac: "02:aa:00:00:00:01" },
        "MAC=02:aa:00:00:00:02",
        "02:aa:00:00:00:02",
      ],
      [
        "runtimeConfig over CNI_ARGS",
        { mac: "02:aa:00:00:00:01", runtimeConfig: { mac: "02:aa:00:00:00:03" } },
        "IgnoreUnknown=1;MAC=02:aa:00:00:00:02",
        "02:aa:00:00:00:03",
      ],
    ];
    for (const [what, extra, args, want] of cases) {
      await perSide("tmvmac", async (w, run, side) => {
        const out = await run(w, "macvlan", "ADD", conf(w, { master: "m0", ipam: {}, ...extra }), {
          args,
        });
        assertEquals(out.code, 0, `${what} ${side}: ${out.stdout}`);
        assertEquals(JSON.parse(out.stdout).interfaces[0].mac, want, `${what} ${side}`);
        assertEquals((await linkIn(w.cont, "eth0"))!.address, want, `${what} ${side}`);
      });
    }
  },
});

Deno.test({
  ...gated(
    "macvlan bad config: same error code as 1.1.1, the reference's message, nothing made",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const cases: [string, Record<string, unknown>, string][] = [
      ["unknown mode", { master: "m0", mode: "x", ipam: {} }, 'unknown macvlan mode: "x"'],
      [
        "mtu above master",
        { master: "m0", mtu: 1600, ipam: {} },
        "invalid MTU 1600, must be [0, master MTU(1500)]",
      ],
      [
        "negative mtu",
        { master: "m0", mtu: -1, ipam: {} },
        "invalid MTU -1, must be [0, master MTU(1500)]",
      ],
      [
        "bad mac",
        { master: "m0", mac: "zz", ipam: {} },
        "invalid args zz for MAC addr: address zz: invalid MAC address",
      ],
      [
        "missing master",
        { master: "nope", ipam: {} },
        'failed to lookup master "nope": Link not found',
      ],
      ["mtu not a number", { master: "m0", mtu: "x", ipam: {} }, "failed to load netconf: "],
      [
        "bad IPAM",
        { master: "m0", ipam: { type: "static", addresses: [{ address: "10.1.1.1" }] } },
        "the 'address' field is expected to be in CIDR notation, got: '10.1.1.1'",
      ],
    ];
    for (const [what, extra, msg] of cases) {
      const errs: Record<string, { code: number; msg: string }> = {};
      await perSide("tmverr", async (w, run, side) => {
        const out = await run(w, "macvlan", "ADD", conf(w, extra));
        assertEquals(out.code, 1, `${what} ${side}: ${out.stdout}`);
        errs[side] = JSON.parse(out.stdout);
        if (side !== "reference") {
          assertEquals(await linkNames(w.cont), ["lo"], `${what} ${side}: nothing left`);
        }
        assertEquals(await linkNames(w.host), ["lo", "m0", "m0p"], `${what} ${side}`);
      });
      for (const side of ["exec", "in-process"]) {
        // The IPAM plugin's own error passes through: our static answers code 7 where the
        // reference's answers 999 (a deliberate difference of static).
        const want = what === "bad IPAM" ? 7 : errs.reference!.code;
        assertEquals(errs[side]!.code, want, `${what}: ${side} code`);
        assertStringIncludes(errs[side]!.msg, msg, `${what}: ${side}`);
      }
      if (what === "missing master") assertEquals(errs.reference!.msg, "Link not found");
      else if (what !== "mtu not a number") assertStringIncludes(errs.reference!.msg, msg, what);
    }
  },
});

Deno.test({
  ...gated(
    "macvlan failed ADD after the link was made leaves nothing (1.1.1 leaks the macvlan)",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    // A route through a gateway that is not on the link: ConfigureIface fails after IPAM and
    // after the link was made.
    const ipamExtra = { routes: [{ dst: "10.99.0.0/16", gw: "10.200.0.1" }] };
    const left: Record<string, unknown> = {};
    await perSide("tmvfail", async (w, run, side) => {
      const out = await run(
        w,
        "macvlan",
        "ADD",
        conf(w, { master: "m0", ipam: hostLocal(w, ipamExtra) }),
      );
      assertEquals(out.code, 1, `${side}: ${out.stdout}`);
      assertStringIncludes(JSON.parse(out.stdout).msg, "failed to add route", side);
      left[side] = { links: await linkNames(w.cont), leases: await leases(w.dataDir) };
    });
    assertEquals(left.reference, { links: ["eth0", "lo"], leases: [] }, "1.1.1 leaks the link");
    assertEquals(left.exec, { links: ["lo"], leases: [] });
    assertEquals(left["in-process"], { links: ["lo"], leases: [] });
  },
});

Deno.test({
  ...gated(
    "macvlan DEL when the namespace or the master is gone: success, the lease released",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    await perSide("tmvdel", async (w, run, side) => {
      const c = conf(w, { master: "m0", ipam: hostLocal(w) });
      const out = await run(w, "macvlan", "ADD", c);
      assertEquals(out.code, 0, `${side}: ${out.stdout}`);
      await sh("ip", "-n", w.host.name, "link", "del", "m0");
      await sh("ip", "netns", "del", w.cont.name);
      const del = await run(w, "macvlan", "DEL", c);
      if (side === "reference") {
        // 1.1.1 loads the whole config on DEL, master lookup included (the newest reference
        // does not): with the master gone DEL fails and the lease is never released.
        assertEquals([del.code, JSON.parse(del.stdout).msg], [1, "Link not found"]);
        assertEquals((await leases(w.dataDir)).length, 1);
        return;
      }
      assertEquals([del.code, del.stdout], [0, ""], side);
      assertEquals(await leases(w.dataDir), [], side);
      const again = await run(w, "macvlan", "DEL", c, { netns: "" });
      assertEquals([again.code, again.stdout], [0, ""], `${side}: without CNI_NETNS`);
    });
  },
});

Deno.test({
  ...gated(
    "macvlan linkInContainer: the master lives in the container namespace (exec and in-process)",
    NEEDS_ROOT,
  ),
  async fn() {
    for (const [side, run] of [["exec", execd], ["in-process", inProcess]] as const) {
      const w = await makeWorld("tmvlic");
      try {
        await sh(
          "ip",
          "-n",
          w.cont.name,
          "link",
          "add",
          "c0",
          "type",
          "veth",
          "peer",
          "name",
          "c0p",
        );
        await sh("ip", "-n", w.cont.name, "link", "set", "c0", "up");
        const c = conf(w, { master: "c0", linkInContainer: true, ipam: {} });
        const out = await run(w, "macvlan", "ADD", c);
        assertEquals(out.code, 0, `${side}: ${out.stdout}`);
        const eth0 = await linkIn(w.cont, "eth0");
        const c0 = await linkIn(w.cont, "c0");
        assertEquals(eth0!.link, "c0", side);
        assertEquals(eth0!.link_netnsid, undefined, `${side}: same namespace as its master`);
        assert(c0 !== undefined);
        const check = await run(w, "macvlan", "CHECK", {
          ...c,
          prevResult: JSON.parse(out.stdout),
        });
        assertEquals(check.code, 0, `${side}: ${check.stdout}`);
        // A master only in the host is not found with linkInContainer.
        const bad = await run(
          w,
          "macvlan",
          "ADD",
          conf(w, { master: "m0", linkInContainer: true, ipam: {} }),
          {
            ifName: "eth1",
          },
        );
        assertEquals(JSON.parse(bad.stdout).msg, 'failed to lookup master "m0": Link not found');
        assertEquals((await run(w, "macvlan", "DEL", c)).code, 0, side);
        assertEquals(await linkNames(w.cont), ["c0", "c0p", "lo"], side);
      } finally {
        await dropWorld(w);
      }
    }
  },
});

Deno.test({
  ...gated(
    "macvlan refuses the plugin's own namespace as CNI_NETNS (ADD and DEL), code 8",
    NEEDS_ROOT,
  ),
  async fn() {
    for (const [side, run] of [["exec", execd], ["in-process", inProcess]] as const) {
      const w = await makeWorld("tmvown");
      try {
        await sh(
          "ip",
          "-n",
          w.host.name,
          "link",
          "add",
          "eth0",
          "type",
          "veth",
          "peer",
          "name",
          "e0p",
        );
        for (const command of ["ADD", "DEL"]) {
          const out = await run(w, "macvlan", command, conf(w, { master: "m0", ipam: {} }), {
            netns: w.host.path,
          });
          assertEquals(out.code, 1, `${side} ${command}`);
          assertEquals(JSON.parse(out.stdout).code, 8, `${side} ${command}`);
        }
        assertEquals(await linkNames(w.host), ["e0p", "eth0", "lo", "m0", "m0p"], side);
      } finally {
        await dropWorld(w);
      }
    }
  },
});

Deno.test({
  ...gated(
    "macvlan STATUS (1.1.0): success without IPAM and with host-local; bcqueuelen reaches the kernel",
    NEEDS_ROOT,
  ),
  async fn() {
    for (const [side, run] of [["exec", execd], ["in-process", inProcess]] as const) {
      const w = await makeWorld("tmvst");
      try {
        for (const ipam of [{}, hostLocal(w)]) {
          const out = await run(w, "macvlan", "STATUS", conf(w, { master: "m0", ipam }, "1.1.0"));
          assertEquals([out.code, out.stdout], [0, ""], `${side}: ${out.stderr}`);
        }
        const old = await run(w, "macvlan", "STATUS", conf(w, { master: "m0", ipam: {} }, "1.0.0"));
        assertEquals(JSON.parse(old.stdout).code, 1, side);
        const out = await run(
          w,
          "macvlan",
          "ADD",
          conf(w, { master: "m0", bcqueuelen: 2000, ipam: {} }, "1.1.0"),
        );
        assertEquals(out.code, 0, `${side}: ${out.stdout}`);
        assertEquals((await macvlanState(w))!.bcqueuelen, 2000, side);
        assert(JSON.parse(out.stdout).cniVersion === "1.1.0");
      } finally {
        await dropWorld(w);
      }
    }
  },
});

Deno.test({
  ...gated(
    "macvlan ADD result in older cniVersions (0.2.0, 0.3.1, 0.4.0): same shape as 1.1.1",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    for (const version of ["0.2.0", "0.3.1", "0.4.0"]) {
      const seen: Record<string, unknown> = {};
      await perSide("tmvver", async (w, run, side) => {
        const out = await run(
          w,
          "macvlan",
          "ADD",
          conf(w, { master: "m0", ipam: hostLocal(w) }, version),
        );
        assertEquals(out.code, 0, `${version} ${side}: ${out.stdout}`);
        seen[side] = normResult(out.stdout, w);
      });
      assertEquals(seen.exec, seen.reference, version);
      assertEquals(seen["in-process"], seen.reference, version);
    }
  },
});

Deno.test({
  ...gated(
    "macvlan ADD when CNI_IFNAME is taken in the container: 1.1.1's error, nothing left",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const errs: Record<string, unknown> = {};
    await perSide("tmvtaken", async (w, run, side) => {
      await sh(
        "ip",
        "-n",
        w.cont.name,
        "link",
        "add",
        "eth0",
        "type",
        "veth",
        "peer",
        "name",
        "e0p",
      );
      const out = await run(w, "macvlan", "ADD", conf(w, { master: "m0", ipam: hostLocal(w) }));
      assertEquals(out.code, 1, `${side}: ${out.stdout}`);
      const e = JSON.parse(out.stdout);
      errs[side] = { code: e.code, msg: e.msg };
      assertEquals(await linkNames(w.cont), ["e0p", "eth0", "lo"], side);
      assertEquals((await linkIn(w.cont, "eth0"))!.linkinfo?.info_kind, "veth", side);
      assertEquals(await leases(w.dataDir), [], `${side}: the lease was released`);
    });
    assertEquals(errs.reference, {
      code: 999,
      msg: 'failed to rename macvlan to "eth0": file exists',
    });
    assertEquals(errs.exec, errs.reference);
    assertEquals(errs["in-process"], errs.reference);
  },
});

Deno.test({
  ...gated(
    "macvlan traffic: two containers on one master reach each other in bridge mode, not in private",
    NEEDS_ROOT,
    unless(HAVE_BUSYBOX, "needs busybox"),
  ),
  async fn() {
    for (const [mode, reach] of [["bridge", true], ["private", false]] as const) {
      const w = await makeWorld("tmvping");
      const c2 = await makeNetns("tmvping2");
      try {
        const c = conf(w, { master: "m0", mode, ipam: hostLocal(w) });
        const a = await inProcess(w, "macvlan", "ADD", c);
        assertEquals(a.code, 0, a.stdout);
        const b = await execd(w, "macvlan", "ADD", c, {
          netns: c2.path,
          extra: { CNI_CONTAINERID: "other" },
        });
        assertEquals(b.code, 0, b.stdout);
        const ipB = JSON.parse(b.stdout).ips[0].address.split("/")[0];
        const ping = await run("ip", [
          "netns",
          "exec",
          w.cont.name,
          "busybox",
          "ping",
          "-c",
          "1",
          "-W",
          "1",
          ipB,
        ]);
        assertEquals(ping.code === 0, reach, `${mode}: ${ping.stdout}${ping.stderr}`);
      } finally {
        await dropNetns(c2);
        await dropWorld(w);
      }
    }
  },
});

Deno.test({
  ...gated(
    "macvlan CHECK of a /32 address: passes (1.1.1 fails looking for a subnet route)",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const got: Record<string, unknown> = {};
    await perSide("tmv32", async (w, run, side) => {
      const c = conf(w, {
        master: "m0",
        ipam: { type: "static", addresses: [{ address: "10.78.9.9/32" }] },
      });
      const out = await run(w, "macvlan", "ADD", c);
      assertEquals(out.code, 0, `${side}: ${out.stdout}`);
      const check = await run(w, "macvlan", "CHECK", { ...c, prevResult: JSON.parse(out.stdout) });
      got[side] = check.code === 0 ? "ok" : JSON.parse(check.stdout).msg;
    });
    assertEquals(got.reference, "Failed to find Gateway <nil> for interface eth0");
    assertEquals([got.exec, got["in-process"]], ["ok", "ok"]);
  },
});
