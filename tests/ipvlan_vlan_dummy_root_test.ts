// deno-lint-ignore-file no-explicit-any -- JSON from the ip oracles is read loosely
/**
 * ipvlan, vlan and dummy: side by side with the reference (/usr/lib/cni/ipvlan and vlan,
 * Debian 1.1.1; Debian ships no dummy) and through our two paths (the exec'd launcher and
 * in-process `runPlugin`), each run in its own world (a throwaway host namespace holding the
 * master `m0`, a throwaway container namespace).
 *
 * Kernels differ: whether this one has each kind is probed first (a real `ip link add` in a
 * throwaway namespace). Tests that need the kind are ignored where it is missing, and tests of
 * the "missing kernel support" answer are ignored where it is present; the reason is in the
 * test name either way, so a run never passes silently. The configuration errors are found
 * before any link is made and are compared with the reference on every kernel.
 */
import { assert, assertEquals, assertStringIncludes, IS_ROOT } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT, type Reason } from "./helpers/gate.ts";
import { refMissing } from "./helpers/reference.ts";
import { sh } from "./helpers/run.ts";
import {
  dropWorld,
  execd,
  inProcess,
  kindSupported,
  l3State,
  leases,
  linkIn,
  linkNames,
  makeWorld,
  normResult,
  reference,
  type Runner,
  type World,
} from "./helpers/iface_env.ts";

const noRef = refMissing("ipvlan", "vlan");

const MODULES: Record<string, string> = { ipvlan: "ipvlan", vlan: "8021q", dummy: "dummy" };
const HAS: Record<string, boolean> = {};
for (const kind of Object.keys(MODULES)) HAS[kind] = IS_ROOT ? await kindSupported(kind) : false;

/** Why a test that needs the link kind cannot run on this kernel. */
function kindMissing(kind: string): Reason {
  return IS_ROOT && !HAS[kind] && `this kernel has no ${kind} support (module ${MODULES[kind]})`;
}

/** The opposite: a test of the answer a kernel without the kind gives. */
function kindPresent(kind: string): Reason {
  return HAS[kind] && `this kernel has ${kind} support`;
}

const OURS: readonly [string, Runner][] = [["exec", execd], ["in-process", inProcess]];
const ALL: readonly [string, Runner][] = [["reference", reference], ...OURS];

function conf(type: string, extra: Record<string, unknown> = {}, version = "1.0.0") {
  return { cniVersion: version, name: `t${type}`, type, ...extra };
}

function hostLocal(w: World, extra: Record<string, unknown> = {}) {
  return {
    type: "host-local",
    subnet: "10.79.0.0/24",
    dataDir: w.dataDir,
    routes: [{ dst: "0.0.0.0/0" }],
    ...extra,
  };
}

async function perSide(
  sides: readonly [string, Runner][],
  fn: (w: World, run: Runner, side: string) => Promise<void>,
): Promise<void> {
  for (const [side, run] of sides) {
    const w = await makeWorld("tlk");
    try {
      await fn(w, run, side);
    } finally {
      await dropWorld(w);
    }
  }
}

/** The container link as `ip -d` shows it, minus what differs between worlds. */
async function linkState(w: World) {
  const l = await linkIn(w.cont, "eth0");
  if (!l) return undefined;
  return {
    flags: l.flags,
    mtu: l.mtu,
    operstate: l.operstate,
    kind: l.linkinfo?.info_kind,
    data: l.linkinfo?.info_data,
    linkNetns: l.link_netnsid !== undefined,
  };
}

// ---- configuration errors: found before anything is made, on every kernel ----------------

