// deno-lint-ignore-file no-console -- prints its JSON report for the test that runs it
/**
 * Run inside tests/helpers/sandbox.ts (own netns, tmpfs /run and /var/lib): N in-process
 * ADDs of one bridge network with ipMasq at once, then the N DELs at once. Prints one JSON
 * line: the ADD results' addresses, `iptables -t nat -S` after the ADDs and after the DELs,
 * the firewall tool processes each phase started, and any errors.
 *
 * Usage: `deno run -A tests/helpers/masq_parallel.ts <N> <network> <bridge>`.
 *
 * @module
 */
import { addNetworkList, delNetworkList } from "../../cni/libcni.ts";
import { selectInvoker } from "../../cni/invoke_builtin.ts";
import { parseConfList } from "../../cni/conf.ts";
import { netnsAdd, netnsDelete } from "../../netns/named.ts";
import { BUILTIN_PLUGINS } from "../../plugins/mod.ts";
import { observeToolRuns } from "../../firewall/_tool_observers.ts";

const n = Number(Deno.args[0] ?? "8");
const network = Deno.args[1] ?? "mqpar";
const bridge = Deno.args[2] ?? "mqparbr";
const list = parseConfList(JSON.stringify({
  cniVersion: "1.0.0",
  name: network,
  plugins: [
    {
      type: "bridge",
      bridge,
      isGateway: true,
      ipMasq: true,
      ipam: {
        type: "host-local",
        ranges: [[{ subnet: "10.216.0.0/24" }]],
        routes: [{ dst: "0.0.0.0/0" }],
      },
    },
    { type: "loopback" },
  ],
}));
const invoker = selectInvoker({
  mode: "prefer",
  registry: BUILTIN_PLUGINS,
  cniPath: ["/opt/cni/bin"],
  env: {},
});
const ids = Array.from({ length: n }, (_, i) => `mqpar${i}`);
const paths = ids.map((id) => netnsAdd(id));
const rt = (i: number) => ({ containerId: ids[i]!, netns: paths[i]!, ifName: "eth0" });

async function nat(): Promise<string[]> {
  const out = await new Deno.Command("iptables", { args: ["-w", "-t", "nat", "-S"] }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "");
}

async function phase<T>(body: (i: number) => Promise<T>) {
  const tools: string[] = [];
  const watch = observeToolRuns((argv) => tools.push(argv[0]!));
  try {
    const settled = await Promise.allSettled(ids.map((_, i) => body(i)));
    return {
      values: settled.map((r) => (r.status === "fulfilled" ? r.value : undefined)),
      errors: settled.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : [])),
      tools,
    };
  } finally {
    watch[Symbol.dispose]();
  }
}

try {
  const add = await phase((i) => addNetworkList(list, rt(i), { invoker }));
  const natAfterAdd = await nat();
  const del = await phase((i) => delNetworkList(list, rt(i), { invoker }));
  const natAfterDel = await nat();
  console.log(JSON.stringify({
    addresses: add.values.map((r) =>
      (r as { ips?: { address: string }[] } | undefined)?.ips?.[0]?.address
    ),
    natAfterAdd,
    natAfterDel,
    addTools: add.tools,
    delTools: del.tools,
    errors: [...add.errors, ...del.errors],
  }));
} finally {
  for (const id of ids) netnsDelete(id);
}
