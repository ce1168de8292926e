// The loopback plugin in-process, in throwaway namespaces, with `ip -j` as the oracle and the
// reference binary (/usr/lib/cni/loopback, Debian 1.1.1) side by side on a second namespace.
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  IS_ROOT,
} from "./helpers/assert.ts";
import { CniError } from "../cni/errors.ts";
import type { CmdArgs, Delegate, PluginContext } from "../cni/plugin.ts";
import { type CniCommand, type NetConf, SUPPORTED_VERSIONS } from "../cni/types.ts";
import { convertResult } from "../cni/results/mod.ts";
import { currentNetnsInode, netnsAdd, netnsDelete, netnsList, withNetns } from "../netns/mod.ts";
import { plugin } from "../plugins/loopback/mod.ts";
import { runPlugin } from "../cni/skel.ts";
import { execReference, stdoutJson } from "./helpers/exec_plugin.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { REF_DIR, refMissing } from "./helpers/reference.ts";
import { shSync } from "./helpers/run.ts";

const noRef = refMissing("loopback");
const HOST_INODE = IS_ROOT ? currentNetnsInode() : 0;

function refuse(): Promise<never> {
  return Promise.reject(new Error("loopback must not delegate"));
}

const NO_DELEGATE: Delegate = { add: refuse, check: refuse, del: refuse };
const CTX: PluginContext = { delegate: NO_DELEGATE, env: {}, log: () => {} };

function conf(extra: Record<string, unknown> = {}, cniVersion = "1.0.0"): NetConf {
  return { cniVersion, name: "lo-test", type: "loopback", ...extra };
}

function cmdArgs(
  command: CniCommand,
  netns: string,
  config: NetConf = conf(),
  extra: Partial<CmdArgs> = {},
): CmdArgs {
  return {
    command,
    containerId: "ctr-loopback-1",
    netns,
    ifName: "eth0",
    args: "",
    path: REF_DIR,
    stdinData: new TextEncoder().encode(JSON.stringify(config)),
    config,
    ...extra,
  };
}

function uniqueName(): string {
  return `dclo-${crypto.randomUUID().slice(0, 8)}`;
}

interface IpAddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  scope: string;
}
interface IpLink {
  ifname: string;
  flags: string[];
  operstate: string;
  "addr_info"?: IpAddrInfo[];
}

/** `ip -j -n NS addr show lo`, reduced to what the plugin decides. */
function loState(ns: string): { flags: string[]; addrs: string[] } {
  const [lo] = JSON.parse(shSync("ip", "-j", "-n", ns, "addr", "show", "lo")) as IpLink[];
  assert(lo, `no lo in ${ns}`);
  return {
    flags: [...lo.flags].sort(),
    addrs: (lo["addr_info"] ?? []).map((a) => `${a.local}/${a.prefixlen} ${a.scope}`),
  };
}

function hostLoFlags(): string[] {
  const [lo] = JSON.parse(shSync("ip", "-j", "link", "show", "lo")) as IpLink[];
  return [...lo!.flags].sort();
}

/**
 * Debian 1.1.1 (cni library 1.1.2) prints `"dns": {}` in 1.0.0 results; the newest library's
 * `types100.Result.MarshalJSON` drops an empty `dns`, and we follow the newest.
 */
function dropEmptyDns(json: Record<string, unknown> | null): Record<string, unknown> | null {
  if (json === null) return null;
  const { dns, ...rest } = json;
  return dns && typeof dns === "object" && Object.keys(dns).length === 0 ? rest : json;
}

/** Runs the reference binary; returns its exit code and parsed stdout (or null when empty). */
async function reference(
  command: CniCommand,
  netns: string,
  config: NetConf,
): Promise<{ code: number; json: Record<string, unknown> | null; stderr: string }> {
  const out = await execReference("loopback", {
    command,
    containerId: "ctr-loopback-1",
    netns,
    ifName: "eth0",
  }, config);
  return {
    code: out.code,
    json: out.stdout.trim() === "" ? null : stdoutJson(out),
    stderr: out.stderr,
  };
}

