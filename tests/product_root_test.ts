// The product as a newcomer meets it: the README demo, `cnitool exec` cleanup on every path,
// `cnitool install` entries exec'd the way runtimes do, and the compile task's module graph.
// Kernel-changing runs happen inside tests/helpers/sandbox.ts (own netns + tmpfs /run, /var/lib).
import { INSTALLED_NAMES } from "../cmd/install_plugins.ts";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { inSandbox, leftovers, LEFTOVERS_SCRIPT, NOTHING_LEFT, REPO } from "./helpers/sandbox.ts";

const PERMS = "--allow-ffi --allow-read --allow-write --allow-env --allow-run";
const CLI = `"$DENO" run --quiet ${PERMS} cli.ts`;

/** Builds the bundle outside the sandbox (the first `deno bundle` fetches esbuild from npm). */
async function buildBundle(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "bundle"],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return `${REPO}/dist/denocni.js`;
}

function seedConflist(name: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    cniVersion: "1.0.0",
    name,
    plugins: [
      {
        type: "bridge",
        bridge: `br-${name}`.slice(0, 15),
        isGateway: true,
        ipMasq: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: "10.23.0.0/24" }]],
          routes: [{ dst: "0.0.0.0/0" }],
        },
        ...extra,
      },
      { type: "loopback" },
    ],
  });
}

Deno.test({
  ...gated(
    "deno task demo prints eth0 in 10.22.0.0/16 and lo up, and leaves nothing behind",
    NEEDS_ROOT,
  ),
  async fn() {
    const run = await inSandbox(`"$DENO" task --quiet demo; echo "rc=$?"\n${LEFTOVERS_SCRIPT}`);
    assertMatch(run.stdout, /rc=0\n/, run.stderr);
    assertMatch(run.stdout, /^\d+: eth0@if\d+: <[^>]*\bUP\b[^>]*>/m);
    assertMatch(run.stdout, /^\s+inet 10\.22\.\d+\.\d+\/16 .*eth0$/m);
    assertMatch(run.stdout, /^1: lo: <LOOPBACK,UP,LOWER_UP>/m);
    assertMatch(run.stdout, /^\s+inet 127\.0\.0\.1\/8 scope host lo$/m);
    assertEquals(leftovers(run.stdout), NOTHING_LEFT);
  },
});

