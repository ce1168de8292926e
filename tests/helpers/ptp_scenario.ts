// deno-lint-ignore-file no-console no-explicit-any -- prints its report; reads ip -j loosely
/**
 * The ptp side-by-side scenario, run inside a host sandbox by `tests/ptp_root_test.ts`:
 *
 * - `attach`: for each implementation in turn, the same attachment (same network, container
 *   ID, namespace path, subnets, fresh lease store): ADD, the kernel state of both sides, the
 *   masquerade rules, CHECK, DEL, what is left, DEL again, DEL with the namespace gone.
 * - `traffic`: ours and the reference's attachments side by side on two subnets, pinging
 *   each other and their gateways, then DEL.
 * - `rollback`: an ADD that fails after IPAM (the container already has `eth0`) leaves no
 *   lease, link or rule.
 *
 * Prints one JSON report; the test compares ours with the reference's.
 *
 * @module
 */
import { scenarioInput } from "./host_sandbox.ts";
import {
  addrShape,
  callPlugin,
  type Impl,
  ipj,
  leaseFiles,
  linkShape,
  natLines,
  routeShape,
} from "./sandbox_calls.ts";
import { run, sh } from "./run.ts";

interface Input {
  launchers: string;
  impls: Impl[];
  version: string;
}

const input = scenarioInput<Input>();
const report: Record<string, unknown> = {};

function conf(name: string, v4: string, v6: string | undefined, dataDir: string) {
  const ranges: unknown[] = [[{ subnet: v4 }]];
  const routes: unknown[] = [{ dst: "0.0.0.0/0" }];
  if (v6) {
    ranges.push([{ subnet: v6 }]);
    routes.push({ dst: "::/0" });
  }
  return {
    cniVersion: input.version,
    name,
    type: "ptp",
    ipMasq: true,
    mtu: 1400,
    dns: { nameservers: ["10.120.5.53"], search: ["ptp.test"] },
    ipam: { type: "host-local", dataDir, ranges, routes },
  };
}

async function sysctl(key: string, ns?: string): Promise<string> {
  const args = ns ? ["netns", "exec", ns, "sysctl", "-n", key] : ["-n", key];
  const out = await run(ns ? "ip" : "sysctl", args);
  return out.code === 0 ? out.stdout.trim() : `error: ${out.stderr.trim()}`;
}

async function hostVeths(): Promise<string[]> {
  return (await ipj("-d", "link", "show", "type", "veth")).map((l) => l.ifname);
}

async function stateOf(hostVeth: string, ns: string, ifName: string) {
  const [hl, ha, hr4, hr6, cl, ca, cr4, cr6] = await Promise.all([
    ipj("-d", "link", "show", "dev", hostVeth),
    ipj("addr", "show", "dev", hostVeth),
    ipj("route", "show", "dev", hostVeth),
    ipj("-6", "route", "show", "dev", hostVeth),
    ipj("-n", ns, "-d", "link", "show", "dev", ifName),
    ipj("-n", ns, "addr", "show", "dev", ifName),
    ipj("-n", ns, "route", "show"),
    ipj("-n", ns, "-6", "route", "show"),
  ]);
  return {
    host: {
      link: linkShape(hl),
      addrs: addrShape(ha),
      routes: routeShape([...hr4, ...hr6]),
      forwarding: [
        await sysctl("net.ipv4.ip_forward"),
        await sysctl("net.ipv6.conf.all.forwarding"),
      ],
      acceptRa: await sysctl(`net.ipv6.conf.${hostVeth}.accept_ra`),
    },
    container: {
      link: linkShape(cl),
      addrs: addrShape(ca),
      routes: routeShape([...cr4, ...cr6]),
      keepAddrOnDown: await sysctl(`net.ipv6.conf.${ifName}.keep_addr_on_down`, ns),
    },
  };
}

async function attach(impl: Impl) {
  const ns = "c1";
  const netns = `/run/netns/${ns}`;
  await sh("ip", "netns", "add", ns);
  const dataDir = `/run/hl-${impl}`;
  const c = conf("tptp", "10.120.5.0/24", "fd00:120:5::/64", dataDir);
  const env = { cid: "cptp1", netns, ifName: "eth0" };
  const call = (command: string, cfg: unknown, e = env) =>
    callPlugin(impl, "ptp", command, cfg, e, input.launchers);
  const add = await call("ADD", c);
  const out: Record<string, unknown> = { add };
  if (add.code === 0) {
    const result = JSON.parse(add.stdout);
    const hostVeth = result.interfaces[0].name;
    out.state = await stateOf(hostVeth, ns, "eth0");
    out.nat = await natLines("tptp");
    out.leases = leaseFiles(dataDir);
    const withPrev = { ...c, prevResult: result };
    out.check = await call("CHECK", withPrev);
    const other = structuredClone(result);
    other.interfaces[1].sandbox = "/run/netns/other";
    const badMac = structuredClone(result);
    badMac.interfaces[1].mac = "02:00:00:00:00:99";
    const badRoute = structuredClone(result);
    badRoute.routes.push({ dst: "192.0.2.0/24", gw: "10.120.5.1" });
    out.checkBad = {
      noPrevResult: await call("CHECK", c),
      otherSandbox: await call("CHECK", { ...c, prevResult: other }),
      otherMac: await call("CHECK", { ...c, prevResult: badMac }),
      missingRoute: await call("CHECK", { ...c, prevResult: badRoute }),
    };
    out.del = await call("DEL", withPrev);
    out.afterDel = {
      hostVeths: await hostVeths(),
      containerLinks: (await ipj("-n", ns, "link", "show")).map((l) => l.ifname),
      nat: await natLines("tptp"),
      leases: leaseFiles(dataDir),
      hostRoutes: routeShape(await ipj("route", "show")),
    };
    out.delAgain = await call("DEL", withPrev);
    await sh("ip", "netns", "del", ns);
    out.delNetnsGone = await call("DEL", withPrev);
  } else {
    await run("ip", ["netns", "del", ns]);
  }
  return out;
}

