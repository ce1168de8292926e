// deno-lint-ignore-file no-explicit-any -- results and ip JSON are read loosely
/**
 * Plugin chains in every spec version, as a matrix: config version (0.1.0 ... 1.0.0, and 1.1.0
 * with our own engine) × chain (`bridge→loopback`, `loopback→bridge`, `bridge→tuning`,
 * `bridge→portmap`; and, at 0.3.1, 0.4.0 and 1.0.0, the interface plugins as they are chained
 * in real use: `ptp→portmap`, `ptp→tuning`, `macvlan→tuning`, `ptp→sbr`, `bridge→sbr`) ×
 * driver (our libcni, the real Go libcni 1.1.2 built from Debian's sources) × plugin set (ours,
 * the Go 1.1.1 ones).
 *
 * Every run is ADD, CHECK, DEL and DEL again of one conflist in a world of its own (throwaway
 * host and container namespaces, see helpers/chain_env.ts). The outcome of each command (ok or
 * the CNI error code), the ADD result (MACs, veth names, namespace paths masked), the
 * container's links, addresses, routes and policy rules (sbr's), the firewall rules of the
 * world's host namespace (portmap's chains, ptp's masquerade chains),
 * and the files left behind must be the same for our plugins as for the Go plugins, and for our
 * libcni as for the Go libcni. The reference run (Go libcni, Go plugins) is made once per cell
 * and shared by both driver tests.
 *
 * A failed comparison names first the top-level keys that differ (actual and expected, one
 * line each), then both runs' ADD error messages, then the whole diff: a CI log that cuts the
 * message off still shows the cause.
 */
import { isDeepStrictEqual } from "node:util";
import { assertEquals, assertStringIncludes, IS_ROOT } from "./helpers/assert.ts";
import {
  addParentLink,
  callDriver,
  type ChainWorld,
  containerState,
  type Driver,
  dropWorld,
  GO_PLUGINS,
  goDriver,
  leftoverFiles,
  makeWorld,
  maskWorld,
  OUR_DRIVER,
  OUR_PLUGINS,
  type PluginSet,
  settleAll,
} from "./helpers/chain_env.ts";
import { run } from "./helpers/bridge_env.ts";

const ignore = !IS_ROOT;
// The Go driver, or why it is missing (its tests are then ignored, saying why); a failed build
// with Go and the sources installed fails every test that needs the driver.
let GO: Driver | string = "not root";
let GO_BROKEN: unknown;
if (IS_ROOT) {
  try {
    GO = await goDriver();
  } catch (err) {
    GO_BROKEN = err;
  }
}
const GO_MISSING = typeof GO === "string" && GO_BROKEN === undefined ? GO : undefined;

function goDriverOrThrow(): Driver {
  if (GO_BROKEN !== undefined) throw GO_BROKEN;
  return GO as Driver;
}

const VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0"];

type Plugin = (w: ChainWorld, cell: number) => Record<string, unknown>;

function bridge(w: ChainWorld, cell: number): Record<string, unknown> {
  return {
    type: "bridge",
    bridge: w.br,
    isGateway: true,
    ipam: {
      type: "host-local",
      dataDir: `${w.dir}/data`,
      ranges: [[{ subnet: `10.78.${cell}.0/24` }], [{ subnet: `fd78:${cell}::/64` }]],
      routes: [{ dst: "0.0.0.0/0" }],
    },
  };
}

const loopback: Plugin = () => ({ type: "loopback" });
const tuning: Plugin = () => ({
  type: "tuning",
  mtu: 1400,
  sysctl: { "net.core.somaxconn": "512" },
});
const portmap: Plugin = () => ({
  type: "portmap",
  capabilities: { portMappings: true },
  snat: true,
});

/** The host-local IPv4 range of a cell for the interface plugins (one family: see ptp). */
function cellIpam(w: ChainWorld, cell: number, net: number): Record<string, unknown> {
  return {
    type: "host-local",
    dataDir: `${w.dir}/data`,
    ranges: [[{ subnet: `10.${net}.${cell}.0/24` }]],
    routes: [{ dst: "0.0.0.0/0" }],
  };
}

/** ptp with masquerade (its chains are compared like portmap's), IPv4 only. */
const ptp: Plugin = (w, cell) => ({
  type: "ptp",
  ipMasq: true,
  mtu: 1450,
  ipam: cellIpam(w, cell, 79),
});

/** The parent link macvlan hangs on, made in the world's host namespace by the chain. */
const PARENT = "hm0";

const macvlan: Plugin = (w, cell) => ({
  type: "macvlan",
  master: PARENT,
  mode: "bridge",
  ipam: cellIpam(w, cell, 80),
});

