// deno-lint-ignore-file no-explicit-any -- JSON from ip oracles is read loosely in tests
/**
 * tuning side by side with the reference (/usr/lib/cni/tuning, Debian 1.1.1) and through our
 * two paths (the exec'd launcher `cnitool install` writes, and in-process `runPlugin`): each
 * "world" is a throwaway namespace holding a veth pair whose `eth0` starts with the same MAC,
 * MTU and flags, so the kernel state (`ip -j -d link`), the sysctl files, the printed result
 * and the backup file can be compared as they are.
 *
 * Deliberate differences from 1.1.1, asserted rather than hidden: configuration errors are
 * code 7 (1.1.1: 999) and are found before anything changes; a failing ADD undoes what it
 * changed (1.1.1 leaves sysctls, attributes and the backup behind); a second ADD keeps the
 * first originals (1.1.1 records the tuned values, so its DEL "restores" them); DEL without
 * the namespace removes the backup (1.1.1 leaks it); 1.1.1 has no `txQLen` and its CHECK
 * does not substitute `IFNAME`; 1.x results omit an empty `dns` (the newest reference).
 */
import { BUILTIN_PLUGINS } from "../plugins/mod.ts";
import { cmdAdd as tuningAdd } from "../plugins/tuning/mod.ts";
import type { CmdArgs } from "../cni/plugin.ts";
import type { NetConf } from "../cni/types.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { REF_DIR, refMissing } from "./helpers/reference.ts";
import { rand } from "./helpers/names.ts";
import { dropNetns, makeNetns, type TestNetns } from "./helpers/namespaces.ts";
import { run, sh } from "./helpers/run.ts";
import {
  type CniEnv,
  type ExecOut,
  execPluginBinary,
  execReference,
  runInProcess,
} from "./helpers/exec_plugin.ts";
import { launcherDir } from "./helpers/launchers.ts";

/** Root, and the reference binaries to compare with (a missing one ignores the tests). */
const noRef = refMissing("tuning");
const ENC = new TextEncoder();
const START_MAC = "02:7e:00:00:00:01";
const TUNED_MAC = "c2:11:22:33:44:55";
/** One container ID for every world, so the backup files can be compared by name. */
const CID = `ctun${rand(10)}`;

/** One throwaway namespace with `eth0` (and its peer `p0`) and a backup directory. */
interface World {
  ns: TestNetns;
  dataDir: string;
  cid: string;
}

async function makeWorld(prefix: string): Promise<World> {
  const ns = await makeNetns(prefix);
  await sh("ip", "-n", ns.name, "link", "add", "eth0", "type", "veth", "peer", "name", "p0");
  await sh("ip", "-n", ns.name, "link", "set", "eth0", "address", START_MAC, "up");
  await sh("ip", "-n", ns.name, "link", "set", "p0", "up");
  return {
    ns,
    dataDir: await Deno.makeTempDir({ prefix: `${prefix}-data-` }),
    cid: CID,
  };
}

async function dropWorld(w: World): Promise<void> {
  await dropNetns(w.ns);
  await Deno.remove(w.dataDir, { recursive: true }).catch(() => {});
}

/** What tuning may change on eth0, from `ip -j -d link show` (an independent oracle). */
async function linkState(w: World, dev = "eth0") {
  const out = await run("ip", ["-n", w.ns.name, "-j", "-d", "link", "show", "dev", dev]);
  if (out.code !== 0) return undefined;
  const l = (JSON.parse(out.stdout) as any[])[0];
  return {
    mtu: l.mtu,
    mac: l.address,
    promisc: (l.flags as string[]).includes("PROMISC"),
    allmulti: (l.flags as string[]).includes("ALLMULTI"),
    promiscuity: l.promiscuity,
    txqlen: l.txqlen,
  };
}

async function sysctlIn(w: World, path: string): Promise<string> {
  return (await sh("ip", "netns", "exec", w.ns.name, "cat", `/proc/sys/${path}`)).trimEnd();
}

async function files(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  try {
    for await (const e of Deno.readDir(dir)) {
      out[e.name] = await Deno.readTextFile(`${dir}/${e.name}`);
    }
  } catch {
    // no directory: no files
  }
  return out;
}

type Runner = (w: World, command: string, config: unknown, extra?: Partial<CniEnv>) => Promise<
  ExecOut
>;