Deno.test({
  ...gated(
    "deno task demo uses the embedded network even when NETCONFPATH holds one it cannot run",
    NEEDS_ROOT,
  ),
  async fn() {
    // Podman's 87-podman-bridge.conflist (here its bridge and portmap, with a CNI_PATH that
    // finds nothing) is not what the demo runs: it runs the embedded network whatever the
    // directory holds, so cni-podman0 is never made.
    const podmanLike = JSON.stringify({
      cniVersion: "0.4.0",
      name: "podman",
      plugins: [
        {
          type: "bridge",
          bridge: "cni-podman0",
          ipam: { type: "host-local", subnet: "10.88.0.0/16" },
        },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    });
    const run = await inSandbox(
      `mkdir -p /run/conf && echo '${podmanLike}' > /run/conf/87-podman-bridge.conflist
NETCONFPATH=/run/conf CNI_PATH=/nonexistent "$DENO" task --quiet demo; echo "rc=$?"
ip -o link show cni-podman0 2>/dev/null; echo "podman-bridge=$?"
${LEFTOVERS_SCRIPT}`,
    );
    assertMatch(run.stdout, /rc=0\n/, run.stderr);
    assertMatch(run.stdout, /^\s+inet 10\.22\.\d+\.\d+\/16 .*eth0$/m);
    assertMatch(run.stdout, /podman-bridge=1\n/);
    assertEquals(leftovers(run.stdout), NOTHING_LEFT);
  },
});

Deno.test({
  ...gated("cnitool exec returns the command's exit code and cleans up after it fails", NEEDS_ROOT),
  async fn() {
    const run = await inSandbox(
      `mkdir -p /run/conf && echo '${seedConflist("xfail")}' > /run/conf/10-x.conflist
${CLI} exec --netconf-dir /run/conf -- sh -c 'ip -o -4 addr show eth0; exit 3'; echo "rc=$?"
${LEFTOVERS_SCRIPT}`,
    );
    assertMatch(run.stdout, /eth0\s+inet 10\.23\.0\.\d+\/24/, run.stderr);
    assertMatch(run.stdout, /rc=3\n/);
    assertEquals(leftovers(run.stdout), NOTHING_LEFT);
  },
});

Deno.test({
  ...gated("cnitool exec undoes the first network when the second one's ADD fails", NEEDS_ROOT),
  async fn() {
    const bad = JSON.stringify({
      cniVersion: "1.0.0",
      name: "broken",
      plugins: [{ type: "no-such-plugin" }],
    });
    const run = await inSandbox(
      `mkdir -p /run/conf && echo '${seedConflist("xhalf")}' > /run/conf/10-a.conflist
echo '${bad}' > /run/conf/20-b.conflist
CNI_PATH=/nonexistent ${CLI} exec --netconf-dir /run/conf -- true; echo "rc=$?"
${LEFTOVERS_SCRIPT}`,
    );
    assertMatch(run.stdout, /rc=1\n/, run.stderr);
    assertMatch(run.stderr, /^error: .*no-such-plugin/m);
    assertEquals(run.stderr.split("\n").filter((l) => l.startsWith("    at ")), []);
    assertEquals(leftovers(run.stdout), NOTHING_LEFT);
  },
});

Deno.test({
  ...gated("cnitool exec cleans up on SIGTERM and exits 143", NEEDS_ROOT),
  async fn() {
    const run = await inSandbox(
      `mkdir -p /run/conf && echo '${seedConflist("xterm")}' > /run/conf/10-x.conflist
${CLI} exec --netconf-dir /run/conf -- sleep 60 &
pid=$!
for i in $(seq 1 200); do
  ns=$(ls /run/netns 2>/dev/null | head -1)
  [ -n "$ns" ] && [ -n "$(ip netns pids "$ns" 2>/dev/null)" ] && break
  sleep 0.1
done
ip -o link show type veth | grep -q veth && echo "veth-present"
kill -TERM $pid; wait $pid; echo "rc=$?"
${LEFTOVERS_SCRIPT}`,
    );
    assertMatch(run.stdout, /veth-present\n/, run.stderr);
    assertMatch(run.stdout, /rc=143\n/);
    assertEquals(leftovers(run.stdout), NOTHING_LEFT);
  },
});

Deno.test({
  ...gated(
    "cnitool install entries work as plugins with only CNI_* and a minimal PATH",
    NEEDS_ROOT,
  ),
  async fn() {
    const conf = JSON.stringify({
      cniVersion: "1.0.0",
      name: "inst",
      type: "bridge",
      bridge: "br-inst",
      isGateway: true,
      ipam: { type: "host-local", subnet: "10.24.0.0/24", dataDir: "/run/ipam" },
    });
    const plugin = (cmd: string) =>
      `env -i PATH=/usr/bin:/bin CNI_COMMAND=${cmd} CNI_CONTAINERID=c1 ` +
      `CNI_NETNS=/run/netns/c1 CNI_IFNAME=eth0 CNI_PATH=/run/bin /run/bin/bridge < /run/conf.json`;
    const bundle = await buildBundle();
    const run = await inSandbox(
      `echo '${conf}' > /run/conf.json
${CLI} install --dir /run/bin --bundle ${bundle} >/dev/null; echo "install-rc=$?"
ls /run/bin | tr '\n' ' '; echo
echo "== version"
env -i PATH=/usr/bin:/bin CNI_COMMAND=VERSION /run/bin/loopback </dev/null
echo; echo "== add"
ip netns add c1
${plugin("ADD")}; echo; echo "add-rc=$?"
echo "== ipaddr"; ip -n c1 -o -4 addr show eth0
${plugin("DEL")}; echo "del-rc=$?"
ip netns del c1
echo "== foreign"
rm /run/bin/host-local && echo '#!/bin/sh' > /run/bin/host-local
${CLI} install --dir /run/bin --bundle ${bundle}; echo "reinstall-rc=$?"
head -1 /run/bin/host-local`,
    );
    assertMatch(run.stdout, /install-rc=0\n/, run.stderr);
    // Every name install writes (derived from BUILTIN_ABOUT), the bundles and the launchers' cache.
    const listed = run.stdout.split("install-rc=0\n")[1]!.split("\n")[0]!.trim().split(" ");
    assertEquals(
      listed,
      [...INSTALLED_NAMES, "denocni-cache", "denocni-forward.js", "denocni.js"].sort(),
    );
    const version = run.stdout.split("== version\n")[1]!.split("\n== add")[0]!;
    assertEquals(JSON.parse(version).supportedVersions.includes("1.1.0"), true);
    const add = JSON.parse(run.stdout.split("== add\n")[1]!.split("\nadd-rc=")[0]!);
    assertEquals(add.cniVersion, "1.0.0");
    assertEquals(add.interfaces[0].name, "br-inst");
    assertMatch(add.ips[0].address, /^10\.24\.0\.\d+\/24$/);
    assertMatch(run.stdout, /== ipaddr\n.*eth0\s+inet 10\.24\.0\.\d+\/24/);
    assertMatch(run.stdout, /del-rc=0\n/);
    assertMatch(run.stdout, /reinstall-rc=1\n#!\/bin\/sh\n/);
    assertMatch(
      run.stderr,
      /^error: refusing to replace files that are not denocni's: .*host-local/m,
    );
  },
});

Deno.test("deno task compile packs the whole module graph (stand-in runtime via DENORT_BIN)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denocni-compile-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["compile", "--no-check", ...PERMS.split(" "), `--output=${dir}/denocni`, "cli.ts"],
      cwd: REPO,
      env: { DENORT_BIN: Deno.execPath(), NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert(out.success, text);
    const embedded = ["cli.ts", "bridge_link.ts", "allocator.ts", "skel.ts"]
      .concat(["libcni.ts", "link_add.ts", "libc.ts", "zod/"]);
    // the tree shows a folder either collapsed ("cmd/*") or expanded ("cmd (92KB)")
    for (const folder of ["cmd", "bridge", "loopback"]) {
      assert(
        new RegExp(`\\b${folder}(/\\*| \\()`).test(text),
        `compiled binary embeds ${folder}/:\n${text}`,
      );
    }
    for (const file of embedded) {
      assert(text.includes(file), `compiled binary embeds ${file}:\n${text}`);
    }
    assert((await Deno.stat(`${dir}/denocni`)).size > 1_000_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  ...gated(
    "without CAP_NET_ADMIN/CAP_SYS_ADMIN kernel commands stop first with one line",
    NEEDS_ROOT,
  ),
  async fn() {
    for (
      const args of [
        ["exec", "--", "true"],
        ["netns", "add", "denocni-nopriv"],
        ["add", "mynet", "/run/netns/none"],
      ]
    ) {
      const out = await new Deno.Command("setpriv", {
        args: [
          "--bounding-set",
          "-net_admin,-sys_admin",
          Deno.execPath(),
          "run",
          "--quiet",
          ...PERMS.split(" "),
          "cli.ts",
          ...args,
        ],
        cwd: REPO,
        env: { NO_COLOR: "1", NETCONFPATH: `${REPO}/tests/fixtures/conf/good` },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 1, stderr);
      assertMatch(
        stderr,
        /^error: cnitool (exec|netns add|add) needs root \(CAP_NET_ADMIN and CAP_SYS_ADMIN missing\): run it with sudo\n$/,
      );
    }
    const names = await new Deno.Command("ip", { args: ["netns", "list"], stdout: "piped" })
      .output();
    assert(!new TextDecoder().decode(names.stdout).includes("denocni-nopriv"));
  },
});
