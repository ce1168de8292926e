// deno-lint-ignore-file no-explicit-any -- results and ip JSON are read loosely
/**
 * A container on two networks (Podman `--network a,b`, Multus): one namespace, two bridge
 * networks whose IPAM gives each a default route (IPv4 and IPv6), attached as `eth0` and
 * `eth1` by our libcni. Both ADDs must succeed (the reference adds a result's routes without
 * `NLM_F_EXCL`, so the kernel keeps a default route per device), CHECK passes, and both DELs
 * clean up. Our plugins and the Debian Go plugins run side by side, each in a world of its own
 * (see helpers/chain_env.ts), and must leave the same kernel state and results.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import {
  callDriver,
  type ChainWorld,
  containerState,
  dropWorld,
  GO_PLUGINS,
  leftoverFiles,
  makeWorld,
  maskWorld,
  OUR_DRIVER,
  OUR_PLUGINS,
  type PluginSet,
  settleAll,
} from "./helpers/chain_env.ts";

function network(w: ChainWorld, n: 1 | 2): Record<string, unknown> {
  return {
    cniVersion: "1.0.0",
    name: `net${n}`,
    plugins: [{
      type: "bridge",
      bridge: `${w.br.slice(0, 13)}-${n}`,
      isGateway: true,
      ipam: {
        type: "host-local",
        dataDir: `${w.dir}/data`,
        ranges: [[{ subnet: `10.89.${n}.0/24` }], [{ subnet: `fd89:${n}::/64` }]],
        routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
      },
    }],
  };
}

async function scenario(set: PluginSet) {
  const w = await makeWorld(set.name === "ours" ? "tno" : "tng");
  try {
    const files = [1, 2].map((n) => {
      const f = `${w.dir}/net${n}.conflist`;
      Deno.writeTextFileSync(f, JSON.stringify(network(w, n as 1 | 2)));
      return f;
    });
    const call = (cmd: "add" | "check" | "del", i: 0 | 1) =>
      callDriver(OUR_DRIVER, set, w, cmd, { conflist: files[i]!, ifName: `eth${i}` });
    const add = [await call("add", 0), await call("add", 1)];
    for (const a of add) assertEquals(a.code, "ok", `${set.name}: ${JSON.stringify(a.json)}`);
    const afterAdd = await containerState(w);
    const check = [(await call("check", 0)).code, (await call("check", 1)).code];
    const del = [(await call("del", 1)).code, (await call("del", 0)).code];
    const afterDel = await containerState(w);
    return maskWorld({
      results: add.map((a) => a.json),
      afterAdd,
      check,
      del,
      afterDel,
      files: leftoverFiles(w),
    }, w);
  } finally {
    await dropWorld(w);
  }
}

Deno.test({
  ...gated(
    "bridge: a container on two bridge networks gets both default routes (ours = Go 1.1.1)",
    NEEDS_ROOT,
  ),
  async fn() {
    const [ours, go] = await settleAll([scenario(OUR_PLUGINS), scenario(GO_PLUGINS)]);
    const routes = ours.afterAdd.routes as string[];
    // IPv4: one default route per device; IPv6: one multipath route over both.
    assert(routes.includes("default via 10.89.1.1 dev eth0"), routes.join("\n"));
    assert(routes.includes("default via 10.89.2.1 dev eth1"), routes.join("\n"));
    assert(
      routes.includes(
        "default nexthop via fd89:1::1 dev eth0 nexthop via fd89:2::1 dev eth1 metric 1024",
      ),
      routes.join("\n"),
    );
    assertEquals(ours.results.map((r: any) => r.routes), [
      [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
      [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
    ]);
    assertEquals(ours.check, ["ok", "ok"]);
    assertEquals(ours.del, ["ok", "ok"]);
    assertEquals(ours.afterDel, {
      links: [{ name: "lo", up: false, mtu: 65536, addrs: [] }],
      routes: [],
    });
    assertEquals(ours.files, { leases: [], cache: [] });
    // Side by side: the Go plugins leave the same state and print the same results.
    assertEquals(ours, go);
  },
});

/** One network whose IPAM routes one destination through two gateways on its one device. */
function conflictNetwork(w: ChainWorld): Record<string, unknown> {
  const conf = network(w, 1);
  const bridge = (conf.plugins as Record<string, any>[])[0]!;
  bridge.ipam.ranges = [[{ subnet: "10.89.1.0/24" }]];
  bridge.ipam.routes = [
    { dst: "10.9.0.0/16", gw: "10.89.1.1" },
    { dst: "10.9.0.0/16", gw: "10.89.1.5" },
  ];
  return conf;
}

/** ADD of {@linkcode conflictNetwork} with `set`, what it left (kernel and files), then DEL. */
async function conflictWorld(set: PluginSet) {
  const w = await makeWorld("tnc");
  try {
    const conflist = `${w.dir}/conflict.conflist`;
    Deno.writeTextFileSync(conflist, JSON.stringify(conflictNetwork(w)));
    const add = await callDriver(OUR_DRIVER, set, w, "add", { conflist, ifName: "eth0" });
    const afterAdd = await containerState(w);
    const files = leftoverFiles(w);
    await callDriver(OUR_DRIVER, set, w, "del", { conflist, ifName: "eth0" });
    return { add, afterAdd, files };
  } finally {
    await dropWorld(w);
  }
}

Deno.test({
  ...gated(
    "bridge: a route to the same destination on the same device through another gateway is refused, and the failed ADD leaves nothing",
    NEEDS_ROOT,
  ),
  async fn() {
    const [ours, go] = await settleAll([conflictWorld(OUR_PLUGINS), conflictWorld(GO_PLUGINS)]);
    // The Go plugins accept it and keep both routes, of which the kernel uses the first: a
    // deliberate difference (README, "Where we differ").
    assertEquals(go.add.code, "ok", JSON.stringify(go.add.json));
    const goRoutes = go.afterAdd.routes as string[];
    assert(goRoutes.includes("10.9.0.0/16 via 10.89.1.1 dev eth0"), goRoutes.join("\n"));
    assert(goRoutes.includes("10.9.0.0/16 via 10.89.1.5 dev eth0"), goRoutes.join("\n"));
    assertEquals(ours.add.code, 999, JSON.stringify(ours.add.json));
    assertEquals(
      ours.add.json?.msg,
      `plugin type="bridge" failed (add): ` +
        "failed to add route '10.9.0.0/16 via 10.89.1.5 dev eth0 metric 0 (Scope: 0, Table: 0)': " +
        "the route '10.9.0.0/16 via 10.89.1.1' to the same destination on the same device is " +
        "already there (another gateway)",
    );
    // Our ADD was undone: no interface, route, lease or cache entry is left.
    assertEquals(ours.afterAdd, {
      links: [{ name: "lo", up: false, mtu: 65536, addrs: [] }],
      routes: [],
    });
    assertEquals(ours.files, { leases: [], cache: [] });
  },
});