function cniEnv(w: World, command: string, extra: Partial<CniEnv> = {}): CniEnv {
  return {
    command,
    containerId: w.cid,
    netns: w.ns.path,
    ifName: "eth0",
    path: REF_DIR,
    ...extra,
  };
}

// Each runner sends `config` as JSON, or as is when it is text.
const reference: Runner = (w, command, config, extra) =>
  execReference("tuning", cniEnv(w, command, extra), config);

const exec: Runner = async (w, command, config, extra) =>
  execPluginBinary(`${await launcherDir()}/tuning`, cniEnv(w, command, extra), config);

const inProcess: Runner = async (w, command, config, extra) =>
  runInProcess(await BUILTIN_PLUGINS.tuning!(), cniEnv(w, command, extra), config);

const SIDES: [string, Runner][] = [["reference", reference], ["exec", exec], [
  "in-process",
  inProcess,
]];

function prevResult(w: World, version: string) {
  const v4 = !version.startsWith("1.") ? { version: "4" } : {};
  return {
    cniVersion: version,
    interfaces: [{ name: "eth0", mac: START_MAC, sandbox: w.ns.path }, { name: "p0", mac: "x" }],
    ips: [{ ...v4, address: "10.1.2.3/24", interface: 0, gateway: "10.1.2.1" }],
    routes: [{ dst: "0.0.0.0/0" }],
    dns: {},
  };
}

function tuningConf(w: World, version: string, extra: Record<string, unknown> = {}) {
  return {
    cniVersion: version,
    name: "tunnet",
    type: "tuning",
    dataDir: w.dataDir,
    prevResult: prevResult(w, version),
    ...extra,
  };
}

/** The printed result as the newest reference prints it (no empty 1.x dns), names replaced. */
function normResult(text: string, w: World): unknown {
  const obj = JSON.parse(text.replaceAll(w.ns.path, "<netns>"));
  if (String(obj.cniVersion).startsWith("1.") && obj.dns && Object.keys(obj.dns).length === 0) {
    delete obj.dns;
  }
  return obj;
}

const FULL = {
  sysctl: { "net.ipv4.conf.eth0.arp_notify": "1", "net.ipv4.conf.all.arp_ignore": "2" },
  mac: TUNED_MAC,
  mtu: 1400,
  promisc: true,
  allmulti: true,
};

Deno.test({
  ...gated(
    "tuning ADD/CHECK/DEL: the reference's kernel state, result and backup file, exec'd and in-process alike",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    for (const version of ["0.3.1", "0.4.0", "1.0.0"]) {
      const worlds = await Promise.all(SIDES.map(() => makeWorld("tun")));
      try {
        const initial = await linkState(worlds[0]!);
        const seen = [];
        for (const [i, [side, runner]] of SIDES.entries()) {
          const w = worlds[i]!;
          assertEquals(await linkState(w), initial);
          const add = await runner(w, "ADD", tuningConf(w, version, FULL));
          assertEquals(add.code, 0, `${side} ${version}: ${add.stdout}${add.stderr}`);
          if (version !== "0.3.1") {
            const check = await runner(w, "CHECK", tuningConf(w, version, FULL));
            assertEquals([check.code, check.stdout], [0, ""], `${side} CHECK ${version}`);
          }
          seen.push({
            result: normResult(add.stdout, w),
            link: await linkState(w),
            arpNotify: await sysctlIn(w, "net/ipv4/conf/eth0/arp_notify"),
            arpIgnore: await sysctlIn(w, "net/ipv4/conf/all/arp_ignore"),
            backup: await files(w.dataDir),
          });
        }
        const [ref, ...ours] = seen;
        for (const o of ours) assertEquals(o, ref, version);
        assertEquals(ref!.link, {
          ...initial,
          mtu: 1400,
          mac: TUNED_MAC,
          promisc: true,
          allmulti: true,
          promiscuity: 1,
        });
        assertEquals([ref!.arpNotify, ref!.arpIgnore], ["1", "2"]);
        // The MAC is changed in the result's eth0 entry only.
        const ifaces = (ref!.result as any).interfaces;
        assertEquals(ifaces.map((i: any) => i.mac), [TUNED_MAC, "x"]);
        const name = `${worlds[0]!.cid}_eth0.json`;
        assertEquals(Object.keys(ref!.backup), [name]);
        assertEquals(
          ref!.backup[name],
          `{\n "mac": "${START_MAC}",\n "promisc": false,\n "mtu": 1500,\n "allmulti": false\n}`,
        );
        for (const [i, [side, runner]] of SIDES.entries()) {
          const w = worlds[i]!;
          for (let n = 0; n < 2; n++) {
            const del = await runner(w, "DEL", tuningConf(w, version, FULL));
            assertEquals([del.code, del.stdout], [0, ""], `${side} DEL #${n + 1}`);
          }
          assertEquals(await linkState(w), initial, `${side}: DEL restores the originals`);
          assertEquals(await files(w.dataDir), {}, `${side}: DEL removes the backup`);
        }
      } finally {
        for (const w of worlds) await dropWorld(w);
      }
    }
  },
});

