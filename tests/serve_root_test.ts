/**
 * `cnitool serve` and the forwarding plugin processes as a runtime meets them: the installed
 * launchers of the current source, exec'd with a clean environment, once with the daemon's
 * socket in `DENOCNI_SOCKET` and once without, side by side in throwaway namespaces. The
 * daemon's log (`--verbose`, one line per call) tells a forwarded call from one the plugin
 * process ran itself.
 *
 * Root only: namespaces, bridges and the daemon's credential checks.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { type CniEnv, execPluginBinary } from "./helpers/exec_plugin.ts";
import { launcherDir } from "./helpers/launchers.ts";
import { dropSide, makeSide, normaliseResult, type TestSide } from "./helpers/bridge_env.ts";
import { ipAddrs } from "./helpers/ip_oracle.ts";
import { dropNetns, makeNetns } from "./helpers/namespaces.ts";
import { run } from "./helpers/run.ts";

/** A running daemon. */
interface Daemon {
  socket: string;
  /** The daemon's log lines so far. */
  lines: string[];
  stop(): Promise<void>;
  child: Deno.ChildProcess;
}

async function startDaemon(bin: string): Promise<Daemon> {
  return await startDaemonAt(bin, await Deno.makeTempDir({ prefix: "denocni-serve-" }));
}