Deno.test({
  ...gated(
    "ipvlan and vlan bad config: same error code and message as 1.1.1, nothing made",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const cases: [string, string, Record<string, unknown>, string, string?][] = [
      [
        "ipvlan",
        "unknown mode",
        { master: "m0", mode: "l4", ipam: { type: "host-local" } },
        'unknown ipvlan mode: "l4"',
      ],
      [
        "ipvlan",
        "chained without a single named interface",
        {
          prevResult: {
            cniVersion: "1.0.0",
            interfaces: [{ name: "a" }, { name: "b" }],
            ips: [{ address: "10.1.0.2/24", interface: 0 }],
          },
        },
        "chained master failure. PrevResult lacks a single named interface",
      ],
      [
        "ipvlan",
        "missing master",
        { master: "nope", ipam: { type: "host-local" } },
        'failed to lookup master "nope": Link not found',
      ],
      [
        "vlan",
        "no master",
        { vlanId: 5, ipam: { type: "host-local" } },
        '"master" field is required. It specifies the host interface name to create the VLAN for',
        // 1.1.1 ends the sentence with a period.
        '"master" field is required. It specifies the host interface name to create the VLAN for.',
      ],
      [
        "vlan",
        "VLAN id above 4094",
        { master: "m0", vlanId: 4095, ipam: { type: "host-local" } },
        "invalid VLAN ID 4095 (must be between 0 and 4094 inclusive)",
        "invalid VLAN ID 4095 (must be between 0 and 4095 inclusive)",
      ],
      [
        "vlan",
        "mtu above master",
        { master: "m0", vlanId: 5, mtu: 9000, ipam: { type: "host-local" } },
        "invalid MTU 9000, must be [0, master MTU(1500)]",
      ],
      [
        "vlan",
        "missing master device",
        { master: "nope", vlanId: 5, ipam: { type: "host-local" } },
        'failed to lookup master "nope": Link not found',
        "Link not found",
      ],
    ];
    for (const [type, what, extra, msg, refMsg] of cases) {
      const errs: Record<string, { code: number; msg: string }> = {};
      await perSide(ALL, async (w, run, side) => {
        const c = conf(type, extra);
        if ((c as any).ipam) (c as any).ipam = hostLocal(w);
        const out = await run(w, type, "ADD", c);
        assertEquals(out.code, 1, `${type} ${what} ${side}: ${out.stdout}`);
        const e = JSON.parse(out.stdout);
        errs[side] = { code: e.code, msg: e.msg };
        assertEquals(await linkNames(w.cont), ["lo"], `${type} ${what} ${side}`);
        assertEquals(await linkNames(w.host), ["lo", "m0", "m0p"], `${type} ${what} ${side}`);
        assertEquals(await leases(w.dataDir), [], `${type} ${what} ${side}`);
      });
      assertEquals(errs.reference!.msg, refMsg ?? msg, `${type} ${what}: reference`);
      for (const [side] of OURS) {
        assertEquals(errs[side], { code: errs.reference!.code, msg }, `${type} ${what}: ${side}`);
      }
    }
  },
});

Deno.test({
  ...gated(
    "ipvlan, vlan and dummy need addresses: no IPAM type is refused before anything is made",
    NEEDS_ROOT,
  ),
  async fn() {
    const cases: [string, Record<string, unknown>, string][] = [
      ["ipvlan", { master: "m0" }, "no plugin name provided"],
      [
        "vlan",
        { master: "m0", vlanId: 7 },
        "failed to execute IPAM delegate: no plugin name provided",
      ],
      ["dummy", {}, "dummy interface requires an IPAM configuration"],
      ["dummy", { ipam: {} }, "dummy interface requires an IPAM configuration"],
    ];
    for (const [type, extra, msg] of cases) {
      await perSide(OURS, async (w, run, side) => {
        const out = await run(w, type, "ADD", conf(type, extra));
        const e = JSON.parse(out.stdout);
        assertEquals([out.code, e.code, e.msg], [1, 999, msg], `${type} ${side}`);
        assertEquals(await linkNames(w.cont), ["lo"], `${type} ${side}`);
      });
    }
  },
});

Deno.test({
  ...gated(
    "ipvlan, vlan and dummy DEL: idempotent, without a namespace, with it gone, as 1.1.1",
    NEEDS_ROOT,
  ),
  async fn() {
    for (const type of ["ipvlan", "vlan", "dummy"]) {
      const sides = type === "dummy" || noRef ? OURS : ALL;
      await perSide(sides, async (w, run, side) => {
        const c = conf(type, { master: "m0", vlanId: 7, ipam: hostLocal(w) });
        for (const netns of [w.cont.path, "", "/run/netns/tlk-gone-ns"]) {
          const out = await run(w, type, "DEL", c, { netns });
          assertEquals([out.code, out.stdout], [0, ""], `${type} ${side} netns=${netns}`);
        }
      });
    }
  },
});

// ---- kernels without the kind: a clear error, nothing left ---------------------------------