/** A privileged test with throwaway namespaces, the host left as it was. */
function rootTest(
  name: string,
  fn: (ours: string, theirs: string, names: [string, string]) => Promise<void>,
  opts: { reference?: boolean } = {},
): void {
  Deno.test(gated(name, NEEDS_ROOT, opts.reference === true && noRef), async () => {
    const hostFlags = hostLoFlags();
    const names: [string, string] = [uniqueName(), uniqueName()];
    try {
      const ours = netnsAdd(names[0]);
      const theirs = netnsAdd(names[1]);
      await fn(ours, theirs, names);
    } finally {
      for (const n of names) {
        try {
          netnsDelete(n);
        } catch {
          // not created
        }
      }
      assertEquals(currentNetnsInode(), HOST_INODE, "test process namespace unchanged");
      assertEquals(hostLoFlags(), hostFlags, "host lo untouched");
    }
  });
}

rootTest(
  "loopback ADD brings lo up and reports it as the reference does",
  async (ours, theirs, [a, b]) => {
    assertEquals(loState(a).flags.includes("UP"), false);
    const result = await plugin.add(cmdArgs("ADD", ours), CTX);
    assertEquals(result, {
      cniVersion: "1.1.0",
      interfaces: [{ name: "lo", mac: "00:00:00:00:00:00", sandbox: ours }],
      ips: [{ interface: 0, address: "127.0.0.1/8" }, { interface: 0, address: "::1/128" }],
    });
    assertEquals(loState(a), {
      flags: ["LOOPBACK", "LOWER_UP", "UP"],
      addrs: ["127.0.0.1/8 host", "::1/128 host"],
    });

    // The reference on the second namespace: same JSON (in 1.0.0) and the same kernel state.
    const ref = await reference("ADD", theirs, conf());
    assertEquals(ref.code, 0, ref.stderr);
    const mine = convertResult(result, "1.0.0");
    assertEquals(
      JSON.parse(JSON.stringify(mine).replaceAll(ours, "NETNS")),
      JSON.parse(JSON.stringify(dropEmptyDns(ref.json)).replaceAll(theirs, "NETNS")),
    );
    assertEquals(loState(a), loState(b));
  },
  { reference: true },
);

