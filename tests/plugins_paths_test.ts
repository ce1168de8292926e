// deno-lint-ignore-file no-explicit-any -- JSON from ip/nft oracles is read loosely in tests
/**
 * Each built-in plugin through both paths: in-process through the engine
 * (`selectInvoker` mode `prefer`, the plugin and its IPAM delegate running in this process)
 * and exec'd as a plugin binary (the bundle launcher `cnitool install` writes, found by
 * `execInvoker` on `CNI_PATH`, running with the product's explicit permissions, not `-A`).
 *
 * Both sides use the same network name and container ID one after the other, each with its own
 * namespace, bridge and data dir; the results, the errors and the kernel state (`ip -j`,
 * `iptables -S`, the lease files) after ADD, CHECK and DEL must be identical once the
 * random parts (MACs, veth names, bridge name, namespace path, data dir) are replaced.
 */
import type { Invoker } from "../cni/invoke.ts";
import { execInvoker } from "../cni/invoke_exec.ts";
import { selectInvoker } from "../cni/invoke_builtin.ts";
import { runPlugin } from "../cni/skel.ts";
import { BUILTIN_PLUGINS } from "../plugins/mod.ts";
import { ipMasqChainName, nftNetworkHash } from "../plugins/bridge/ipmasq.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { dropSide, makeSide, normaliseResult, type TestSide } from "./helpers/bridge_env.ts";
import {
  dropNatChain,
  dropNewFirewallTablesAfterEachTest,
  dropNftRules,
  natRules,
  nftRules,
} from "./helpers/firewall_oracle.ts";
import { ipAddrs, ipLink, ipRoutes } from "./helpers/ip_oracle.ts";
import { rand } from "./helpers/names.ts";
import { run, sh } from "./helpers/run.ts";
import { execPluginBinary } from "./helpers/exec_plugin.ts";
import { errorObject, launcherDir } from "./helpers/launchers.ts";

// Every test leaves the firewall tables as it found them (nft tables it made and emptied go).
dropNewFirewallTablesAfterEachTest();
const ENC = new TextEncoder();
const BASE_ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
const TIMEOUT_MS = 120_000;

/** The two paths under test. */
async function invokers(): Promise<{ inproc: Invoker; exec: Invoker; dir: string }> {
  const dir = await launcherDir();
  return {
    dir,
    inproc: selectInvoker({
      mode: "prefer",
      registry: BUILTIN_PLUGINS,
      cniPath: [dir],
      env: BASE_ENV,
    }),
    exec: execInvoker({ cniPath: [dir], env: BASE_ENV, timeoutMs: TIMEOUT_MS }),
  };
}

type Side = TestSide;

/** Replaces the side's own names in any JSON-able value, then MACs and veth names. */
function norm(value: unknown, s: Side): unknown {
  const text = JSON.stringify(value ?? null)
    .replaceAll(s.dataDir, "<dataDir>")
    .replaceAll(s.br, "<br>")
    .replaceAll(s.ns.path, "<netns>")
    .replaceAll(s.ns.name, "<nsname>");
  return normaliseResult(JSON.parse(text));
}

