// deno-lint-ignore-file no-explicit-any -- the scenario's report is JSON read loosely
/**
 * host-device side by side with the reference /usr/lib/cni/host-device (Debian 1.1.1), ours
 * exec'd and in-process, inside a host sandbox (a namespace acting as the host; the "host
 * device" is a veth end made there, never a real interface). See
 * `helpers/host_device_scenario.ts`.
 *
 * Compared: results, the device in the container (name, alias = original name, up, MTU, MAC,
 * addresses, routes) and back in the host after DEL (name, down, addresses gone), CHECK, and
 * the errors of bad selectors.
 *
 * Known, intended differences, asserted as such: after DEL 1.1.1 leaves the alias set, ours
 * clears it (the newest reference); DEL again and DEL with the namespace gone succeed (1.1.1
 * fails: the device is not found / the namespace cannot be opened); an ADD that fails (the
 * container already has the name, or IPAM fails) leaves the device in the host as it was
 * (1.1.1 leaves it in the container); a missing kernel path and an unknown `deviceID` are
 * worded as the newest reference words them.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { refMissing } from "./helpers/reference.ts";
import { runInHostSandbox } from "./helpers/host_sandbox.ts";
import { launcherDir } from "./helpers/launchers.ts";
import { normalise, sortKeys } from "./helpers/sandbox_calls.ts";

const noRef = refMissing("host-device", "host-local", "static");

let report: Promise<Record<string, any>> | undefined;
function scenario(): Promise<Record<string, any>> {
  report ??= launcherDir().then((launchers) =>
    runInHostSandbox("tests/helpers/host_device_scenario.ts", {
      launchers,
      impls: ["ref", "exec", "inproc"],
      version: "1.0.0",
    })
  );
  return report;
}

/** A printed result, keys sorted, MACs replaced, the empty `dns` 1.1.1 prints dropped. */
function printed(out: { stdout: string }): unknown {
  const j = normalise(JSON.parse(out.stdout));
  if (j.dns && Object.keys(j.dns).length === 0) delete j.dns;
  return sortKeys(j);
}

function errorOf(out: { stdout: string }): { code: number; msg: string } {
  const j = JSON.parse(out.stdout);
  return { code: j.code, msg: j.msg };
}

/** The host state as set up: `a0hd` up, MTU 1400, its address and a route through it. */
function assertHome(host: any, up: boolean): void {
  assertEquals(host.link.length, 1);
  assertEquals(host.link[0].ifname, "a0hd");
  assertEquals([host.link[0].up, host.link[0].mtu, host.link[0].ifalias], [up, 1400, null]);
}

