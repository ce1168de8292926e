// deno-lint-ignore-file no-console -- prints its JSON report for the test that runs it
/**
 * Run inside tests/helpers/sandbox.ts (own netns, tmpfs /run and /var/lib): in-process bridge
 * ADDs with ipMasq (backend from argv), then two DELs that must still clean up:
 *
 * - `gone`: the container interface and the lease file are removed behind the plugin's back,
 *   then a plain DEL (no prevResult) runs: the masquerade must go by name and container ID;
 * - `badprev`: a DEL whose prevResult cannot be parsed: veth, lease and rules must go.
 *
 * Prints one JSON line with the DEL errors and what is left (nat rules of both families,
 * nft masquerade rules, veths, lease files).
 *
 * Usage: `deno run -A tests/helpers/bridge_del_gone.ts <iptables|nftables> <network> <bridge>`.
 *
 * @module
 */
import { inProcessInvoker } from "../../cni/invoke_builtin.ts";
import { netnsAdd, netnsDelete } from "../../netns/named.ts";
import { pendingKernelWork } from "../../netlink/socket.ts";
import { BUILTIN_PLUGINS } from "../../plugins/mod.ts";
import { runSync } from "./run.ts";

const backend = Deno.args[0] ?? "iptables";
const network = Deno.args[1] ?? "bdg";
const bridge = Deno.args[2] ?? "bdgbr";
const dataDir = Deno.makeTempDirSync({ prefix: "bdg-" });
const config = {
  cniVersion: "1.0.0",
  name: network,
  type: "bridge",
  bridge,
  isGateway: true,
  ipMasq: true,
  ipMasqBackend: backend,
  ipam: {
    type: "host-local",
    ranges: [[{ subnet: "10.219.0.0/24" }], [{ subnet: "fd00:219::/64" }]],
    dataDir,
  },
};
const enc = new TextEncoder();
// No CNI_PATH at all: in-process built-ins need none.
const invoker = inProcessInvoker(BUILTIN_PLUGINS, { cniPath: [] });
/** Stdout of an oracle; an absent chain or link is an empty answer, not an error. */
const out = (cmd: string, ...args: string[]) => runSync(cmd, args).stdout;

function left() {
  const nft = out("nft", "-j", "list", "chain", "inet", "cni_plugins_masquerade", "masq_checks");
  return {
    nat: out("iptables", "-w", "-t", "nat", "-S").split("\n").filter((l) => l.includes("CNI-")),
    nat6: out("ip6tables", "-w", "-t", "nat", "-S").split("\n").filter((l) => l.includes("CNI-")),
    nft: nft === "" ? [] : (JSON.parse(nft).nftables as { rule?: { comment?: string } }[])
      .flatMap((e) => e.rule ? [e.rule.comment ?? ""] : []),
    veths: out("ip", "-o", "link", "show", "type", "veth").split("\n").filter((l) => l !== ""),
    leases: [...Deno.readDirSync(`${dataDir}/${network}`)].map((e) => e.name)
      .filter((n) => /^[0-9a-f]/.test(n) && (n.includes(".") || n.includes(":"))),
  };
}

async function call(command: "ADD" | "DEL", cid: string, netns: string, extra = {}) {
  try {
    await invoker.execPlugin("bridge", enc.encode(JSON.stringify({ ...config, ...extra })), {
      command,
      containerId: cid,
      netns,
      ifName: "eth0",
    });
    return "";
  } catch (err) {
    return String(err);
  }
}

const report: Record<string, unknown> = {};
const gone = netnsAdd("bdg-gone");
const bad = netnsAdd("bdg-bad");
try {
  report.addErrors = [await call("ADD", "bdggone", gone), await call("ADD", "bdgbad", bad)];
  report.afterAdd = left();

  // `gone`: interface and lease removed behind the plugin's back, then a plain DEL
  runSync("ip", ["-n", "bdg-gone", "link", "del", "eth0"]);
  for (const name of Deno.readDirSync(`${dataDir}/${network}`)) {
    const path = `${dataDir}/${network}/${name.name}`;
    if (name.isFile && Deno.readTextFileSync(path).startsWith("bdggone")) Deno.removeSync(path);
  }
  report.goneError = await call("DEL", "bdggone", gone);
  report.afterGone = left();

  // `badprev`: a prevResult that cannot be parsed
  report.badError = await call("DEL", "bdgbad", bad, {
    prevResult: { cniVersion: "1.0.0", ips: [{ address: "not-an-address" }], interfaces: 7 },
  });
  await pendingKernelWork();
  report.afterBad = left();
  console.log(JSON.stringify(report));
} finally {
  netnsDelete("bdg-gone");
  netnsDelete("bdg-bad");
  runSync("ip", ["link", "del", bridge]);
  Deno.removeSync(dataDir, { recursive: true });
}
