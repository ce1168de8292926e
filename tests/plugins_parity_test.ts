// deno-lint-ignore-file no-explicit-any -- JSON from ip oracles is read loosely in tests
/**
 * Our exec'd bridge (the bundle launcher, with our host-local) against the reference
 * /usr/lib/cni/bridge (Debian 1.1.1, with its host-local) for the same configs at several
 * `cniVersion`s: the printed result is the same text (key order, indentation) after replacing
 * names, MACs and paths, and the kernel state is the same. Then bad input through the exec'd
 * path: the spec error JSON on stdout, code 7 naming the field, exit 1, nothing created.
 *
 * Where Debian 1.1.1 differs from the newest reference, the newest is followed: 1.1.1 prints
 * `"dns":{}` in 1.x results, the newest library (1.x results round-trip through a map)
 * omits an empty dns and prints 1.x keys sorted (`types100.Result.MarshalJSON` goes through a
 * map), 1.1.1 in struct order; 0.3.x/0.4.0 results keep `"dns":{}` and struct order in both.
 */
import { formatResult } from "../cni/results/mod.ts";
import { ipMasqChainName } from "../plugins/bridge/ipmasq.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { REF_DIR, refMissing } from "./helpers/reference.ts";
import { dropSide, makeSide, normaliseResult, type TestSide } from "./helpers/bridge_env.ts";
import {
  dropNatChain,
  dropNewFirewallTablesAfterEachTest,
  natRules,
} from "./helpers/firewall_oracle.ts";
import { ipAddrs, ipLink, ipRoutes } from "./helpers/ip_oracle.ts";
import { rand } from "./helpers/names.ts";
import { run, sh } from "./helpers/run.ts";
import { type CniEnv, execPluginBinary } from "./helpers/exec_plugin.ts";
import { launcherDir } from "./helpers/launchers.ts";

const noRef = refMissing("bridge", "host-local", "loopback");

// Every test leaves the firewall tables as it found them (nft tables it made and emptied go).
dropNewFirewallTablesAfterEachTest();

type Side = TestSide;

function env(s: Side, command: string, cid: string, path: string): CniEnv {
  return { command, containerId: cid, netns: s.ns.path, ifName: "eth0", path };
}

