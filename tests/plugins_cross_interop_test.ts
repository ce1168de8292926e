// deno-lint-ignore-file no-explicit-any -- JSON from ip oracles is read loosely in tests
/**
 * IPAM delegation across implementations:
 * - our bridge (exec'd launcher, and in-process) with the reference host-local: exec'd from
 *   `CNI_PATH` because `CNI_BUILTINS=never` (or `fallback` with the binary on the path), or
 *   because the IPAM type is not a built-in name (a symlink to the reference binary);
 * - the reference bridge (/usr/lib/cni/bridge, Debian 1.1.1) with our host-local: our
 *   launcher directory first on `CNI_PATH`, so the reference bridge execs our launcher.
 *
 * Which host-local ran is told by the data dir: ours keeps an owner index in
 * `<dataDir>/.denocni-index/`, the reference does not. Each case checks the result against
 * the all-reference stack on a second side (after normalising names and MACs), the kernel
 * state, and that DEL leaves nothing behind.
 */
import { selectInvoker } from "../cni/invoke_builtin.ts";
import { BUILTIN_PLUGINS } from "../plugins/mod.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { REF_DIR, refMissing } from "./helpers/reference.ts";
import { dropSide, makeSide, normaliseResult, type TestSide } from "./helpers/bridge_env.ts";
import { ipAddrs, ipLink, ipRoutes } from "./helpers/ip_oracle.ts";
import { rand } from "./helpers/names.ts";
import { sh } from "./helpers/run.ts";
import { type CniEnv, execPluginBinary } from "./helpers/exec_plugin.ts";
import { launcherDir } from "./helpers/launchers.ts";

const noRef = refMissing("bridge", "host-local");

type Side = TestSide;

function confFor(s: Side, net: string, version: string, ipamType = "host-local") {
  return {
    cniVersion: version,
    name: net,
    type: "bridge",
    bridge: s.br,
    isGateway: true,
    ipam: {
      type: ipamType,
      dataDir: s.dataDir,
      ranges: [[{ subnet: "10.254.80.0/24" }], [{ subnet: "fd54:80::/64" }]],
      routes: [{ dst: "0.0.0.0/0" }],
    },
  };
}

function norm(text: string, s: Side): unknown {
  const obj = JSON.parse(
    text.replaceAll(s.br, "<br>").replaceAll(s.ns.path, "<netns>").replaceAll(s.cid, "<cid>"),
  );
  // Debian's 1.1.1 bridge prints `"dns":{}` for 1.x results; the newest reference omits an
  // empty dns, and so do we.
  if (obj.dns && Object.keys(obj.dns).length === 0) delete obj.dns;
  return normaliseResult(obj);
}

async function state(s: Side, net: string) {
  const files = (() => {
    try {
      return [...Deno.readDirSync(`${s.dataDir}/${net}`)].map((e) => e.name).sort();
    } catch {
      return [];
    }
  })();
  const leases: Record<string, string> = {};
  for (const f of files.filter((f) => f !== "lock" && !f.startsWith("last_reserved"))) {
    leases[f] = Deno.readTextFileSync(`${s.dataDir}/${net}/${f}`).replaceAll(s.cid, "<cid>");
  }
  return {
    bridge: await ipAddrs(s.br).catch(() => "absent"),
    eth0: (await ipLink("eth0", s.ns.name)) ? await ipAddrs("eth0", s.ns.name) : "absent",
    routes: await ipRoutes(s.ns.name),
    ports: (JSON.parse(await sh("ip", "-j", "link", "show", "master", s.br)) as any[]).length,
    leases,
  };
}

/** Whether our host-local touched the data dir (it keeps an owner index there). */
function ourIndexExists(s: Side): boolean {
  try {
    return Deno.statSync(`${s.dataDir}/.denocni-index`).isDirectory;
  } catch {
    return false;
  }
}

function env(s: Side, command: string, path: string, extra: Record<string, string> = {}): CniEnv {
  return { command, containerId: s.cid, netns: s.ns.path, ifName: "eth0", path, extra };
}

/**
 * ADD on both sides (the mixed stack `mixed`, the all-reference stack on `ref`), compare,
 * then DEL both and check nothing is left.
 */
async function compareWithReference(
  net: string,
  version: string,
  mixed: { side: Side; add: () => Promise<string>; del: () => Promise<void> },
  ref: Side,
): Promise<void> {
  const ours = await mixed.add();
  const theirs = await execPluginBinary(
    `${REF_DIR}/bridge`,
    env(ref, "ADD", REF_DIR),
    JSON.stringify(confFor(ref, net, version)),
  );
  assertEquals(theirs.code, 0, theirs.stdout + theirs.stderr);
  assertEquals(norm(ours, mixed.side), norm(theirs.stdout, ref));
  const st = await state(mixed.side, net);
  assertEquals(st, await state(ref, net));
  assertEquals(st.ports, 1);
  assertEquals(st.bridge, ["10.254.80.1/24", "fd54:80::1/64"]);
  assertEquals(st.eth0, ["10.254.80.2/24", "fd54:80::2/64"]);
  assertEquals(st.leases, { "10.254.80.2": "<cid>\r\neth0", "fd54:80::2": "<cid>\r\neth0" });

  await mixed.del();
  const refDel = await execPluginBinary(
    `${REF_DIR}/bridge`,
    env(ref, "DEL", REF_DIR),
    JSON.stringify(confFor(ref, net, version)),
  );
  assertEquals(refDel.code, 0, refDel.stdout);
  const after = await state(mixed.side, net);
  assertEquals(after, await state(ref, net));
  assertEquals(after.ports, 0);
  assertEquals(after.eth0, "absent");
  assertEquals(after.leases, {});
}

