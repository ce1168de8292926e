// deno-lint-ignore-file no-console -- the outer test prints the inner run's report
/**
 * A world of its own for the privileged portmap and firewall tests. Their plugins change the
 * host's firewall (`PREROUTING`, `FORWARD`, `POSTROUTING` jumps, shared `CNI-*` chains, nft
 * tables), `route_localnet` and the conntrack table, all of which are global to a network
 * namespace. So the test module runs itself again inside tests/helpers/sandbox.ts (a new
 * network namespace and private tmpfs on /run and /var/lib) where the plugins, the reference
 * binaries and the traffic all act on a throwaway "host"; the real host's tables are
 * snapshotted before and after and must not change in any line that names something the
 * inner run used.
 *
 * Inner side: {@linkcode IN_WORLD} is true, {@linkcode assertIsolated} proves it, and the
 * helpers below call the plugins three ways (the reference binary, in-process through skel,
 * the installed exec'd launcher), build containers with our bridge plugin and read the
 * firewall state.
 *
 * @module
 */
import { assertEquals } from "./assert.ts";
import { inSandbox } from "./sandbox.ts";
import { type CniEnv, execPluginBinary, runInProcess } from "./exec_plugin.ts";
import { launcherDir } from "./launchers.ts";
import { rand } from "./names.ts";
import { REF_DIR } from "./reference.ts";
import { run, sh } from "./run.ts";
import { gated, NEEDS_ROOT, type Reason } from "./gate.ts";

/** Whether this process is the inner run, inside the sandbox. */
export const IN_WORLD: boolean = Deno.env.get("DENOCNI_FW_WORLD") === "1";

const NAMES_FILE = Deno.env.get("DENOCNI_FW_NAMES");

/**
 * Remembers names the inner run creates (networks, container IDs, bridges, chains) so the
 * outer test can check the real host has none of them.
 *
 * @param names The names.
 */
export function recordNames(...names: string[]): void {
  if (!NAMES_FILE) return;
  Deno.writeTextFileSync(NAMES_FILE, names.map((n) => n + "\n").join(""), { append: true });
}

/** The real host's firewall, as lines: iptables-save and ip6tables-save of every table, nft. */
async function hostFirewall(): Promise<string[]> {
  const out: string[] = [];
  for (const cmd of ["iptables-save", "ip6tables-save"]) {
    out.push(...(await run(cmd, [])).stdout.split("\n").map((l) => `${cmd}: ${l}`));
  }
  out.push(...(await run("nft", ["list", "ruleset"])).stdout.split("\n").map((l) => `nft: ${l}`));
  return out.map((l) => l.replace(/\[\d+:\d+\]/g, "[0:0]").replace(/packets \d+ bytes \d+/g, ""));
}

/** Options of {@linkcode worldTest}. */
export interface WorldOptions {
  /**
   * Directories hidden in the sandbox under an empty read-only tmpfs (`/usr/lib/cni`: no
   * reference plugin can be found or exec'd there).
   */
  hide?: string[];
  /** More reasons the test cannot run here (besides root), e.g. `refMissing("portmap")`. */
  needs?: Reason[];
}

/**
 * Registers the outer test: run `module` again inside the sandbox and require it to pass,
 * then require that the host's firewall has not changed in any line naming what it used.
 *
 * @param moduleUrl The test module (`import.meta.url`).
 * @param title What it covers.
 * @param options Directories to hide in the sandbox, more requirements.
 */