for (const type of ["ipvlan", "vlan", "dummy"]) {
  const kind = kindPresent(type);
  Deno.test({
    ...gated(
      `${type} ADD on a kernel without ${type}: names the missing kernel support, leaves ` +
        `neither link nor lease`,
      NEEDS_ROOT,
      kind,
    ),
    async fn() {
      await perSide(OURS, async (w, run, side) => {
        const c = conf(type, { master: "m0", vlanId: 7, ipam: hostLocal(w) });
        const out = await run(w, type, "ADD", c);
        assertEquals(out.code, 1, `${side}: ${out.stdout}`);
        const err = JSON.parse(out.stdout);
        assertEquals(err.code, 999, side);
        assertEquals(err.msg, `the kernel has no ${type} support (module ${MODULES[type]})`);
        assertStringIncludes(err.details, "Unknown device type", side);
        assertEquals(await linkNames(w.cont), ["lo"], side);
        assertEquals(await linkNames(w.host), ["lo", "m0", "m0p"], side);
        assertEquals(await leases(w.dataDir), [], `${side}: the lease was released`);
      });
    },
  });
}

// ---- kernels with the kind: the plugins for real --------------------------------------------

{
  const kind = kindMissing("ipvlan");
  Deno.test({
    ...gated(
      `ipvlan ADD/CHECK/DEL (L3 host-local, mode l3, mtu 1400): same state and result as ` +
        "1.1.1",
      NEEDS_ROOT,
      noRef,
      kind,
    ),
    async fn() {
      const seen: Record<string, any> = {};
      await perSide(ALL, async (w, run, side) => {
        const c = conf("ipvlan", { master: "m0", mode: "l3", mtu: 1400, ipam: hostLocal(w) });
        const out = await run(w, "ipvlan", "ADD", c);
        assertEquals(out.code, 0, `${side}: ${out.stdout}${out.stderr}`);
        const prevResult = JSON.parse(out.stdout);
        const l = await linkIn(w.cont, "eth0");
        const m0 = await linkIn(w.host, "m0");
        assertEquals(l!.address, m0!.address, `${side}: an ipvlan shares its master's MAC`);
        seen[side] = {
          result: normResult(out.stdout, w),
          link: await linkState(w),
          l3: await l3State(w.cont),
          leases: await leases(w.dataDir),
        };
        const check = await run(w, "ipvlan", "CHECK", { ...c, prevResult });
        assertEquals([check.code, check.stdout], [0, ""], `${side} CHECK`);
        const badMode = await run(w, "ipvlan", "CHECK", { ...c, mode: "l2", prevResult });
        seen[side].badMode = JSON.parse(badMode.stdout);
        const del = await run(w, "ipvlan", "DEL", c);
        assertEquals(del.code, 0, `${side} DEL: ${del.stdout}`);
        assertEquals(await linkNames(w.cont), ["lo"], side);
        assertEquals(await leases(w.dataDir), [], side);
      });
      for (const [side] of OURS) assertEquals(seen[side], seen.reference, side);
      assertEquals(seen.reference.link.data?.mode, "l3");
      assertEquals(seen.reference.badMode, {
        code: 999,
        msg: "Container IPVlan mode l3 does not match expected value: l2",
      });
    },
  });

  Deno.test({
    ...gated(`ipvlan chained: master and addresses from the previous result`, NEEDS_ROOT, kind),
    async fn() {
      await perSide(OURS, async (w, run, side) => {
        const prevResult = {
          cniVersion: "1.0.0",
          interfaces: [{ name: "m0" }],
          ips: [{ address: "10.79.5.7/24", gateway: "10.79.5.1", interface: 0 }],
          routes: [{ dst: "0.0.0.0/0" }],
        };
        const out = await run(w, "ipvlan", "ADD", conf("ipvlan", { prevResult }));
        assertEquals(out.code, 0, `${side}: ${out.stdout}`);
        const l = await linkIn(w.cont, "eth0");
        assertEquals(l!.linkinfo?.info_kind, "ipvlan", side);
        assertEquals((await l3State(w.cont)).addrs, ["eth0 10.79.5.7/24 brd 10.79.5.255"], side);
        const result = JSON.parse(out.stdout);
        assertEquals(result.ips, [{ address: "10.79.5.7/24", gateway: "10.79.5.1", interface: 0 }]);
        assertEquals((await run(w, "ipvlan", "DEL", conf("ipvlan", { prevResult }))).code, 0);
        assertEquals(await linkNames(w.cont), ["lo"], side);
      });
    },
  });
}