async function ping(ns: string, addr: string): Promise<boolean> {
  for (let i = 0; i < 3; i++) {
    const out = await run("ip", ["netns", "exec", ns, "busybox", "ping", "-c1", "-W2", addr]);
    if (out.code === 0) return true;
  }
  return false;
}

async function traffic() {
  const sides = [
    { impl: "exec" as Impl, ns: "to", name: "tptpo", v4: "10.120.7.0/24" },
    { impl: "ref" as Impl, ns: "tr", name: "tptpr", v4: "10.120.8.0/24" },
  ];
  const made: { ns: string; c: unknown; env: any; impl: Impl; ip: string; gw: string }[] = [];
  const out: Record<string, unknown> = {};
  for (const s of sides) {
    await sh("ip", "netns", "add", s.ns);
    const c = conf(s.name, s.v4, undefined, `/run/hl-${s.name}`);
    const env = { cid: `c${s.name}`, netns: `/run/netns/${s.ns}`, ifName: "eth0" };
    const add = await callPlugin(s.impl, "ptp", "ADD", c, env, input.launchers);
    if (add.code !== 0) {
      out[`add-${s.impl}`] = add;
      continue;
    }
    const r = JSON.parse(add.stdout);
    made.push({
      ns: s.ns,
      c: { ...c, prevResult: r },
      env,
      impl: s.impl,
      ip: r.ips[0].address.split("/")[0],
      gw: r.ips[0].gateway,
    });
  }
  if (made.length === 2) {
    const [o, r] = made as [typeof made[0], typeof made[0]];
    out.pings = {
      oursToGateway: await ping(o.ns, o.gw),
      refToGateway: await ping(r.ns, r.gw),
      oursToRef: await ping(o.ns, r.ip),
      refToOurs: await ping(r.ns, o.ip),
    };
  }
  for (const m of made) {
    out[`del-${m.impl}`] = (await callPlugin(m.impl, "ptp", "DEL", m.c, m.env, input.launchers))
      .code;
    await run("ip", ["netns", "del", m.ns]);
  }
  out.left = { hostVeths: await hostVeths(), nat: await natLines("tptp") };
  return out;
}

async function rollback(impl: Impl) {
  await sh("ip", "netns", "add", "rb");
  await sh("ip", "-n", "rb", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p");
  const dataDir = `/run/hl-rb-${impl}`;
  const c = conf("tptprb", "10.120.9.0/24", undefined, dataDir);
  const add = await callPlugin(impl, "ptp", "ADD", c, {
    cid: "crb",
    netns: "/run/netns/rb",
    ifName: "eth0",
  }, input.launchers);
  const out = {
    add,
    leases: leaseFiles(dataDir),
    hostVeths: await hostVeths(),
    nat: await natLines("tptprb"),
    containerLinks: (await ipj("-n", "rb", "link", "show")).map((l) => l.ifname).sort(),
  };
  await run("ip", ["netns", "del", "rb"]);
  return out;
}

/** Bad input: the same code and message from both (nothing is made, so no state to compare). */
async function errors(impl: Impl) {
  await sh("ip", "netns", "add", "er");
  const env = { cid: "cer", netns: "/run/netns/er", ifName: "eth0" };
  const good = conf("tptper", "10.120.10.0/24", undefined, `/run/hl-er-${impl}`);
  const { ipam: _ipam, ...noIpam } = good;
  const cases: [string, string, unknown, typeof env][] = [
    ["no ipam", "ADD", noIpam, env],
    ["netns missing", "ADD", good, { ...env, netns: "/run/netns/nosuch" }],
    ["DEL without the netns", "DEL", good, { ...env, netns: "" }],
  ];
  const out: Record<string, unknown> = {};
  for (const [title, command, cfg, e] of cases) {
    const r = await callPlugin(impl, "ptp", command, cfg, e, input.launchers);
    out[title] = { code: r.code, stdout: r.code === 0 ? r.stdout : JSON.parse(r.stdout) };
  }
  await run("ip", ["netns", "del", "er"]);
  return out;
}

for (const impl of input.impls) report[`attach-${impl}`] = await attach(impl);
for (const impl of input.impls) report[`errors-${impl}`] = await errors(impl);
report.traffic = await traffic();
for (const impl of input.impls) report[`rollback-${impl}`] = await rollback(impl);
console.log(JSON.stringify(report));