/** Lease files of a data dir: name -> content (`last_reserved_ip.N`, one file per IP). */
async function leaseFiles(dataDir: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  async function walk(dir: string, prefix: string): Promise<void> {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path, `${prefix}${e.name}/`);
      else {
        const text = await Deno.readTextFile(path);
        // Our owner index's header line records the lease dir's inode and times and a random
        // generation: keep the entries below it.
        out[`${prefix}${e.name}`] = prefix.startsWith(".denocni-index/")
          ? text.slice(text.indexOf("\n") + 1)
          : text;
      }
    }
  }
  await walk(dataDir, "");
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** The kernel and disk state a bridge attachment leaves, for one side. */
async function bridgeState(s: Side, net: string, cid: string): Promise<Record<string, unknown>> {
  const br = await ipLink(s.br);
  const eth0 = await ipLink("eth0", s.ns.name);
  const ports = br
    ? JSON.parse(await sh("ip", "-j", "-d", "link", "show", "master", s.br)) as any[]
    : [];
  return {
    bridge: br && {
      operstate: br.operstate,
      mtu: br.mtu,
      kind: br.linkinfo?.info_kind,
      addrs: await ipAddrs(s.br),
    },
    eth0: eth0 && {
      operstate: eth0.operstate,
      mtu: eth0.mtu,
      kind: eth0.linkinfo?.info_kind,
      addrs: await ipAddrs("eth0", s.ns.name),
    },
    nsLinks: (JSON.parse(await sh("ip", "-n", s.ns.name, "-j", "link", "show")) as any[]).map((
      l,
    ) => l.ifname),
    routes: await ipRoutes(s.ns.name),
    ports: ports.map((p) => ({
      kind: p.linkinfo?.info_kind,
      mtu: p.mtu,
      hairpin: p.linkinfo?.info_slave_data?.hairpin,
      operstate: p.operstate,
    })),
    nat: (await natRules(await ipMasqChainName(net, cid))).sort(),
    nftMasq:
      (await nftRules("inet", "cni_plugins_masquerade", "masq_checks", await nftNetworkHash(net)))
        .map((r) => r.comment),
    nftSpoof: (await nftRules("bridge", "nat", "PREROUTING", `macspoofchk-${cid}-eth0`)).length,
    nat6: (await natRules(await ipMasqChainName(net, cid), true)).sort(),
    leases: await leaseFiles(s.dataDir),
  };
}

/** What one path did through a whole ADD / CHECK / DEL sequence. */
type Trace = Record<string, unknown>;

async function settle(
  p: Promise<unknown>,
): Promise<{ ok: unknown } | { error: Record<string, unknown> }> {
  try {
    return { ok: (await p) ?? null };
  } catch (err) {
    return { error: errorObject(err) };
  }
}

/** ADD, CHECK, second CHECK with a wrong prevResult, DEL, DEL again, CHECK after DEL. */
async function lifecycle(
  inv: Invoker,
  type: string,
  conf: Record<string, unknown>,
  call: { containerId: string; netns: string; ifName: string; args?: string; path: string },
  state: () => Promise<Record<string, unknown>>,
): Promise<Trace> {
  const t: Trace = {};
  const stdin = ENC.encode(JSON.stringify(conf));
  const add = await settle(inv.execPlugin(type, stdin, { command: "ADD", ...call }));
  t.add = add;
  t.afterAdd = await state();
  if (!("ok" in add)) return t;
  const withPrev = ENC.encode(JSON.stringify({ ...conf, prevResult: add.ok }));
  t.check = await settle(inv.execPlugin(type, withPrev, { command: "CHECK", ...call }));
  t.status = await settle(inv.execPlugin(type, stdin, { command: "STATUS", path: call.path }));
  t.del = await settle(inv.execPlugin(type, withPrev, { command: "DEL", ...call }));
  t.afterDel = await state();
  t.delAgain = await settle(inv.execPlugin(type, withPrev, { command: "DEL", ...call }));
  t.checkAfterDel = await settle(inv.execPlugin(type, withPrev, { command: "CHECK", ...call }));
  return t;
}

const BRIDGE_CASES: [string, Record<string, unknown>, Record<string, unknown>][] = [
  ["gateway, ipMasq, dual stack, default route", {
    isDefaultGateway: true,
    ipMasq: true,
  }, {
    ranges: [[{ subnet: "10.253.11.0/24" }], [{ subnet: "fd53:11::/64" }]],
  }],
  ["no gateway, hairpin, mtu, routes", {
    hairpinMode: true,
    mtu: 1400,
  }, {
    subnet: "10.253.12.0/24",
    gateway: "10.253.12.254",
    routes: [{ dst: "10.99.0.0/16" }],
  }],
  ["nftables masquerade, macspoofchk", {
    isGateway: true,
    ipMasq: true,
    ipMasqBackend: "nftables",
    macspoofchk: true,
  }, {
    subnet: "10.253.14.0/24",
  }],
];