Deno.test({
  ...gated(
    "tuning hands a 0.1.0/0.2.0 prevResult on as the reference does, with and without a MAC",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const worlds = await Promise.all(SIDES.map(() => makeWorld("tuv")));
    try {
      for (const version of ["0.1.0", "0.2.0"]) {
        for (const extra of [{ mtu: 1400 }, { mac: TUNED_MAC }]) {
          const seen = [];
          for (const [i, [side, runner]] of SIDES.entries()) {
            const w = worlds[i]!;
            const config = {
              ...tuningConf(w, version, extra),
              prevResult: {
                cniVersion: version,
                ip4: { ip: "10.1.2.3/24", gateway: "10.1.2.1", routes: [{ dst: "0.0.0.0/0" }] },
                dns: { nameservers: ["10.1.2.1"] },
              },
            };
            const add = await runner(w, "ADD", config);
            assertEquals(add.code, 0, `${side} ${version}: ${add.stdout}`);
            seen.push(JSON.parse(add.stdout));
            const del = await runner(w, "DEL", config);
            assertEquals(del.code, 0, side);
          }
          assertEquals(seen[1], seen[0], `exec ${version} ${JSON.stringify(extra)}`);
          assertEquals(seen[2], seen[0], `in-process ${version} ${JSON.stringify(extra)}`);
          assertEquals(seen[0].ip4.ip, "10.1.2.3/24");
        }
      }
    } finally {
      for (const w of worlds) await dropWorld(w);
    }
  },
});

Deno.test({
  ...gated(
    "tuning CHECK reports each difference as the reference does, exec'd and in-process alike",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const worlds = await Promise.all(SIDES.map(() => makeWorld("tuc")));
    try {
      const cases: [Record<string, unknown>, string][] = [
        [
          { sysctl: { "net.ipv4.conf.eth0.arp_notify": "1" } },
          "Error: Tuning configured value of /proc/sys/net/ipv4/conf/eth0/arp_notify is 1, current value is 0",
        ],
        [
          { mac: TUNED_MAC },
          `Error: Tuning configured Ethernet of eth0 is ${TUNED_MAC}, current value is ${START_MAC}`,
        ],
        [
          { promisc: true },
          "Error: Tuning link eth0 configured promisc is true, current value is 0",
        ],
        [{ mtu: 1400 }, "Error: Tuning configured MTU of eth0 is 1400, current value is 1500"],
        // 1.1.1 prints a pointer for the configured value: only the prefix is compared.
        [{ allmulti: true }, "Error: Tuning configured all-multicast mode of eth0 is "],
      ];
      for (const [extra, msg] of cases) {
        for (const [i, [side, runner]] of SIDES.entries()) {
          const w = worlds[i]!;
          const out = await runner(w, "CHECK", tuningConf(w, "1.0.0", extra));
          assertEquals(out.code, 1, `${side} ${JSON.stringify(extra)}`);
          const err = JSON.parse(out.stdout);
          assertEquals(err.code, 999, side);
          assert(String(err.msg).startsWith(msg), `${side}: ${err.msg}`);
          if (side !== "reference" && extra.allmulti) {
            assertEquals(err.msg, `${msg}true, current value is false`);
          }
        }
      }
      // promisc is compared both ways: off expected when not configured.
      for (const [i, [side, runner]] of SIDES.entries()) {
        const w = worlds[i]!;
        await sh("ip", "-n", w.ns.name, "link", "set", "eth0", "promisc", "on");
        const out = await runner(w, "CHECK", tuningConf(w, "1.0.0", {}));
        assertEquals(
          JSON.parse(out.stdout).msg,
          "Error: Tuning link eth0 configured promisc is false, current value is 1",
          side,
        );
        const missing = await runner(w, "CHECK", tuningConf(w, "1.0.0", {}), { ifName: "nope0" });
        assertEquals(JSON.parse(missing.stdout).msg, "Cannot find container link nope0", side);
        const noPrev = await runner(w, "CHECK", {
          ...tuningConf(w, "1.0.0", {}),
          prevResult: undefined,
        });
        assertEquals(JSON.parse(noPrev.stdout).msg, "Required prevResult missing", side);
      }
    } finally {
      for (const w of worlds) await dropWorld(w);
    }
  },
});