const sbr: Plugin = () => ({ type: "sbr" });

interface Chain {
  name: string;
  plugins: Plugin[];
  /** Only our own plugins (so the chain runs at 1.1.0 too). */
  oursOnly: boolean;
  capArgs?: Record<string, unknown>;
  /** The config versions it runs at (default {@linkcode VERSIONS}). */
  versions?: readonly string[];
  /** A parent link (veth `hm0`, up) in the world's host namespace, for macvlan. */
  parent?: boolean;
}

/** The interface plugins' chains run where results carry interfaces (and CHECK, from 0.4.0). */
const IFACE_VERSIONS = ["0.3.1", "0.4.0", "1.0.0"];

const CHAINS: Chain[] = [
  { name: "bridge→loopback", plugins: [bridge, loopback], oursOnly: true },
  { name: "loopback→bridge", plugins: [loopback, bridge], oursOnly: true },
  { name: "bridge→tuning", plugins: [bridge, tuning], oursOnly: true },
  {
    name: "bridge→portmap",
    plugins: [bridge, portmap],
    oursOnly: true,
    capArgs: { portMappings: [{ hostPort: 18080, containerPort: 80, protocol: "tcp" }] },
  },
  {
    name: "ptp→portmap",
    plugins: [ptp, portmap],
    oursOnly: true,
    capArgs: { portMappings: [{ hostPort: 18080, containerPort: 80, protocol: "tcp" }] },
    versions: IFACE_VERSIONS,
  },
  { name: "ptp→tuning", plugins: [ptp, tuning], oursOnly: true, versions: IFACE_VERSIONS },
  {
    name: "macvlan→tuning",
    plugins: [macvlan, tuning],
    oursOnly: true,
    versions: IFACE_VERSIONS,
    parent: true,
  },
  { name: "ptp→sbr", plugins: [ptp, sbr], oursOnly: true, versions: IFACE_VERSIONS },
  { name: "bridge→sbr", plugins: [bridge, sbr], oursOnly: true, versions: IFACE_VERSIONS },
];

/** The world's NAT rules (portmap's chains), chain hashes masked. */
async function firewall(w: ChainWorld): Promise<string[]> {
  const out: string[] = [];
  for (const cmd of ["iptables-save", "ip6tables-save"]) {
    const r = await run("ip", ["netns", "exec", w.host, cmd, "-t", "nat"]);
    for (const line of r.stdout.split("\n")) {
      if (!line.startsWith("-A ") && !line.startsWith(":")) continue;
      out.push(
        `${cmd === "iptables-save" ? 4 : 6} ${
          line.replace(/\[\d+:\d+\]/, "").replace(/CNI-DN-[0-9a-f]+/g, "CNI-DN-<hash>")
            .replace(/CNI-[0-9a-f]{24}\b/g, "CNI-<hash>").trim()
        }`,
      );
    }
  }
  return out.sort();
}

/** What one run did, with the world masked; and the ADD error message, not compared. */
interface CellRun {
  summary: Record<string, any>;
  message: string;
}

/** One run: ADD, CHECK, DEL, DEL; what each did, as plain data with the world masked. */
async function runCell(
  driver: Driver,
  set: PluginSet,
  version: string,
  chain: Chain,
  cell: number,
): Promise<CellRun> {
  const w = await makeWorld(`m${driver.name[0]}${set.name[0]}`);
  try {
    if (chain.parent) await addParentLink(w, PARENT);
    const conflist = `${w.dir}/chain.conflist`;
    await Deno.writeTextFile(
      conflist,
      JSON.stringify({
        cniVersion: version,
        name: "chain",
        plugins: chain.plugins.map((p) => p(w, cell)),
      }),
    );
    const opts = { conflist, ...(chain.capArgs && { capArgs: chain.capArgs }) };
    const add = await callDriver(driver, set, w, "add", opts);
    const out: Record<string, unknown> = { add: add.code };
    if (add.code === "ok") {
      out.result = add.json;
      out.afterAdd = await containerState(w);
      out.firewall = await firewall(w);
    }
    out.check = (await callDriver(driver, set, w, "check", opts)).code;
    out.del = (await callDriver(driver, set, w, "del", opts)).code;
    out.afterDel = await containerState(w);
    out.firewallAfterDel = await firewall(w);
    out.delAgain = (await callDriver(driver, set, w, "del", opts)).code;
    out.files = leftoverFiles(w);
    const why = add.code === "ok"
      ? ""
      : [add.json?.msg, add.json?.details].filter((t) => typeof t === "string" && t !== "")
        .join(": ");
    return { summary: maskWorld(out, w), message: why };
  } finally {
    await dropWorld(w);
  }
}

