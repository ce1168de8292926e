// Podman 4.3 (CNI backend, runc, vfs) running our installed plugins: each test has a sandbox
// of its own (tests/runtimes/helpers/runtime_host.ts) and checks what a user of `podman run`
// sees, then what is left once the containers and networks are gone.
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { INDEX_HTML } from "./helpers/busybox_image.ts";
import { PODMAN_IMAGE, PODMAN_PROGRAMS, type PodmanHost, startPodman } from "./helpers/podman.ts";
import { podmanCycle, podmanCycles } from "./helpers/podman_cycle.ts";
import { gated } from "../helpers/gate.ts";
import { missingFor } from "./helpers/requirements.ts";
import { networkState, NO_TRACES, tracesOf } from "./helpers/traces.ts";
import { withRuntime } from "./helpers/with_runtime.ts";

const reason = missingFor(PODMAN_PROGRAMS);

/** Address (a.b.c.d/len) of `ifName` inside a running container. */
async function addrOf(pm: PodmanHost, name: string, ifName = "eth0"): Promise<string> {
  const out = await pm.podman(["exec", name, "ip", "-o", "-4", "addr", "show", ifName]);
  const m = /inet (\d+\.\d+\.\d+\.\d+\/\d+)/.exec(out.stdout);
  assert(m, `no IPv4 address on ${ifName} of ${name}: ${out.stdout}`);
  return m[1]!;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function idOf(pm: PodmanHost, name: string): Promise<string> {
  return (await pm.podman(["inspect", "--format", "{{.Id}}", name])).stdout.trim();
}

function withPodman(body: (pm: PodmanHost) => Promise<void>): Promise<void> {
  return withRuntime(startPodman, body);
}

Deno.test({
  ...gated("podman run: eth0 gets an address in 10.88.0.0/16 and a default route", reason),
  async fn() {
    await withPodman(async (pm) => {
      const out = await pm.run([
        "--rm",
        PODMAN_IMAGE,
        "sh",
        "-c",
        "ip -o -4 addr show eth0; ip -4 route",
      ]);
      assertMatch(out.stdout, /eth0\s+inet 10\.88\.\d+\.\d+\/16 /);
      assertMatch(out.stdout, /^default via 10\.88\.0\.1 dev eth0/m);
    });
  },
});

Deno.test({
  ...gated("podman: two containers on the default network ping each other", reason),
  async fn() {
    await withPodman(async (pm) => {
      await pm.run(["-d", "--name", "a", PODMAN_IMAGE, "sleep", "600"]);
      await pm.run(["-d", "--name", "b", PODMAN_IMAGE, "sleep", "600"]);
      const a = (await addrOf(pm, "a")).split("/")[0]!;
      const b = (await addrOf(pm, "b")).split("/")[0]!;
      assert(a !== b, `both got ${a}`);
      const ab = await pm.podman(["exec", "a", "ping", "-c", "1", "-W", "2", b]);
      assertMatch(ab.stdout, / 0% packet loss/);
      const ba = await pm.podman(["exec", "b", "ping", "-c", "1", "-W", "2", a]);
      assertMatch(ba.stdout, / 0% packet loss/);
    });
  },
});

Deno.test({
  ...gated("podman: a port published on 127.0.0.1 answers from the host", reason),
  async fn() {
    await withPodman(async (pm) => {
      await pm.run([
        "-d",
        "--name",
        "web",
        "-p",
        "127.0.0.1:18080:80",
        PODMAN_IMAGE,
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/www",
      ]);
      // Only the container's httpd serves this page (conmon holds the host port open to
      // reserve it, but never answers): the answer came through the port mapping.
      let body = "";
      for (let i = 0; i < 50 && body !== INDEX_HTML; i++) {
        const get = await pm.host.run([
          "busybox",
          "wget",
          "-q",
          "-O",
          "-",
          "http://127.0.0.1:18080/",
        ], {
          check: false,
        });
        body = get.stdout;
        if (body !== INDEX_HTML) await new Promise((r) => setTimeout(r, 100));
      }
      assertEquals(body, INDEX_HTML);
    });
  },
});

Deno.test({
  ...gated(
    "podman network create with its own subnet: the container gets an address there",
    reason,
  ),
  async fn() {
    await withPodman(async (pm) => {
      await pm.podman(["network", "create", "--subnet", "10.89.42.0/24", "denocni-rt-own"]);
      const conf = JSON.parse(
        await Deno.readTextFile(`${pm.host.root}${pm.netConfDir}/denocni-rt-own.conflist`),
      );
      assertEquals(conf.plugins[0].type, "bridge");
      const out = await pm.run([
        "--rm",
        "--network",
        "denocni-rt-own",
        PODMAN_IMAGE,
        "sh",
        "-c",
        "ip -o -4 addr show eth0; ip -4 route; ping -c 1 -W 2 10.89.42.1",
      ]);
      assertMatch(out.stdout, /eth0\s+inet 10\.89\.42\.\d+\/24 /);
      assertMatch(out.stdout, /^default via 10\.89\.42\.1 dev eth0/m);
      assertMatch(out.stdout, / 0% packet loss/);
      await pm.podman(["network", "rm", "denocni-rt-own"]);
    });
  },
});

Deno.test({
  ...gated(
    "podman: a container on two networks has eth0 and eth1, both gateways answer",
    reason,
  ),
  async fn() {
    await withPodman(async (pm) => {
      await pm.podman(["network", "create", "--subnet", "10.89.43.0/24", "denocni-rt-second"]);
      await pm.run([
        "-d",
        "--name",
        "two",
        "--network",
        "podman",
        "--network",
        "denocni-rt-second",
        PODMAN_IMAGE,
        "sleep",
        "600",
      ]);
      // Podman 4.3 orders a container's networks by Go map iteration: which network is eth0
      // varies from run to run, so each address is found by its subnet.
      const eth0 = await addrOf(pm, "two", "eth0");
      const eth1 = await addrOf(pm, "two", "eth1");
      const onDefault = [eth0, eth1].filter((a) => /^10\.88\.\d+\.\d+\/16$/.test(a));
      const onSecond = [eth0, eth1].filter((a) => /^10\.89\.43\.\d+\/24$/.test(a));
      assertEquals([onDefault.length, onSecond.length], [1, 1], `eth0 ${eth0}, eth1 ${eth1}`);
      const devOf = (a: string) => (a === eth0 ? "eth0" : "eth1");
      for (const gw of ["10.88.0.1", "10.89.43.1"]) {
        const ping = await pm.podman(["exec", "two", "ping", "-c", "1", "-W", "2", gw]);
        assertMatch(ping.stdout, / 0% packet loss/);
      }
      // Each network's IPAM asks for a default route; the reference 1.1.1 plugins leave both
      // (one per interface), and so must we (a create-only route add per device).
      const routes = await pm.podman(["exec", "two", "ip", "-4", "route", "show", "default"]);
      const defaults = routes.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
      assertEquals(defaults.length, 2, routes.stdout);
      for (const r of defaults) {
        const dev = r.startsWith("default via 10.88.0.1 ")
          ? devOf(onDefault[0]!)
          : devOf(onSecond[0]!);
        assertMatch(r, new RegExp(`^default via (10\\.88\\.0\\.1|10\\.89\\.43\\.1) dev ${dev}\\b`));
      }
      // Removing it DELs both attachments.
      const needles = [await idOf(pm, "two"), eth0.split("/")[0]!, eth1.split("/")[0]!];
      await pm.podman(["rm", "-f", "-t", "0", "two"]);
      assertEquals(await tracesOf(pm.host, needles), NO_TRACES);
    });
  },
});

Deno.test({
  ...gated(
    "podman rm -f and network rm leave no lease, veth, cache file or rule naming the containers",
    reason,
  ),
  async fn() {
    await withPodman(async (pm) => {
      await pm.podman(["network", "create", "--subnet", "10.89.44.0/24", "denocni-rt-gone"]);
      await pm.run([
        "-d",
        "--name",
        "p",
        "-p",
        "127.0.0.1:18081:80",
        PODMAN_IMAGE,
        "httpd",
        "-f",
        "-p",
        "80",
      ]);
      await pm.run([
        "-d",
        "--name",
        "g",
        "--network",
        "denocni-rt-gone",
        PODMAN_IMAGE,
        "sleep",
        "600",
      ]);
      const needles = [
        await idOf(pm, "p"),
        await idOf(pm, "g"),
        (await addrOf(pm, "p")).split("/")[0]!,
        (await addrOf(pm, "g")).split("/")[0]!,
      ];
      const running = await tracesOf(pm.host, needles);
      // The search finds them while the containers run (so finding none later means something).
      const leaseFiles = running.leases.filter((f) => !f.includes("/.denocni-index/"));
      assertEquals(leaseFiles.length, 2, JSON.stringify(running));
      assertEquals(running.cache.length, 2, JSON.stringify(running));
      assertEquals(running.veths.length, 2, JSON.stringify(running));
      assert(running.rules.some((r) => r.includes(needles[0]!)), JSON.stringify(running.rules));
      const confPath = `${pm.host.root}${pm.netConfDir}/denocni-rt-gone.conflist`;
      const bridge = JSON.parse(await Deno.readTextFile(confPath)).plugins[0].bridge;
      await pm.podman(["rm", "-f", "-t", "0", "p", "g"]);
      await pm.podman(["network", "rm", "denocni-rt-gone"]);
      assertEquals(await tracesOf(pm.host, needles), NO_TRACES);
      const link = await pm.host.run(["ip", "link", "show", bridge], { check: false });
      assert(link.code !== 0, `bridge ${bridge} of the removed network is still there`);
      assert(!(await exists(confPath)), "the removed network's config is still there");
      const left = await pm.podman(["ps", "-a", "-q"]);
      assertEquals(left.stdout.trim(), "");
    });
  },
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

Deno.test({
  ...gated(
    "podman: 20 run/rm cycles each with our plugins, with cnitool serve and with the Go plugins leak nothing",
    reason,
  ),
  async fn() {
    await withPodman(async (pm) => {
      await podmanCycle(pm, "ours"); // the bridge and the shared chains come with the first run
      const before = await networkState(pm.host);
      // Alternating ours, ours forwarding to a daemon in the sandbox, the Debian Go plugins.
      const { times, daemonLog } = await podmanCycles(pm, 20);
      assertEquals(await networkState(pm.host), before);
      // Every bridge call of the serve cycles went through the daemon (ADD and DEL per cycle,
      // plus the untimed first one), none was declined, none failed.
      const calls = daemonLog.filter((l) => /^bridge (ADD|DEL) /.test(l));
      assert(calls.length >= 2 * 21, daemonLog.join("\n"));
      assertEquals(daemonLog.filter((l) => l.includes("declined") || / exit [1-9]/.test(l)), []);
      const [ours, serve, go] = [median(times.ours), median(times.serve), median(times.go)];
      Deno.stderr.writeSync(new TextEncoder().encode(
        `podman run --rm true, median of 20 alternating: ${ours.toFixed(0)} ms with denocni ` +
          `(${(ours / go).toFixed(2)}x), ${serve.toFixed(0)} ms with denocni and cnitool serve ` +
          `(${(serve / go).toFixed(2)}x), ${go.toFixed(0)} ms with the Go plugins\n`,
      ));
    });
  },
});
