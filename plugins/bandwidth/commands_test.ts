// The verbs' paths that need no kernel: run through skel as a runtime would, no root needed.
// The kernel paths are in tests/bandwidth_parity_test.ts (side by side with the reference).
import { assertEquals } from "../../tests/helpers/assert.ts";
import { runPlugin } from "../../cni/skel.ts";
import { plugin } from "./commands.ts";

const ENC = new TextEncoder();

function call(command: string, conf: Record<string, unknown>, netns = "/run/netns/none") {
  return runPlugin(plugin, {
    env: {
      CNI_COMMAND: command,
      CNI_CONTAINERID: "c1",
      CNI_NETNS: netns,
      CNI_IFNAME: "eth0",
      CNI_PATH: "/nonexistent",
    },
    stdin: ENC.encode(JSON.stringify({ name: "n1", type: "bandwidth", ...conf })),
  });
}

const PREV = {
  cniVersion: "0.4.0",
  interfaces: [{ name: "veth1", mac: "02:00:00:00:00:01" }, { name: "eth0", sandbox: "/x" }],
  ips: [{ version: "4", address: "10.1.0.2/24", interface: 1 }],
  dns: {},
};

Deno.test("plugin.add() passes prevResult on unchanged when nothing is limited", async () => {
  const out = await call("ADD", { cniVersion: "0.4.0", prevResult: PREV });
  assertEquals([out.exitCode, JSON.parse(out.stdout)], [0, PREV]);
  const zero = await call("ADD", {
    cniVersion: "0.4.0",
    egressRate: 0,
    runtimeConfig: { bandwidth: { egressRate: 1000, egressBurst: 1000 } },
    prevResult: PREV,
  });
  assertEquals(JSON.parse(zero.stdout), PREV);
});

Deno.test("plugin.add() fails cleanly without prevResult, limited or not (1.1.1 crashes)", async () => {
  for (const limits of [{}, { ingressRate: 1000, ingressBurst: 1000 }]) {
    const out = await call("ADD", { cniVersion: "1.0.0", ...limits });
    assertEquals([out.exitCode, JSON.parse(out.stdout)], [1, {
      cniVersion: "1.0.0",
      code: 999,
      msg: "must be called as chained plugin",
    }]);
  }
});

Deno.test("ADD and CHECK check the config before anything else; DEL is best effort", async () => {
  for (const command of ["ADD", "CHECK"]) {
    const out = await call(command, {
      cniVersion: "1.0.0",
      ingressRate: 1000,
      prevResult: { ...PREV, cniVersion: "1.0.0" },
    });
    assertEquals(JSON.parse(out.stdout), {
      cniVersion: "1.0.0",
      code: 999,
      msg: "if rate is set, burst must also be set",
    }, command);
  }
  // DEL needs only the network name and container ID: a bad limit does not stop it.
  const del = await call("DEL", { cniVersion: "1.0.0", ingressRate: 1000 });
  assertEquals([del.exitCode, del.stdout], [0, ""]);
  const old = await call("ADD", { cniVersion: "0.2.0" });
  assertEquals(JSON.parse(old.stdout).code, 1);
});

Deno.test("plugin.add() names the netns it cannot open", async () => {
  const out = await call("ADD", {
    cniVersion: "1.0.0",
    ingressRate: 1000,
    ingressBurst: 1000,
    prevResult: { ...PREV, cniVersion: "1.0.0" },
  }, "/nonexistent/netns");
  const err = JSON.parse(out.stdout);
  assertEquals([out.exitCode, err.code], [1, 999]);
  assertEquals(err.msg.startsWith(`failed to open netns "/nonexistent/netns": `), true, err.msg);
});

Deno.test("plugin.check() without prevResult says 'a chained plugin'; STATUS succeeds", async () => {
  const out = await call("CHECK", { cniVersion: "1.0.0", ingressRate: 1000, ingressBurst: 1 });
  assertEquals(JSON.parse(out.stdout).msg, "must be called as a chained plugin");
  const status = await call("STATUS", { cniVersion: "1.1.0" });
  assertEquals(status, { stdout: "", stderr: "", exitCode: 0 });
});