const reference = new Map<string, Promise<CellRun>>();

/** The Go libcni + Go plugins run of a cell, made once. */
function referenceRun(version: string, chain: Chain, cell: number): Promise<CellRun> {
  const key = `${version} ${chain.name}`;
  let p = reference.get(key);
  if (!p) {
    p = Promise.resolve().then(() => runCell(goDriverOrThrow(), GO_PLUGINS, version, chain, cell));
    reference.set(key, p);
  }
  return p;
}

/**
 * Our plugins' run as the Go plugins' would look where 1.1.1 is known to be wrong: its
 * portmap CHECK fails on every container it chains after (it looks for the rules of both
 * families, plugins-more §1.10; the hostile corpus's "portmap CHECK of an IPv4-only
 * container"); its sbr DEL fails once the interface is gone (the second DEL of a list, after
 * the main plugin removed it: the link lookup fails, 999), where a DEL must succeed when
 * there is nothing left to remove, and ours does.
 */
function withGoBugs(ours: Record<string, any>, go: Record<string, any>, chain: Chain) {
  let out = ours;
  if (chain.name.endsWith("→portmap") && ours.check === "ok" && go.check === 999) {
    out = { ...out, check: 999 };
  }
  if (chain.name.endsWith("→sbr") && ours.delAgain === "ok" && go.delAgain === 999) {
    out = { ...out, delAgain: 999 };
  }
  return out;
}

/** The ADD error messages of the two runs compared (empty when the ADD succeeded). */
interface Messages {
  actual: string;
  expected: string;
}

/**
 * Asserts deep equality with a message whose first lines give the cause: each top-level key
 * that differs with its actual and expected value (one line of JSON each), then the ADD error
 * messages of both runs, then the whole diff.
 */
function same(actual: unknown, expected: unknown, what: string, messages?: Messages): void {
  if (isDeepStrictEqual(actual, expected)) return;
  const lines = [what];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObject(actual) && isObject(expected)) {
    for (const k of [...new Set([...Object.keys(expected), ...Object.keys(actual)])]) {
      if (isDeepStrictEqual(actual[k], expected[k])) continue;
      lines.push(`  ${k}: actual   ${JSON.stringify(actual[k]) ?? "(absent)"}`);
      lines.push(`  ${k}: expected ${JSON.stringify(expected[k]) ?? "(absent)"}`);
    }
  } else {
    lines.push(`  actual   ${JSON.stringify(actual)}`, `  expected ${JSON.stringify(expected)}`);
  }
  if (messages) {
    lines.push(`  ADD error, actual:   ${JSON.stringify(messages.actual)}`);
    lines.push(`  ADD error, expected: ${JSON.stringify(messages.expected)}`);
  }
  try {
    assertEquals(actual, expected);
  } catch (err) {
    throw new Error(`${lines.join("\n")}\n${err instanceof Error ? err.message : String(err)}`);
  }
  throw new Error(lines.join("\n"));
}

/** The messages of two runs, for {@linkcode same}. */
function messagesOf(actual: CellRun, expected: CellRun): Messages {
  return { actual: actual.message, expected: expected.message };
}

/**
 * A run of our libcni made comparable with one of the Go libcni: the Go libcni's own refusals
 * (CHECK of a list below 0.4.0) are plain Go errors without a CNI code (0 from the driver),
 * where ours are CNI errors with a code; both count as "failed".
 */
function asGoLibcniSees(ours: Record<string, any>, ref: Record<string, any>) {
  const out = { ...ours };
  for (const k of ["add", "check", "del", "delAgain"]) {
    if (ref[k] === 0 && typeof out[k] === "number") out[k] = 0;
  }
  return out;
}

