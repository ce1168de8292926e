// containerd 1.6 `ctr run --cni` running our installed plugins from /opt/cni/bin with our
// network in /etc/cni/net.d, both fresh inside the test's sandbox
// (tests/runtimes/helpers/runtime_host.ts): the machine's own directories are never written.
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  CONTAINERD_PROGRAMS,
  type ContainerdHost,
  CTR_IMAGE,
  CTR_NAMESPACE,
  CTR_NETWORK,
  startContainerd,
} from "./helpers/containerd.ts";
import { gated } from "../helpers/gate.ts";
import { missingFor } from "./helpers/requirements.ts";
import { NO_TRACES, type Traces, tracesOf } from "./helpers/traces.ts";
import { withRuntime } from "./helpers/with_runtime.ts";

const reason = missingFor(CONTAINERD_PROGRAMS);

function withContainerd(body: (c: ContainerdHost) => Promise<void>): Promise<void> {
  return withRuntime(startContainerd, body);
}

function uniqueId(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

const GW = CTR_NETWORK.gateway.replace(/\./g, "\\.");
const NET_PREFIX = CTR_NETWORK.subnet.split(".").slice(0, 3).join("\\.");

Deno.test({
  ...gated(
    "ctr run --cni: the task gets an address and a default route, and pings the gateway",
    reason,
  ),
  async fn() {
    await withContainerd(async (c) => {
      const id = uniqueId("addr");
      const out = await c.ctr([
        "run",
        "--rm",
        ...c.runFlags(id),
        CTR_IMAGE,
        id,
        "sh",
        "-c",
        `ip -o -4 addr show eth0; ip -4 route; ping -c 1 -W 2 ${CTR_NETWORK.gateway}`,
      ]);
      assertMatch(out.stdout, new RegExp(`eth0\\s+inet ${NET_PREFIX}\\.\\d+/24 `));
      assertMatch(out.stdout, new RegExp(`^default via ${GW} dev eth0`, "m"));
      assertMatch(out.stdout, / 0% packet loss/);
    });
  },
});

Deno.test({
  ...gated(
    "ctr run --rm --cni leaves no lease, veth, cache file, rule or container behind",
    reason,
  ),
  async fn() {
    await withContainerd(async (c) => {
      const id = uniqueId("gone");
      // The task prints its address, then lives until told to go (a file appears in /tmp).
      const running = c.ctr([
        "run",
        "--rm",
        ...c.runFlags(id),
        CTR_IMAGE,
        id,
        "sh",
        "-c",
        "ip -o -4 addr show eth0; while [ ! -e /tmp/go ]; do sleep 0.1; done",
      ]);
      running.catch(() => {}); // awaited below; an early failure must not leave it unhandled
      // While it runs, the search finds its lease, cache file, veth and masquerade rules (so
      // finding none afterwards means something). libcni names the container
      // "<namespace>-<id>".
      const cniId = `${CTR_NAMESPACE}-${id}`;
      let during: Traces = NO_TRACES;
      for (let i = 0; i < 100 && during.cache.length === 0; i++) {
        during = await tracesOf(c.host, [cniId]);
        if (during.cache.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert(
        during.leases.some((f) => f.includes(`/${CTR_NETWORK.name}/`)),
        JSON.stringify(during),
      );
      assertEquals(during.cache.length, 1, JSON.stringify(during));
      assertEquals(during.veths.length, 1, JSON.stringify(during));
      assert(during.rules.length > 0, JSON.stringify(during));
      await c.ctr(["tasks", "exec", "--exec-id", "go", id, "sh", "-c", ": > /tmp/go"]);
      const out = await running;
      const ip = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(out.stdout)?.[1];
      assert(ip, out.stdout);
      assertEquals(await tracesOf(c.host, [cniId, ip]), NO_TRACES);
      assertEquals((await c.ctr(["containers", "list", "--quiet"])).stdout.trim(), "");
      assertEquals((await c.ctr(["tasks", "list", "--quiet"])).stdout.trim(), "");
    });
  },
});
