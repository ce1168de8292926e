/**
 * static IPAM side by side with the reference (/usr/lib/cni/static, Debian 1.1.1): the same
 * config, `CNI_ARGS` and cniVersion through three paths — the reference binary, our exec'd
 * launcher (what `cnitool install` writes, the product's permissions) and our plugin
 * in-process (`runPlugin`, what the in-process invoker runs) — must print the same result, or
 * the same error message.
 *
 * Deliberate differences, asserted rather than hidden: our configuration errors are code 7
 * where the reference answers 999 for everything, and Go's JSON type errors are worded by us
 * (naming the field); 1.x results follow the newest reference (an empty `dns` is omitted, the
 * 1.1 route fields are kept) where 1.1.1 prints `"dns":{}` and drops them.
 *
 * No root needed: static touches no kernel state and no files.
 */
import { plugin } from "../plugins/static/mod.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { gated } from "./helpers/gate.ts";
import { REF_DIR, refMissing } from "./helpers/reference.ts";
import {
  type CniEnv,
  type ExecOut,
  execPluginBinary,
  runInProcess,
} from "./helpers/exec_plugin.ts";
import { launcherDir } from "./helpers/launchers.ts";

const REF = `${REF_DIR}/static`;
const noRef = refMissing("static");

function cniEnv(command: string, args = ""): CniEnv {
  return {
    command,
    containerId: "cstatic1",
    netns: "/run/netns/unused",
    ifName: "eth0",
    args,
    path: REF_DIR,
  };
}

function inProcess(env: CniEnv, stdin: string): Promise<ExecOut> {
  return runInProcess(plugin, env, stdin);
}

/** The three paths for one call: reference, ours exec'd, ours in-process. */
async function threeWays(command: string, config: unknown, args = "") {
  const stdin = JSON.stringify(config);
  const env = cniEnv(command, args);
  const dir = await launcherDir();
  const [ref, exec, inproc] = await Promise.all([
    execPluginBinary(REF, env, stdin),
    execPluginBinary(`${dir}/static`, env, stdin),
    inProcess(env, stdin),
  ]);
  // Our two paths print byte for byte the same thing.
  assertEquals(exec, inproc, `${command} ${stdin} ${args}`);
  return { ref, ours: inproc };
}

/** A 1.x result as the newest reference prints it: no empty `dns`. */
function newest(json: Record<string, unknown>): Record<string, unknown> {
  const out = { ...json };
  const dns = out.dns as Record<string, unknown> | undefined;
  if (String(out.cniVersion).startsWith("1.") && dns && Object.keys(dns).length === 0) {
    delete out.dns;
  }
  return out;
}

const IPAM_CASES: [string, Record<string, unknown>, string][] = [
  ["addresses with and without gateway, routes, dns", {
    type: "static",
    addresses: [{ address: "10.10.0.1/24", gateway: "10.10.0.254" }, {
      address: "3ffe:ffff:0:01ff::1/64",
    }],
    routes: [{ dst: "0.0.0.0/0" }, { dst: "10.9.0.1/16", gw: "10.10.0.1" }, { dst: "::/0" }],
    dns: { nameservers: ["8.8.8.8"], domain: "example.com", search: ["a.b"], options: ["ndots:5"] },
  }, ""],
  ["CNI_ARGS IP appended, GATEWAY only on those", {
    type: "static",
    addresses: [{ address: "10.10.0.1/24", gateway: "10.10.0.254" }],
  }, "IP=10.10.1.5/24, fd00::5/64;GATEWAY=10.10.0.1,10.10.1.1, fd00::1"],
  ["no addresses at all", { type: "static" }, ""],
  ["IPv4-mapped text prints as IPv4", {
    type: "static",
    addresses: [{ address: "::ffff:10.1.1.1/120", gateway: "::ffff:10.1.1.2" }],
  }, ""],
  ["IgnoreUnknown lets other keys through", {
    type: "static",
    addresses: [{ address: "192.0.2.9/28" }],
  }, "IgnoreUnknown=1;K8S_POD_NAME=web;MAC=c2:11:22:33:44:55"],
];

