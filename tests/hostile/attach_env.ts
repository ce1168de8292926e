// deno-lint-ignore-file no-explicit-any -- JSON from ip/nft oracles is read loosely in tests
/**
 * One bridge network on the host for the crash and soak tests: a unique bridge, network name,
 * data dir and subnet, namespaces made on demand, exec'd and in-process bridge calls, and the
 * oracle of what is left (veths on the bridge, interfaces in namespaces, leases and owner
 * traces in the data dir, masquerade rules) with cleanup that runs also on failure.
 *
 * @module
 */
import { createDelegate } from "../../cni/invoke_builtin.ts";
import { runPlugin } from "../../cni/skel.ts";
import { isOwnNetns } from "../../netns/mod.ts";
import { pendingKernelWork } from "../../netlink/socket.ts";
import { ipMasqChainName } from "../../plugins/bridge/ipmasq.ts";
import { BUILTIN_PLUGINS } from "../../plugins/mod.ts";
import {
  dropLinks,
  dropNatChain,
  dropNetns,
  makeNetns,
  rand,
  run,
  sh,
  type TestNetns,
} from "../helpers/bridge_env.ts";
import { launcherDir } from "../helpers/launchers.ts";

/** A test network. */
export interface TestNet {
  /** Network name. */
  net: string;
  /** Bridge name. */
  br: string;
  /** host-local data dir. */
  dataDir: string;
  /** The config text. */
  conf: string;
  /** Launcher dir (CNI_PATH). */
  bin: string;
  /** Namespaces made through {@linkcode netnsFor}. */
  namespaces: TestNetns[];
  /** Every container ID used (for the rule oracle and cleanup). */
  cids: string[];
}

/** One call's outcome. */
export interface Call {
  /** Exit code. */
  code: number;
  /** Stdout. */
  stdout: string;
  /** Stderr. */
  stderr: string;
}

/**
 * Makes a network: bridge `<prefix><hex>`, `ipMasq`, gateway, host-local on `subnet`.
 *
 * @param prefix Three letters.
 * @param ipam Extra host-local range fields (`subnet`, `rangeStart`, `rangeEnd`).
 * @returns The network.
 */
export async function makeNet(prefix: string, ipam: Record<string, string>): Promise<TestNet> {
  const net = `${prefix}-${rand(6)}`;
  const br = `${prefix}${rand(8)}`;
  const dataDir = await Deno.makeTempDir({ prefix: `${prefix}-data-` });
  const conf = JSON.stringify({
    cniVersion: "1.0.0",
    name: net,
    type: "bridge",
    bridge: br,
    isGateway: true,
    ipMasq: true,
    ipam: { type: "host-local", dataDir, ranges: [[ipam]] },
  });
  return { net, br, dataDir, conf, bin: await launcherDir(), namespaces: [], cids: [] };
}

/**
 * A new namespace for the network (removed by {@linkcode dropNet}).
 *
 * @param t The network.
 * @returns The namespace.
 */
export async function netnsFor(t: TestNet): Promise<TestNetns> {
  const ns = await makeNetns(t.br.slice(0, 3));
  t.namespaces.push(ns);
  return ns;
}

/**
 * A new container ID (remembered for the oracle and cleanup).
 *
 * @param t The network.
 * @returns The ID.
 */
export function newCid(t: TestNet): string {
  const cid = `${t.br.slice(0, 3)}c${rand(12)}`;
  t.cids.push(cid);
  return cid;
}

/**
 * The `CNI_*` environment of a call.
 *
 * @param t The network.
 * @param command The verb.
 * @param cid Container ID.
 * @param ns Namespace.
 * @returns The environment.
 */
export function callEnv(
  t: TestNet,
  command: string,
  cid: string,
  ns: TestNetns,
): Record<string, string> {
  return {
    PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
    CNI_COMMAND: command,
    CNI_CONTAINERID: cid,
    CNI_NETNS: ns.path,
    CNI_IFNAME: "eth0",
    CNI_PATH: t.bin,
  };
}

/**
 * Spawns the exec'd bridge for a call (the caller waits or kills).
 *
 * @param t The network.
 * @param env From {@linkcode callEnv}.
 * @returns The child.
 */
