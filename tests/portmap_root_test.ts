/**
 * portmap against the real kernel, side by side with the reference (Debian 1.1.1
 * /usr/lib/cni/portmap), in a sandbox of its own (tests/helpers/fw_world.ts): the containers
 * are attached by our bridge plugin, then portmap runs as the reference binary, ours
 * in-process and ours exec'd. Checked: the same `iptables-save`/`ip6tables-save` nat tables
 * and the same printed result, one `iptables-restore` per family per ADD and DEL, real TCP
 * traffic through every mapped path (localhost, a host address, IPv6, hairpin, the container
 * address), UDP conntrack flows cleared so a new container gets the traffic, CHECK on an
 * IPv4-only container, DEL and GC without mappings or prevResult, the nftables backend (its
 * owner elements, and a GC of one network beside another network's and foreign rules), the
 * rollback of a failed ADD, and error codes.
 *
 * @module
 */
import { observeToolRuns } from "../firewall/_tool_observers.ts";
import { dnChainName } from "../plugins/portmap/iptables.ts";
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
const MAPS = [
  { hostPort: 8080, containerPort: 80, protocol: "tcp" },
  { hostPort: 8053, containerPort: 53, protocol: "udp" },
  { hostPort: 9090, containerPort: 90, protocol: "tcp", hostIP: "10.231.1.1" },
];

function portmapConf(c: Container, keys: Record<string, unknown> = {}, maps: unknown = MAPS) {
  return chained(c, "portmap", {
    capabilities: { portMappings: true },
    runtimeConfig: { portMappings: maps },
    ...keys,
  });
}

function env(c: Container) {
  return { containerId: c.cid, netns: c.netns };
}

async function natState(): Promise<{ v4: string[]; v6: string[] }> {
  return { v4: await save("iptables", "nat"), v6: await save("ip6tables", "nat") };
}

function localnet(ifName: string): string {
  return Deno.readTextFileSync(`/proc/sys/net/ipv4/conf/${ifName}/route_localnet`).trim();
}

function net(): { name: string; br: string } {
  const n = { name: `tpm-${rand(6)}`, br: `tpmbr${rand(6)}` };
  recordNames(n.name, n.br);
  return n;
}

/** Reads what a TCP server sends, or the error text. */
async function tcpRead(hostname: string, port: number): Promise<string> {
  try {
    const conn = await Deno.connect({ hostname, port });
    const timer = setTimeout(() => conn.close(), 2000);
    try {
      return new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    } finally {
      clearTimeout(timer);
    }
  } catch (err) {
    return `error: ${err instanceof Error ? err.message : err}`;
  }
}

