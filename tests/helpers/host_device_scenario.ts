// deno-lint-ignore-file no-console -- prints its report on stdout
/**
 * The host-device side-by-side scenario, run inside a host sandbox by
 * `tests/host_device_root_test.ts`. The "host device" is one end of a veth pair the scenario
 * makes in the sandbox (`a0hd`, up, MTU 1400, an address), never a real interface. For each
 * implementation in turn:
 *
 * - `byName`: ADD by `device` with static IPAM, the state on both sides, CHECK, DEL, the
 *   device back in the host, DEL again.
 * - `byMac`, `byKernelPath`: ADD by `hwaddr` and by `kernelpath` (`/sys/devices/virtual`,
 *   whose first `net` entry is `a0hd` in the sandbox's own sysfs) without IPAM, then DEL.
 * - `netnsGone`: DEL after the container namespace was deleted.
 * - `nameTaken`, `ipamFails`: ADDs that fail, and where the device ends up.
 * - `errors`: bad selectors.
 *
 * @module
 */
import { scenarioInput } from "./host_sandbox.ts";
import { addrShape, callPlugin, type Impl, ipj, linkShape, routeShape } from "./sandbox_calls.ts";
import { run, sh } from "./run.ts";

interface Input {
  launchers: string;
  impls: Impl[];
  version: string;
}

const input = scenarioInput<Input>();
const NS = "c1";
const NETNS = `/run/netns/${NS}`;
const ENV = { cid: "chd1", netns: NETNS, ifName: "net1" };

function conf(extra: Record<string, unknown>) {
  return { cniVersion: input.version, name: "thd", type: "host-device", ...extra };
}

const STATIC = {
  type: "static",
  addresses: [{ address: "10.9.8.2/24", gateway: "10.9.8.1" }],
  routes: [{ dst: "0.0.0.0/0" }],
};

async function setup(): Promise<string> {
  await run("ip", ["netns", "del", NS]);
  // A deleted namespace's veth (and its peer here) goes with the namespace, a moment later.
  for (let i = 0; i < 100; i++) {
    await run("ip", ["link", "del", "a0hd"]);
    await run("ip", ["link", "del", "a0hdp"]);
    if ((await ipj("link", "show")).every((l) => !l.ifname.startsWith("a0hd"))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await sh("ip", "netns", "add", NS);
  await sh("ip", "link", "add", "a0hd", "mtu", "1400", "type", "veth", "peer", "name", "a0hdp");
  await sh("ip", "addr", "add", "10.9.9.1/24", "dev", "a0hd");
  await sh("ip", "link", "set", "a0hd", "up");
  await sh("ip", "route", "add", "10.9.10.0/24", "via", "10.9.9.254", "dev", "a0hd");
  return (await ipj("link", "show", "a0hd"))[0].address;
}

async function hostDevice() {
  const l = await ipj("-d", "link", "show");
  const dev = l.filter((x) => x.ifname === "a0hd" || x.ifalias === "a0hd");
  const addrs = dev.length ? addrShape(await ipj("addr", "show", "dev", dev[0].ifname)) : {};
  const routes = dev.length ? routeShape(await ipj("route", "show", "dev", dev[0].ifname)) : [];
  return { link: linkShape(dev), addrs, routes };
}

async function containerSide() {
  const l = await ipj("-n", NS, "-d", "link", "show");
  const dev = l.filter((x) => x.ifname !== "lo");
  const addrs = dev.length ? addrShape(await ipj("-n", NS, "addr", "show", "dev", "net1")) : {};
  const routes = routeShape(await ipj("-n", NS, "route", "show"));
  return { link: linkShape(dev), addrs, routes };
}

function call(impl: Impl, command: string, cfg: unknown, env = ENV) {
  return callPlugin(impl, "host-device", command, cfg, env, input.launchers);
}

async function byName(impl: Impl) {
  await setup();
  const c = conf({ device: "a0hd", ipam: STATIC });
  const add = await call(impl, "ADD", c);
  const out: Record<string, unknown> = { add };
  if (add.code !== 0) return out;
  const result = JSON.parse(add.stdout);
  out.host = await hostDevice();
  out.container = await containerSide();
  const withPrev = { ...c, prevResult: result };
  out.check = await call(impl, "CHECK", withPrev);
  const badMac = structuredClone(result);
  badMac.interfaces[0].mac = "02:00:00:00:00:99";
  out.checkBadMac = await call(impl, "CHECK", { ...c, prevResult: badMac });
  out.del = await call(impl, "DEL", withPrev);
  out.hostAfterDel = await hostDevice();
  out.containerAfterDel = await containerSide();
  out.delAgain = await call(impl, "DEL", withPrev);
  return out;
}

async function bySelector(impl: Impl, selector: Record<string, unknown>) {
  const mac = await setup();
  const sel = Object.fromEntries(
    Object.entries(selector).map(([k, v]) => [k, v === "<mac>" ? mac.toUpperCase() : v]),
  );
  const c = conf(sel);
  const add = await call(impl, "ADD", c);
  const out: Record<string, unknown> = { add, container: await containerSide() };
  if (add.code === 0) {
    out.del = await call(impl, "DEL", { ...c, prevResult: JSON.parse(add.stdout) });
    out.hostAfterDel = await hostDevice();
  }
  return out;
}

async function netnsGone(impl: Impl) {
  await setup();
  const c = conf({ device: "a0hd" });
  const add = await call(impl, "ADD", c);
  await sh("ip", "netns", "del", NS);
  const del = await call(impl, "DEL", c);
  return { add: add.code, del: { code: del.code, stdout: del.stdout } };
}

async function nameTaken(impl: Impl) {
  await setup();
  await sh("ip", "-n", NS, "link", "add", "net1", "type", "veth", "peer", "name", "net1p");
  const add = await call(impl, "ADD", conf({ device: "a0hd", ipam: STATIC }));
  return { add, host: await hostDevice(), container: await containerSide() };
}

async function ipamFails(impl: Impl) {
  await setup();
  const add = await call(impl, "ADD", conf({ device: "a0hd", ipam: { type: "host-local" } }));
  return { add, host: await hostDevice(), container: await containerSide() };
}

async function errors(impl: Impl) {
  await setup();
  const cases: Record<string, Record<string, unknown>> = {
    none: {},
    noSuchDevice: { device: "nosuch0" },
    relativeKernelPath: { kernelpath: "sys/x" },
    missingKernelPath: { kernelpath: "/sys/devices/nosuch" },
    missingPci: { pciBusID: "0000:99:00.0" },
    badMac: { hwaddr: "zz" },
    unknownMac: { hwaddr: "02:00:00:00:00:77" },
    unknownDeviceId: { device: "a0hd", runtimeConfig: { deviceID: "xx" } },
  };
  const out: Record<string, unknown> = {};
  for (const [k, sel] of Object.entries(cases)) {
    const r = await call(impl, "ADD", conf(sel));
    out[k] = { code: r.code, error: r.code === 0 ? r.stdout : JSON.parse(r.stdout) };
  }
  out.deviceStillHome = await hostDevice();
  return out;
}

const report: Record<string, unknown> = {};
for (const impl of input.impls) {
  report[impl] = {
    byName: await byName(impl),
    byMac: await bySelector(impl, { hwaddr: "<mac>" }),
    byKernelPath: await bySelector(impl, { kernelpath: "/sys/devices/virtual" }),
    netnsGone: await netnsGone(impl),
    nameTaken: await nameTaken(impl),
    ipamFails: await ipamFails(impl),
    errors: await errors(impl),
  };
}
console.log(JSON.stringify(report));