{
  const kind = kindMissing("vlan");
  Deno.test({
    ...gated(
      `vlan ADD/CHECK/DEL (L3 host-local, id 100, mtu 1400): same state and result as ` +
        "1.1.1",
      NEEDS_ROOT,
      noRef,
      kind,
    ),
    async fn() {
      const seen: Record<string, any> = {};
      await perSide(ALL, async (w, run, side) => {
        const c = conf("vlan", { master: "m0", vlanId: 100, mtu: 1400, ipam: hostLocal(w) });
        const out = await run(w, "vlan", "ADD", c);
        assertEquals(out.code, 0, `${side}: ${out.stdout}${out.stderr}`);
        const prevResult = JSON.parse(out.stdout);
        seen[side] = {
          result: normResult(out.stdout, w),
          link: await linkState(w),
          l3: await l3State(w.cont),
          leases: await leases(w.dataDir),
        };
        const check = await run(w, "vlan", "CHECK", { ...c, prevResult });
        assertEquals([check.code, check.stdout], [0, ""], `${side} CHECK`);
        const del = await run(w, "vlan", "DEL", c);
        assertEquals(del.code, 0, `${side} DEL: ${del.stdout}`);
        assertEquals(await linkNames(w.cont), ["lo"], side);
        assertEquals(await leases(w.dataDir), [], side);
      });
      for (const [side] of OURS) assertEquals(seen[side], seen.reference, side);
      assertEquals(seen.reference.link.data?.id, 100);
      assertEquals(seen.reference.link.mtu, 1400);
    },
  });

  Deno.test({
    ...gated(`vlan CHECK names a wrong VLAN id; DEL works with the master gone`, NEEDS_ROOT, kind),
    async fn() {
      await perSide(OURS, async (w, run, side) => {
        const c = conf("vlan", { master: "m0", vlanId: 100, ipam: hostLocal(w) });
        const out = await run(w, "vlan", "ADD", c);
        assertEquals(out.code, 0, `${side}: ${out.stdout}`);
        const prevResult = JSON.parse(out.stdout);
        const bad = await run(w, "vlan", "CHECK", { ...c, vlanId: 101, prevResult });
        assertEquals(
          JSON.parse(bad.stdout).msg,
          "vlan: Container interface eth0 VLAN ID 100 does not match expected value: 101",
        );
        await sh("ip", "-n", w.host.name, "link", "del", "m0");
        const del = await run(w, "vlan", "DEL", c);
        assertEquals([del.code, del.stdout], [0, ""], side);
        assertEquals(await leases(w.dataDir), [], side);
      });
    },
  });
}

{
  const kind = kindMissing("dummy");
  Deno.test({
    ...gated(`dummy ADD/CHECK/DEL with static IPAM (exec and in-process agree)`, NEEDS_ROOT, kind),
    async fn() {
      const seen: Record<string, unknown> = {};
      await perSide(OURS, async (w, run, side) => {
        const c = conf("dummy", {
          ipam: {
            type: "static",
            addresses: [{ address: "10.79.9.9/32" }],
            dns: { nameservers: ["10.0.0.53"] },
          },
        });
        const out = await run(w, "dummy", "ADD", c);
        assertEquals(out.code, 0, `${side}: ${out.stdout}`);
        const prevResult = JSON.parse(out.stdout);
        assertEquals(prevResult.dns, { nameservers: ["10.0.0.53"] }, `${side}: IPAM's dns is kept`);
        seen[side] = {
          result: normResult(out.stdout, w),
          link: await linkState(w),
          l3: await l3State(w.cont),
        };
        const check = await run(w, "dummy", "CHECK", { ...c, prevResult });
        assertEquals([check.code, check.stdout], [0, ""], `${side} CHECK`);
        await sh("ip", "-n", w.cont.name, "link", "set", "eth0", "down");
        const down = await run(w, "dummy", "CHECK", { ...c, prevResult });
        assertEquals(JSON.parse(down.stdout).msg, "Interface eth0 is down", side);
        assertEquals((await run(w, "dummy", "DEL", c)).code, 0, side);
        assertEquals(await linkNames(w.cont), ["lo"], side);
      });
      assertEquals(seen["in-process"], seen.exec);
      assert((seen.exec as any).link.kind === "dummy");
    },
  });
}