function confFor(
  s: Side,
  net: string,
  version: string,
  extra: Record<string, unknown>,
  ipam?: unknown,
) {
  return {
    cniVersion: version,
    name: net,
    type: "bridge",
    bridge: s.br,
    ...extra,
    ...(ipam !== undefined && { ipam: { ...(ipam as object), dataDir: s.dataDir } }),
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

/** The printed result with the side's names replaced, re-printed (key order kept). */
function normText(text: string, s: Side, version: string, reference: boolean): string {
  const obj = JSON.parse(text.replaceAll(s.br, "<br>").replaceAll(s.ns.path, "<netns>"));
  // Debian 1.1.1 prints "dns":{} for 1.x results; the newest reference omits it.
  if (reference && version.startsWith("1.") && obj.dns && Object.keys(obj.dns).length === 0) {
    delete obj.dns;
  }
  const norm = normaliseResult(obj);
  // 1.1.1 prints 1.x results in struct field order; the newest (types100 MarshalJSON through a
  // map) in sorted key order, as we do. 0.x results keep struct order in both.
  return JSON.stringify(reference && version.startsWith("1.") ? sortKeys(norm) : norm, null, 4);
}

async function kernelState(s: Side, net: string, cid: string) {
  const eth0 = await ipLink("eth0", s.ns.name);
  const ports = JSON.parse(await sh("ip", "-j", "-d", "link", "show", "master", s.br)) as any[];
  const br = await ipLink(s.br);
  const chain = await ipMasqChainName(net, cid);
  return {
    bridge: { addrs: await ipAddrs(s.br), mtu: br?.mtu, up: br?.operstate },
    eth0: eth0 && {
      addrs: await ipAddrs("eth0", s.ns.name),
      mtu: eth0.mtu,
      up: eth0.operstate,
      promisc: (eth0.flags as string[]).includes("PROMISC"),
    },
    routes: await ipRoutes(s.ns.name),
    ports: ports.map((p) => ({
      mtu: p.mtu,
      hairpin: p.linkinfo?.info_slave_data?.hairpin,
    })),
    nat: (await natRules(chain)).map((l) => l.replaceAll(chain, "<chain>").replaceAll(cid, "<cid>"))
      .sort(),
  };
}

const CASES: [string, Record<string, unknown>, unknown][] = [
  ["gateway + ipMasq, legacy subnet form, routes", { isGateway: true, ipMasq: true }, {
    type: "host-local",
    subnet: "10.254.96.0/24",
    routes: [{ dst: "0.0.0.0/0" }, { dst: "10.98.0.0/16", gw: "10.254.96.254" }],
  }],
  ["default gateway, dual stack, mtu", { isDefaultGateway: true, mtu: 1380 }, {
    type: "host-local",
    ranges: [[{ subnet: "10.254.97.0/24", rangeStart: "10.254.97.10" }], [{
      subnet: "fd54:97::/64",
    }]],
  }],
  ["no gateway, hairpin", { hairpinMode: true }, {
    type: "host-local",
    ranges: [[{ subnet: "10.254.98.0/24", gateway: "10.254.98.254" }]],
  }],
  ["L2 only, promisc", { promiscMode: true }, undefined],
];

for (const version of ["1.0.0", "0.4.0", "0.3.1"]) {
  for (const [title, extra, ipam] of CASES) {
    Deno.test({
      ...gated(
        `exec'd bridge prints the reference 1.1.1 result (cniVersion ${version}): ${title}`,
        NEEDS_ROOT,
        noRef,
      ),
      async fn() {
        const dir = await launcherDir();
        const net = `tpy-${rand(6)}`;
        // Own container IDs: the masquerade chain name derives from network + ID.
        const cid = `cpy${rand(12)}`;
        const refCid = `cpy${rand(12)}`;
        const ours = await makeSide("tpy");
        const theirs = await makeSide("tpy");
        try {
          const ourConf = JSON.stringify(confFor(ours, net, version, extra, ipam));
          const refConf = JSON.stringify(confFor(theirs, net, version, extra, ipam));
          const a = await execPluginBinary(`${dir}/bridge`, env(ours, "ADD", cid, dir), ourConf);
          assertEquals(a.code, 0, a.stdout + a.stderr);
          const ourState = await kernelState(ours, net, cid);
          const b = await execPluginBinary(
            `${REF_DIR}/bridge`,
            env(theirs, "ADD", refCid, REF_DIR),
            refConf,
          );
          assertEquals(b.code, 0, b.stdout + b.stderr);
          assertEquals(
            normText(a.stdout, ours, version, false),
            normText(b.stdout, theirs, version, true),
          );
          assertEquals(ourState, await kernelState(theirs, net, refCid));
          assertEquals(JSON.parse(a.stdout).cniVersion, version);
          if (extra.ipMasq) assertEquals(ourState.nat.length, 4);
          if (version !== "0.3.1") {
            // CHECK with the printed result as prevResult, in the config's version, both ways.
            for (
              const [bin, s, id, path, conf, prev] of [
                [`${dir}/bridge`, ours, cid, dir, ourConf, a.stdout],
                [`${REF_DIR}/bridge`, theirs, refCid, REF_DIR, refConf, b.stdout],
              ] as const
            ) {
              const withPrev = JSON.stringify({
                ...JSON.parse(conf),
                prevResult: JSON.parse(prev),
              });
              const c = await execPluginBinary(bin, env(s, "CHECK", id, path), withPrev);
              if (ipam === undefined && bin.startsWith(REF_DIR)) {
                // The reference delegates IPAM CHECK unconditionally, so L2 CHECK always fails
                // (plugins.md §1.9, also at HEAD); ours skips IPAM in L2 mode.
                assertEquals(JSON.parse(c.stdout).msg, "no plugin name provided");
                continue;
              }
              assertEquals(c, { code: 0, stdout: "", stderr: "" });
            }
          }
          // DEL through each.
          const d = await execPluginBinary(`${dir}/bridge`, env(ours, "DEL", cid, dir), ourConf);
          assertEquals(d.code, 0, d.stdout + d.stderr);
          const e = await execPluginBinary(
            `${REF_DIR}/bridge`,
            env(theirs, "DEL", refCid, REF_DIR),
            refConf,
          );
          assertEquals(e.code, 0, e.stdout + e.stderr);
          for (const s of [ours, theirs]) {
            assertEquals(await ipLink("eth0", s.ns.name), undefined);
            assertEquals(JSON.parse(await sh("ip", "-j", "link", "show", "master", s.br)), []);
          }
          assertEquals(await natRules(await ipMasqChainName(net, cid)), []);
          assertEquals(await natRules(await ipMasqChainName(net, refCid)), []);
        } finally {
          await dropSide(ours);
          await dropSide(theirs);
          await dropNatChain(await ipMasqChainName(net, cid));
          await dropNatChain(await ipMasqChainName(net, refCid));
        }
      },
    });
  }
}

Deno.test({
  ...gated(
    "exec'd bridge prints the reference 1.1.1 result for cniVersion 0.2.0 (ip4 form)",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const dir = await launcherDir();
    const net = `tpy-${rand(6)}`;
    const cid = `cpy${rand(12)}`;
    const ours = await makeSide("tpy");
    const theirs = await makeSide("tpy");
    const ipam = { type: "host-local", subnet: "10.254.99.0/24", routes: [{ dst: "0.0.0.0/0" }] };
    try {
      const a = await execPluginBinary(
        `${dir}/bridge`,
        env(ours, "ADD", cid, dir),
        JSON.stringify(confFor(ours, net, "0.2.0", { isGateway: true }, ipam)),
      );
      const b = await execPluginBinary(
        `${REF_DIR}/bridge`,
        env(theirs, "ADD", cid, REF_DIR),
        JSON.stringify(confFor(theirs, net, "0.2.0", { isGateway: true }, ipam)),
      );
      assertEquals(a.code, 0, a.stdout + a.stderr);
      assertEquals(b.code, 0, b.stdout + b.stderr);
      assertEquals(
        normText(a.stdout, ours, "0.2.0", false),
        normText(b.stdout, theirs, "0.2.0", true),
      );
      assertEquals(JSON.parse(a.stdout).ip4.ip, "10.254.99.2/24");
      assertEquals(await kernelState(ours, net, cid), await kernelState(theirs, net, cid));
    } finally {
      await dropSide(ours);
      await dropSide(theirs);
    }
  },
});

for (const version of ["1.0.0", "0.4.0", "0.3.1", "0.2.0"]) {
  Deno.test({
    ...gated(
      `exec'd host-local and loopback print the reference 1.1.1 results (cniVersion ${version})`,
      NEEDS_ROOT,
      noRef,
    ),
    async fn() {
      const dir = await launcherDir();
      const ours = await makeSide("tpy");
      const theirs = await makeSide("tpy");
      const cid = `cpy${rand(12)}`;
      try {
        const ipam = (s: Side) =>
          JSON.stringify({
            cniVersion: version,
            name: "tpy-ipam",
            type: "host-local",
            ipam: {
              type: "host-local",
              dataDir: s.dataDir,
              ...(version === "0.2.0"
                ? { subnet: "10.254.101.0/24", routes: [{ dst: "0.0.0.0/0" }] }
                : {
                  ranges: [[{ subnet: "10.254.101.0/24" }], [{ subnet: "fd54:101::/64" }]],
                  routes: [{ dst: "0.0.0.0/0" }, { dst: "10.97.0.0/16", gw: "10.254.101.9" }],
                }),
            },
          });
        const lo = JSON.stringify({ cniVersion: version, name: "tpy-lo", type: "loopback" });
        for (const [name, conf] of [["host-local", ipam], ["loopback", () => lo]] as const) {
          const a = await execPluginBinary(
            `${dir}/${name}`,
            env(ours, "ADD", cid, dir),
            conf(ours),
          );
          const b = await execPluginBinary(
            `${REF_DIR}/${name}`,
            env(theirs, "ADD", cid, REF_DIR),
            conf(theirs),
          );
          assertEquals(a.code, 0, a.stdout + a.stderr);
          assertEquals(b.code, 0, b.stdout + b.stderr);
          // The reference loopback (1.1.1 and HEAD) labels its 1.x-shaped result with the
          // config's version, so for 0.x it prints no ips[].version (0.3.x/0.4.0) or 1.x keys
          // under a 0.2.0 label; ours converts properly. Compare against the reference's result
          // converted the way it should have been.
          const refText = name === "loopback" && !version.startsWith("1.")
            ? formatResult({ ...JSON.parse(b.stdout), cniVersion: "1.0.0" }, version)
            : b.stdout;
          assertEquals(
            normText(a.stdout, ours, version, false),
            normText(refText, theirs, version, true),
            name,
          );
          const d = await execPluginBinary(
            `${dir}/${name}`,
            env(ours, "DEL", cid, dir),
            conf(ours),
          );
          assertEquals(d, { code: 0, stdout: "", stderr: "" });
        }
        // Real outcomes: our lease was released, lo is down again in our namespace.
        const leases = [...Deno.readDirSync(`${ours.dataDir}/tpy-ipam`)].map((e) => e.name);
        assertEquals(leases.filter((n) => /^(10\.|fd54)/.test(n)), []);
        assert(!(await ipLink("lo", ours.ns.name))?.flags.includes("UP"));
      } finally {
        await dropSide(ours);
        await dropSide(theirs);
      }
    },
  });
}

const BAD: [string, Record<string, unknown>, string][] = [
  ["mtu as a string", { mtu: "1500" }, "mtu"],
  ["isGateway as a string", { isGateway: "yes" }, "isGateway"],
  ["hairpinMode as a number", { hairpinMode: 1 }, "hairpinMode"],
  ["ipMasqBackend unknown", { ipMasq: true, ipMasqBackend: "ebpf" }, "ipMasqBackend"],
  ["vlan out of range", { vlan: 5000 }, "vlan"],
  ["ipam.ranges not a list", { ipam: { type: "host-local", ranges: "10.0.0.0/24" } }, "ranges"],
  ["ipam.subnet not a CIDR", { ipam: { type: "host-local", subnet: "10.254.100.0" } }, "subnet"],
];

for (const [title, extra, field] of BAD) {
  Deno.test({
    ...gated(
      `exec'd bridge refuses ${title}: code 7 naming "${field}", exit 1, nothing created`,
      NEEDS_ROOT,
      noRef,
    ),
    async fn() {
      const dir = await launcherDir();
      const s = await makeSide("tpy");
      const net = `tpy-${rand(6)}`;
      const cid = `cpy${rand(12)}`;
      const conf = {
        cniVersion: "1.0.0",
        name: net,
        type: "bridge",
        bridge: s.br,
        ipam: { type: "host-local", subnet: "10.254.100.0/24", dataDir: s.dataDir },
        ...extra,
      };
      if ((extra.ipam as any)?.type) (conf.ipam as any).dataDir = s.dataDir;
      try {
        const out = await execPluginBinary(
          `${dir}/bridge`,
          env(s, "ADD", cid, dir),
          JSON.stringify(conf),
        );
        assertEquals(out.code, 1, out.stdout + out.stderr);
        const err = JSON.parse(out.stdout);
        // The spec's error object (the reference's types.Error omits cniVersion).
        assertEquals(Object.keys(err).filter((k) => k !== "details"), [
          "cniVersion",
          "code",
          "msg",
        ]);
        assertEquals(err.cniVersion, "1.0.0");
        assertEquals(err.code, 7, out.stdout);
        assertStringIncludes(`${err.msg} ${err.details ?? ""}`, field);
        assert(!/\n\s+at /.test(out.stdout + out.stderr), "a stack trace was printed");
        // Nothing created: no bridge, no interface in the namespace, no lease, no rule.
        assertEquals((await run("ip", ["link", "show", s.br])).code, 1);
        assertEquals(
          (JSON.parse(await sh("ip", "-n", s.ns.name, "-j", "link", "show")) as any[]).map((l) =>
            l.ifname
          ),
          ["lo"],
        );
        assertEquals([...Deno.readDirSync(s.dataDir)], []);
        assertEquals(await natRules(await ipMasqChainName(net, cid)), []);
      } finally {
        await dropSide(s);
      }
    },
  });
}

const BAD_OTHERS: [string, string, Record<string, unknown>, string][] = [
  ["host-local", "rangeStart outside the subnet", {
    ipam: { type: "host-local", subnet: "10.254.102.0/24", rangeStart: "10.254.103.5" },
  }, "rangeStart"],
  ["host-local", "routes not a list", {
    ipam: { type: "host-local", subnet: "10.254.102.0/24", routes: { dst: "0.0.0.0/0" } },
  }, "routes"],
  ["host-local", "dataDir as a number", {
    ipam: { type: "host-local", subnet: "10.254.102.0/24", dataDir: 5 },
  }, "dataDir"],
];

for (const [name, title, extra, field] of BAD_OTHERS) {
  Deno.test({
    ...gated(
      `exec'd ${name} refuses ${title}: code 7 naming "${field}", exit 1, nothing created`,
      NEEDS_ROOT,
    ),
    async fn() {
      const dir = await launcherDir();
      const s = await makeSide("tpy");
      const conf: Record<string, any> = {
        cniVersion: "1.0.0",
        name: "tpy-bad",
        type: name,
        ...extra,
      };
      if (conf.ipam && typeof conf.ipam.dataDir !== "number") conf.ipam.dataDir = s.dataDir;
      try {
        const out = await execPluginBinary(
          `${dir}/${name}`,
          env(s, "ADD", `cpy${rand(12)}`, dir),
          JSON.stringify(conf),
        );
        assertEquals(out.code, 1, out.stdout + out.stderr);
        const err = JSON.parse(out.stdout);
        assertEquals(err.code, 7, out.stdout);
        assertStringIncludes(`${err.msg} ${err.details ?? ""}`, field);
        assertEquals([...Deno.readDirSync(s.dataDir)], []);
      } finally {
        await dropSide(s);
      }
    },
  });
}
