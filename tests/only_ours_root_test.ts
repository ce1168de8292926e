// deno-lint-ignore-file no-explicit-any -- results and ip/tc JSON are read loosely
/**
 * The two chains runtimes install by default, run with nothing but our plugins:
 *
 * - Podman's (`87-podman-bridge.conflist`, cniVersion 0.4.0): `bridge` (gateway, masquerade,
 *   hairpin) with `host-local` and a default route, `portmap` (the `portMappings` capability),
 *   `firewall`, `tuning`;
 * - Kubernetes' (containerd's `10-containerd-net.conflist` plus what kubelet asks for,
 *   cniVersion 1.0.0): `bridge` (promiscuous) with dual-stack `host-local`, `portmap` and
 *   `bandwidth` (the `portMappings` and `bandwidth` capabilities, burst as kubelet sets it).
 *
 * Each runs through three drivers: our libcni exec'ing the plugins (`ts_libcni.ts`), our
 * libcni with the built-in registry in-process, and the real Go libcni 1.1.2
 * (`go_libcni/main.go`). `CNI_PATH` is only the directory `cnitool install --dir` wrote, and
 * the sandbox hides `/usr/lib/cni` under an empty tmpfs, so no reference plugin can be
 * exec'd. Checked per run: a TCP server in the container answers on the host's
 * `127.0.0.1:<hostPort>` and on the container address; the rules exist; the host veth has its
 * `tbf` and the ifb device its own (Kubernetes shape); CHECK passes; DEL (twice) leaves no
 * chain, rule, qdisc, ifb device, veth, lease, cache entry or tuning backup naming the
 * container.
 *
 * The module runs itself again inside a sandbox (tests/helpers/fw_world.ts): its own network
 * namespace, tmpfs `/run` and `/var/lib`, so the default data and cache directories are the
 * sandbox's, and the host's tables are snapshotted around it.
 *
 * @module
 */
import { confListFromFile } from "../cni/conf_files.ts";
import { asCniError } from "../cni/errors.ts";
import { inProcessInvoker } from "../cni/invoke_builtin.ts";
import { addNetworkList, checkNetworkList, delNetworkList } from "../cni/libcni.ts";
import { isOurs } from "../cmd/install_plugins.ts";
import { pendingKernelWork } from "../netlink/socket.ts";
import { spawnInNetns } from "../netns/spawn.ts";
import { ifbDeviceName } from "../plugins/bandwidth/config.ts";
import { ipMasqChainName } from "../plugins/bridge/ipmasq.ts";
import { BUILTIN_PLUGINS } from "../plugins/mod.ts";
import { dnChainName } from "../plugins/portmap/iptables.ts";
import { assert, assertEquals, IS_ROOT } from "./helpers/assert.ts";
import { gated } from "./helpers/gate.ts";
import { REF_DIR } from "./helpers/reference.ts";
import { rand } from "./helpers/names.ts";
import { run, sh } from "./helpers/run.ts";
import { type Driver as GoDriver, goDriver, OUR_DRIVER } from "./helpers/chain_env.ts";
import {
  assertHidden,
  assertIsolated,
  IN_WORLD,
  recordNames,
  resetFirewall,
  worldTest,
} from "./helpers/fw_world.ts";
import { launcherDir } from "./helpers/launchers.ts";
import { REPO } from "./helpers/sandbox.ts";

/** Where the reference plugins live: hidden in the sandbox. */
/** The libcni cache and host-local data: the defaults, on the sandbox's tmpfs. */
const CACHE_DIR = "/var/lib/cni";
const DATA_DIR = "/var/lib/cni/networks";
const TUNING_DIR = "/run/cni/tuning";

/** What one libcni command ended with. */
type Outcome = { ok: true; result?: any } | { ok: false; code: number; msg: string };

/** One attachment's names and inputs. */
interface Attachment {
  name: string;
  br: string;
  cid: string;
  ns: string;
  netns: string;
  file: string;
  hostPort: number;
  capArgs: Record<string, unknown>;
}

/** A libcni driver. */
interface Driver {
  name: string;
  call(cmd: "add" | "check" | "del", a: Attachment, cniPath: string): Promise<Outcome>;
}