Deno.test({
  ...gated(
    "static ADD prints the reference's result at every version, exec'd and in-process alike",
    noRef,
  ),
  async fn() {
    for (const version of ["0.2.0", "0.3.1", "0.4.0", "1.0.0"]) {
      for (const [what, ipam, args] of IPAM_CASES) {
        const addresses = (ipam.addresses as unknown[] | undefined)?.length ?? 0;
        const argIps = /IP=([^;]*)/.exec(args)?.[1]?.split(",").length ?? 0;
        // Below 0.3.0 only one address per family: keep those cases to one address.
        if (version === "0.2.0" && addresses + argIps > 1 && what !== IPAM_CASES[0]![0]) continue;
        const config = { cniVersion: version, name: "statnet", type: "bridge", ipam };
        const { ref, ours } = await threeWays("ADD", config, args);
        const label = `${what} @${version}`;
        if (version === "0.2.0" && addresses + argIps === 0) {
          // Nothing to put in ip4/ip6: both fail the conversion.
          assertEquals([ref.code, ours.code], [1, 1], label);
          assertEquals(JSON.parse(ours.stdout).msg, JSON.parse(ref.stdout).msg, label);
          continue;
        }
        assertEquals([ref.code, ours.code], [0, 0], `${label}: ${ref.stdout} ${ours.stdout}`);
        assertEquals(newest(JSON.parse(ours.stdout)), newest(JSON.parse(ref.stdout)), label);
      }
    }
  },
});

const ERROR_CASES: [string, Record<string, unknown>, string, string | undefined][] = [
  ["no ipam", { cniVersion: "1.0.0", name: "statnet" }, "", "IPAM config missing 'ipam' key"],
  [
    "address not CIDR",
    {
      cniVersion: "1.0.0",
      name: "statnet",
      ipam: { addresses: [{ address: "10.10.0.1" }] },
    },
    "",
    "the 'address' field is expected to be in CIDR notation, got: '10.10.0.1'",
  ],
  [
    "CNI_ARGS IP not CIDR",
    { cniVersion: "1.0.0", name: "statnet", ipam: {} },
    "IP=10.120.3.7",
    "the 'ip' field is expected to be in CIDR notation, got: '10.120.3.7'",
  ],
  [
    "CNI_ARGS GATEWAY bad",
    { cniVersion: "1.0.0", name: "statnet", ipam: {} },
    "GATEWAY=foo",
    "invalid gateway address: foo",
  ],
  [
    "lower-case ip=",
    { cniVersion: "1.0.0", name: "statnet", ipam: {} },
    "ip=10.1.1.1/24",
    'ARGS: unknown args ["ip=10.1.1.1/24"]',
  ],
  [
    "args.cni.ips not CIDR",
    {
      cniVersion: "1.0.0",
      name: "statnet",
      ipam: {},
      args: { cni: { ips: ["10.2.2.2"] } },
    },
    "",
    "an entry in the 'ips' field is NOT in CIDR notation, got: '10.2.2.2'",
  ],
  [
    "two v4 addresses at 0.2.0",
    {
      cniVersion: "0.2.0",
      name: "statnet",
      ipam: { addresses: [{ address: "10.1.1.1/24" }, { address: "10.1.1.2/24" }] },
    },
    "",
    "CNI version 0.2.0 does not support more than 1 address per family",
  ],
  [
    "gateway not an IP",
    {
      cniVersion: "1.0.0",
      name: "statnet",
      ipam: { addresses: [{ address: "10.1.1.1/24", gateway: "foo" }] },
    },
    "",
    "invalid IP address: foo",
  ],
  [
    "route dst not CIDR",
    {
      cniVersion: "1.0.0",
      name: "statnet",
      ipam: { routes: [{ dst: "10.0.0.0" }] },
    },
    "",
    "invalid CIDR address: 10.0.0.0",
  ],
  [
    "addresses of the wrong type",
    {
      cniVersion: "1.0.0",
      name: "statnet",
      ipam: { addresses: {} },
    },
    "",
    undefined,
  ],
];