/** Snapshot of everything a failed ADD must leave as it was. */
async function untouched(w: World) {
  return {
    link: await linkState(w),
    arpNotify: await sysctlIn(w, "net/ipv4/conf/eth0/arp_notify"),
    backup: await files(w.dataDir),
  };
}

Deno.test({
  ...gated(
    "tuning hostile values: clean errors before anything changes (the reference leaves changes behind)",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const ours = SIDES.slice(1);
    const worlds = await Promise.all(SIDES.map(() => makeWorld("tuh")));
    const notADir = await Deno.makeTempFile({ prefix: "tuh-file-" });
    try {
      const before = await untouched(worlds[0]!);
      const arp = { "net.ipv4.conf.eth0.arp_notify": "1" };
      const cases: [string, Record<string, unknown>, number, string][] = [
        [
          "path escape",
          { sysctl: { ...arp, "net/../../etc/x": "x" } },
          7,
          'invalid net sysctl key: "net///////etc/x"',
        ],
        [
          "not net",
          { sysctl: { ...arp, "kernel.hostname": "x" } },
          7,
          'invalid net sysctl key: "kernel/hostname"',
        ],
        [
          "absolute",
          { sysctl: { "/proc/sys/net/ipv4/ip_forward": "1" } },
          7,
          'invalid net sysctl key: "/proc/sys/net/ipv4/ip_forward"',
        ],
        [
          "bad mac",
          { sysctl: arp, mac: "zz" },
          7,
          "invalid args zz for MAC addr: address zz: invalid MAC address",
        ],
        [
          "multicast mac",
          { sysctl: arp, mac: "01:00:5e:00:00:01", mtu: 1400 },
          7,
          "invalid args 01:00:5e:00:00:01 for MAC addr: not a unicast address",
        ],
        [
          "huge mtu",
          { sysctl: arp, mac: TUNED_MAC, mtu: 100000 },
          7,
          'invalid MTU 100000 for "eth0": the device accepts 68 to 65535',
        ],
        [
          "tiny mtu",
          { sysctl: arp, mtu: 10 },
          7,
          'invalid MTU 10 for "eth0": the device accepts 68 to 65535',
        ],
        ["negative mtu", { sysctl: arp, mtu: -5 }, 7, 'failed to load netconf: field "mtu"'],
        [
          "negative txQLen",
          { sysctl: arp, txQLen: -1 },
          7,
          'failed to load netconf: field "txQLen"',
        ],
        ["duplicate keys", {}, 7, "duplicated sysctl keys are not allowed"],
        [
          "missing sysctl after a good one",
          { sysctl: { ...arp, "net.nonexist": "1" }, mac: TUNED_MAC },
          999,
          'failed to set sysctl "net.nonexist": read sysctl "net/nonexist": no such key',
        ],
        [
          "backup directory unusable",
          { sysctl: arp, mtu: 1400, dataDir: `${notADir}/x` },
          5,
          `failed to read tuning backup "${notADir}/x/${CID}_eth0.json"`,
        ],
        ["missing link", { sysctl: arp, mtu: 1400 }, 999, 'failed to get "eth9": Link not found'],
      ];
      for (const [what, extra, code, msg] of cases) {
        for (const [i, [side, runner]] of ours.entries()) {
          const w = worlds[i + 1]!;
          let config: unknown = tuningConf(w, "1.0.0", extra);
          if (what === "duplicate keys") {
            config = JSON.parse(JSON.stringify(config));
          }
          const env: Partial<CniEnv> = what === "missing link" ? { ifName: "eth9" } : {};
          let out: ExecOut;
          if (what === "duplicate keys") {
            // A raw text with the same key twice (JSON.stringify cannot write one).
            const text = JSON.stringify(tuningConf(w, "1.0.0", {})).replace(
              /}$/,
              ',"sysctl":{"net.ipv4.conf.eth0.arp_notify":"1","net.ipv4.conf.eth0.arp_notify":"0"}}',
            );
            out = await runner(w, "ADD", text);
          } else out = await runner(w, "ADD", config, env);
          assertEquals(out.code, 1, `${what} ${side}: ${out.stdout}`);
          const err = JSON.parse(out.stdout);
          assertEquals(err.code, code, `${what} ${side}: ${err.msg}`);
          assertStringIncludes(err.msg, msg, `${what} ${side}: ${err.msg}`);
          assertEquals(await untouched(w), before, `${what} ${side}: nothing changed`);
        }
      }
      // The reference on two of them: the same refusal text for the key, but the MAC case
      // leaves its backup file and the sysctl written before the failure.
      const w = worlds[0]!;
      const notNet = await reference(
        w,
        "ADD",
        tuningConf(w, "1.0.0", { sysctl: { "kernel.hostname": "x" } }),
      );
      assertEquals(JSON.parse(notNet.stdout), {
        code: 999,
        msg: 'invalid net sysctl key: "kernel.hostname"',
      });
      const mac = await reference(
        w,
        "ADD",
        tuningConf(w, "1.0.0", { sysctl: arp, mac: "01:00:5e:00:00:01" }),
      );
      assertEquals(JSON.parse(mac.stdout), { code: 999, msg: "cannot assign requested address" });
      const after = await untouched(w);
      assertEquals([after.arpNotify, Object.keys(after.backup).length], ["1", 1]);
    } finally {
      for (const w of worlds) await dropWorld(w);
      await Deno.remove(notADir);
    }
  },
});