/** A driver program taking go_libcni's flags (ours from source, or the Go build). */
function programDriver(name: string, argv: string[]): Driver {
  return {
    name,
    async call(cmd, a, cniPath) {
      const out = await run(argv[0]!, [
        ...argv.slice(1),
        ...["-cmd", cmd, "-conflist", a.file, "-netns", a.netns, "-cid", a.cid],
        ...["-ifname", "eth0", "-path", cniPath, "-cache", CACHE_DIR],
        ...["-cap-args", JSON.stringify(a.capArgs)],
      ], {
        clearEnv: true,
        env: {
          PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          NO_COLOR: "1",
          DENO_NO_UPDATE_CHECK: "1",
          ...(Deno.env.get("DENO_DIR") && { DENO_DIR: Deno.env.get("DENO_DIR")! }),
          ...(Deno.env.get("HOME") && { HOME: Deno.env.get("HOME")! }),
        },
        cwd: REPO,
      });
      const text = out.stdout.trim();
      let json: any;
      try {
        json = text === "" ? undefined : JSON.parse(text);
      } catch {
        throw new Error(`${name} ${cmd} printed non-JSON: ${text}\n${out.stderr}`);
      }
      if (out.code === 0) return { ok: true, result: json };
      if (typeof json?.code !== "number") {
        throw new Error(`${name} ${cmd} failed oddly (${out.code}): ${text}\n${out.stderr}`);
      }
      return { ok: false, code: json.code, msg: json.msg };
    },
  };
}

/** Our libcni in this process, every plugin from the built-in registry. */
const IN_PROCESS: Driver = {
  name: "our libcni, built-ins in-process",
  async call(cmd, a, cniPath) {
    const list = confListFromFile(a.file);
    const rt = { containerId: a.cid, netns: a.netns, ifName: "eth0", capabilityArgs: a.capArgs };
    const options = {
      invoker: inProcessInvoker(BUILTIN_PLUGINS, { cniPath: [cniPath] }),
      cacheDir: CACHE_DIR,
    };
    try {
      if (cmd === "add") return { ok: true, result: await addNetworkList(list, rt, options) };
      if (cmd === "check") await checkNetworkList(list, rt, options);
      else await delNetworkList(list, rt, options);
      return { ok: true };
    } catch (err) {
      const e = asCniError(err);
      return { ok: false, code: e.code, msg: `${e.msg}${e.details ? `: ${e.details}` : ""}` };
    } finally {
      await pendingKernelWork();
    }
  },
};

/** A conflist shape runtimes write. */
interface Shape {
  name: string;
  /** The list for one attachment (`i` keeps subnets apart). */
  list(a: Attachment, i: number): Record<string, unknown>;
  /** The capability arguments the runtime passes. */
  capArgs(hostPort: number): Record<string, unknown>;
  /** Whether the list limits bandwidth (the host veth and ifb get a `tbf`). */
  shaped: boolean;
}

/** Podman 4.3's default network, as in /etc/cni/net.d/87-podman-bridge.conflist. */
const PODMAN: Shape = {
  name: "Podman default (bridge, portmap, firewall, tuning)",
  list: (a, i) => ({
    cniVersion: "0.4.0",
    name: a.name,
    plugins: [
      {
        type: "bridge",
        bridge: a.br,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: {
          type: "host-local",
          routes: [{ dst: "0.0.0.0/0" }],
          ranges: [[{ subnet: `10.${88 + i}.0.0/16`, gateway: `10.${88 + i}.0.1` }]],
        },
      },
      { type: "portmap", capabilities: { portMappings: true } },
      { type: "firewall" },
      { type: "tuning" },
    ],
  }),
  capArgs: (hostPort) => ({
    portMappings: [{ hostPort, containerPort: 80, protocol: "tcp", hostIP: "" }],
  }),
  shaped: false,
};

/** containerd's 10-containerd-net.conflist with kubelet's bandwidth plugin. */
const KUBERNETES: Shape = {
  name: "Kubernetes (bridge, portmap, bandwidth)",
  list: (a, i) => ({
    cniVersion: "1.0.0",
    name: a.name,
    plugins: [
      {
        type: "bridge",
        bridge: a.br,
        isGateway: true,
        ipMasq: true,
        promiscMode: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: `10.${88 + i}.0.0/16` }], [{ subnet: `fd${88 + i}::/64` }]],
          routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
        },
      },
      { type: "portmap", capabilities: { portMappings: true } },
      { type: "bandwidth", capabilities: { bandwidth: true } },
    ],
  }),
  capArgs: (hostPort) => ({
    portMappings: [{ hostPort, containerPort: 80, protocol: "tcp" }],
    // kubelet: rates from the pod's annotations, bursts math.MaxInt32.
    bandwidth: {
      ingressRate: 100_000_000,
      ingressBurst: 2147483647,
      egressRate: 50_000_000,
      egressBurst: 2147483647,
    },
  }),
  shaped: true,
};