for (const [title, extra, ipam] of BRIDGE_CASES) {
  Deno.test({
    ...gated(
      `bridge + host-local in-process and exec'd: same results and kernel state (${title})`,
      NEEDS_ROOT,
    ),
    async fn() {
      const { inproc, exec, dir } = await invokers();
      const net = `tpp-${rand(6)}`;
      const cid = `cpp${rand(12)}`;
      const sides: Side[] = [];
      const traces: unknown[] = [];
      try {
        for (const inv of [inproc, exec]) {
          const s = await makeSide("tpp");
          sides.push(s);
          const conf = {
            cniVersion: "1.1.0",
            name: net,
            type: "bridge",
            bridge: s.br,
            ...extra,
            ipam: { type: "host-local", dataDir: s.dataDir, ...ipam },
          };
          const trace = await lifecycle(
            inv,
            "bridge",
            conf,
            { containerId: cid, netns: s.ns.path, ifName: "eth0", path: dir },
            () => bridgeState(s, net, cid),
          );
          traces.push(norm(trace, s));
          await dropNatChain(await ipMasqChainName(net, cid));
        }
        const [a, b] = traces as Trace[];
        // Real outcomes, not just equality: the ADD worked and DEL emptied the namespace.
        assert("ok" in (a!.add as object), JSON.stringify(a!.add));
        assertEquals((a!.afterAdd as any).eth0.operstate, "UP");
        assertEquals((a!.afterDel as any).nsLinks, ["lo"]);
        assertEquals((a!.afterDel as any).ports, []);
        if (extra.ipMasq && !extra.ipMasqBackend) assertEquals((a!.afterAdd as any).nat.length, 4);
        if (extra.ipMasqBackend) assertEquals((a!.afterAdd as any).nftMasq.length, 1);
        if (extra.macspoofchk) assertEquals((a!.afterAdd as any).nftSpoof, 1);
        assertEquals((a!.afterDel as any).nftMasq, []);
        assertEquals((a!.afterDel as any).nftSpoof, 0);
        assertEquals((a!.afterDel as any).nat, []);
        assertEquals(a!.check, { ok: null });
        assertEquals(a!.del, { ok: null });
        assertEquals(a!.delAgain, { ok: null });
        assert("error" in (a!.checkAfterDel as object));
        assertEquals(b, a);
      } finally {
        for (const s of sides) await dropSide(s);
        await dropNatChain(await ipMasqChainName(net, cid));
        await dropNftRules(
          "inet",
          "cni_plugins_masquerade",
          "masq_checks",
          await nftNetworkHash(net),
        );
        await dropNftRules("bridge", "nat", "PREROUTING", `macspoofchk-${cid}-`);
      }
    },
  });
}

Deno.test({
  ...gated("loopback in-process and exec'd: same results and kernel state", NEEDS_ROOT),
  async fn() {
    const { inproc, exec, dir } = await invokers();
    const cid = `cpp${rand(12)}`;
    const sides: Side[] = [];
    const traces: unknown[] = [];
    try {
      for (const inv of [inproc, exec]) {
        const s = await makeSide("tpp");
        sides.push(s);
        const conf = { cniVersion: "1.1.0", name: "tpp-lo", type: "loopback" };
        const state = async () => {
          const lo = await ipLink("lo", s.ns.name);
          const addrs = JSON.parse(await sh("ip", "-n", s.ns.name, "-j", "addr", "show", "lo"));
          return {
            flags: lo?.flags,
            operstate: lo?.operstate,
            addrs: (addrs[0]?.addr_info ?? []).map((x: any) => `${x.local}/${x.prefixlen}`),
          };
        };
        traces.push(
          norm(
            await lifecycle(inv, "loopback", conf, {
              containerId: cid,
              netns: s.ns.path,
              ifName: "eth0",
              path: dir,
            }, state),
            s,
          ),
        );
      }
      const [a, b] = traces as Trace[];
      assertEquals((a!.afterAdd as any).addrs, ["127.0.0.1/8", "::1/128"]);
      assertEquals((a!.afterAdd as any).operstate, "UNKNOWN");
      assertEquals((a!.afterDel as any).flags, ["LOOPBACK"]);
      assertEquals(a!.check, { ok: null });
      assertEquals(b, a);
    } finally {
      for (const s of sides) await dropSide(s);
    }
  },
});

