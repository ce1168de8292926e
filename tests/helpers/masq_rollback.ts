// deno-lint-ignore-file no-console -- prints its JSON report for the test that runs it
/**
 * Run inside tests/helpers/sandbox.ts (own netns, tmpfs /run and /var/lib): an in-process ADD
 * with ipMasq whose bridge name is taken by a veth (so the bridge step fails after the
 * masquerade rules were started). Prints one JSON line: the error, `iptables -t nat -S` after
 * the failed ADD, and the lease files left in host-local's data dir.
 *
 * Usage: `deno run -A tests/helpers/masq_rollback.ts <network> <bridge>`.
 *
 * @module
 */
import { addNetworkList } from "../../cni/libcni.ts";
import { selectInvoker } from "../../cni/invoke_builtin.ts";
import { parseConfList } from "../../cni/conf.ts";
import { netnsAdd, netnsDelete } from "../../netns/named.ts";
import { BUILTIN_PLUGINS } from "../../plugins/mod.ts";

const network = Deno.args[0] ?? "mqrb";
const bridge = Deno.args[1] ?? "mqrbbr";
const dataDir = Deno.makeTempDirSync({ prefix: "mqrb-" });
const list = parseConfList(JSON.stringify({
  cniVersion: "1.0.0",
  name: network,
  plugins: [{
    type: "bridge",
    bridge,
    isGateway: true,
    ipMasq: true,
    ipam: { type: "host-local", ranges: [[{ subnet: "10.218.0.0/24" }]], dataDir },
  }],
}));
const invoker = selectInvoker({
  mode: "prefer",
  registry: BUILTIN_PLUGINS,
  cniPath: ["/opt/cni/bin"],
  env: {},
});
const ip = (...args: string[]) => new Deno.Command("ip", { args }).outputSync();
ip("link", "add", bridge, "type", "veth", "peer", "name", `${bridge}p`);
const path = netnsAdd("mqrb0");
try {
  let error = "";
  try {
    await addNetworkList(list, { containerId: "mqrb0", netns: path, ifName: "eth0" }, {
      invoker,
    });
  } catch (err) {
    error = String(err);
  }
  const nat = new Deno.Command("iptables", { args: ["-w", "-t", "nat", "-S"] }).outputSync();
  console.log(JSON.stringify({
    error,
    natAfter: new TextDecoder().decode(nat.stdout).split("\n").filter((l) => l !== ""),
    leases: [...Deno.readDirSync(`${dataDir}/${network}`)].map((e) => e.name)
      .filter((n) => /^\d/.test(n)),
  }));
} finally {
  netnsDelete("mqrb0");
  ip("link", "del", bridge);
  Deno.removeSync(dataDir, { recursive: true });
}