/** Reads what a TCP server sends (up to `tries` times, 100 ms apart), or the error text. */
async function tcpRead(hostname: string, port: number, tries = 30): Promise<string> {
  let last = "";
  for (let i = 0; i < tries; i++) {
    try {
      const conn = await Deno.connect({ hostname, port });
      const timer = setTimeout(() => conn.close(), 2000);
      try {
        last = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
      } finally {
        clearTimeout(timer);
      }
    } catch (err) {
      last = `error: ${err instanceof Error ? err.message : err}`;
    }
    if (last === "hello\n") return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

/** Every firewall line of the sandbox: iptables and ip6tables (all tables), nft. */
async function firewallLines(): Promise<string[]> {
  const out: string[] = [];
  for (const cmd of ["iptables-save", "ip6tables-save"]) {
    out.push(...(await sh(cmd)).split("\n").map((l) => `${cmd}: ${l}`));
  }
  out.push(...(await sh("nft", "list", "ruleset")).split("\n").map((l) => `nft: ${l}`));
  return out.filter((l) => !/: (#|$)/.test(l));
}

/** The container's addresses in a result, without prefix. */
function addressesOf(result: any): string[] {
  return (result.ips ?? []).map((ip: { address: string }) => ip.address.split("/")[0]!);
}

function mentions(line: string, needles: string[]): boolean {
  return needles.some((n) =>
    /^[0-9a-f.:]+$/.test(n)
      ? new RegExp(`(^|[^0-9a-f.:])${n.replaceAll(".", "\\.")}($|[^0-9a-f:])`).test(line)
      : line.includes(n)
  );
}

/** Files under `dir` (recursively), relative. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(`${d}/${e.name}`, r);
      else out.push(r);
    }
  };
  walk(dir, "");
  return out.sort();
}

/**
 * Everything left that names the attachment: firewall lines naming the container ID, its
 * per-container chains or its addresses; ifb devices and veths; `tbf`/`ingress` qdiscs;
 * interfaces in the container; leases, cache entries and tuning backups.
 */
async function leftovers(a: Attachment, addrs: string[]): Promise<string[]> {
  const out: string[] = [];
  const needles = [
    a.cid,
    await dnChainName(a.name, a.cid),
    await ipMasqChainName(a.name, a.cid),
    ...addrs,
  ];
  for (const l of await firewallLines()) if (mentions(l, needles)) out.push(`rule: ${l}`);
  const links = JSON.parse(await sh("ip", "-j", "-d", "link", "show")) as any[];
  for (const l of links) {
    const kind = l.linkinfo?.info_kind;
    if (kind === "ifb" || kind === "veth") out.push(`${kind} device ${l.ifname}`);
  }
  for (const q of JSON.parse(await sh("tc", "-j", "qdisc", "show")) as any[]) {
    if (q.kind === "tbf" || q.kind === "ingress") out.push(`${q.kind} qdisc on ${q.dev}`);
  }
  const inside = JSON.parse(await sh("ip", "-n", a.ns, "-j", "link", "show")) as any[];
  for (const l of inside) if (l.ifname !== "lo") out.push(`container interface ${l.ifname}`);
  for (const f of filesUnder(`${DATA_DIR}/${a.name}`)) {
    if (!/^(lock|last_reserved_ip\.\d+)$/.test(f)) out.push(`lease ${f}`);
  }
  for (const f of filesUnder(`${CACHE_DIR}/results`)) if (f.includes(a.cid)) out.push(`cache ${f}`);
  for (const f of filesUnder(TUNING_DIR)) if (f.includes(a.cid)) out.push(`tuning backup ${f}`);
  return out;
}

async function qdiscKinds(dev: string): Promise<string[]> {
  return (JSON.parse(await sh("tc", "-j", "qdisc", "show", "dev", dev)) as any[]).map((q) =>
    q.kind
  );
}

let runs = 0;

/** ADD, traffic, CHECK, DEL, DEL again and the leftovers of one shape through one driver. */
async function exercise(shape: Shape, driver: Driver): Promise<void> {
  assertIsolated();
  const cniPath = await launcherDir();
  const i = runs++;
  const id = rand(8);
  const a: Attachment = {
    name: `oo-${id}`,
    br: `oobr${id}`,
    cid: `oo${id}${rand(8)}`,
    ns: `oons-${id}`,
    netns: `/run/netns/oons-${id}`,
    file: `/run/oo-${id}.conflist`,
    hostPort: 18180 + i,
    capArgs: shape.capArgs(18180 + i),
  };
  recordNames(a.name, a.br, a.cid, a.ns);
  await sh("ip", "netns", "add", a.ns);
  Deno.writeTextFileSync(a.file, JSON.stringify(shape.list(a, i), null, 2));
  let server: Deno.ChildProcess | undefined;
  try {
    await resetFirewall();
    const add = await driver.call("add", a, cniPath);
    assert(add.ok, `ADD: ${JSON.stringify(add)}`);
    const result = add.result;
    const addrs = addressesOf(result);
    const v4 = addrs.find((x) => x.includes("."));
    assert(v4, `no IPv4 address in ${JSON.stringify(result)}`);
    const names = (result.interfaces as { name: string; sandbox?: string }[]).map((x) => x.name);
    const veth = names.find((n) => n.startsWith("veth"));
    assert(veth, `no host veth in ${JSON.stringify(result)}`);

    // The rules the chain is made of are there (so their absence after DEL means something).
    const fw = await firewallLines();
    const dnChain = await dnChainName(a.name, a.cid);
    const masqChain = await ipMasqChainName(a.name, a.cid);
    assert(fw.some((l) => l.includes(dnChain)), "no portmap DNAT chain");
    assert(fw.some((l) => l.includes(masqChain)), "no masquerade chain");
    if (shape === PODMAN) {
      assert(
        fw.some((l) => l.startsWith("iptables-save: -A CNI-FORWARD") && mentions(l, [v4])),
        "no firewall accept for the container",
      );
    }
    if (shape.shaped) {
      assert((await qdiscKinds(veth)).includes("tbf"), `no tbf on the host veth ${veth}`);
      const ifb = await ifbDeviceName(a.name, a.cid);
      assert(names.includes(ifb), `the result does not list the ifb device ${ifb}`);
      assert((await qdiscKinds(ifb)).includes("tbf"), `no tbf on the ifb device ${ifb}`);
      assert((await qdiscKinds(veth)).includes("ingress"), "no ingress qdisc to redirect");
    }

    server = spawnInNetns(a.netns, "busybox", {
      args: ["nc", "-ll", "-p", "80", "-e", "/bin/echo", "hello"],
      stdout: "null",
      stderr: "null",
    });
    assertEquals(await tcpRead("127.0.0.1", a.hostPort), "hello\n", "the host's 127.0.0.1");
    assertEquals(await tcpRead(v4, 80), "hello\n", "the container address");

    const check = await driver.call("check", a, cniPath);
    assert(check.ok, `CHECK: ${JSON.stringify(check)}`);
    for (const round of ["DEL", "DEL again"]) {
      const del = await driver.call("del", a, cniPath);
      assert(del.ok, `${round}: ${JSON.stringify(del)}`);
    }
    assertEquals(await leftovers(a, addrs), [], "left after DEL");
    assert(
      (await tcpRead("127.0.0.1", a.hostPort, 1)).startsWith("error"),
      "still forwarded after DEL",
    );
  } finally {
    if (server) {
      server.kill();
      await server.status;
    }
    await run("ip", ["netns", "del", a.ns]);
    await run("ip", ["link", "del", a.br]);
    await Deno.remove(a.file).catch(() => {});
    await resetFirewall();
  }
}

if (!IN_WORLD) {
  worldTest(import.meta.url, "Podman's and Kubernetes' default chains with only our plugins", {
    hide: [REF_DIR],
  });
} else {
  // The Go driver, or why it is missing (its tests are then ignored, saying why); a failed
  // build with Go and the sources installed fails the test that needs it.
  let go: GoDriver | string = "not root";
  let goBroken: unknown;
  if (IS_ROOT) {
    try {
      go = await goDriver();
    } catch (err) {
      goBroken = err;
    }
  }
  const goMissing = typeof go === "string" && goBroken === undefined ? go : undefined;
  const drivers: [Driver | (() => Driver), string | undefined][] = [
    [programDriver("our libcni, plugins exec'd", OUR_DRIVER.argv), undefined],
    [IN_PROCESS, undefined],
    [() => {
      if (goBroken !== undefined) throw goBroken;
      return programDriver("Go libcni 1.1.2, plugins exec'd", (go as GoDriver).argv);
    }, goMissing],
  ];

  Deno.test(`only our plugins can be found: CNI_PATH holds only cnitool install's entries and ${REF_DIR} is empty`, async () => {
    assertIsolated();
    assertEquals(assertHidden(), [REF_DIR]);
    const dir = await launcherDir();
    const entries = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert(entries.includes("portmap") && entries.includes("bandwidth"), entries.join(" "));
    // Besides the launchers: the bundles and the launchers' prepared Deno cache.
    const support = ["denocni.js", "denocni-forward.js", "denocni-cache"];
    for (const e of entries) {
      if (support.includes(e)) continue;
      assert(isOurs(`${dir}/${e}`), `${e} in ${dir} is not one of our launchers`);
    }
  });

  for (const shape of [PODMAN, KUBERNETES]) {
    for (const [driver, missing] of drivers) {
      const label = typeof driver === "function" ? "Go libcni 1.1.2, plugins exec'd" : driver.name;
      Deno.test({
        ...gated(
          `${shape.name} through ${label}: traffic on the host port and the container ` +
            `address${shape.shaped ? ", tbf on the host veth and the ifb" : ""}, CHECK, DEL ` +
            "leaves nothing",
          missing,
        ),
        async fn() {
          await exercise(shape, typeof driver === "function" ? driver() : driver);
        },
      });
    }
  }
}
