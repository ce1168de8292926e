// deno-lint-ignore-file no-explicit-any -- JSON from ip oracles is read loosely in tests
/**
 * In-process DEL of the seed list (bridge + host-local + loopback) returns once the veth pair
 * is gone, the kernel's last cleanup of it running on: checked with `ip -j` right after the
 * DEL returns, again for a repeated DEL, for 8 DELs at once, and against a budget of netlink
 * round trips and sockets per ADD and DEL (so a regression that adds lookups fails here).
 * Throwaway namespaces, a test-unique bridge and data dirs, all removed in `finally`.
 */
import { addNetworkList, delNetworkList } from "../cni/libcni.ts";
import { parseConfList } from "../cni/conf.ts";
import { inProcessInvoker } from "../cni/invoke_builtin.ts";
import type { Result } from "../cni/types.ts";
import { pendingKernelWork } from "../netlink/socket.ts";
import { netlinkStats } from "../netlink/_socket_stats.ts";
import { BUILTIN_PLUGINS } from "../plugins/mod.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { dropLinks, ipLink, ipLinks } from "./helpers/ip_oracle.ts";
import { rand } from "./helpers/names.ts";
import { dropNetns, makeNetns, type TestNetns } from "./helpers/namespaces.ts";

/** The seed network's shape, with a test-unique bridge, name, subnet and data dir. */
interface Seed {
  br: string;
  dir: string;
  list: ReturnType<typeof parseConfList>;
  opts: { invoker: ReturnType<typeof inProcessInvoker>; cacheDir: string };
}