Deno.test({
  ...gated(
    "static bad config: the reference's message, code 7 (reference: 999), exec'd and in-process alike",
    noRef,
  ),
  async fn() {
    for (const [what, config, args, msg] of ERROR_CASES) {
      const { ref, ours } = await threeWays("ADD", config, args);
      assertEquals([ref.code, ours.code], [1, 1], what);
      const r = JSON.parse(ref.stdout);
      const o = JSON.parse(ours.stdout);
      assertEquals(r.code, 999, what);
      assertEquals(o.code, 7, what);
      if (msg !== undefined) {
        assertEquals([r.msg, o.msg], [msg, msg], what);
      } else {
        assert(String(r.msg).startsWith("json: cannot unmarshal"), r.msg);
        assert(String(o.msg).includes('field "ipam.addresses"'), o.msg);
      }
    }
  },
});

Deno.test({
  ...gated(
    "static CHECK and DEL answer as the reference (prevResult checks, DEL reads nothing)",
    noRef,
  ),
  async fn() {
    const ipam = { addresses: [{ address: "10.10.0.1/24", gateway: "10.10.0.254" }] };
    const base = { cniVersion: "1.0.0", name: "statnet", type: "bridge", ipam };
    const prev = (ips: unknown[]) => ({ ...base, prevResult: { cniVersion: "1.0.0", ips } });
    const cases: [unknown, number, string | undefined][] = [
      [base, 999, "Required prevResult missing"],
      [prev([{ address: "10.10.0.1/24", gateway: "10.10.0.254" }]), 0, undefined],
      [
        prev([{ address: "10.10.0.1/24" }]),
        999,
        "static: Failed to match addr 10.10.0.1 on interface eth0",
      ],
      [
        prev([{ address: "10.10.0.1/16", gateway: "10.10.0.1" }]),
        999,
        "static: Failed to match addr 10.10.0.1 on interface eth0",
      ],
      [prev([{ address: "10.10.9.1/24", gateway: "10.10.0.1" }]), 0, undefined],
    ];
    for (const [config, code, msg] of cases) {
      const { ref, ours } = await threeWays("CHECK", config);
      const label = JSON.stringify(config);
      if (code === 0) {
        assertEquals([ref.code, ref.stdout, ours.code, ours.stdout], [0, "", 0, ""], label);
        continue;
      }
      assertEquals([ref.code, ours.code], [1, 1], label);
      assertEquals(JSON.parse(ours.stdout).code, code, label);
      assertEquals([JSON.parse(ref.stdout).msg, JSON.parse(ours.stdout).msg], [msg, msg], label);
    }
    // DEL: success whatever the ipam section or CNI_ARGS say; bad JSON is still code 6.
    for (
      const [config, args] of [
        [{ cniVersion: "1.0.0", name: "statnet" }, "nonsense"],
        [{ ...base, ipam: { addresses: [{ address: "x" }] } }, ""],
      ] as const
    ) {
      const { ref, ours } = await threeWays("DEL", config, args);
      assertEquals([ref.code, ref.stdout, ours.code, ours.stdout], [0, "", 0, ""]);
    }
    const dir = await launcherDir();
    for (const bin of [REF, `${dir}/static`]) {
      const out = await execPluginBinary(bin, cniEnv("DEL"), "x");
      assertEquals([out.code, JSON.parse(out.stdout).code], [1, 6], bin);
    }
  },
});

Deno.test({
  name: "static keeps the 1.1 route fields and prints a 1.1.0 result for a 1.1.0 config",
  async fn() {
    const config = {
      cniVersion: "1.1.0",
      name: "statnet",
      type: "bridge",
      ipam: {
        addresses: [{ address: "10.10.0.1/24" }],
        routes: [{ dst: "10.9.0.0/16", gw: "10.10.0.1", mtu: 1400, priority: 5, table: 100 }],
      },
    };
    const out = await inProcess(cniEnv("ADD"), JSON.stringify(config));
    assertEquals(out.code, 0, out.stdout);
    assertEquals(JSON.parse(out.stdout), {
      cniVersion: "1.1.0",
      ips: [{ address: "10.10.0.1/24" }],
      routes: [{ dst: "10.9.0.0/16", gw: "10.10.0.1", mtu: 1400, priority: 5, table: 100 }],
    });
  },
});
