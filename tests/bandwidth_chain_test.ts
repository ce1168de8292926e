// deno-lint-ignore-file no-explicit-any -- JSON from the tc/ip oracles is read loosely
/**
 * The bandwidth plugin in a network list, the way runtimes use it: cnitool (in-process
 * built-ins) runs bridge then bandwidth with the limits passed as the `bandwidth` capability
 * (`CAP_ARGS`), CHECK passes, and DEL leaves no ifb, no veth and so no qdisc.
 */
import { join } from "node:path";
import { runCli } from "./helpers/cli.ts";
import { cnitoolContainerId } from "../cmd/cnitool_context.ts";
import { ifbDeviceName } from "../plugins/bandwidth/config.ts";
import { assertEquals } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { REF_DIR } from "./helpers/reference.ts";
import { dropSide, makeSide } from "./helpers/bridge_env.ts";
import { ipLink } from "./helpers/ip_oracle.ts";
import { rand } from "./helpers/names.ts";
import { sh } from "./helpers/run.ts";

Deno.test({
  ...gated(
    "cnitool add/check/del runs bridge + bandwidth with the bandwidth capability",
    NEEDS_ROOT,
  ),
  async fn() {
    const s = await makeSide("tbn");
    const net = `tbn-${rand(6)}`;
    const dir = await Deno.makeTempDir({ prefix: "denocni-bwchain-" });
    const env = {
      NETCONFPATH: join(dir, "net.d"),
      CNI_PATH: REF_DIR,
      CNI_CACHE_DIR: join(dir, "cache"),
      CAP_ARGS: JSON.stringify({
        bandwidth: {
          ingressRate: 4_000_000,
          ingressBurst: 40_000,
          egressRate: 2_000_000,
          egressBurst: 20_000,
        },
      }),
    };
    const cid = await cnitoolContainerId(s.ns.path);
    const ifb = await ifbDeviceName(net, cid);
    await Deno.mkdir(env.NETCONFPATH);
    await Deno.writeTextFile(
      join(env.NETCONFPATH, "10-bw.conflist"),
      JSON.stringify({
        cniVersion: "1.0.0",
        name: net,
        plugins: [
          { type: "bridge", bridge: s.br },
          { type: "bandwidth", capabilities: { bandwidth: true } },
        ],
      }),
    );
    const cli = (verb: string) => runCli([verb, net, s.ns.path, "--builtins", "prefer"], { env });
    try {
      const add = await cli("add");
      assertEquals(add.code, 0, add.stdout + add.stderr);
      const result = JSON.parse(add.stdout);
      const names = (result.interfaces as any[]).map((i) => i.name);
      assertEquals(names.at(-1), ifb);
      const hostVeth = (result.interfaces as any[]).find((i) => !i.sandbox && i.name !== s.br)
        .name;
      const qdiscs = JSON.parse(await sh("tc", "-j", "qdisc", "show", "dev", hostVeth));
      assertEquals(qdiscs.map((q: any) => [q.kind, q.options.rate]), [
        ["tbf", 500_000],
        ["ingress", undefined],
      ]);
      const ifbQdisc = JSON.parse(await sh("tc", "-j", "qdisc", "show", "dev", ifb));
      assertEquals(ifbQdisc.map((q: any) => [q.kind, q.options.rate]), [["tbf", 250_000]]);
      const check = await cli("check");
      assertEquals(check.code, 0, check.stdout + check.stderr);
      const del = await cli("del");
      assertEquals(del.code, 0, del.stdout + del.stderr);
      assertEquals(await ipLink(ifb), undefined);
      assertEquals(await ipLink(hostVeth), undefined);
    } finally {
      await runCli(["del", net, s.ns.path, "--builtins", "prefer"], { env });
      await sh("ip", "link", "del", ifb).catch(() => {});
      await dropSide(s);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
