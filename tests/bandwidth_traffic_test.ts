/**
 * The limits really shape traffic: after our bridge (with an address and a gateway) and our
 * bandwidth plugin, a TCP stream from the host into the container and one from the container
 * to the host each take about as long as the configured rate says, where the same stream
 * without limits takes a fraction of that. Rough bounds only (the machine is shared); the
 * point is that shaping happens and in the right direction.
 */
import { runPlugin } from "../cni/skel.ts";
import { createDelegate } from "../cni/invoke_builtin.ts";
import { BUILTIN_PLUGINS } from "../plugins/mod.ts";
import { plugin as bandwidth } from "../plugins/bandwidth/mod.ts";
import { ifbDeviceName } from "../plugins/bandwidth/config.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT, unless } from "./helpers/gate.ts";
import { dropSide, makeSide } from "./helpers/bridge_env.ts";
import { rand } from "./helpers/names.ts";
import { run } from "./helpers/run.ts";

const hasPython = (await run("python3", ["-c", "pass"]).catch(() => ({ code: 1 }))).code === 0;
const ENC = new TextEncoder();
const DEC = new TextDecoder();

/** 8 Mbit/s: 1 MB/s. */
const RATE_BITS = 8_000_000;
/** 80 000 bits: a 10 kB bucket. */
const BURST_BITS = 80_000;
/** Bytes sent each way: about a second at the limit. */
const BYTES = 1_000_000;

/** A python3 TCP sink: prints "ready", reads one connection to EOF, answers the byte count. */
const SINK = `
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); print("ready", flush=True)
c, _ = s.accept(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
c.sendall(str(n).encode()); c.close()
`;

/** A python3 TCP source: sends N bytes, shuts down writing, prints elapsed seconds at the reply. */
const SOURCE = `
import socket, sys, time
c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
t = time.monotonic(); c.sendall(b"x" * int(sys.argv[3])); c.shutdown(socket.SHUT_WR)
got = c.recv(64); print(got.decode(), time.monotonic() - t)
`;

/** Streams BYTES from `from` (a netns name or the host) to a sink at `ip` in `to`. */
async function stream(from: string | undefined, to: string | undefined, ip: string) {
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const inNs = (ns: string | undefined, args: string[]): [string, string[]] =>
    ns ? ["ip", ["netns", "exec", ns, ...args]] : [args[0]!, args.slice(1)];
  const [sinkCmd, sinkArgs] = inNs(to, ["python3", "-c", SINK, ip, port]);
  const sink = new Deno.Command(sinkCmd, { args: sinkArgs, stdout: "piped", stderr: "piped" })
    .spawn();
  const reader = sink.stdout.getReader();
  const first = await reader.read();
  assertEquals(DEC.decode(first.value).trim(), "ready");
  reader.releaseLock();
  const [srcCmd, srcArgs] = inNs(from, ["python3", "-c", SOURCE, ip, port, String(BYTES)]);
  const out = await run(srcCmd, srcArgs);
  await sink.output();
  assertEquals(out.code, 0, out.stderr);
  const [count, seconds] = out.stdout.trim().split(" ");
  assertEquals(Number(count), BYTES);
  return Number(seconds);
}

Deno.test({
  ...gated(
    "bandwidth limits shape a TCP stream in each direction to about the configured rate",
    NEEDS_ROOT,
    unless(hasPython, "needs python3"),
  ),
  async fn() {
    const s = await makeSide("tbw");
    const net = `tbwt-${rand(6)}`;
    const subnet = `10.251.${Math.floor(Math.random() * 250) + 1}.0/24`;
    const delegate = createDelegate({ registry: BUILTIN_PLUGINS, mode: "prefer" });
    const bridge = await BUILTIN_PLUGINS.bridge!();
    const env = (command: string) => ({
      CNI_COMMAND: command,
      CNI_CONTAINERID: s.cid,
      CNI_NETNS: s.ns.path,
      CNI_IFNAME: "eth0",
      CNI_PATH: "/nonexistent",
    });
    const bridgeConf = ENC.encode(JSON.stringify({
      cniVersion: "1.0.0",
      name: net,
      type: "bridge",
      bridge: s.br,
      isGateway: true,
      ipam: { type: "host-local", subnet, dataDir: s.dataDir },
    }));
    const added = await runPlugin(bridge, { env: env("ADD"), stdin: bridgeConf }, { delegate });
    try {
      assertEquals(added.exitCode, 0, added.stdout);
      const prev = JSON.parse(added.stdout);
      const containerIp = prev.ips[0].address.split("/")[0];
      const gateway = prev.ips[0].gateway;
      // Unshaped first, for scale.
      const freeIn = await stream(undefined, s.ns.name, containerIp);
      const bw = await runPlugin(bandwidth, {
        env: env("ADD"),
        stdin: ENC.encode(JSON.stringify({
          cniVersion: "1.0.0",
          name: net,
          type: "bandwidth",
          ingressRate: RATE_BITS,
          ingressBurst: BURST_BITS,
          egressRate: RATE_BITS,
          egressBurst: BURST_BITS,
          prevResult: prev,
        })),
      });
      assertEquals(bw.exitCode, 0, bw.stdout);
      const expected = BYTES / (RATE_BITS / 8);
      const shapedIn = await stream(undefined, s.ns.name, containerIp);
      const shapedOut = await stream(s.ns.name, undefined, gateway);
      const text = `unshaped ${freeIn}s, into ${shapedIn}s, out of ${shapedOut}s, ~${expected}s`;
      for (const t of [shapedIn, shapedOut]) {
        assert(t > 0.7 * expected && t < 4 * expected, text);
      }
      assert(freeIn < 0.35 * expected, text);
      const del = await runPlugin(bandwidth, { env: env("DEL"), stdin: bridgeConf });
      assertEquals(del.exitCode, 0, del.stdout);
      assertEquals((await run("ip", ["link", "show", await ifbDeviceName(net, s.cid)])).code, 1);
    } finally {
      await runPlugin(bridge, { env: env("DEL"), stdin: bridgeConf }, { delegate });
      await run("ip", ["link", "del", await ifbDeviceName(net, s.cid)]);
      await dropSide(s);
    }
  },
});