async function startDaemonAt(bin: string, dir: string): Promise<Daemon> {
  const socket = `${dir}/run/denocni.sock`;
  const child = new Deno.Command(`${bin}/cnitool`, {
    args: ["serve", "--socket", socket, "--verbose"],
    clearEnv: true,
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let ready!: () => void;
  const listening = new Promise<void>((r) => ready = r);
  const reading = (async () => {
    let rest = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const l of parts) {
        lines.push(l);
        if (l.startsWith("serving plugin calls on")) ready();
      }
    }
    ready(); // ended early: the checks below report it
  })();
  await listening;
  assert(lines.some((l) => l === `serving plugin calls on ${socket}`), lines.join("\n"));
  return {
    socket,
    lines,
    child,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      await reading;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

function bridgeConf(side: TestSide, subnet: string): string {
  return JSON.stringify({
    cniVersion: "1.0.0",
    name: `net-${side.br}`,
    type: "bridge",
    bridge: side.br,
    isGateway: true,
    ipMasq: false,
    ipam: { type: "host-local", ranges: [[{ subnet }]], dataDir: side.dataDir },
  });
}

const LOOPBACK = JSON.stringify({ cniVersion: "1.0.0", name: "lo", type: "loopback" });

async function freeSubnets(n: number): Promise<string[]> {
  const routes = (await run("ip", ["-4", "route", "show", "table", "all"])).stdout;
  const out: string[] = [];
  while (out.length < n) {
    const s = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`;
    if (!routes.includes(`${s}.`) && !out.some((o) => o.startsWith(`${s}.`))) out.push(`${s}.0/24`);
  }
  return out;
}

/** Replaces what differs between the sides by nature (names, paths, subnets). */
function sideNeutral(text: string, side: TestSide, subnet: string): string {
  const prefix = subnet.slice(0, subnet.lastIndexOf("."));
  return JSON.stringify(normaliseResult(text.trim() ? JSON.parse(text) : {}))
    .replaceAll(side.br, "<bridge>")
    .replaceAll(side.ns.path, "<netns>")
    .replaceAll(side.dataDir, "<data>")
    .replaceAll(prefix, "<subnet>");
}

Deno.test({
  ...gated(
    "serve: forwarded bridge, loopback and host-local calls print and do what the process does",
    NEEDS_ROOT,
  ),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const bin = await launcherDir();
    const daemon = await startDaemon(bin);
    const [fw, direct] = [await makeSide("sfw"), await makeSide("sdr")];
    const [fwNet, directNet] = await freeSubnets(2);
    try {
      const call = async (
        forwarded: boolean,
        plugin: string,
        env: CniEnv,
        stdin: string,
      ) => {
        const before = daemon.lines.length;
        const out = await execPluginBinary(`${bin}/${plugin}`, {
          ...env,
          extra: { ...env.extra, ...(forwarded && { DENOCNI_SOCKET: daemon.socket }) },
        }, stdin);
        const logged = daemon.lines.slice(before);
        if (env.command === "VERSION") {
          assertEquals(logged, [], `VERSION is the launcher's own answer, never forwarded`);
        } else if (forwarded) {
          assertEquals(logged.length, 1, `one daemon line for ${plugin} ${env.command}`);
          assertStringIncludes(logged[0]!, `${plugin} ${env.command || "-"} exit ${out.code}`);
        } else {
          assertEquals(logged, [], `no daemon line for the direct ${plugin} ${env.command}`);
        }
        return out;
      };
      const both = async (
        plugin: string,
        command: string,
        conf: (s: TestSide, n: string) => string,
      ) => {
        const outs = [];
        for (
          const [side, subnet, forwarded] of [[fw, fwNet, true], [
            direct,
            directNet,
            false,
          ]] as const
        ) {
          const out = await call(forwarded, plugin, {
            command,
            containerId: side.cid,
            netns: side.ns.path,
            ifName: "eth0",
            path: bin,
          }, conf(side, subnet!));
          outs.push({
            code: out.code,
            stdout: sideNeutral(out.stdout, side, subnet!),
            stderr: out.stderr,
          });
        }
        assertEquals(outs[0], outs[1], `${plugin} ${command}: forwarded and direct`);
        return outs[0]!;
      };
      const bridge = (s: TestSide, n: string) => bridgeConf(s, n);
      const add = await both("bridge", "ADD", bridge);
      assertEquals(add.code, 0, add.stdout);
      assertEquals((await ipAddrs("eth0", fw.ns.name)).length > 0, true);
      await both("loopback", "ADD", () => LOOPBACK);
      await both("bridge", "ADD", () => "{not json"); // the same error JSON
      await both("bridge", "VERSION", bridge);
      await both("bridge", "", bridge); // the about text on stderr
      await both("host-local", "ADD", (s, n) =>
        JSON.stringify({
          cniVersion: "1.0.0",
          name: `hl-${s.br}`,
          type: "x",
          ipam: { type: "host-local", ranges: [[{ subnet: n }]], dataDir: s.dataDir },
        }));
      await both("loopback", "DEL", () => LOOPBACK);
      const del = await both("bridge", "DEL", bridge);
      assertEquals(del.code, 0, del.stdout);
      for (const side of [fw, direct]) {
        const eth0 = await run("ip", ["-n", side.ns.name, "link", "show", "eth0"]);
        assert(eth0.code !== 0, `eth0 still in ${side.ns.name}`);
      }
    } finally {
      await daemon.stop();
      await dropSide(fw);
      await dropSide(direct);
    }
    assertEquals(daemon.lines.filter((l) => l.includes("declined")), []);
  },
});

/**
 * Runs loopback with no `CNI_COMMAND` (the about text on stderr) through its launcher: a call
 * that starts Deno and is forwarded when the daemon answers (VERSION is answered by the
 * launcher itself).
 */
