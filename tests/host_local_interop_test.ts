// Side by side with the reference host-local (Debian 1.1.1, tests/helpers/reference.ts): same config, same
// result JSON; one shared dataDir, alternating, never the same address; each releases the
// other's leases. Known 1.1.1 differences (not normalised away, but avoided or asserted):
// it stops at cniVersion 1.0.0 (we compare at 1.0.0 and only rewrite our "1.1.0" tag), writes
// lease files 0644 where the newest reference (and we) write 0600, refuses /31-/32 and
// accepts network/broadcast bounds (we refuse those), and drops 1.1 route fields.
import { assertEquals } from "./helpers/assert.ts";
import { gated } from "./helpers/gate.ts";
import { REF_DIR, refMissing } from "./helpers/reference.ts";
import { join } from "node:path";
import type { CmdArgs } from "../cni/plugin.ts";
import type { NetConf } from "../cni/types.ts";
import { cmdAdd, cmdDel } from "../plugins/host_local/mod.ts";
import { execReference, stdoutJson } from "./helpers/exec_plugin.ts";

interface RefOut {
  code: number;
  json: Record<string, unknown> | undefined;
}

async function ref(
  command: string,
  config: Record<string, unknown>,
  containerId: string,
  ifName = "eth0",
  cniArgs = "",
): Promise<RefOut> {
  const out = await execReference("host-local", {
    command,
    containerId,
    netns: "/var/run/netns/unused",
    ifName,
    args: cniArgs,
  }, config);
  return { code: out.code, json: out.stdout.trim() ? stdoutJson(out) : undefined };
}

function args(
  config: Record<string, unknown>,
  containerId: string,
  ifName = "eth0",
  cniArgs = "",
): CmdArgs {
  return {
    command: "ADD",
    containerId,
    netns: "/var/run/netns/unused",
    ifName,
    args: cniArgs,
    path: REF_DIR,
    stdinData: new TextEncoder().encode(JSON.stringify(config)),
    config: config as NetConf,
  };
}

async function ours(
  config: Record<string, unknown>,
  containerId: string,
  ifName = "eth0",
  cniArgs = "",
) {
  const r = await cmdAdd(args(config, containerId, ifName, cniArgs));
  return JSON.parse(JSON.stringify({ ...r, cniVersion: config.cniVersion }));
}

function diskState(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of Deno.readDirSync(dir)) out[e.name] = Deno.readTextFileSync(join(dir, e.name));
  return out;
}

