/**
 * The firewall plugin against the real kernel, side by side with the reference (Debian 1.1.1
 * /usr/lib/cni/firewall), in a sandbox of its own (tests/helpers/fw_world.ts), after our bridge
 * plugin. Checked: the same `iptables-save`/`ip6tables-save` filter tables and result (after
 * two documented differences: our per-container rules carry an owner comment, and the
 * isolation rules carry the newest reference's comments), one `iptables-restore` per family per
 * ADD and DEL, real forwarded traffic allowed by the rules and cut by `ingressPolicy`, with both
 * backends, DEL without prevResult, GC, CHECK without side effects, and error codes.
 *
 * @module
 */
import { observeToolRuns } from "../firewall/_tool_observers.ts";
import { spawnInNetns } from "../netns/spawn.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { rand } from "./helpers/names.ts";
import { refMissing } from "./helpers/reference.ts";
import { run, sh } from "./helpers/run.ts";
import {
  callPlugin,
  chained,
  type Container,
  dropContainer,
  IN_WORLD,
  makeContainer,
  type Mode,
  normResult,
  recordNames,
  resetFirewall,
  save,
  worldTest,
} from "./helpers/fw_world.ts";

const MODES: Mode[] = ["go", "inproc", "exec"];

function env(c: Container) {
  return { containerId: c.cid, netns: c.netns };
}

function net(): { name: string; br: string } {
  const n = { name: `tfw-${rand(6)}`, br: `tfwbr${rand(6)}` };
  recordNames(n.name, n.br);
  return n;
}

/**
 * The filter tables with the documented differences taken out: our owner comment on the
 * per-container rules, and 1.1.1's single isolation comment where the newest reference
 * (which we follow) writes `same-bridge|isolated`.
 */
async function filterState(): Promise<{ v4: string[]; v6: string[] }> {
  const norm = (lines: string[]) =>
    lines.map((l) =>
      l.replace(/ -m comment --comment "firewall name: \\"[^"\\]*\\" id: \\"[^"\\]*\\""/, "")
        .replace("(ingressPolicy: same-bridge|isolated)", "(ingressPolicy: same-bridge)")
    );
  return {
    v4: norm(await save("iptables", "filter")),
    v6: norm(await save("ip6tables", "filter")),
  };
}

/** Whether a TCP connection from `from`'s namespace to host:port gets the server's greeting. */
async function reaches(from: Container, host: string, port: number): Promise<boolean> {
  const out = await run("ip", [
    "netns",
    "exec",
    from.ns,
    "busybox",
    "nc",
    "-w",
    "2",
    host,
    `${port}`,
  ]);
  return out.stdout === "hello\n";
}

function server(c: Container): Deno.ChildProcess {
  return spawnInNetns(c.netns, "busybox", {
    args: ["nc", "-ll", "-p", "80", "-e", "/bin/echo", "hello"],
    stdout: "null",
    stderr: "null",
  });
}