async function aboutVia(bin: string, socket: string, prefix: string[] = []) {
  const t0 = performance.now();
  const out = await new Deno.Command(prefix[0] ?? `${bin}/loopback`, {
    args: prefix.length ? [...prefix.slice(1), `${bin}/loopback`] : [],
    clearEnv: true,
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", DENOCNI_SOCKET: socket },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    ms: performance.now() - t0,
  };
}

Deno.test({
  ...gated(
    "serve: a caller in another namespace, a stopped and a killed daemon: the process runs the call",
    NEEDS_ROOT,
  ),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const bin = await launcherDir();
    const daemon = await startDaemon(bin);
    const other = await makeNetns("sfo");
    try {
      const expected = await aboutVia(bin, "/nonexistent/denocni.sock");
      assertEquals(expected.code, 0, expected.stderr);
      assertStringIncludes(expected.stderr, "CNI loopback plugin");
      const seen = daemon.lines.length;
      const forwarded = await aboutVia(bin, daemon.socket);
      assertEquals([forwarded.code, forwarded.stderr], [0, expected.stderr]);
      assertStringIncludes(daemon.lines.slice(seen).join("\n"), "loopback - exit 0");

      const elsewhere = await aboutVia(bin, daemon.socket, ["ip", "netns", "exec", other.name]);
      assertEquals([elsewhere.code, elsewhere.stderr], [0, expected.stderr], elsewhere.stderr);
      assertStringIncludes(
        daemon.lines.at(-1)!,
        "loopback - declined: caller in another network namespace",
      );
      const otherMounts = await aboutVia(bin, daemon.socket, ["unshare", "-m"]);
      assertEquals([otherMounts.code, otherMounts.stderr], [0, expected.stderr]);
      assertStringIncludes(daemon.lines.at(-1)!, "declined: caller in another mount namespace");

      // Stopped: the kernel still queues the connection; the forwarder gives up after its
      // bound on the daemon's acceptance and runs the call itself.
      daemon.child.kill("SIGSTOP");
      const stopped = await aboutVia(bin, daemon.socket);
      daemon.child.kill("SIGCONT");
      assertEquals([stopped.code, stopped.stderr], [0, expected.stderr], stopped.stderr);
      assert(stopped.ms >= 1900 && stopped.ms < 10_000, `${stopped.ms} ms with a stopped daemon`);

      // Killed: its socket file stays behind, nobody answers, the process runs the call at once.
      daemon.child.kill("SIGKILL");
      await daemon.child.status;
      assert(Deno.lstatSync(daemon.socket).isSocket);
      const killed = await aboutVia(bin, daemon.socket);
      assertEquals([killed.code, killed.stderr], [0, expected.stderr], killed.stderr);
      assert(killed.ms < 1900, `${killed.ms} ms with a dead daemon`);
    } finally {
      await daemon.stop();
      await dropNetns(other);
    }
  },
});

Deno.test({
  ...gated(
    "serve: SIGTERM removes the socket; a second daemon on a live socket is refused",
    NEEDS_ROOT,
  ),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const bin = await launcherDir();
    const daemon = await startDaemon(bin);
    try {
      const info = Deno.statSync(daemon.socket);
      assertEquals(info.mode! & 0o777, 0o600);
      assertEquals(Deno.statSync(daemon.socket.replace(/\/[^/]*$/, "")).mode! & 0o777, 0o700);
      const second = await new Deno.Command(`${bin}/cnitool`, {
        args: ["serve", "--socket", daemon.socket],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(second.code, 1);
      assertStringIncludes(new TextDecoder().decode(second.stderr), "another daemon is answering");
      daemon.child.kill("SIGTERM");
      assertEquals((await daemon.child.status).code, 0);
      assertEquals(await Deno.lstat(daemon.socket).then(() => true, () => false), false);
    } finally {
      await daemon.stop();
    }
  },
});

Deno.test({
  ...gated(
    "serve: a daemon whose bundle was replaced declines, exits 0, and the call runs anyway",
    NEEDS_ROOT,
  ),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "denocni-serve-upgrade-" });
    const bin = `${dir}/bin`;
    const installed = await new Deno.Command(`${await launcherDir()}/cnitool`, {
      args: ["install", "--dir", bin],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(installed.code, 0, new TextDecoder().decode(installed.stderr));
    const daemon = await startDaemonAt(bin, dir);
    try {
      const before = await aboutVia(bin, daemon.socket);
      assertStringIncludes(daemon.lines.at(-1)!, "loopback - exit 0");
      // What an upgrade does: a new file renamed over the old one.
      Deno.copyFileSync(`${bin}/denocni.js`, `${bin}/denocni.js.new`);
      Deno.renameSync(`${bin}/denocni.js.new`, `${bin}/denocni.js`);
      const after = await aboutVia(bin, daemon.socket);
      assertEquals([after.code, after.stderr], [0, before.stderr], after.stderr);
      assertEquals((await daemon.child.status).code, 0);
      assert(
        daemon.lines.some((l) => l.includes("declined: program replaced")),
        daemon.lines.join("\n"),
      );
    } finally {
      await daemon.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