export function spawnBridge(t: TestNet, env: Record<string, string>): Deno.ChildProcess {
  const child = new Deno.Command(`${t.bin}/bridge`, {
    clearEnv: true,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  w.write(new TextEncoder().encode(t.conf)).then(() => w.close()).catch(() => {});
  return child;
}

/**
 * Runs the exec'd bridge to its end.
 *
 * @param t The network.
 * @param env From {@linkcode callEnv}.
 * @returns Its outcome.
 */
export async function execBridge(t: TestNet, env: Record<string, string>): Promise<Call> {
  const out = await spawnBridge(t, env).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Runs the bridge in this process (runPlugin over the registry, IPAM in-process).
 *
 * @param t The network.
 * @param env From {@linkcode callEnv}.
 * @returns Its outcome.
 */
export async function inProcessBridge(t: TestNet, env: Record<string, string>): Promise<Call> {
  const fns = await BUILTIN_PLUGINS.bridge!();
  const out = await runPlugin(fns, { env, stdin: new TextEncoder().encode(t.conf) }, {
    delegate: createDelegate({ registry: BUILTIN_PLUGINS, mode: "prefer", env }),
    isOwnNetns: (path) => isOwnNetns(path),
  });
  return { code: out.exitCode, stdout: out.stdout, stderr: out.stderr };
}

/**
 * Problems with a failed call's output: one spec error object with an integer code and a
 * message, no stack trace.
 *
 * @param c The call.
 * @returns Problems, empty when clean.
 */
export function unclean(c: Call): string[] {
  const out: string[] = [];
  if (c.code !== 1) out.push(`exit ${c.code}`);
  try {
    const e = JSON.parse(c.stdout);
    if (!Number.isInteger(e.code)) out.push(`code ${JSON.stringify(e.code)}`);
    if (typeof e.msg !== "string" || e.msg === "") out.push("no msg");
  } catch {
    out.push(`not JSON: ${c.stdout.slice(0, 200)}`);
  }
  if (/^\s+at .+:\d+:\d+\)?$/m.test(c.stdout + c.stderr)) out.push("stack trace");
  return out;
}

/**
 * Everything the network's attachments left: veths on the bridge, interfaces other than `lo`
 * in its namespaces, lease files, files naming one of its container IDs (owner index),
 * masquerade chains and firewall rules naming a container ID.
 *
 * @param t The network.
 * @returns Descriptions, empty when nothing is left.
 */
export async function leftovers(t: TestNet): Promise<string[]> {
  await pendingKernelWork();
  const out: string[] = [];
  const ports = JSON.parse(await sh("ip", "-j", "link", "show", "master", t.br)) as any[];
  for (const p of ports) out.push(`port ${p.ifname} on the bridge`);
  for (const ns of t.namespaces) {
    const links = JSON.parse(await sh("ip", "-n", ns.name, "-j", "link", "show")) as any[];
    for (const l of links) if (l.ifname !== "lo") out.push(`${l.ifname} in ${ns.name}`);
  }
  const walk = async (dir: string): Promise<void> => {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (/^\d+\.\d+\.\d+\.\d+$/.test(e.name)) out.push(`lease ${path}`);
      else if (e.isFile) {
        const text = await Deno.readTextFile(path).catch(() => "");
        const cid = t.cids.find((c) => text.includes(c));
        if (cid) out.push(`${path} names ${cid}`);
      }
    }
  };
  await walk(t.dataDir);
  const nat = await sh("iptables", "-w", "-t", "nat", "-S");
  const nft = (await run("nft", ["list", "ruleset"])).stdout;
  for (const cid of t.cids) {
    if (nat.includes(await ipMasqChainName(t.net, cid))) out.push(`masquerade chain of ${cid}`);
    if (nat.includes(cid)) out.push(`iptables rule naming ${cid}`);
    if (nft.includes(cid)) out.push(`nft rule naming ${cid}`);
  }
  return [...new Set(out)];
}

/**
 * Removes the network's namespaces, bridge, masquerade chains and data dir.
 *
 * @param t The network.
 */
export async function dropNet(t: TestNet): Promise<void> {
  await Promise.all(t.namespaces.map((ns) => dropNetns(ns)));
  await dropLinks(t.br);
  const nat = (await run("iptables", ["-w", "-t", "nat", "-S"])).stdout;
  for (const cid of t.cids) {
    const chain = await ipMasqChainName(t.net, cid);
    if (nat.includes(chain)) await dropNatChain(chain);
  }
  await Deno.remove(t.dataDir, { recursive: true }).catch(() => {});
}