export function worldTest(moduleUrl: string, title: string, options: WorldOptions = {}): void {
  const path = new URL(moduleUrl).pathname;
  const hide = options.hide ?? [];
  Deno.test({
    ...gated(
      `${title} (run in a sandbox: own network namespace, tmpfs /run and /var/lib${
        hide.map((d) => `, empty ${d}`).join("")
      })`,
      NEEDS_ROOT,
      ...(options.needs ?? []),
    ),
    async fn() {
      const names = await Deno.makeTempFile({ prefix: "denocni-fw-names-" });
      try {
        const before = await hostFirewall();
        const out = await inSandbox(
          [
            ...hide.map((d) =>
              `mount -t tmpfs -o ro,mode=755 tmpfs ${JSON.stringify(d)} || exit 3`
            ),
            `exec "$DENO" test --allow-all --no-prompt ${JSON.stringify(path)}`,
          ].join("\n"),
          {
            DENOCNI_FW_WORLD: "1",
            DENOCNI_FW_NAMES: names,
            DENOCNI_FW_HOST_NETNS: Deno.readLinkSync("/proc/self/ns/net"),
            DENOCNI_FW_HIDDEN: JSON.stringify(hide),
          },
        );
        console.log(out.stdout);
        if (out.code !== 0) console.error(out.stderr);
        assertEquals(out.code, 0, "the sandboxed run failed");
        const used = Deno.readTextFileSync(names).split("\n").filter((n) => n !== "");
        const after = await hostFirewall();
        const mine = (lines: string[]) => lines.filter((l) => used.some((n) => l.includes(n)));
        assertEquals(mine(after), mine(before), "the host's firewall changed");
      } finally {
        await Deno.remove(names).catch(() => {});
      }
    },
  });
}

/**
 * Throws unless this process runs in the sandbox: its network namespace is not the one the
 * outer test ran in. The world's firewall may then be reset freely.
 */
export function assertIsolated(): void {
  const mine = Deno.readLinkSync("/proc/self/ns/net");
  const host = Deno.env.get("DENOCNI_FW_HOST_NETNS");
  if (!IN_WORLD || !host || mine === host) {
    throw new Error("refusing to touch the host's firewall");
  }
}

/**
 * Throws unless each directory the outer test hid is, in this process, an empty tmpfs mount
 * of the sandbox.
 *
 * @returns The hidden directories.
 */
export function assertHidden(): string[] {
  const hidden = JSON.parse(Deno.env.get("DENOCNI_FW_HIDDEN") ?? "[]") as string[];
  const mounts = Deno.readTextFileSync("/proc/self/mountinfo").split("\n");
  for (const dir of hidden) {
    const m = mounts.find((l) => l.split(" ")[4] === dir && / - tmpfs /.test(l));
    if (!m) throw new Error(`${dir} is not hidden under a tmpfs in the sandbox`);
    const entries = [...Deno.readDirSync(dir)].map((e) => e.name);
    if (entries.length > 0) throw new Error(`${dir} is not empty: ${entries.join(", ")}`);
  }
  return hidden;
}

/** Empties the world's iptables (every table, both families) and nftables. */
export async function resetFirewall(): Promise<void> {
  assertIsolated();
  for (const cmd of ["iptables", "ip6tables"]) {
    for (const table of ["nat", "filter", "mangle", "raw"]) {
      await run(cmd, ["-w", "-t", table, "-F"]);
      await run(cmd, ["-w", "-t", table, "-X"]);
    }
    await run(cmd, ["-w", "-P", "FORWARD", "ACCEPT"]);
  }
  await run("nft", ["flush", "ruleset"]);
}

/**
 * One table as `<cmd>-save` prints it, without comment lines and with counters zeroed.
 *
 * @param cmd `iptables` or `ip6tables`.
 * @param table The table.
 * @returns The lines.
 */
export async function save(cmd: "iptables" | "ip6tables", table: string): Promise<string[]> {
  const out = await sh(`${cmd}-save`, "-t", table);
  return out.split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) =>
    l.replace(/\[\d+:\d+\]/g, "[0:0]")
  );
}

/** How a plugin is called. */
export type Mode = "go" | "inproc" | "exec";

/** What one call printed. */
export interface CallOut {
  /** Exit code. */
  code: number;
  /** Stdout (result or error JSON). */
  stdout: string;
  /** Stderr. */
  stderr: string;
}

/** The `CNI_*` values of a call. */
export interface CallEnv {
  /** CNI_CONTAINERID. */
  containerId: string;
  /** CNI_NETNS. */
  netns: string;
  /** CNI_IFNAME (default eth0). */
  ifName?: string;
}

/**
 * Calls a plugin: the reference binary, ours in-process through skel (as the in-process
 * invoker does), or ours exec'd through the installed launcher.
 *
 * @param mode How.
 * @param plugin `portmap`, `firewall`, ...
 * @param command The verb.
 * @param config The netconf.
 * @param env Container ID, netns, ifname.
 * @returns Exit code and output.
 */