if (!IN_WORLD) {
  worldTest(import.meta.url, "portmap against the kernel and the reference", {
    needs: [refMissing("portmap")],
  });
} else {
  Deno.test("portmap ADD/DEL: the reference, ours in-process and ours exec'd leave the same nat tables and print prevResult", async () => {
    const n = net();
    const c = await makeContainer(n.name, n.br, ["10.231.1.0/24", "fd00:231::/64"]);
    const dn = await dnChainName(n.name, c.cid);
    recordNames(dn);
    try {
      // Conditions too: the entry rules carry them as the reference writes them.
      const conf = portmapConf(c, { conditionsV4: ["!", "-d", "10.231.99.0/24"] });
      const warm = { ...env(c), containerId: `w${c.cid}` };
      for (const start of ["empty", "shared"] as const) {
        const seen: Record<string, unknown> = {};
        for (const mode of MODES) {
          await resetFirewall();
          Deno.writeTextFileSync(`/proc/sys/net/ipv4/conf/${n.br}/route_localnet`, "0");
          if (start === "shared") {
            // Shared chains made by the reference, then its container gone again.
            assertEquals((await callPlugin("go", "portmap", "ADD", conf, warm)).code, 0);
            assertEquals((await callPlugin("go", "portmap", "DEL", conf, warm)).code, 0);
          }
          const tools: string[] = [];
          const watch = observeToolRuns((argv) => tools.push(argv[0]!));
          const add = await callPlugin(mode, "portmap", "ADD", conf, env(c));
          const addTools = tools.splice(0).sort();
          assertEquals(add.code, 0, `${mode} ADD: ${add.stdout}${add.stderr}`);
          const afterAdd = await natState();
          const del = await callPlugin(mode, "portmap", "DEL", conf, env(c));
          const delTools = tools.splice(0).sort();
          watch[Symbol.dispose]();
          assertEquals(del.code, 0, `${mode} DEL: ${del.stdout}`);
          const afterDel = await natState();
          const naming = [...afterDel.v4, ...afterDel.v6].filter((l) =>
            l.includes(dn) || l.includes(c.cid)
          );
          assertEquals(naming, [], `${mode}: DEL left rules naming the container`);
          seen[mode] = {
            result: normResult(add.stdout),
            afterAdd,
            localnet: localnet(n.br),
            afterDel,
          };
          if (mode === "inproc") {
            // One restore per family when the shared chains exist; else refused, read, restored.
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
            assertEquals(delTools, ["ip6tables-restore", "iptables-restore"]);
          }
        }
        const go = seen.go as { result: unknown; afterAdd: { v4: string[] }; afterDel: unknown };
        assertEquals(go.result, normResult(JSON.stringify(c.result)));
        assert(go.afterAdd.v4.some((l) => l.includes(dn)));
        assertEquals(seen.inproc, seen.go, `in-process differs from the reference (${start})`);
        assertEquals(seen.exec, seen.go, `exec'd differs from the reference (${start})`);
      }
    } finally {
      await dropContainer(c);
      await run("ip", ["link", "del", n.br]);
      await resetFirewall();
    }
  });

  Deno.test("portmap traffic: a TCP server in the container answers on every mapped path, and not after DEL", async () => {
    for (const [backend, x] of [["iptables", 3], ["nftables", 9]] as const) {
      const n = net();
      // hairpinMode: the hairpin path goes back out of the bridge port it came in on.
      const c = await makeContainer(n.name, n.br, [`10.231.${x}.0/24`, `fd00:23${x}::/64`], {
        extra: { hairpinMode: true },
      });
      const server = spawnInNetns(c.netns, "busybox", {
        args: ["nc", "-ll", "-p", "80", "-e", "/bin/echo", "hello"],
        stdout: "null",
        stderr: "null",
      });
      try {
        await resetFirewall();
        const conf = portmapConf(c, { backend }, [
          { hostPort: 18080, containerPort: 80, protocol: "tcp" },
        ]);
        const add = await callPlugin("inproc", "portmap", "ADD", conf, env(c));
        assertEquals(add.code, 0, add.stdout);
        await new Promise((r) => setTimeout(r, 200));
        const paths: [string, string, number][] = [
          ["container address", `10.231.${x}.2`, 80],
          ["localhost", "127.0.0.1", 18080],
          ["host address", `10.231.${x}.1`, 18080],
          ["host IPv6 address", `fd00:23${x}::1`, 18080],
        ];
        for (const [what, host, port] of paths) {
          // A fresh IPv6 gateway address may still be tentative (DAD) for a moment.
          let got = await tcpRead(host, port);
          for (let i = 0; i < 30 && got !== "hello\n"; i++) {
            await new Promise((r) => setTimeout(r, 100));
            got = await tcpRead(host, port);
          }
          assertEquals(got, "hello\n", `${backend}: ${what}`);
        }
        const hairpin = await run("ip", [
          "netns",
          "exec",
          c.ns,
          "busybox",
          "nc",
          "-w",
          "3",
          `10.231.${x}.1`,
          "18080",
        ]);
        assertEquals(hairpin.stdout, "hello\n", `${backend}: hairpin ${hairpin.stderr}`);
        assertEquals(
          (await callPlugin("inproc", "portmap", "CHECK", conf, env(c))).code,
          0,
          `${backend} CHECK`,
        );
        assertEquals((await callPlugin("exec", "portmap", "DEL", conf, env(c))).code, 0);
        assert(
          (await tcpRead("127.0.0.1", 18080)).startsWith("error"),
          `${backend}: still forwarded after DEL`,
        );
      } finally {
        server.kill();
        await server.status;
        await dropContainer(c);
        await run("ip", ["link", "del", n.br]);
        await resetFirewall();
      }
    }
  });

  Deno.test("portmap UDP: ADD clears a stale flow to the host port so the new container gets the traffic; DEL clears its flows, with or without the mappings", async () => {
    const n = net();
    const c = await makeContainer(n.name, n.br, ["10.231.4.0/24"]);
    const echo = spawnInNetns(c.netns, "python3", {
      args: [
        "-c",
        "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" +
        "s.bind(('0.0.0.0', 53))\nwhile True:\n  d, a = s.recvfrom(100)\n  s.sendto(d, a)\n",
      ],
      stdout: "null",
      stderr: "null",
    });
    // Always from 127.0.0.1:40053 to 127.0.0.1:18053: the same conntrack flow each time.
    const ask = async () =>
      (await sh(
        "python3",
        "-c",
        "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" +
          "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n" +
          "s.bind(('127.0.0.1', 40053))\ns.settimeout(1.5)\ns.sendto(b'ping', ('127.0.0.1', 18053))\n" +
          "try:\n  print(s.recvfrom(100)[0].decode())\nexcept Exception:\n  print('timeout')\n",
      )).trim();
    const flows = async () =>
      (await sh("cat", "/proc/net/nf_conntrack")).split("\n").filter((l) =>
        l.includes("dport=18053")
      );
    try {
      await resetFirewall();
      // Conntrack on in the world before any portmap rule (a host firewall would do that).
      await sh("iptables", "-w", "-A", "OUTPUT", "-m", "conntrack", "--ctstate", "NEW");
      await new Promise((r) => setTimeout(r, 500)); // the echo server starting
      assertEquals(await ask(), "timeout"); // nothing listens on the host: a stale flow remains
      assertEquals((await flows()).length, 1);
      const conf = portmapConf(c, {}, [{ hostPort: 18053, containerPort: 53, protocol: "udp" }]);
      assertEquals((await callPlugin("inproc", "portmap", "ADD", conf, env(c))).code, 0);
      // Same source port: without the flush the stale flow would keep the packets on the host.
      assertEquals(await ask(), "ping");
      assertStringIncludes((await flows()).join("\n"), "src=10.231.4.2");
      assertEquals((await callPlugin("inproc", "portmap", "DEL", conf, env(c))).code, 0);
      assertEquals(await flows(), []);
      // A DEL without the mappings (only prevResult's address) clears the flows forwarded there.
      assertEquals((await callPlugin("inproc", "portmap", "ADD", conf, env(c))).code, 0);
      assertEquals(await ask(), "ping");
      assertStringIncludes((await flows()).join("\n"), "src=10.231.4.2");
      const bare = portmapConf(c, {}, []);
      assertEquals((await callPlugin("exec", "portmap", "DEL", bare, env(c))).code, 0);
      assertEquals(await flows(), []);
    } finally {
      echo.kill();
      await echo.status;
      await dropContainer(c);
      await run("ip", ["link", "del", n.br]);
      await resetFirewall();
    }
  });

  Deno.test("portmap CHECK: passes on an IPv4-only container (1.1.1 looks in ip6tables and fails) and names a missing rule", async () => {
    const n = net();
    const c = await makeContainer(n.name, n.br, ["10.231.2.0/24"]);
    const dn = await dnChainName(n.name, c.cid);
    recordNames(dn);
    try {
      await resetFirewall();
      const conf = portmapConf(c, {}, [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }]);
      assertEquals((await callPlugin("inproc", "portmap", "ADD", conf, env(c))).code, 0);
      for (const mode of ["inproc", "exec"] as const) {
        assertEquals((await callPlugin(mode, "portmap", "CHECK", conf, env(c))).code, 0, mode);
      }
      const ref = await callPlugin("go", "portmap", "CHECK", conf, env(c));
      assertEquals(ref.code, 1);
      assertStringIncludes(JSON.parse(ref.stdout).msg, "could not check ipv6 dnat");
      await sh(
        "iptables",
        ..."-w -t nat -D X -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.231.2.2:80"
          .split(" ").map((t) => (t === "X" ? dn : t)),
      );
      const outs = await Promise.all(
        (["inproc", "exec"] as const).map((m) => callPlugin(m, "portmap", "CHECK", conf, env(c))),
      );
      assertEquals(outs[0], outs[1]);
      assertEquals(JSON.parse(outs[0]!.stdout), {
        cniVersion: "1.0.0",
        code: 999,
        msg:
          `could not check ipv4 dnat: rule [-p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.231.2.2:80] in chain ${dn} not found in table nat`,
      });
      Deno.writeTextFileSync(`/proc/sys/net/ipv4/conf/${n.br}/route_localnet`, "0");
      assertEquals((await callPlugin("inproc", "portmap", "DEL", conf, env(c))).code, 0);
      assertEquals((await callPlugin("inproc", "portmap", "ADD", conf, env(c))).code, 0);
      Deno.writeTextFileSync(`/proc/sys/net/ipv4/conf/${n.br}/route_localnet`, "0");
      const off = await callPlugin("inproc", "portmap", "CHECK", conf, env(c));
      assertEquals(JSON.parse(off.stdout).msg, `route_localnet is not enabled on "${n.br}"`);
    } finally {
      await dropContainer(c);
      await run("ip", ["link", "del", n.br]);
      await resetFirewall();
    }
  });

  Deno.test("portmap DEL without portMappings or prevResult, and GC, remove the container's rules (1.1.1 leaks them)", async () => {
    const n = net();
    const a = await makeContainer(n.name, n.br, ["10.231.5.0/24", "fd00:235::/64"]);
    const b = await makeContainer(n.name, n.br, ["10.231.5.0/24", "fd00:235::/64"]);
    recordNames(await dnChainName(n.name, a.cid), await dnChainName(n.name, b.cid));
    const naming = async (c: Container) => {
      const s = await natState();
      const dn = await dnChainName(n.name, c.cid);
      return [...s.v4, ...s.v6].filter((l) => l.includes(dn) || l.includes(c.cid));
    };
    try {
      await resetFirewall();
      for (const c of [a, b]) {
        assertEquals(
          (await callPlugin("inproc", "portmap", "ADD", portmapConf(c), env(c))).code,
          0,
        );
      }
      const bare = { ...portmapConf(a), runtimeConfig: {} } as Record<string, unknown>;
      assertEquals((await callPlugin("go", "portmap", "DEL", bare, env(a))).code, 0);
      assert((await naming(a)).length > 0, "the reference's DEL without mappings removed nothing");
      delete bare.prevResult;
      for (const mode of ["inproc", "exec"] as const) {
        assertEquals((await callPlugin(mode, "portmap", "DEL", bare, env(a))).code, 0, mode);
        assertEquals(await naming(a), []);
      }
      assert((await naming(b)).length > 0, "DEL of one container touched another");
      // GC: a re-added, valid; b not in the valid attachments.
      assertEquals((await callPlugin("inproc", "portmap", "ADD", portmapConf(a), env(a))).code, 0);
      const gc = {
        cniVersion: "1.1.0",
        name: n.name,
        type: "portmap",
        "cni.dev/valid-attachments": [{ containerID: a.cid, ifname: "eth0" }],
      };
      assertEquals((await callPlugin("exec", "portmap", "GC", gc, env(a))).code, 0);
      assertEquals(await naming(b), []);
      assert((await naming(a)).length > 0, "GC removed a valid container's rules");
    } finally {
      await dropContainer(a);
      await dropContainer(b);
      await run("ip", ["link", "del", n.br]);
      await resetFirewall();
    }
  });

  Deno.test("portmap nftables backend: the reference's table and rules, one nft run per ADD, DEL by container", async () => {
    const n = net();
    const c = await makeContainer(n.name, n.br, ["10.231.6.0/24", "fd00:236::/64"]);
    try {
      await resetFirewall();
      const conf = portmapConf(c, { backend: "nftables" }, [
        { hostPort: 8080, containerPort: 80, protocol: "tcp" },
        { hostPort: 8083, containerPort: 83, protocol: "tcp", hostIP: "10.231.6.1" },
      ]);
      const tools: string[] = [];
      const watch = observeToolRuns((argv) => tools.push(argv[0]!));
      const add = await callPlugin("inproc", "portmap", "ADD", conf, env(c));
      watch[Symbol.dispose]();
      assertEquals(add.code, 0, add.stdout);
      assertEquals(tools, ["nft"]);
      const rules = async (fam: string) =>
        (await sh("nft", "list", "table", fam, "cni_hostport")).split("\n").map((l) => l.trim())
          .filter((l) => l.includes("comment"));
      // The reference's rules and comments, and beyond it the owner element (set `containers`)
      // that lets a GC tell this network's containers from another's.
      const owner = `portmap net: ${n.name}, id: ${c.cid}`;
      assertEquals(await rules("ip"), [
        'comment "CNI portmap plugin"',
        `elements = { 10.231.6.2 comment "${owner}" }`,
        `tcp dport 8080 dnat to 10.231.6.2:80 comment "${c.cid}"`,
        `ip daddr 10.231.6.1 tcp dport 8083 dnat to 10.231.6.2:83 comment "${c.cid}"`,
        `ip saddr 10.231.6.2 ip daddr 10.231.6.2 masquerade comment "${c.cid}"`,
        `ip saddr 127.0.0.1 ip daddr 10.231.6.2 masquerade comment "${c.cid}"`,
      ]);
      assertEquals(await rules("ip6"), [
        'comment "CNI portmap plugin"',
        `elements = { fd00:236::2 comment "${owner}" }`,
        `tcp dport 8080 dnat to [fd00:236::2]:80 comment "${c.cid}"`,
        `ip6 saddr fd00:236::2 ip6 daddr fd00:236::2 masquerade comment "${c.cid}"`,
      ]);
      assertEquals((await callPlugin("exec", "portmap", "CHECK", conf, env(c))).code, 0);
      assertEquals((await callPlugin("exec", "portmap", "DEL", conf, env(c))).code, 0);
      assertEquals(await rules("ip"), ['comment "CNI portmap plugin"']);
      assertEquals(await rules("ip6"), ['comment "CNI portmap plugin"']);
      const check = await callPlugin("inproc", "portmap", "CHECK", conf, env(c));
      assertStringIncludes(JSON.parse(check.stdout).msg, 'missing hostport rules in "hostports"');
    } finally {
      await dropContainer(c);
      await run("ip", ["link", "del", n.br]);
      await resetFirewall();
    }
  });

  Deno.test("portmap nftables GC: collects the stale container of its network only; DEL without prevResult by owner element", async () => {
    const n = net();
    const m = net();
    const a = await makeContainer(n.name, n.br, ["10.231.10.0/24", "fd00:23a::/64"]);
    const b = await makeContainer(n.name, n.br, ["10.231.10.0/24", "fd00:23a::/64"]);
    const c = await makeContainer(m.name, m.br, ["10.231.11.0/24", "fd00:23b::/64"]);
    // Rules on network N made by another implementation (the reference's texts, no element).
    const d = `d${rand(12)}`;
    recordNames(d);
    const addr = (x: Container, family: 4 | 6) =>
      (x.result.ips as { address: string }[]).map((i) => i.address.split("/")[0]!)
        .find((ip) => ip.includes(":") === (family === 6))!;
    const port: [Container, number][] = [[a, 8081], [b, 8082], [c, 8083]];
    /** What `nft list` shows of the containers' rules, in chain order, and `nft -j` of the set. */
    const expected = (family: 4 | 6, who: Container[], foreign: boolean) => {
      const fam = family === 4 ? "ip" : "ip6";
      const mine = port.filter(([x]) => who.includes(x));
      const dnat = mine.map(([x, p]) => {
        const ip = family === 4 ? addr(x, 4) : `[${addr(x, 6)}]`;
        return `tcp dport ${p} dnat to ${ip}:80 comment "${x.cid}"`;
      });
      const masq = mine.flatMap(([x]) => [
        `${fam} saddr ${addr(x, family)} ${fam} daddr ${
          addr(x, family)
        } masquerade comment "${x.cid}"`,
        ...(family === 4
          ? [`ip saddr 127.0.0.1 ip daddr ${addr(x, 4)} masquerade comment "${x.cid}"`]
          : []),
      ]);
      if (foreign && family === 4) {
        dnat.push(`tcp dport 8084 dnat to 10.231.10.99:80 comment "${d}"`);
        masq.push(`ip saddr 10.231.10.99 ip daddr 10.231.10.99 masquerade comment "${d}"`);
      }
      const elements = mine.map(([x]) =>
        `${addr(x, family)} portmap net: ${x.bridgeConf.name}, id: ${x.cid}`
      ).sort();
      return { rules: [...dnat, ...masq], elements };
    };
    const state = async (family: 4 | 6) => {
      const fam = family === 4 ? "ip" : "ip6";
      const text = await sh("nft", "list", "table", fam, "cni_hostport");
      const rules = text.split("\n").map((l) => l.trim()).filter((l) =>
        / (dnat to|masquerade) .*comment "[^"]*"$/.test(l)
      );
      const listed = JSON.parse(await sh("nft", "-j", "list", "table", fam, "cni_hostport")) as {
        nftables: { set?: { name: string; elem?: { elem: { val: string; comment: string } }[] } }[];
      };
      const elements = listed.nftables.flatMap((x) =>
        x.set?.name === "containers"
          ? (x.set.elem ?? []).map((e) => `${e.elem.val} ${e.elem.comment}`)
          : []
      ).sort();
      return { rules, elements };
    };
    const assertState = async (who: Container[], foreign: boolean, what: string) => {
      assertEquals(await state(4), expected(4, who, foreign), `${what} (ip)`);
      assertEquals(await state(6), expected(6, who, foreign), `${what} (ip6)`);
    };
    try {
      await resetFirewall();
      for (const [x, p] of port) {
        const conf = portmapConf(x, { backend: "nftables" }, [
          { hostPort: p, containerPort: 80, protocol: "tcp" },
        ]);
        assertEquals((await callPlugin("inproc", "portmap", "ADD", conf, env(x))).code, 0);
      }
      const foreign = await run("nft", ["-f", "-"], {
        stdin: [
          `add rule ip cni_hostport hostports tcp dport 8084 dnat to 10.231.10.99:80 comment "${d}"`,
          `add rule ip cni_hostport masquerading ip saddr 10.231.10.99 ip daddr 10.231.10.99 masquerade comment "${d}"`,
        ].join("\n") + "\n",
      });
      assertEquals(foreign.code, 0, foreign.stderr);
      await assertState([a, b, c], true, "after ADD");
      const gc = (keys: Record<string, unknown>) => ({
        cniVersion: "1.1.0",
        name: n.name,
        type: "portmap",
        ...keys,
        "cni.dev/valid-attachments": [{ containerID: a.cid, ifname: "eth0" }],
      });
      // No `backend`: iptables and nft both collected; only B's rules and element go. C is not
      // valid on N either, but its element names M; the foreign rules have no element.
      const first = await callPlugin("exec", "portmap", "GC", gc({}), env(a));
      assertEquals(first.code, 0, first.stdout);
      await assertState([a, c], true, "after GC of N");
      // Nothing left to do: two listings, no transaction, the same state.
      const tools: string[] = [];
      const watch = observeToolRuns((argv) => tools.push(argv.join(" ")));
      const again = await callPlugin(
        "inproc",
        "portmap",
        "GC",
        gc({ backend: "nftables" }),
        env(a),
      );
      watch[Symbol.dispose]();
      assertEquals(again.code, 0, again.stdout);
      assertEquals(tools.sort(), [
        "nft -j list table ip cni_hostport",
        "nft -j list table ip6 cni_hostport",
      ]);
      await assertState([a, c], true, "after a second GC");
      // DEL of A without prevResult or mappings: its element names its addresses.
      const bare = { ...portmapConf(a, { backend: "nftables" }), runtimeConfig: {} } as Record<
        string,
        unknown
      >;
      delete bare.prevResult;
      assertEquals((await callPlugin("exec", "portmap", "DEL", bare, env(a))).code, 0);
      await assertState([c], true, "after DEL of A");
    } finally {
      for (const x of [a, b, c]) await dropContainer(x);
      await run("ip", ["link", "del", n.br]);
      await run("ip", ["link", "del", m.br]);
      await resetFirewall();
    }
  });

  Deno.test("portmap failed ADD: what it made is rolled back (the other family, the rules when route_localnet fails)", async () => {
    const n = net();
    const c = await makeContainer(n.name, n.br, ["10.231.7.0/24", "fd00:237::/64"]);
    const dn = await dnChainName(n.name, c.cid);
    recordNames(dn);
    try {
      await resetFirewall();
      const conf = portmapConf(c, { conditionsV6: ["-m", "nosuchmatch"] });
      for (const mode of ["inproc", "exec"] as const) {
        const out = await callPlugin(mode, "portmap", "ADD", conf, env(c));
        assertEquals(out.code, 1);
        const err = JSON.parse(out.stdout);
        assertEquals(err.code, 999);
        assertStringIncludes(err.msg, "unable to setup DNAT: ");
        const s = await natState();
        assertEquals([...s.v4, ...s.v6].filter((l) => l.includes(dn)), []);
      }
      // route_localnet cannot be written (a read-only file over it in the world's private mount
      // namespace): the same error as the reference (1.1.1 writes it before its DNAT rules;
      // the newest after them, and leaves them); ours writes it last and removes its rules.
      const one = portmapConf(c, {}, [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }]);
      const knob = `/proc/sys/net/ipv4/conf/${n.br}/route_localnet`;
      const stand = await Deno.makeTempFile();
      await Deno.writeTextFile(stand, "0\n");
      await sh("mount", "--bind", stand, knob);
      try {
        await sh("mount", "-o", "remount,bind,ro", knob);
        const naming = async () => (await natState()).v4.filter((l) => l.includes(dn));
        const ref = await callPlugin("go", "portmap", "ADD", one, env(c));
        assertStringIncludes(JSON.parse(ref.stdout).msg, "unable to enable route_localnet");
        assertEquals((await callPlugin("go", "portmap", "DEL", one, env(c))).code, 0);
        for (const mode of ["inproc", "exec"] as const) {
          const out = await callPlugin(mode, "portmap", "ADD", one, env(c));
          assertStringIncludes(JSON.parse(out.stdout).msg, "unable to enable route_localnet: ");
          assertEquals(await naming(), [], mode);
        }
      } finally {
        await run("umount", [knob]);
        await Deno.remove(stand);
      }
    } finally {
      await dropContainer(c);
      await run("ip", ["link", "del", n.br]);
      await resetFirewall();
    }
  });

  Deno.test("portmap errors: codes and messages against the reference; in-process and exec'd print the same", async () => {
    const n = net();
    const c = await makeContainer(n.name, n.br, ["10.231.8.0/24"]);
    try {
      await resetFirewall();
      const cases: [string, Record<string, unknown>, number, string][] = [
        [
          "no prevResult",
          { ...portmapConf(c), prevResult: undefined },
          999,
          "must be called as chained plugin",
        ],
        // Deliberate difference: a bad config is code 7 (invalid network config); 1.1.1 says 999.
        [
          "port 0",
          portmapConf(c, {}, [{ hostPort: 0, containerPort: 80, protocol: "tcp" }]),
          7,
          "failed to parse config: Invalid host port number: 0",
        ],
        [
          "mark bit",
          portmapConf(c, { markMasqBit: 40 }),
          7,
          "failed to parse config: MasqMarkBit must be between 0 and 31",
        ],
      ];
      for (const [what, conf, code, msg] of cases) {
        const go = JSON.parse((await callPlugin("go", "portmap", "ADD", conf, env(c))).stdout);
        assertEquals(go.msg, msg, `reference: ${what}`);
        assertEquals(go.code, 999, `reference: ${what}`);
        const ours = await callPlugin("inproc", "portmap", "ADD", conf, env(c));
        const exec = await callPlugin("exec", "portmap", "ADD", conf, env(c));
        assertEquals(exec.stdout, ours.stdout, what);
        assertEquals(exec.code, 1);
        assertEquals(JSON.parse(ours.stdout), { cniVersion: "1.0.0", code, msg }, what);
      }
      // No mappings: prevResult through, untouched; nothing created.
      const none = await callPlugin("exec", "portmap", "ADD", portmapConf(c, {}, []), env(c));
      assertEquals(normResult(none.stdout), normResult(JSON.stringify(c.result)));
      assertEquals((await save("iptables", "nat")).filter((l) => l.includes("CNI-")), []);
    } finally {
      await dropContainer(c);
      await run("ip", ["link", "del", n.br]);
      await resetFirewall();
    }
  });
}