let cell = 0;
for (const version of VERSIONS) {
  for (const chain of CHAINS) {
    if (!(chain.versions ?? VERSIONS).includes(version)) continue;
    const c = ++cell;
    Deno.test({
      name: `chain ${version} ${chain.name}, our libcni: our plugins = Go plugins = Go libcni's`,
      ignore,
      async fn() {
        const [ours, goPlugins, ref] = await settleAll([
          runCell(OUR_DRIVER, OUR_PLUGINS, version, chain, c),
          runCell(OUR_DRIVER, GO_PLUGINS, version, chain, c),
          GO_MISSING ? Promise.resolve(undefined) : referenceRun(version, chain, c),
        ]);
        // The Go plugins attach every cell; so must ours, with the same outcome everywhere.
        same(goPlugins.summary.add, "ok", `Go plugins, our libcni: ${goPlugins.message}`);
        same(
          withGoBugs(ours.summary, goPlugins.summary, chain),
          goPlugins.summary,
          "our plugins differ from the Go plugins (our libcni)",
          messagesOf(ours, goPlugins),
        );
        if (ref) {
          same(
            asGoLibcniSees(goPlugins.summary, ref.summary),
            ref.summary,
            "our libcni differs from the Go libcni (Go plugins)",
            messagesOf(goPlugins, ref),
          );
        }
      },
    });
    Deno.test({
      name: `chain ${version} ${chain.name}, Go libcni: our plugins = Go plugins${
        GO_MISSING ? ` (ignored: ${GO_MISSING})` : ""
      }`,
      ignore: ignore || GO_MISSING !== undefined,
      async fn() {
        const [ours, ref] = await settleAll([
          Promise.resolve().then(() => runCell(goDriverOrThrow(), OUR_PLUGINS, version, chain, c)),
          referenceRun(version, chain, c),
        ]);
        same(ref.summary.add, "ok", `Go plugins, Go libcni: ${ref.message}`);
        same(
          withGoBugs(ours.summary, ref.summary, chain),
          ref.summary,
          "our plugins differ from the Go plugins (Go libcni)",
          messagesOf(ours, ref),
        );
      },
    });
  }
}

// 1.1.0: our engine only. Chains of our own plugins must work and look like 1.0.0's; a Go
// plugin (1.1.1 knows up to 1.0.0) refuses the version, and our libcni undoes the ADD.
for (const chain of CHAINS) {
  const c = ++cell;
  Deno.test({
    name: `chain 1.1.0 ${chain.name}, our libcni: ${
      chain.oursOnly ? "as 1.0.0 but for the version" : "the Go plugin's code 1, rolled back"
    }`,
    ignore,
    async fn() {
      const [ours, at100] = await settleAll([
        runCell(OUR_DRIVER, OUR_PLUGINS, "1.1.0", chain, c),
        runCell(OUR_DRIVER, OUR_PLUGINS, "1.0.0", chain, c),
      ]);
      same(at100.summary.add, "ok", `1.0.0: ${at100.message}`);
      if (chain.oursOnly) {
        same(ours.summary.result?.cniVersion, "1.1.0", `1.1.0: ${ours.message}`);
        ours.summary.result.cniVersion = "1.0.0";
        same(ours.summary, at100.summary, "1.1.0 differs from 1.0.0", messagesOf(ours, at100));
      } else {
        same(ours.summary.add, 1, `1.1.0 with a Go plugin: ${ours.message}`);
        assertStringIncludes(ours.message, "incompatible CNI versions");
        same(ours.summary.afterDel, at100.summary.afterDel, "1.1.0 left something behind");
        same(ours.summary.files, { leases: [], cache: [] }, "1.1.0 left files behind");
      }
    },
  });
}

/** Runs one plugin binary of `set` in the world's host namespace, as libcni would. */
async function execIn(w: ChainWorld, set: PluginSet, type: string, command: string, conf: unknown) {
  const path = await set.path();
  const out = await run("ip", ["netns", "exec", w.host, `${path[0]}/${type}`], {
    stdin: JSON.stringify(conf),
    clearEnv: true,
    env: {
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      CNI_COMMAND: command,
      CNI_CONTAINERID: w.cid,
      CNI_NETNS: w.netns,
      CNI_IFNAME: "eth0",
      CNI_PATH: path.join(":"),
    },
  });
  const text = out.stdout.trim();
  return { code: out.code, json: text === "" ? undefined : maskWorld(JSON.parse(text), w) };
}

Deno.test({
  name: "bridge ADD and DEL do not trip over a malformed prevResult they do not need (as Go 1.1.1)",
  ignore,
  async fn() {
    const runs = await settleAll([OUR_PLUGINS, GO_PLUGINS].map(async (set) => {
      const w = await makeWorld(`p${set.name[0]}`);
      try {
        const conf = {
          cniVersion: "1.0.0",
          name: "prev",
          ...bridge(w, 250),
          prevResult: { cniVersion: "1.0.0", ips: [{ address: "bogus" }] },
        };
        const add = await execIn(w, set, "bridge", "ADD", conf);
        const del = await execIn(w, set, "bridge", "DEL", conf);
        return { add, del, afterDel: await containerState(w), files: leftoverFiles(w) };
      } finally {
        await dropWorld(w);
      }
    }));
    const [ours, go] = runs as [any, any];
    same(go.add.code, 0, `Go bridge: ${JSON.stringify(go.add.json)}`);
    same(ours, go, "our bridge differs from the Go bridge");
  },
});