Deno.test({
  ...gated("host-local alone in-process and exec'd: same results and lease files", NEEDS_ROOT),
  async fn() {
    const { inproc, exec, dir } = await invokers();
    const cid = `cpp${rand(12)}`;
    const sides: Side[] = [];
    const traces: unknown[] = [];
    try {
      for (const inv of [inproc, exec]) {
        const s = await makeSide("tpp");
        sides.push(s);
        const conf = {
          cniVersion: "1.1.0",
          name: "tpp-ipam",
          type: "host-local",
          ipam: {
            type: "host-local",
            dataDir: s.dataDir,
            ranges: [[{ subnet: "10.253.13.0/28", rangeStart: "10.253.13.5" }], [{
              subnet: "fd53:13::/120",
            }]],
            routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
          },
        };
        traces.push(
          norm(
            await lifecycle(inv, "host-local", conf, {
              containerId: cid,
              netns: s.ns.path,
              ifName: "net1",
              args: "IgnoreUnknown=1;IP=10.253.13.9",
              path: dir,
            }, () => leaseFiles(s.dataDir)),
            s,
          ),
        );
      }
      const [a, b] = traces as Trace[];
      const afterAdd = a!.afterAdd as Record<string, unknown>;
      assertEquals(afterAdd["tpp-ipam/10.253.13.9"], `${cid}\r\nnet1`);
      assertEquals(afterAdd["tpp-ipam/fd53:13::2"], `${cid}\r\nnet1`);
      assertEquals(
        Object.keys(a!.afterDel as object).filter((k) => !/lock|last_reserved/.test(k)),
        [],
      );
      assertEquals(b, a);
    } finally {
      for (const s of sides) await dropSide(s);
    }
  },
});

Deno.test({
  ...gated(
    "VERSION and the about text: the launcher prints exactly what the in-process skel prints",
    NEEDS_ROOT,
  ),
  async fn() {
    const { inproc, exec, dir } = await invokers();
    for (const name of ["bridge", "loopback", "host-local"]) {
      const fns = await BUILTIN_PLUGINS[name]!();
      for (const version of ["1.1.0", "0.4.0", "0.3.1"]) {
        const stdin = JSON.stringify({ cniVersion: version });
        const want = await runPlugin(fns, {
          env: { CNI_COMMAND: "VERSION" },
          stdin: ENC.encode(stdin),
        });
        const got = await execPluginBinary(`${dir}/${name}`, { command: "VERSION" }, stdin);
        assertEquals(got, { code: want.exitCode, stdout: want.stdout, stderr: want.stderr });
        assertEquals(JSON.parse(got.stdout).supportedVersions.at(-1), "1.1.0");
      }
      assertEquals(await exec.version(name), await inproc.version(name));
      const about = await runPlugin(fns, { env: {}, stdin: new Uint8Array() });
      const got = await run(`${dir}/${name}`, [], { clearEnv: true, env: BASE_ENV, stdin: "" });
      assertEquals(got, { code: about.exitCode, stdout: about.stdout, stderr: about.stderr });
    }
  },
});

Deno.test({
  ...gated(
    "every launcher answers VERSION itself, byte for byte what the bundle prints, without Deno",
    NEEDS_ROOT,
  ),
  async fn() {
    const dir = await launcherDir();
    const scratch = await Deno.makeTempDir({ prefix: "denocni-launcher-version-" });
    try {
      for (const name of Object.keys(BUILTIN_PLUGINS)) {
        const fns = await BUILTIN_PLUGINS[name]!();
        const want = await runPlugin(fns, {
          env: { CNI_COMMAND: "VERSION" },
          stdin: new Uint8Array(),
        });
        // The same launcher with a Deno that does not exist: VERSION still answers, anything
        // else fails (so the answer cannot have come from the bundle).
        const text = Deno.readTextFileSync(`${dir}/${name}`);
        const noDeno = text.replaceAll(/exec '[^']+' run/g, "exec '/nonexistent/deno' run");
        assert(noDeno !== text, `${name}: no Deno command line in its launcher`);
        const launcher = `${scratch}/${name}`;
        Deno.writeTextFileSync(launcher, noDeno, { mode: 0o755 });
        const env = { ...BASE_ENV, DENOCNI_SOCKET: `${scratch}/none.sock` };
        const got = await run(launcher, [], {
          clearEnv: true,
          env: { ...env, CNI_COMMAND: "VERSION" },
          stdin: "",
        });
        assertEquals(got, { code: want.exitCode, stdout: want.stdout, stderr: want.stderr }, name);
        const about = await run(launcher, [], { clearEnv: true, env, stdin: "" });
        assert(about.code !== 0, `${name}: the about text ran without Deno`);
      }
    } finally {
      await Deno.remove(scratch, { recursive: true });
    }
  },
});
