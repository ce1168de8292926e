// deno-lint-ignore-file no-console -- prints its report on stdout
/**
 * The sbr side-by-side scenario, run inside a host sandbox by `tests/sbr_root_test.ts`. Each
 * attachment is made by our ptp (exec'd), the same way for every implementation, in a
 * container that already has a rule on table 100 (so the first free table is 101); then sbr
 * runs on it:
 *
 * - `chain`: ADD (dual stack: an IPv4 and an IPv6 table), the rules and every table's routes,
 *   CHECK, DEL, DEL again, then ptp's DEL and sbr's DEL with the namespace gone.
 * - `table`, `hints`: the newest reference's `table` and `addSourceHints`/`gateways` (ours
 *   only: 1.1.1 does not know them); `unreachableGateway`: an ADD that fails half-way (the
 *   v4 rule is in, its default route is refused) and must leave the namespace as it was.
 * - `errors`: no prevResult, no addresses.
 *
 * @module
 */
import { scenarioInput } from "./host_sandbox.ts";
import { callPlugin, type Impl, ipj, routeShape } from "./sandbox_calls.ts";
import { run, sh } from "./run.ts";

interface Input {
  launchers: string;
  impls: Impl[];
  version: string;
}

const input = scenarioInput<Input>();
const NS = "c1";
const ENV = { cid: "csbr", netns: `/run/netns/${NS}`, ifName: "eth0" };

async function rules(): Promise<string[]> {
  const out: string[] = [];
  for (const fam of ["-4", "-6"]) {
    for (const r of await ipj("-n", NS, fam, "rule", "show")) {
      out.push(`${r.priority}: from ${r.src}${r.srclen ? `/${r.srclen}` : ""} lookup ${r.table}`);
    }
  }
  return out;
}

async function routes(): Promise<string[]> {
  const all = [
    ...await ipj("-n", NS, "-4", "route", "show", "table", "all"),
    ...await ipj("-n", NS, "-6", "route", "show", "table", "all"),
  ];
  return routeShape(all.filter((r) => r.table !== "local"));
}

async function attach(ranges: unknown[], routesCfg: unknown[]) {
  await run("ip", ["netns", "del", NS]);
  await sh("ip", "netns", "add", NS);
  await sh("ip", "-n", NS, "rule", "add", "from", "192.0.2.9", "table", "100");
  const ptp = {
    cniVersion: input.version,
    name: "tsbr",
    type: "ptp",
    ipam: {
      type: "host-local",
      dataDir: `/run/hl-${crypto.randomUUID()}`,
      ranges,
      routes: routesCfg,
    },
  };
  const add = await callPlugin("exec", "ptp", "ADD", ptp, ENV, input.launchers);
  if (add.code !== 0) throw new Error(`ptp ADD: ${add.stdout}${add.stderr}`);
  return { ptp, prev: JSON.parse(add.stdout) };
}

const DUAL = [[{ subnet: "10.121.5.0/24" }], [{ subnet: "fd00:121:5::/64" }]];
const DEFAULTS = [{ dst: "0.0.0.0/0" }, { dst: "::/0" }];

async function chain(impl: Impl) {
  const { ptp, prev } = await attach(DUAL, DEFAULTS);
  const sbr = { cniVersion: input.version, name: "tsbr", type: "sbr", prevResult: prev };
  const call = (command: string, cfg: unknown = sbr) =>
    callPlugin(impl, "sbr", command, cfg, ENV, input.launchers);
  const out: Record<string, unknown> = { before: { rules: await rules(), routes: await routes() } };
  out.add = await call("ADD");
  out.after = { rules: await rules(), routes: await routes() };
  out.check = await call("CHECK");
  out.del = await call("DEL");
  out.afterDel = { rules: await rules(), routes: await routes() };
  out.delAgain = await call("DEL");
  await callPlugin("exec", "ptp", "DEL", { ...ptp, prevResult: prev }, ENV, input.launchers);
  await sh("ip", "netns", "del", NS);
  out.delNetnsGone = await call("DEL");
  return out;
}

async function ours(extra: Record<string, unknown>, impl: Impl) {
  const { ptp, prev } = await attach(DUAL, DEFAULTS);
  const before = { rules: await rules(), routes: await routes() };
  const sbr = { cniVersion: input.version, name: "tsbr", type: "sbr", prevResult: prev, ...extra };
  const add = await callPlugin(impl, "sbr", "ADD", sbr, ENV, input.launchers);
  const out: Record<string, unknown> = {
    before,
    add,
    after: { rules: await rules(), routes: await routes() },
  };
  out.check = await callPlugin(impl, "sbr", "CHECK", sbr, ENV, input.launchers);
  out.del = await callPlugin(impl, "sbr", "DEL", sbr, ENV, input.launchers);
  out.afterDel = { rules: await rules(), routes: await routes() };
  await callPlugin("exec", "ptp", "DEL", { ...ptp, prevResult: prev }, ENV, input.launchers);
  return out;
}

async function errors(impl: Impl) {
  await run("ip", ["netns", "del", NS]);
  await sh("ip", "netns", "add", NS);
  const base = { cniVersion: input.version, name: "tsbr", type: "sbr" };
  const noIps = { ...base, prevResult: { cniVersion: input.version, interfaces: [], ips: [] } };
  const out: Record<string, unknown> = {};
  for (const [k, cfg] of Object.entries({ noPrev: base, noIps })) {
    const r = await callPlugin(impl, "sbr", "ADD", cfg, ENV, input.launchers);
    out[k] = { code: r.code, error: r.code === 0 ? r.stdout : JSON.parse(r.stdout) };
  }
  out.rules = await rules();
  return out;
}

const report: Record<string, unknown> = {};
for (const impl of input.impls) {
  report[impl] = { chain: await chain(impl), errors: await errors(impl) };
  if (impl !== "ref") {
    Object.assign(report[impl] as object, {
      table: await ours({ table: 500 }, impl),
      hints: await ours({ addSourceHints: true, gateways: ["10.121.5.1"] }, impl),
      unreachableGateway: await ours({ gateways: ["10.121.5.254"] }, impl),
    });
  }
}
console.log(JSON.stringify(report));