Deno.test({
  ...gated(
    "tuning DEL keeps the first originals over two ADDs, and cleans up without the namespace (the reference does neither)",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const worlds = await Promise.all(SIDES.map(() => makeWorld("tud")));
    try {
      const initial = await linkState(worlds[0]!);
      for (const [i, [side, runner]] of SIDES.entries()) {
        const w = worlds[i]!;
        for (const mtu of [1400, 1300]) {
          const add = await runner(w, "ADD", tuningConf(w, "1.0.0", { mtu, mac: TUNED_MAC }));
          assertEquals(add.code, 0, `${side}: ${add.stdout}`);
        }
        const del = await runner(w, "DEL", tuningConf(w, "1.0.0", { mtu: 1300 }));
        assertEquals(del.code, 0, side);
        const after = await linkState(w);
        if (side === "reference") {
          assertEquals(
            after,
            { ...initial, mtu: 1400, mac: TUNED_MAC },
            "1.1.1 restores the first ADD's values",
          );
        } else assertEquals(after, initial, `${side}: the real originals`);
      }
      // ADD, then the namespace goes away: DEL succeeds; ours removes the backup, 1.1.1 leaks it.
      for (const [i, [side, runner]] of SIDES.entries()) {
        const w = worlds[i]!;
        const add = await runner(w, "ADD", tuningConf(w, "1.0.0", { mtu: 1400 }));
        assertEquals(add.code, 0, side);
        assertEquals(Object.keys(await files(w.dataDir)).length, 1);
        await dropNetns(w.ns);
        const del = await runner(w, "DEL", tuningConf(w, "1.0.0", { mtu: 1400 }));
        assertEquals([del.code, del.stdout], [0, ""], side);
        assertEquals(
          Object.keys(await files(w.dataDir)).length,
          side === "reference" ? 1 : 0,
          side,
        );
        // An empty CNI_NETNS, and a DEL with nothing recorded, succeed too.
        const again = await runner(w, "DEL", tuningConf(w, "1.0.0", {}), { netns: "" });
        assertEquals([again.code, again.stdout], [0, ""], side);
      }
    } finally {
      for (const w of worlds) await dropWorld(w);
    }
  },
});