async function withSeed(fn: (seed: Seed, namespaces: TestNetns[]) => Promise<void>) {
  const br = `tbd${rand(8)}`;
  const dir = await Deno.makeTempDir({ prefix: "tbdel-" });
  const list = parseConfList(JSON.stringify({
    cniVersion: "1.0.0",
    name: `tbd-${rand(6)}`,
    plugins: [
      {
        type: "bridge",
        bridge: br,
        isGateway: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: `10.252.${Deno.pid % 250}.0/24` }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: `${dir}/ipam`,
        },
      },
      { type: "loopback" },
    ],
  }));
  const invoker = inProcessInvoker(BUILTIN_PLUGINS, { cniPath: ["/nonexistent"] });
  const namespaces: TestNetns[] = [];
  try {
    await fn({ br, dir, list, opts: { invoker, cacheDir: `${dir}/cache` } }, namespaces);
  } finally {
    await pendingKernelWork();
    for (const ns of namespaces) await dropNetns(ns);
    await dropLinks(br);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function rt(ns: TestNetns, i = 0) {
  return { containerId: `tbd-${ns.name}-${i}`, netns: ns.path, ifName: "eth0" };
}

/** Names of the links in a namespace (or the host's ports of `br`). */
async function names(ns?: TestNetns): Promise<string[]> {
  return (await ipLinks(ns?.name)).map((l: any) => l.ifname).sort();
}

async function ports(br: string): Promise<string[]> {
  return (await ipLinks()).filter((l: any) => l.master === br).map((l: any) => l.ifname);
}

Deno.test({
  ...gated(
    "delNetworkList() in-process returns with the container veth and its host peer gone",
    NEEDS_ROOT,
  ),
  async fn() {
    await withSeed(async (seed, namespaces) => {
      const ns = await makeNetns("tbd");
      namespaces.push(ns);
      const result = await addNetworkList(seed.list, rt(ns), seed.opts) as unknown as Result;
      const hostVeth = result.interfaces![1]!.name;
      assertEquals(await names(ns), ["eth0", "lo"]);
      assertEquals(await ports(seed.br), [hostVeth]);

      await delNetworkList(seed.list, rt(ns), seed.opts);
      // Checked before waiting for the kernel's last cleanup.
      assertEquals(await names(ns), ["lo"]);
      assertEquals(await ipLink(hostVeth), undefined);
      assertEquals(await ports(seed.br), []);
      assertEquals((await ipLink("lo", ns.name))?.operstate, "DOWN"); // loopback DEL

      // A second DEL of the same attachment is still a success.
      await delNetworkList(seed.list, rt(ns), seed.opts);
      await pendingKernelWork();
      assertEquals(await names(ns), ["lo"]);
    });
  },
});

Deno.test({
  ...gated(
    "delNetworkList() in-process, 8 at a time for 16 containers: every veth is gone",
    NEEDS_ROOT,
  ),
  async fn() {
    await withSeed(async (seed, namespaces) => {
      for (let i = 0; i < 16; i++) namespaces.push(await makeNetns("tbd"));
      for (const ns of namespaces) await addNetworkList(seed.list, rt(ns), seed.opts);
      assertEquals((await ports(seed.br)).length, 16);
      const queue = [...namespaces];
      await Promise.all(Array.from({ length: 8 }, async () => {
        for (let ns = queue.shift(); ns; ns = queue.shift()) {
          await delNetworkList(seed.list, rt(ns), seed.opts);
        }
      }));
      assertEquals(await ports(seed.br), []);
      for (const ns of namespaces) assertEquals(await names(ns), ["lo"]);
    });
  },
});

Deno.test({
  ...gated(
    "addNetworkList()/delNetworkList() of the seed list stay within their netlink budget",
    NEEDS_ROOT,
  ),
  async fn() {
    await withSeed(async (seed, namespaces) => {
      const ns = await makeNetns("tbd");
      namespaces.push(ns);
      // The first ADD also makes the bridge; the budget is for an ADD on an existing bridge.
      await addNetworkList(seed.list, rt(ns, 0), seed.opts);
      await delNetworkList(seed.list, rt(ns, 0), seed.opts);
      await pendingKernelWork();

      let before = netlinkStats();
      await addNetworkList(seed.list, rt(ns, 1), seed.opts);
      let after = netlinkStats();
      // bridge: bridge lookup, veth (up, enslaved, echoed), container end lookup, address,
      // up, route, bridge addresses, port and bridge reads; loopback: lookup, up, addresses
      assert(
        after.roundTrips - before.roundTrips <= 12,
        `ADD: ${after.roundTrips - before.roundTrips}`,
      );
      // One read per datagram: the answers, two dumps' NLMSG_DONE, the veth's echo and ACK.
      assert(
        after.datagrams - before.datagrams <= 15,
        `ADD: ${after.datagrams - before.datagrams}`,
      );
      assertEquals(after.sockets - before.sockets, 3); // host + container, loopback's
      // A lone ADD makes the veth pair on this thread (a worker's hand-off would cost a wake-up).
      assertEquals(after.offThread - before.offThread, 0);

      before = netlinkStats();
      await delNetworkList(seed.list, rt(ns, 1), seed.opts);
      after = netlinkStats();
      // loopback: down; bridge: link lookup, its addresses, delete (+ existence probes)
      const probes = after.probes - before.probes;
      assert(probes >= 1, "the veth delete waits for the link to be gone, not for the ACK");
      assert(
        after.roundTrips - before.roundTrips - probes <= 4,
        `DEL: ${after.roundTrips - before.roundTrips} with ${probes} probes`,
      );
      assertEquals(after.sockets - before.sockets, 2);
      await pendingKernelWork();
    });
  },
});

Deno.test({
  ...gated(
    "concurrent in-process ADDs make their veth pairs from worker threads and all succeed",
    NEEDS_ROOT,
  ),
  async fn() {
    await withSeed(async (seed, namespaces) => {
      const a = await makeNetns("tbc");
      namespaces.push(a);
      const b = await makeNetns("tbc");
      namespaces.push(b);
      const before = netlinkStats();
      const results = await Promise.all([
        addNetworkList(seed.list, rt(a, 0), seed.opts),
        addNetworkList(seed.list, rt(b, 0), seed.opts),
      ]) as unknown as Result[];
      const after = netlinkStats();
      // While the first pair is made, the second ADD runs: at least one pair came off-thread.
      assert(
        after.offThread - before.offThread >= 1,
        `offThread ${after.offThread - before.offThread}`,
      );
      const addresses = results.map((r) => r.ips?.[0]?.address);
      assertEquals(new Set(addresses).size, 2);
      for (const [ns, r] of [[a, results[0]!], [b, results[1]!]] as const) {
        const eth0 = await ipLink("eth0", ns.name);
        assertEquals(eth0?.address, r.interfaces?.find((i) => i.name === "eth0")?.mac);
      }
      await delNetworkList(seed.list, rt(a, 0), seed.opts);
      await delNetworkList(seed.list, rt(b, 0), seed.opts);
    });
  },
});