if (!IN_WORLD) {
  worldTest(import.meta.url, "firewall against the kernel and the reference", {
    needs: [refMissing("firewall")],
  });
} else {
  Deno.test("firewall ADD/DEL: the reference, ours in-process and ours exec'd leave the same filter tables and print prevResult", async () => {
    const n = net();
    const c = await makeContainer(n.name, n.br, ["10.232.1.0/24", "fd00:232::/64"]);
    try {
      const conf = chained(c, "firewall", { ingressPolicy: "same-bridge" });
      const warm = { ...env(c), containerId: `w${c.cid}` };
      for (const start of ["empty", "shared"] as const) {
        const seen: Record<string, unknown> = {};
        for (const mode of MODES) {
          await resetFirewall();
          if (start === "shared") {
            assertEquals((await callPlugin(mode, "firewall", "ADD", conf, warm)).code, 0);
            assertEquals((await callPlugin(mode, "firewall", "DEL", conf, warm)).code, 0);
          }
          const tools: string[] = [];
          const watch = observeToolRuns((argv) => tools.push(argv[0]!));
          const add = await callPlugin(mode, "firewall", "ADD", conf, env(c));
          const addTools = tools.splice(0).sort();
          assertEquals(add.code, 0, `${mode} ADD: ${add.stdout}${add.stderr}`);
          const afterAdd = await filterState();
          if (mode !== "go") {
            const check = await callPlugin(mode, "firewall", "CHECK", conf, env(c));
            assertEquals(check.code, 0, check.stdout);
            tools.splice(0);
          }
          const del = await callPlugin(mode, "firewall", "DEL", conf, env(c));
          const delTools = tools.splice(0).sort();
          watch[Symbol.dispose]();
          assertEquals(del.code, 0, `${mode} DEL: ${del.stdout}`);
          seen[mode] = { result: normResult(add.stdout), afterAdd, afterDel: await filterState() };
          if (mode === "inproc") {
            assertEquals(
              addTools,
              start === "shared" ? ["ip6tables-restore", "iptables-restore"] : [
                "ip6tables",
                "ip6tables-restore",
                "ip6tables-restore",
                "iptables",
                "iptables-restore",
                "iptables-restore",
              ],
            );
            assertEquals(delTools, ["ip6tables-restore", "iptables-restore"], `DEL (${start})`);
          }
        }
        const go = seen.go as { result: unknown; afterAdd: { v4: string[] } };
        assertEquals(go.result, normResult(JSON.stringify(c.result)));
        assert(go.afterAdd.v4.some((l) => l.includes("-s 10.232.1.2/32 -j ACCEPT")));
        assertEquals(seen.inproc, seen.go, `in-process differs from the reference (${start})`);
        assertEquals(seen.exec, seen.go, `exec'd differs from the reference (${start})`);
      }
    } finally {
      await dropContainer(c);
      await run("ip", ["link", "del", n.br]);
      await resetFirewall();
    }
  });

  Deno.test("firewall traffic: forwarding allowed by the rules under a DROP policy, cut by DEL and by ingressPolicy (iptables and nftables)", async () => {
    const na = net();
    const nb = net();
    const a = await makeContainer(na.name, na.br, ["10.232.3.0/24"]);
    const b = await makeContainer(nb.name, nb.br, ["10.232.4.0/24"]);
    const srv = server(b);
    try {
      await new Promise((r) => setTimeout(r, 300));
      // iptables: the host forwards nothing unless the plugin's rules accept it.
      await resetFirewall();
      await sh("iptables", "-w", "-P", "FORWARD", "DROP");
      assertEquals(await reaches(a, "10.232.4.2", 80), false, "DROP policy lets traffic through");
      const open = (c: Container, keys: Record<string, unknown> = {}) =>
        chained(c, "firewall", keys);
      for (const c of [a, b]) {
        assertEquals((await callPlugin("inproc", "firewall", "ADD", open(c), env(c))).code, 0);
      }
      assertEquals(await reaches(a, "10.232.4.2", 80), true, "iptables: accepted traffic");
      assertEquals((await callPlugin("exec", "firewall", "DEL", open(a), env(a))).code, 0);
      assertEquals(await reaches(a, "10.232.4.2", 80), false, "iptables: still accepted after DEL");
      for (const c of [a, b]) {
        const conf = open(c, { ingressPolicy: "same-bridge" });
        assertEquals((await callPlugin("exec", "firewall", "ADD", conf, env(c))).code, 0);
      }
      assertEquals(await reaches(a, "10.232.4.2", 80), false, "iptables: not isolated");
      assertEquals(
        (await run("busybox", ["nc", "-w", "2", "10.232.4.2", "80"])).stdout,
        "hello\n",
        "the host itself is not isolated",
      );

      // nftables: an accept in its table does not override the iptables DROP policy (nft
      // semantics), so the policy is ACCEPT here; the isolation drop holds regardless.
      await resetFirewall();
      const nft = (c: Container, policy: string) =>
        open(c, { backend: "nftables", ingressPolicy: policy });
      for (const c of [a, b]) {
        assertEquals(
          (await callPlugin("inproc", "firewall", "ADD", nft(c, "open"), env(c))).code,
          0,
        );
      }
      assertEquals(await reaches(a, "10.232.4.2", 80), true, "nftables: open");
      for (const c of [a, b]) {
        const out = await callPlugin("exec", "firewall", "ADD", nft(c, "same-bridge"), env(c));
        assertEquals(out.code, 0, out.stdout);
        assertEquals(
          (await callPlugin("inproc", "firewall", "CHECK", nft(c, "same-bridge"), env(c))).code,
          0,
        );
      }
      assertEquals(await reaches(a, "10.232.4.2", 80), false, "nftables: not isolated");
    } finally {
      srv.kill();
      await srv.status;
      await dropContainer(a);
      await dropContainer(b);
      await run("ip", ["link", "del", na.br]);
      await run("ip", ["link", "del", nb.br]);
      await resetFirewall();
    }
  });

  Deno.test("firewall DEL without prevResult and GC remove the container's rules by owner (1.1.1 leaks them)", async () => {
    const n = net();
    const a = await makeContainer(n.name, n.br, ["10.232.5.0/24", "fd00:235::/64"]);
    const b = await makeContainer(n.name, n.br, ["10.232.5.0/24", "fd00:235::/64"]);
    const rulesOf = async (c: Container) => {
      const ips = ((c.result.ips ?? []) as { address: string }[]).map((i) =>
        i.address.split("/")[0]!
      );
      const all = [...await save("iptables", "filter"), ...await save("ip6tables", "filter")];
      return all.filter((l) => ips.some((ip) => l.includes(`${ip}/`)));
    };
    try {
      await resetFirewall();
      assertEquals(
        (await callPlugin("go", "firewall", "ADD", chained(a, "firewall", {}), env(a))).code,
        0,
      );
      const bare = chained(a, "firewall", {});
      delete bare.prevResult;
      assertEquals((await callPlugin("go", "firewall", "DEL", bare, env(a))).code, 0);
      assert(
        (await rulesOf(a)).length > 0,
        "the reference's DEL without prevResult removed something",
      );
      // Our DEL with prevResult also removes the reference's uncommented rules.
      const full = chained(a, "firewall", {});
      assertEquals((await callPlugin("exec", "firewall", "DEL", full, env(a))).code, 0);
      assertEquals(await rulesOf(a), []);
      await resetFirewall();
      for (const c of [a, b]) {
        assertEquals(
          (await callPlugin("inproc", "firewall", "ADD", chained(c, "firewall", {}), env(c))).code,
          0,
        );
      }
      assertEquals((await callPlugin("exec", "firewall", "DEL", bare, env(a))).code, 0);
      assertEquals(await rulesOf(a), []);
      assertEquals((await rulesOf(b)).length, 4);
      // GC with a valid: b goes.
      assertEquals(
        (await callPlugin("inproc", "firewall", "ADD", chained(a, "firewall", {}), env(a))).code,
        0,
      );
      const gc = {
        cniVersion: "1.1.0",
        name: n.name,
        type: "firewall",
        "cni.dev/valid-attachments": [{ containerID: a.cid, ifname: "eth0" }],
      };
      assertEquals((await callPlugin("inproc", "firewall", "GC", gc, env(a))).code, 0);
      assertEquals(await rulesOf(b), []);
      assertEquals((await rulesOf(a)).length, 4);
      // nftables: the same by the element comments.
      await resetFirewall();
      const nft = (c: Container) => chained(c, "firewall", { backend: "nftables" });
      for (const c of [a, b]) {
        assertEquals((await callPlugin("inproc", "firewall", "ADD", nft(c), env(c))).code, 0);
      }
      const elements = async () => (await sh("nft", "list", "table", "inet", "cni_firewall"));
      const bareNft = nft(a);
      delete bareNft.prevResult;
      assertEquals((await callPlugin("exec", "firewall", "DEL", bareNft, env(a))).code, 0);
      const listed = await elements();
      assert(!listed.includes(a.cid), "nft DEL by owner left the container's elements");
      assertStringIncludes(listed, b.cid);
    } finally {
      await dropContainer(a);
      await dropContainer(b);
      await run("ip", ["link", "del", n.br]);
      await resetFirewall();
    }
  });

  Deno.test("firewall CHECK: names a missing rule and creates nothing (1.1.1 creates the chains)", async () => {
    const n = net();
    const c = await makeContainer(n.name, n.br, ["10.232.6.0/24"]);
    try {
      await resetFirewall();
      const conf = chained(c, "firewall", {});
      const ours = await callPlugin("inproc", "firewall", "CHECK", conf, env(c));
      assertEquals(JSON.parse(ours.stdout), {
        cniVersion: "1.0.0",
        code: 999,
        msg:
          "expected FORWARD rule [-m comment --comment CNI firewall plugin rules -j CNI-FORWARD] not found",
      });
      assertEquals((await save("iptables", "filter")).filter((l) => l.includes("CNI-")), []);
      const ref = await callPlugin("go", "firewall", "CHECK", conf, env(c));
      assertEquals(JSON.parse(ref.stdout).msg, JSON.parse(ours.stdout).msg);
      assert((await save("iptables", "filter")).some((l) => l.startsWith(":CNI-FORWARD")));
      await resetFirewall();
      assertEquals((await callPlugin("exec", "firewall", "ADD", conf, env(c))).code, 0);
      const comment = `firewall name: \\"${n.name}\\" id: \\"${c.cid}\\"`;
      await sh(
        "iptables",
        "-w",
        "-D",
        "CNI-FORWARD",
        "-s",
        "10.232.6.2/32",
        "-m",
        "comment",
        "--comment",
        comment.replaceAll("\\", ""),
        "-j",
        "ACCEPT",
      );
      const outs = await Promise.all(
        (["inproc", "exec"] as const).map((m) => callPlugin(m, "firewall", "CHECK", conf, env(c))),
      );
      assertEquals(outs[0], outs[1]);
      assertEquals(JSON.parse(outs[0]!.stdout), {
        cniVersion: "1.0.0",
        code: 999,
        msg: `expected rule [-s 10.232.6.2/32 -m comment --comment ${
          comment.replaceAll("\\", "")
        } -j ACCEPT] not found`,
      });
    } finally {
      await dropContainer(c);
      await run("ip", ["link", "del", n.br]);
      await resetFirewall();
    }
  });

  Deno.test("firewall errors: codes and messages against the reference; in-process and exec'd print the same", async () => {
    const n = net();
    const c = await makeContainer(n.name, n.br, ["10.232.7.0/24"]);
    try {
      await resetFirewall();
      const base = chained(c, "firewall", {});
      const noPrev = { ...base, prevResult: undefined };
      const cases: [string, Record<string, unknown>, string, number, string][] = [
        [
          "no prevResult",
          noPrev,
          "missing prevResult from earlier plugin",
          999,
          "missing prevResult from earlier plugin",
        ],
        // Deliberate differences: refused before anything is done, code 7 (1.1.1: 999 after
        // adding the rules).
        [
          "unknown policy",
          { ...base, ingressPolicy: "x" },
          'unknown ingress policy: "x"',
          7,
          'failed to load netconf: unknown ingress policy: "x"',
        ],
        [
          "no bridge",
          {
            ...base,
            ingressPolicy: "same-bridge",
            prevResult: { cniVersion: "1.0.0", ips: [{ address: "10.232.7.9/24" }] },
          },
          'interface needs to be set for ingress policy "same-bridge", make sure to chain "firewall" plugin with "bridge"',
          7,
          'interface needs to be set for ingress policy "same-bridge", make sure to chain "firewall" plugin with "bridge"',
        ],
      ];
      for (const [what, conf, refMsg, code, msg] of cases) {
        await resetFirewall();
        const ref = JSON.parse((await callPlugin("go", "firewall", "ADD", conf, env(c))).stdout);
        assertEquals([ref.code, ref.msg], [999, refMsg], `reference: ${what}`);
        await resetFirewall();
        const ours = await callPlugin("inproc", "firewall", "ADD", conf, env(c));
        const exec = await callPlugin("exec", "firewall", "ADD", conf, env(c));
        assertEquals(exec.stdout, ours.stdout, what);
        assertEquals(JSON.parse(ours.stdout), { cniVersion: "1.0.0", code, msg }, what);
        assertEquals(
          (await save("iptables", "filter")).filter((l) => l.includes("CNI-")),
          [],
          what,
        );
      }
      // firewalld: the reference fails to reach D-Bus; we say why and what to do.
      const fwd = { ...base, backend: "firewalld" };
      const ref = JSON.parse((await callPlugin("go", "firewall", "ADD", fwd, env(c))).stdout);
      assertStringIncludes(ref.msg, "system_bus_socket");
      const ours = JSON.parse((await callPlugin("exec", "firewall", "ADD", fwd, env(c))).stdout);
      assertEquals(ours.code, 7);
      assertStringIncludes(ours.msg, 'backend "firewalld" is not supported');
      assertStringIncludes(ours.details, "firewall-cmd --permanent --zone=trusted --add-source=");
      assertEquals((await callPlugin("exec", "firewall", "DEL", fwd, env(c))).code, 0);
      // cniVersion below 0.4.0: code 1 from both.
      const old = { cniVersion: "0.3.1", name: n.name, type: "firewall" };
      for (const mode of MODES) {
        const out = JSON.parse((await callPlugin(mode, "firewall", "ADD", old, env(c))).stdout);
        assertEquals([out.code, out.msg], [1, "incompatible CNI versions"], mode);
      }
    } finally {
      await dropContainer(c);
      await run("ip", ["link", "del", n.br]);
      await resetFirewall();
    }
  });
}