rootTest(
  "loopback ADD with IPv6 disabled reports only 127.0.0.1/8, as the reference",
  async (ours, theirs, [a, b]) => {
    for (const n of [a, b]) {
      shSync("ip", "netns", "exec", n, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
    }
    const result = await plugin.add(cmdArgs("ADD", ours), CTX);
    assertEquals(result.ips, [{ interface: 0, address: "127.0.0.1/8" }]);
    assertEquals(loState(a).addrs, ["127.0.0.1/8 host"]);
    const ref = await reference("ADD", theirs, conf());
    assertEquals(ref.code, 0, ref.stderr);
    assertEquals((ref.json as { ips: unknown }).ips, [{ interface: 0, address: "127.0.0.1/8" }]);
    assertEquals(loState(a), loState(b));
  },
  { reference: true },
);

rootTest("loopback ADD passes prevResult through unchanged", async (ours, theirs, [a, b]) => {
  const prevResult = {
    cniVersion: "1.0.0",
    interfaces: [{ name: "eth0", mac: "aa:bb:cc:dd:ee:ff", sandbox: "/run/netns/other" }],
    ips: [{ interface: 0, address: "10.1.2.3/24", gateway: "10.1.2.1" }],
    routes: [{ dst: "0.0.0.0/0", gw: "10.1.2.1" }],
    dns: { nameservers: ["10.1.2.1"] },
  };
  const config = conf({ prevResult });
  const result = await plugin.add(cmdArgs("ADD", ours, config), CTX);
  assertEquals(convertResult(result, "1.0.0"), prevResult);
  assert(loState(a).flags.includes("UP"), "lo is still brought up");
  const ref = await reference("ADD", theirs, config);
  assertEquals(ref.code, 0, ref.stderr);
  assertEquals(ref.json, prevResult);
  assertEquals(loState(a), loState(b));
}, { reference: true });

rootTest("loopback ADD hands a 0.3.1 prevResult on in its own shape", async (ours) => {
  const prevResult = {
    cniVersion: "0.3.1",
    ips: [{ version: "4", address: "10.1.2.3/24" }],
  };
  const config = conf({ prevResult }, "0.3.1");
  const result = await plugin.add(cmdArgs("ADD", ours, config), CTX);
  assertEquals(result, prevResult as unknown);
  assertEquals(convertResult(result, "0.3.1"), { ...prevResult, dns: {} });
});

/** Runs our loopback through skel, as the exec'd binary does. */
async function ourSkel(command: CniCommand, netns: string, config: NetConf) {
  const out = await runPlugin(plugin, {
    env: {
      CNI_COMMAND: command,
      CNI_CONTAINERID: "ctr-loopback-1",
      CNI_NETNS: netns,
      CNI_IFNAME: "eth0",
      CNI_PATH: REF_DIR,
    },
    stdin: new TextEncoder().encode(JSON.stringify(config)),
  });
  const text = out.stdout.trim();
  return { code: out.exitCode, json: text === "" ? null : JSON.parse(text) };
}

// A bridge result in every version, as libcni hands it to the next plugin of a chain.
const PREV_RESULTS: [string, Record<string, unknown>][] = [
  ["0.1.0", {
    cniVersion: "0.1.0",
    ip4: { ip: "10.1.2.3/24", gateway: "10.1.2.1", routes: [{ dst: "0.0.0.0/0" }] },
    ip6: { ip: "fd00:1::3/64", gateway: "fd00:1::1" },
    dns: {},
  }],
  ["0.2.0", {
    cniVersion: "0.2.0",
    ip4: { ip: "10.1.2.3/24", gateway: "10.1.2.1", routes: [{ dst: "0.0.0.0/0" }] },
    dns: { nameservers: ["10.1.2.1"] },
  }],
  ["0.2.0", { ip4: { ip: "10.1.2.3/24" }, dns: {} }], // no cniVersion: the config's
  ["0.3.0", {
    cniVersion: "0.3.0",
    interfaces: [{ name: "eth0", mac: "aa:bb:cc:dd:ee:ff", sandbox: "/run/netns/x" }],
    ips: [{ version: "4", interface: 0, address: "10.1.2.3/24", gateway: "10.1.2.1" }],
    routes: [{ dst: "0.0.0.0/0" }],
    dns: {},
  }],
  ["0.4.0", {
    cniVersion: "0.3.1", // same family as the config's: kept, relabelled on output
    ips: [{ version: "4", address: "10.1.2.3/24" }, { version: "6", address: "fd00::3/64" }],
    dns: {},
  }],
  ["1.0.0", {
    cniVersion: "1.0.0",
    interfaces: [{ name: "eth0", mac: "aa:bb:cc:dd:ee:ff", sandbox: "/run/netns/x" }],
    ips: [{ interface: 0, address: "10.1.2.3/24", gateway: "10.1.2.1" }],
    routes: [{ dst: "0.0.0.0/0", gw: "10.1.2.1" }],
  }],
];

rootTest(
  "loopback ADD through skel hands the prevResult on as the reference, in every version",
  async (ours, theirs) => {
    for (const [version, prevResult] of PREV_RESULTS) {
      const config = conf({ prevResult }, version);
      const mine = await ourSkel("ADD", ours, config);
      const ref = await reference("ADD", theirs, config);
      assertEquals(ref.code, 0, ref.stderr);
      const expected = version.startsWith("1.") ? dropEmptyDns(ref.json) : ref.json;
      assertEquals(mine, { code: 0, json: expected }, `config ${version}`);
      assertEquals(mine.json.cniVersion, version);
    }
  },
  { reference: true },
);

rootTest(
  "loopback ADD refuses a prevResult of another version family, as the reference",
  async (ours, theirs, [a]) => {
    const config = conf({
      prevResult: { cniVersion: "0.4.0", ips: [{ version: "4", address: "10.1.2.3/24" }] },
    }, "1.0.0");
    const mine = await ourSkel("ADD", ours, config);
    assertEquals(mine, {
      code: 1,
      json: {
        cniVersion: "1.0.0",
        code: 999,
        msg: "failed to parse prevResult: could not parse prevResult: result type supports " +
          '[1.0.0 1.1.0] but unmarshalled CNIVersion is "0.4.0"',
      },
    });
    assertEquals(loState(a).flags.includes("UP"), false);
    const ref = await reference("ADD", theirs, config);
    assertEquals(ref.code, 1);
    // Debian's Go library (cni 1.1.2) knows 1.0.0 only in that family.
    assertEquals(ref.json, {
      code: 999,
      msg: "failed to parse prevResult: could not parse prevResult: result type supports " +
        '[1.0.0] but unmarshalled CNIVersion is "0.4.0"',
    });
  },
  { reference: true },
);

rootTest(
  "loopback ADD refuses a lo with a non-loopback address, as the reference",
  async (ours, theirs, [a, b]) => {
    for (const n of [a, b]) shSync("ip", "-n", n, "addr", "add", "10.9.8.7/32", "dev", "lo");
    const err = await assertRejects(() => plugin.add(cmdArgs("ADD", ours), CTX), CniError);
    assertEquals(err.toJSON(), {
      code: 999,
      msg: 'loopback interface found with non-loopback address "10.9.8.7"',
    });
    const ref = await reference("ADD", theirs, conf());
    assertEquals(ref.code, 1);
    assertEquals(ref.json, {
      code: 999,
      msg: 'loopback interface found with non-loopback address "10.9.8.7"',
    });
  },
  { reference: true },
);

rootTest(
  "loopback ADD with a malformed prevResult fails with code 999 and sets nothing",
  async (ours, _t, [a]) => {
    const config = conf({ prevResult: { ips: [{ address: "not-an-ip" }] } });
    const err = await assertRejects(() => plugin.add(cmdArgs("ADD", ours, config), CTX), CniError);
    assertEquals(err.code, 999);
    assertStringIncludes(err.msg, "failed to parse prevResult: ");
    assertEquals(loState(a).flags.includes("UP"), false);
  },
);

rootTest(
  "loopback DEL brings lo down, is idempotent, and matches the reference",
  async (ours, theirs, [a, b]) => {
    await plugin.add(cmdArgs("ADD", ours), CTX);
    await plugin.del(cmdArgs("DEL", ours), CTX);
    assertEquals(loState(a).flags.includes("UP"), false);
    await plugin.del(cmdArgs("DEL", ours), CTX);
    assertEquals(loState(a).flags.includes("UP"), false);
    assertEquals((await reference("ADD", theirs, conf())).code, 0);
    const ref = await reference("DEL", theirs, conf());
    assertEquals([ref.code, ref.json], [0, null]);
    assertEquals(loState(a), loState(b));
  },
  { reference: true },
);

rootTest("loopback DEL succeeds when the namespace is gone or not given", async (ours, _t, [a]) => {
  await plugin.add(cmdArgs("ADD", ours), CTX);
  netnsDelete(a);
  assert(!netnsList().includes(a));
  await plugin.del(cmdArgs("DEL", ours), CTX);
  await plugin.del(cmdArgs("DEL", ""), CTX);
  await plugin.del(cmdArgs("DEL", "/proc/999999999/ns/net"), CTX);
});

// The "own namespace" cases run with the test thread switched into a throwaway namespace (the
// plugin's work is synchronous inside its verb), so a regression could only touch that one.

/**
 * Starts a loopback verb with the thread in `ns`. The verbs do all their namespace work before
 * they return their promise, so only the start needs the switch; `withNetns` itself takes no
 * promise-returning function, hence the promise kept outside it.
 */
function startIn<R>(ns: string, start: () => Promise<R>): Promise<R> {
  let started: Promise<R> | undefined;
  withNetns(ns, () => {
    started = start();
  });
  return started!;
}
rootTest(
  "loopback DEL and ADD refuse the plugin's own namespace before acting",
  async (ours, _t, [a]) => {
    await plugin.add(cmdArgs("ADD", ours), CTX);
    // Only paths that name the throwaway namespace here: never /proc/self/ns/net, which under
    // `deno test` is the main thread's (the host's) namespace, not the switched JS thread's.
    for (const path of ["/proc/thread-self/ns/net", ours]) {
      const del = startIn(ours, () => plugin.del(cmdArgs("DEL", path), CTX));
      const err = await assertRejects(() => del, CniError);
      assertEquals(err.toJSON(), {
        code: 8,
        msg: "plugin's netns and netns from CNI_NETNS should not be the same",
      });
      const add = startIn(ours, () => plugin.add(cmdArgs("ADD", path), CTX));
      assertEquals((await assertRejects(() => add, CniError)).code, 8);
    }
    assertEquals(loState(a).flags, ["LOOPBACK", "LOWER_UP", "UP"], "lo was not taken down");
  },
);

rootTest(
  "loopback DEL with CNI_NETNS_OVERRIDE acts on the own namespace",
  async (ours, _t, [a]) => {
    await plugin.add(cmdArgs("ADD", ours), CTX);
    const args = cmdArgs("DEL", "/proc/thread-self/ns/net", conf(), { netnsOverride: "True" });
    await startIn(ours, () => plugin.del(args, CTX));
    assertEquals(loState(a).flags, ["LOOPBACK"]);
    const addArgs = cmdArgs("ADD", "/proc/thread-self/ns/net", conf(), { netnsOverride: "1" });
    const result = await startIn(ours, () => plugin.add(addArgs, CTX));
    assertEquals(result.interfaces, [
      { name: "lo", mac: "00:00:00:00:00:00", sandbox: "/proc/thread-self/ns/net" },
    ]);
    assertEquals(loState(a).flags, ["LOOPBACK", "LOWER_UP", "UP"]);
  },
);

rootTest(
  "loopback CHECK passes when lo is up and fails as the reference when it is down",
  async (ours, theirs, [a, b]) => {
    await plugin.add(cmdArgs("ADD", ours), CTX);
    await plugin.check(cmdArgs("CHECK", ours), CTX);
    shSync("ip", "-n", a, "link", "set", "lo", "down");
    const err = await assertRejects(() => plugin.check(cmdArgs("CHECK", ours), CTX), CniError);
    assertEquals(err.toJSON(), { code: 999, msg: "loopback interface is down" });
    assertEquals((await reference("ADD", theirs, conf())).code, 0);
    assertEquals((await reference("CHECK", theirs, conf())).code, 0);
    shSync("ip", "-n", b, "link", "set", "lo", "down");
    const ref = await reference("CHECK", theirs, conf());
    assertEquals([ref.code, ref.json], [1, { code: 999, msg: "loopback interface is down" }]);
    assertEquals(loState(a), loState(b));
  },
  { reference: true },
);

rootTest("loopback CHECK of a missing namespace fails naming it", async (ours, _t, [a]) => {
  netnsDelete(a);
  const err = await assertRejects(() => plugin.check(cmdArgs("CHECK", ours), CTX), CniError);
  assertEquals(err.toJSON(), {
    code: 999,
    msg: `network namespace "${ours}" does not exist`,
  });
});

Deno.test("loopback STATUS and GC succeed with no output; VERSION lists every version", async () => {
  await plugin.status!(cmdArgs("STATUS", "", conf({}, "1.1.0")), CTX);
  await plugin.gc!(cmdArgs("GC", "", conf({}, "1.1.0")), CTX);
  assertEquals(plugin.supportedVersions, SUPPORTED_VERSIONS);
});

const LOOPBACK_OPTIONAL = [
  "capabilities",
  "ipam",
  "dns",
  "args",
  "runtimeConfig",
  "prevResult",
  "disableCheck",
];

rootTest(
  "loopback through skel: JSON null is absent in every optional field, as the reference",
  async (ours, theirs) => {
    const nulls = Object.fromEntries(LOOPBACK_OPTIONAL.map((k) => [k, null]));
    const config = conf(nulls);
    const env = (netns: string) => ({
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: "ctr-loopback-1",
      CNI_NETNS: netns,
      CNI_IFNAME: "eth0",
      CNI_PATH: REF_DIR,
    });
    const stdin = new TextEncoder().encode(JSON.stringify(config));
    const out = await runPlugin(plugin, { env: env(ours), stdin });
    assertEquals([out.exitCode, out.stdout.includes('"code"')], [0, false], out.stdout);
    const theirsOut = await reference("ADD", theirs, config);
    assertEquals(theirsOut.code, 0, theirsOut.stderr);
    assertEquals(
      dropEmptyDns(JSON.parse(out.stdout)),
      dropEmptyDns(JSON.parse(JSON.stringify(theirsOut.json).replaceAll(theirs, ours))),
    );
  },
  { reference: true },
);

rootTest(
  "loopback DEL is best effort: a path that is no namespace, an unusable prevResult",
  async (ours, _theirs, [a]) => {
    const file = await Deno.makeTempFile({ prefix: "dclo-notns-" });
    try {
      // a regular file, and a namespace of another kind: nothing of ours is there
      await plugin.del(cmdArgs("DEL", file), CTX);
      await plugin.del(cmdArgs("DEL", "/proc/self/ns/uts"), CTX);
    } finally {
      await Deno.remove(file);
    }
    shSync("ip", "-n", a, "link", "set", "lo", "up");
    const out = await runPlugin(plugin, {
      env: {
        CNI_COMMAND: "DEL",
        CNI_CONTAINERID: "ctr-loopback-1",
        CNI_NETNS: ours,
        CNI_IFNAME: "eth0",
        CNI_PATH: REF_DIR,
      },
      stdin: new TextEncoder().encode(
        JSON.stringify(conf({ prevResult: { ips: [{ address: "garbage" }] } })),
      ),
    });
    assertEquals(out, { stdout: "", stderr: "", exitCode: 0 });
    assertEquals(loState(a).flags.includes("UP"), false);
  },
);