for (const version of ["1.0.0", "0.4.0", "0.3.1"]) {
  Deno.test({
    ...gated(
      `reference bridge execs our host-local launcher (cniVersion ${version})`,
      NEEDS_ROOT,
      noRef,
    ),
    async fn() {
      const dir = await launcherDir();
      const net = `tci-${rand(6)}`;
      const side = await makeSide("tci");
      const ref = await makeSide("tci");
      const path = `${dir}:${REF_DIR}`;
      const conf = JSON.stringify(confFor(side, net, version));
      try {
        await compareWithReference(net, version, {
          side,
          async add() {
            const out = await execPluginBinary(`${REF_DIR}/bridge`, env(side, "ADD", path), conf);
            assertEquals(out.code, 0, out.stdout + out.stderr);
            assert(ourIndexExists(side), "the reference bridge did not run our host-local");
            if (version !== "0.3.1") {
              const check = await execPluginBinary(
                `${REF_DIR}/bridge`,
                env(side, "CHECK", path),
                JSON.stringify({ ...JSON.parse(conf), prevResult: JSON.parse(out.stdout) }),
              );
              assertEquals(check.code, 0, check.stdout + check.stderr);
            }
            return out.stdout;
          },
          async del() {
            const out = await execPluginBinary(`${REF_DIR}/bridge`, env(side, "DEL", path), conf);
            assertEquals(out.code, 0, out.stdout + out.stderr);
          },
        }, ref);
        assertEquals(ourIndexExists(ref), false);
      } finally {
        await dropSide(side);
        await dropSide(ref);
      }
    },
  });
}

const OUR_BRIDGE_CASES: [string, Record<string, string>, string][] = [
  ["CNI_BUILTINS=never", { CNI_BUILTINS: "never" }, "host-local"],
  ["CNI_BUILTINS=fallback and the binary on CNI_PATH", { CNI_BUILTINS: "fallback" }, "host-local"],
  ["an IPAM type that is not built in", {}, "ref-host-local"],
];

for (const [title, extra, ipamType] of OUR_BRIDGE_CASES) {
  Deno.test({
    ...gated(`our bridge launcher execs the reference host-local: ${title}`, NEEDS_ROOT, noRef),
    async fn() {
      const dir = await launcherDir();
      const net = `tci-${rand(6)}`;
      const side = await makeSide("tci");
      const ref = await makeSide("tci");
      // A CNI_PATH holding the reference host-local under the IPAM type's name only.
      const ipamDir = await Deno.makeTempDir({ prefix: "tcross-ipam-" });
      await Deno.symlink(`${REF_DIR}/host-local`, `${ipamDir}/${ipamType}`);
      const conf = JSON.stringify(confFor(side, net, "1.0.0", ipamType));
      try {
        await compareWithReference(net, "1.0.0", {
          side,
          async add() {
            const out = await execPluginBinary(
              `${dir}/bridge`,
              env(side, "ADD", ipamDir, extra),
              conf,
            );
            assertEquals(out.code, 0, out.stdout + out.stderr);
            assertEquals(ourIndexExists(side), false, "our host-local ran, not the reference");
            const check = await execPluginBinary(
              `${dir}/bridge`,
              env(side, "CHECK", ipamDir, extra),
              JSON.stringify({ ...JSON.parse(conf), prevResult: JSON.parse(out.stdout) }),
            );
            assertEquals(check.code, 0, check.stdout + check.stderr);
            return out.stdout;
          },
          async del() {
            const out = await execPluginBinary(
              `${dir}/bridge`,
              env(side, "DEL", ipamDir, extra),
              conf,
            );
            assertEquals(out.code, 0, out.stdout + out.stderr);
          },
        }, ref);
      } finally {
        await dropSide(side);
        await dropSide(ref);
        await Deno.remove(ipamDir, { recursive: true });
      }
    },
  });
}

Deno.test({
  ...gated(
    "our bridge in-process (selectInvoker prefer) execs a non-built-in IPAM type from CNI_PATH",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const net = `tci-${rand(6)}`;
    const side = await makeSide("tci");
    const ref = await makeSide("tci");
    const ipamDir = await Deno.makeTempDir({ prefix: "tcross-ipam-" });
    await Deno.symlink(`${REF_DIR}/host-local`, `${ipamDir}/ref-host-local`);
    const inv = selectInvoker({
      mode: "prefer",
      registry: BUILTIN_PLUGINS,
      cniPath: [ipamDir],
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    });
    const conf = new TextEncoder().encode(
      JSON.stringify(confFor(side, net, "1.0.0", "ref-host-local")),
    );
    const call = { containerId: side.cid, netns: side.ns.path, ifName: "eth0" };
    try {
      await compareWithReference(net, "1.0.0", {
        side,
        async add() {
          const r = await inv.execPlugin("bridge", conf, { command: "ADD", ...call });
          assertEquals(ourIndexExists(side), false, "our host-local ran, not the reference");
          return JSON.stringify(r);
        },
        async del() {
          await inv.execPlugin("bridge", conf, { command: "DEL", ...call });
        },
      }, ref);
    } finally {
      await dropSide(side);
      await dropSide(ref);
      await Deno.remove(ipamDir, { recursive: true });
    }
  },
});