async function withDirs(fn: (a: string, b: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "denocni-hl-interop-" });
  try {
    await fn(join(root, "theirs"), join(root, "ours"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test({
  ...gated(
    "host-local ADD gives the reference's result JSON and files for the same configs",
    refMissing("host-local"),
  ),
  async fn() {
    await withDirs(async (theirs, mine) => {
      const resolv = join(theirs, "..", "resolv.conf");
      await Deno.writeTextFile(
        resolv,
        "nameserver 1.1.1.1\nnameserver 8.8.8.8\ndomain ex.com\nsearch a.com b.com\noptions ndots:2 rotate\n",
      );
      const ipams: Record<string, unknown>[] = [
        { subnet: "10.9.0.0/29" },
        { subnet: "10.9.0.0/29", gateway: "10.9.0.6" },
        {
          subnet: "10.9.0.0/24",
          rangeStart: "10.9.0.100",
          rangeEnd: "10.9.0.110",
          routes: [{ dst: "0.0.0.0/0" }, { dst: "10.0.0.0/8", gw: "10.9.0.1" }],
        },
        {
          ranges: [[{ subnet: "10.10.0.0/29" }, { subnet: "10.11.0.0/29" }], [{
            subnet: "fd00:1::/120",
          }]],
          resolvConf: resolv,
        },
        { subnet: "fd00:2::/64", rangeStart: "fd00:2::ffff:fffe" }, // v6 end is the all-ones address
      ];
      for (const [i, ipam] of ipams.entries()) {
        const name = `net${i}`;
        const conf = (dataDir: string) => ({
          cniVersion: "1.0.0",
          name,
          type: "bridge",
          ipam: { type: "host-local", dataDir, ...ipam },
        });
        for (
          const [cid, ifn, cniArgs] of [
            ["c1", "eth0", ""],
            ["c2", "eth0", ""],
            ["c1", "eth1", ""],
            ["c3", "eth0", "IgnoreUnknown=1;X=y"],
          ]
        ) {
          const r = await ref("ADD", conf(theirs), cid!, ifn, cniArgs);
          assertEquals(r.code, 0, JSON.stringify(r.json));
          assertEquals(await ours(conf(mine), cid!, ifn, cniArgs), r.json, `${name} ${cid}/${ifn}`);
        }
        assertEquals(diskState(join(mine, name)), diskState(join(theirs, name)), name);
        // After a DEL and round-robin, the next address matches too.
        assertEquals((await ref("DEL", conf(theirs), "c2")).code, 0);
        await cmdDel(args(conf(mine), "c2"));
        const r = await ref("ADD", conf(theirs), "c4");
        assertEquals(await ours(conf(mine), "c4"), r.json);
        assertEquals(diskState(join(mine, name)), diskState(join(theirs, name)), name);
      }
    });
  },
});

Deno.test({
  ...gated(
    "host-local requested IPs (CNI_ARGS, args.cni.ips, runtimeConfig.ips) match the reference",
    refMissing("host-local"),
  ),
  async fn() {
    await withDirs(async (theirs, mine) => {
      const conf = (dataDir: string, extra: Record<string, unknown> = {}) => ({
        cniVersion: "1.0.0",
        name: "req",
        type: "bridge",
        ipam: {
          type: "host-local",
          dataDir,
          ranges: [[{ subnet: "10.20.0.0/24" }], [{ subnet: "fd00:20::/64" }]],
        },
        ...extra,
      });
      const cases: [string, Record<string, unknown>, string][] = [
        ["a", {}, "IP=10.20.0.50"],
        ["b", { args: { cni: { ips: ["10.20.0.60", "fd00:20::60"] } } }, ""],
        ["c", { runtimeConfig: { ips: ["fd00:20::70/64"] } }, ""],
        ["d", { args: { cni: { ips: ["10.20.0.80"] } } }, "IgnoreUnknown=1;IP=fd00:20::80"],
      ];
      for (const [cid, extra, cniArgs] of cases) {
        const r = await ref("ADD", conf(theirs, extra), cid, "eth0", cniArgs);
        assertEquals(r.code, 0, JSON.stringify(r.json));
        assertEquals(await ours(conf(mine, extra), cid, "eth0", cniArgs), r.json, cid);
      }
      assertEquals(diskState(join(mine, "req")), diskState(join(theirs, "req")));
    });
  },
});

Deno.test({
  ...gated(
    "host-local and the reference alternate on one dataDir: distinct addresses, each releases the other's",
    refMissing("host-local"),
  ),
  async fn() {
    await withDirs(async (shared) => {
      const conf = {
        cniVersion: "1.0.0",
        name: "alt",
        type: "bridge",
        ipam: { type: "host-local", dataDir: shared, subnet: "10.30.0.0/28" },
      };
      const got: string[] = [];
      for (let i = 0; i < 13; i++) {
        const cid = `alt${i}`;
        if (i % 2 === 0) {
          got.push((await ours(conf, cid)).ips[0].address);
        } else {
          const r = await ref("ADD", conf, cid);
          assertEquals(r.code, 0, JSON.stringify(r.json));
          got.push((r.json!.ips as { address: string }[])[0]!.address);
        }
      }
      assertEquals(new Set(got).size, 13);
      assertEquals(got, Array.from({ length: 13 }, (_, i) => `10.30.0.${i + 2}/28`)); // one shared cursor
      // The range (.2-.14) is exhausted for both.
      const full = await ref("ADD", conf, "x1");
      assertEquals(
        full.json?.msg,
        "failed to allocate for range 0: no IP addresses available in range set: 10.30.0.1-10.30.0.14",
      );
      let err: unknown;
      try {
        await ours(conf, "x2");
      } catch (e) {
        err = e;
      }
      assertEquals((err as { msg?: string })?.msg, full.json?.msg);
      // Duplicate detection sees the other implementation's lease.
      const dupTheirs = await ref("ADD", conf, "alt0");
      assertEquals(dupTheirs.code, 1);
      // Cross release: theirs frees our leases, ours frees theirs.
      const dir = join(shared, "alt");
      for (let i = 0; i < 13; i++) {
        const cid = `alt${i}`;
        if (i % 2 === 0) assertEquals((await ref("DEL", conf, cid)).code, 0);
        else await cmdDel(args(conf, cid));
      }
      assertEquals(Object.keys(diskState(dir)).sort(), ["last_reserved_ip.0", "lock"]);
      // And the next address continues the round-robin for both.
      assertEquals(
        (await ref("ADD", conf, "n1")).json?.ips,
        [{ address: "10.30.0.2/28", gateway: "10.30.0.1" }],
      );
      assertEquals((await ours(conf, "n2")).ips, [{
        address: "10.30.0.3/28",
        gateway: "10.30.0.1",
      }]);
      let dup: unknown;
      try {
        await ours(conf, "n1");
      } catch (e) {
        dup = e;
      }
      assertEquals(
        (dup as { msg?: string })?.msg,
        "failed to allocate for range 0: 10.30.0.2 has been allocated to n1, duplicate allocation is not allowed",
      );
    });
  },
});