for (const impl of ["exec", "inproc"]) {
  Deno.test({
    ...gated(
      `host-device ADD/CHECK/DEL by name (${impl}) match the reference; the device comes back`,
      NEEDS_ROOT,
      noRef,
    ),
    async fn() {
      const r = await scenario();
      const ref = r.ref.byName;
      const ours = r[impl].byName;
      assertEquals(ref.add.code, 0, ref.add.stdout);
      assertEquals(ours.add.code, 0, ours.add.stdout + ours.add.stderr);
      assertEquals(printed(ours.add), printed(ref.add));
      assertEquals(normalise(ours.container), normalise(ref.container));
      assertEquals(ours.container.link[0].ifname, "net1");
      assertEquals(ours.container.link[0].ifalias, "a0hd");
      assertEquals(ours.container.link[0].up, true);
      assertEquals(ours.container.addrs, { net1: ["10.9.8.2/24 scope global brd 10.9.8.255"] });
      assert(ours.container.routes.includes("default via 10.9.8.1 dev net1 flags linkdown"));
      assertEquals(normalise(ours.host), normalise(ref.host));
      assertEquals(ours.host.link, [], "the device left the host");
      assertEquals(ours.check, ref.check);
      assertEquals(ours.check.code, 0);
      assertEquals(normalise(errorOf(ours.checkBadMac)), normalise(errorOf(ref.checkBadMac)));
      assertEquals(ours.del, ref.del);
      // The device is home, down, its addresses gone with the moves; the alias: see below.
      const want = normalise(ref.hostAfterDel);
      assertEquals(want.link[0].ifalias, "a0hd", "1.1.1 leaves the alias");
      want.link[0].ifalias = null;
      assertEquals(normalise(ours.hostAfterDel), want);
      assertHome(ours.hostAfterDel, false);
      assertEquals(ours.containerAfterDel, ref.containerAfterDel);
      assertEquals(ours.containerAfterDel.link, []);
      assertEquals(ours.delAgain, { code: 0, stdout: "", stderr: "" });
      assertEquals(errorOf(ref.delAgain).msg, 'failed to find "net1": Link not found');
    },
  });

  Deno.test({
    ...gated(
      `host-device by hwaddr and by kernelpath (${impl}) match the reference`,
      NEEDS_ROOT,
      noRef,
    ),
    async fn() {
      const r = await scenario();
      for (const k of ["byMac", "byKernelPath"]) {
        const ref = r.ref[k];
        const ours = r[impl][k];
        assertEquals(ref.add.code, 0, `${k}: ${ref.add.stdout}`);
        assertEquals(ours.add.code, 0, `${k}: ${ours.add.stdout}${ours.add.stderr}`);
        assertEquals(printed(ours.add), printed(ref.add), k);
        assertEquals(normalise(ours.container), normalise(ref.container), k);
        assertEquals(ours.container.link[0]?.ifname, "net1", k);
        assertEquals(ours.del.code, 0, k);
        assertHome(ours.hostAfterDel, false);
      }
    },
  });

  Deno.test({
    ...gated(`host-device DEL (${impl}) succeeds with the namespace gone`, NEEDS_ROOT, noRef),
    async fn() {
      const r = await scenario();
      assertEquals(r[impl].netnsGone, { add: 0, del: { code: 0, stdout: "" } });
      assertEquals(r.ref.netnsGone.add, 0);
      assert(errorOf(r.ref.netnsGone.del).msg.startsWith('failed to open netns "/run/netns/c1"'));
    },
  });

  Deno.test({
    ...gated(
      `host-device ADD that fails (${impl}) leaves the device in the host as it was`,
      NEEDS_ROOT,
      noRef,
    ),
    async fn() {
      const r = await scenario();
      for (const k of ["nameTaken", "ipamFails"]) {
        const ours = r[impl][k];
        const ref = r.ref[k];
        assertEquals(ours.add.code, 1, k);
        assertEquals(ref.add.code, 1, k);
        assertHome(ours.host, true);
        assertEquals(
          ours.host.addrs.a0hd.map((a: string) => a.replace(/ brd \S+$/, "")),
          ["10.9.9.1/24 scope global"],
          k,
        );
        assert(ours.host.routes.includes("10.9.10.0/24 via 10.9.9.254 flags linkdown"), k);
        assertEquals(
          ours.container.link.filter((l: any) => l.ifalias === "a0hd"),
          [],
          `${k}: nothing of ours in the container`,
        );
        // 1.1.1 leaves the device in the container.
        assertEquals(ref.host.link, [], k);
      }
      assert(errorOf(r[impl].nameTaken.add).msg.startsWith("failed to move link "));
      assertEquals(errorOf(r[impl].ipamFails.add).msg, errorOf(r.ref.ipamFails.add).msg);
    },
  });

  Deno.test({
    ...gated(`host-device bad selectors (${impl}) fail as the reference does`, NEEDS_ROOT, noRef),
    async fn() {
      const r = await scenario();
      const ours = r[impl].errors;
      const ref = r.ref.errors;
      for (
        const k of [
          "none",
          "noSuchDevice",
          "relativeKernelPath",
          "missingPci",
          "badMac",
          "unknownMac",
        ]
      ) {
        assertEquals(ours[k].code, 1, k);
        assertEquals(
          { code: ours[k].error.code, msg: ours[k].error.msg },
          { code: ref[k].error.code, msg: ref[k].error.msg },
          k,
        );
      }
      assertEquals(
        ours.missingKernelPath.error.msg,
        'failed to find host device: failed to read directory /sys/devices/nosuch/net: "open /sys/devices/nosuch/net: no such file or directory"',
      );
      assertEquals(
        ours.unknownDeviceId.error.msg,
        "runtime config DeviceID xx not found or unsupported",
      );
      assertHome(ours.deviceStillHome, true);
    },
  });
}