Deno.test({
  ...gated(
    "tuning txQLen, IFNAME keys and the allowlist (newer than 1.1.1): ours, exec'd and in-process alike",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const ours = SIDES.slice(1);
    const worlds = await Promise.all(ours.map(() => makeWorld("tuq")));
    try {
      const initial = await linkState(worlds[0]!);
      const extra = {
        txQLen: 5000,
        allmulti: false,
        sysctl: {
          "net.ipv4.conf.IFNAME.arp_notify": "1",
          "net.ipv4.tcp_rmem": "4096 87380 6291456",
        },
      };
      for (const [i, [side, runner]] of ours.entries()) {
        const w = worlds[i]!;
        const add = await runner(w, "ADD", tuningConf(w, "1.0.0", extra));
        assertEquals(add.code, 0, `${side}: ${add.stdout}`);
        assertEquals(await linkState(w), { ...initial, txqlen: 5000 }, side);
        assertEquals(await sysctlIn(w, "net/ipv4/conf/eth0/arp_notify"), "1");
        assertEquals(await sysctlIn(w, "net/ipv4/tcp_rmem"), "4096\t87380\t6291456");
        // CHECK substitutes IFNAME and reads the tab-separated value as the spaced one.
        const check = await runner(w, "CHECK", tuningConf(w, "1.0.0", extra));
        assertEquals([check.code, check.stdout], [0, ""], side);
        const wrong = await runner(w, "CHECK", tuningConf(w, "1.0.0", { txQLen: 100 }));
        assertEquals(
          JSON.parse(wrong.stdout).msg,
          "Error: Tuning configured Transmit Queue Length of eth0 is 100, current value is 5000",
        );
        assertEquals(
          JSON.parse((await files(w.dataDir))[`${w.cid}_eth0.json`]!),
          { allmulti: false, txQLen: 1000 },
        );
        const del = await runner(w, "DEL", tuningConf(w, "1.0.0", extra));
        assertEquals(del.code, 0, side);
        assertEquals(await linkState(w), initial, side);
      }
      // The allowlist, read from a file of the test's own (the plugin reads only
      // /etc/cni/tuning/allowlist.conf): matched against the raw key, IFNAME unsubstituted.
      const w = worlds[0]!;
      const allow = `${w.dataDir}/allowlist.conf`;
      await Deno.writeTextFile(allow, "^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]+$\n");
      const call = (sysctl: Record<string, string>): CmdArgs => {
        const config = tuningConf(w, "1.1.0", { sysctl }) as unknown as NetConf;
        return {
          command: "ADD",
          containerId: w.cid,
          netns: w.ns.path,
          ifName: "eth0",
          args: "",
          path: "",
          stdinData: ENC.encode(JSON.stringify(config)),
          config,
        };
      };
      tuningAdd(call({ "net.ipv4.conf.IFNAME.arp_ignore": "1" }), { allowlistPath: allow });
      assertEquals(await sysctlIn(w, "net/ipv4/conf/eth0/arp_ignore"), "1");
      let refused: any;
      try {
        tuningAdd(
          call({ "net.ipv4.conf.IFNAME.arp_ignore": "2", "net.ipv4.conf.eth0.arp_notify": "0" }),
          {
            allowlistPath: allow,
          },
        );
      } catch (err) {
        refused = err;
      }
      assertEquals([refused?.code, refused?.msg], [
        7,
        "Sysctl net.ipv4.conf.eth0.arp_notify is not allowed. Only the following sysctls are " +
        "allowed: [^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]+$]",
      ]);
      assertEquals(await sysctlIn(w, "net/ipv4/conf/eth0/arp_ignore"), "1", "nothing written");
    } finally {
      for (const w of worlds) await dropWorld(w);
    }
  },
});

Deno.test({
  ...gated(
    "tuning refuses the plugin's own namespace on ADD and DEL unless CNI_NETNS_OVERRIDE",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const w = await makeWorld("tuo");
    try {
      const own: World = { ...w, ns: { name: "", path: "/proc/self/ns/net" } };
      const out = await inProcess(own, "ADD", tuningConf(own, "1.0.0", { mtu: 1400 }), {
        ifName: "lo",
      });
      assertEquals(JSON.parse(out.stdout).code, 8);
      assertEquals(await files(w.dataDir), {}, "no backup written");
      // DEL with a backup recorded for the host's lo: refused, the file kept.
      const file = `${w.dataDir}/${CID}_lo.json`;
      await Deno.writeTextFile(file, '{\n "mtu": 1500\n}');
      for (const runner of [exec, inProcess]) {
        const del = await runner(own, "DEL", tuningConf(own, "1.0.0", {}), { ifName: "lo" });
        assertEquals([del.code, JSON.parse(del.stdout).code], [1, 8]);
        assertEquals(await Deno.readTextFile(file), '{\n "mtu": 1500\n}');
      }
    } finally {
      await dropWorld(w);
    }
  },
});