export async function callPlugin(
  mode: Mode,
  plugin: string,
  command: string,
  config: unknown,
  env: CallEnv,
): Promise<CallOut> {
  const call: CniEnv = {
    command,
    containerId: env.containerId,
    netns: env.netns,
    ifName: env.ifName ?? "eth0",
    path: REF_DIR,
  };
  if (mode === "inproc") return await runInProcess(plugin, call, config);
  const binary = mode === "go" ? `${REF_DIR}/${plugin}` : `${await launcherDir()}/${plugin}`;
  return await execPluginBinary(binary, call, config);
}

/** A container attached to a bridge network by our bridge plugin. */
export interface Container {
  /** Container ID. */
  cid: string;
  /** Named namespace. */
  ns: string;
  /** Its path. */
  netns: string;
  /** The bridge netconf used. */
  bridgeConf: Record<string, unknown>;
  /** The bridge's result (the next plugin's prevResult). */
  result: Record<string, unknown>;
}

/**
 * Makes a namespace and attaches it with our bridge plugin (in-process, host-local IPAM).
 *
 * @param network Network name.
 * @param bridge Bridge name.
 * @param subnets IPAM subnets (`10.x.y.0/24`, `fd00:..::/64`).
 * @param options Version and extra bridge keys.
 * @returns The container.
 */
export async function makeContainer(
  network: string,
  bridge: string,
  subnets: string[],
  options: { cniVersion?: string; extra?: Record<string, unknown> } = {},
): Promise<Container> {
  const ns = `tfw-${rand(8)}`;
  const cid = `c${rand(12)}`;
  recordNames(network, bridge, cid, ns);
  await sh("ip", "netns", "add", ns);
  const bridgeConf = {
    cniVersion: options.cniVersion ?? "1.0.0",
    name: network,
    type: "bridge",
    bridge,
    isGateway: true,
    ipam: {
      type: "host-local",
      ranges: subnets.map((subnet) => [{ subnet }]),
      routes: subnets.map((s) => ({ dst: s.includes(":") ? "::/0" : "0.0.0.0/0" })),
      dataDir: "/var/lib/cni/networks",
    },
    ...options.extra,
  };
  const netns = `/run/netns/${ns}`;
  const out = await callPlugin("inproc", "bridge", "ADD", bridgeConf, { containerId: cid, netns });
  if (out.code !== 0) throw new Error(`bridge ADD failed: ${out.stdout}${out.stderr}`);
  return { cid, ns, netns, bridgeConf, result: JSON.parse(out.stdout) };
}

/**
 * Detaches and removes a container (bridge DEL, namespace deleted).
 *
 * @param c The container.
 */
export async function dropContainer(c: Container): Promise<void> {
  await callPlugin("inproc", "bridge", "DEL", c.bridgeConf, {
    containerId: c.cid,
    netns: c.netns,
  });
  await run("ip", ["netns", "del", c.ns]);
}

/**
 * A chained plugin's netconf: the plugin keys, the bridge result as `prevResult`.
 *
 * @param c The container (its network name and result).
 * @param type Plugin type.
 * @param keys Plugin keys.
 * @returns The netconf.
 */
export function chained(
  c: Container,
  type: string,
  keys: Record<string, unknown>,
): Record<string, unknown> {
  return {
    cniVersion: c.bridgeConf.cniVersion,
    name: c.bridgeConf.name,
    type,
    ...keys,
    prevResult: c.result,
  };
}

/**
 * A result as compared across implementations: parsed, keys sorted, and an empty `dns`
 * dropped (Debian 1.1.1 prints `"dns":{}` in 1.x results, the newest reference does not).
 *
 * @param text Printed result.
 * @returns The normalised value.
 */
export function normResult(text: string): unknown {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v === null || typeof v !== "object") return v;
    return Object.fromEntries(
      Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  };
  const obj = JSON.parse(text) as Record<string, unknown>;
  if (obj.dns && Object.keys(obj.dns as object).length === 0) delete obj.dns;
  return sortKeys(obj);
}
