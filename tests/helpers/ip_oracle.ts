// deno-lint-ignore-file no-explicit-any -- JSON from `ip -j` is read loosely in tests
/**
 * `ip -j` oracles (links, addresses, routes of the host or a named namespace) and removal of
 * the links a test made.
 *
 * @module
 */
import { run, sh } from "./run.ts";

/**
 * `ip -j -d link show` in the host or a named namespace.
 *
 * @param netnsName Named namespace, if any.
 * @returns Every link's JSON.
 */
export async function ipLinks(netnsName?: string): Promise<Record<string, unknown>[]> {
  const args = netnsName ? ["-n", netnsName] : [];
  return JSON.parse(await sh("ip", ...args, "-j", "-d", "link", "show"));
}

/**
 * `ip -j -d link show dev X`, or undefined when it does not exist.
 *
 * @param name Link name.
 * @param netnsName Named namespace, if any.
 * @returns The link JSON.
 */
export async function ipLink(
  name: string,
  netnsName?: string,
): Promise<Record<string, any> | undefined> {
  const args = netnsName ? ["-n", netnsName] : [];
  const out = await run("ip", [...args, "-j", "-d", "link", "show", "dev", name]);
  if (out.code !== 0) return undefined;
  return (JSON.parse(out.stdout) as Record<string, any>[])[0];
}

/**
 * `ip -j addr show dev X`: `addr_info` of the link.
 *
 * @param name Link name.
 * @param netnsName Named namespace, if any.
 * @returns `local/prefixlen` strings, in kernel order.
 */
export async function ipAddrs(name: string, netnsName?: string): Promise<string[]> {
  const args = netnsName ? ["-n", netnsName] : [];
  const j = JSON.parse(await sh("ip", ...args, "-j", "addr", "show", "dev", name)) as {
    addr_info: { local: string; prefixlen: number; scope: string }[];
  }[];
  return (j[0]?.addr_info ?? []).filter((a) => a.scope !== "link").map((a) =>
    `${a.local}/${a.prefixlen}`
  );
}

/**
 * Routes in a namespace (`ip -j route show` for v4 and v6), as short strings.
 *
 * @param netnsName Named namespace.
 * @returns Sorted `dst via gw dev X` strings.
 */
export async function ipRoutes(netnsName: string): Promise<string[]> {
  const out: string[] = [];
  for (const fam of ["-4", "-6"]) {
    const j = JSON.parse(await sh("ip", "-n", netnsName, fam, "-j", "route", "show")) as {
      dst: string;
      gateway?: string;
      dev: string;
      protocol?: string;
      scope?: string;
    }[];
    for (const r of j) {
      if (r.dst.startsWith("fe80::")) continue;
      out.push(
        `${r.dst}${r.gateway ? ` via ${r.gateway}` : ""} dev ${r.dev}${
          r.protocol ? ` proto ${r.protocol}` : ""
        }${r.scope ? ` scope ${r.scope}` : ""}`,
      );
    }
  }
  return out.sort();
}

/**
 * Deletes host links (ignores absence).
 *
 * @param names Link names.
 */
export async function dropLinks(...names: string[]): Promise<void> {
  for (const n of names) await run("ip", ["link", "del", n]);
}
