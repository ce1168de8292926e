import { assert, assertEquals, assertRejects } from "../../tests/helpers/assert.ts";
import { join } from "node:path";
import { CniError } from "../../cni/errors.ts";
import type { CmdArgs } from "../../cni/plugin.ts";
import type { NetConf } from "../../cni/types.ts";
import { cmdAdd, cmdCheck, cmdDel, cmdGc, cmdStatus, plugin } from "./commands.ts";

function call(
  config: Record<string, unknown>,
  containerId = "",
  ifName = "eth0",
  args = "",
): CmdArgs {
  return {
    command: "ADD",
    containerId,
    netns: "/none",
    ifName,
    args,
    path: "",
    stdinData: new TextEncoder().encode(JSON.stringify(config)),
    config: config as NetConf,
  };
}

function leases(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of Deno.readDirSync(dir)) {
    if (e.name === "lock" || e.name.startsWith("last_reserved_ip.")) continue;
    out[e.name] = Deno.readTextFileSync(join(dir, e.name));
  }
  return out;
}

async function withData(fn: (data: string) => Promise<void>): Promise<void> {
  const data = await Deno.makeTempDir({ prefix: "denocni-hl-cmd-" });
  try {
    await fn(data);
  } finally {
    await Deno.remove(data, { recursive: true });
  }
}

Deno.test("cmdAdd() returns ips, routes and resolvConf DNS; cmdCheck() and cmdDel() find and free them", async () => {
  await withData(async (data) => {
    const resolv = join(data, "resolv.conf");
    await Deno.writeTextFile(
      resolv,
      "nameserver 1.1.1.1\ndomain ex.com\nsearch a b\noptions ndots:2\n",
    );
    const conf = {
      cniVersion: "1.1.0",
      name: "n",
      type: "bridge",
      ipam: {
        type: "host-local",
        dataDir: data,
        resolvConf: resolv,
        ranges: [[{ subnet: "10.9.0.0/29" }], [{ subnet: "fd00::/120" }]],
        routes: [{ dst: "0.0.0.0/0" }],
      },
    };
    const result = await plugin.add(call(conf, "c1"), {
      delegate: undefined as never,
      env: {},
      log: () => {},
    });
    assertEquals(result, {
      cniVersion: "1.1.0",
      ips: [
        { address: "10.9.0.2/29", gateway: "10.9.0.1" },
        { address: "fd00::2/120", gateway: "fd00::1" },
      ],
      routes: [{ dst: "0.0.0.0/0" }],
      dns: { nameservers: ["1.1.1.1"], domain: "ex.com", search: ["a", "b"], options: ["ndots:2"] },
    });
    await cmdCheck(call(conf, "c1"));
    await assertRejects(
      () => cmdCheck(call(conf, "c2")),
      CniError,
      "host-local: Failed to find address added by container c2",
    );
    await cmdDel(call(conf, "c1"));
    await cmdDel(call(conf, "c1"));
    assertEquals(leases(join(data, "n")), {});
  });
});

Deno.test("cmdAdd() rolls back this call's reservations only, with the reference's messages", async () => {
  await withData(async (data) => {
    const conf = {
      cniVersion: "1.0.0",
      name: "n",
      type: "x",
      ipam: { dataDir: data, ranges: [[{ subnet: "10.9.0.0/29" }], [{ subnet: "10.8.0.0/30" }]] },
    };
    await cmdAdd(call(conf, "old", "eth0"));
    // Set 1 (/30) has a single address, now taken: the second ADD fails on range 1.
    const err = await assertRejects(() => cmdAdd(call(conf, "new", "eth0")), CniError);
    assertEquals(
      (err as CniError).msg,
      "failed to allocate for range 1: no IP addresses available in range set: 10.8.0.1-10.8.0.2",
    );
    assertEquals(leases(join(data, "n")), { "10.9.0.2": "old\r\neth0", "10.8.0.2": "old\r\neth0" });
    // A requested address that no set contains.
    const one = { ...conf, ipam: { dataDir: data, ranges: [[{ subnet: "10.9.0.0/29" }]] } };
    const err2 = await assertRejects(
      () => cmdAdd(call(one, "x", "eth1", "IP=10.7.0.5")),
      CniError,
    );
    assertEquals((err2 as CniError).msg, "failed to allocate all requested IPs: 10.7.0.5");
    assertEquals(Object.keys(leases(join(data, "n"))).length, 2);
  });
});

Deno.test("cmdAdd() reports a missing resolvConf before touching the store", async () => {
  await withData(async (data) => {
    const conf = {
      cniVersion: "1.0.0",
      name: "n",
      type: "x",
      ipam: { dataDir: data, subnet: "10.0.0.0/24", resolvConf: join(data, "nope") },
    };
    await assertRejects(
      () => cmdAdd(call(conf, "c")),
      CniError,
      `failed to read resolvConf "${join(data, "nope")}"`,
    );
  });
});

Deno.test("cmdAdd() refuses a resolvConf that is over 64 KiB, a FIFO or a device, at once", async () => {
  await withData(async (data) => {
    const big = join(data, "big.conf");
    await Deno.writeTextFile(big, "nameserver 192.0.2.1\n".repeat(4000)); // 84 000 bytes
    const fifo = join(data, "fifo.conf");
    assertEquals((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
    for (const path of [big, fifo, "/dev/zero"]) {
      const conf = {
        cniVersion: "1.0.0",
        name: "n",
        type: "x",
        ipam: { dataDir: data, subnet: "10.0.0.0/24", resolvConf: path },
      };
      const t0 = performance.now();
      const err = await assertRejects(() => cmdAdd(call(conf, "c")), CniError);
      assertEquals((err as CniError).code, 5);
      assertEquals((err as CniError).msg, `failed to read resolvConf "${path}"`);
      assert(performance.now() - t0 < 2000, `${path} took ${performance.now() - t0} ms`);
    }
    // Nothing was allocated: the store was never opened.
    assertEquals([...Deno.readDirSync(data)].map((e) => e.name).sort(), ["big.conf", "fifo.conf"]);
  });
});

Deno.test("cmdGc() releases leases not in cni.dev/valid-attachments, keeps legacy ids that are valid", async () => {
  await withData(async (data) => {
    const base = {
      cniVersion: "1.1.0",
      name: "n",
      type: "x",
      ipam: { dataDir: data, subnet: "10.0.0.0/24" },
    };
    for (const [id, ifn] of [["keep", "eth0"], ["keep", "eth1"], ["gone", "eth0"]]) {
      await cmdAdd(call(base, id, ifn));
    }
    const dir = join(data, "n");
    await Deno.writeTextFile(join(dir, "10.0.0.50"), "legacy");
    await Deno.writeTextFile(join(dir, "10.0.0.51"), "stale-legacy");
    await Deno.writeTextFile(join(dir, "10.0.0.52"), "");
    const released = await cmdGc(call({
      ...base,
      "cni.dev/valid-attachments": [{ containerID: "keep", ifname: "eth0" }, {
        containerID: "legacy",
        ifname: "eth0",
      }],
    }));
    // The empty 10.0.0.52 (an unfinished reservation) goes with the scan itself, before GC
    // looks at owners: gone (below), not counted as released.
    assertEquals(released.sort(), ["10.0.0.4", "10.0.0.51", "10.0.0.3"].sort());
    assertEquals(leases(dir), { "10.0.0.2": "keep\r\neth0", "10.0.0.50": "legacy" });
    assert((await Deno.stat(join(dir, "lock"))).isFile);
    assert((await Deno.stat(join(dir, "last_reserved_ip.0"))).isFile);
    // Without any attachment list, nothing is valid.
    await cmdGc(call(base));
    assertEquals(leases(dir), {});
    await assertRejects(
      () => cmdGc(call({ ...base, "cni.dev/valid-attachments": [{ containerID: 1 }] })),
      CniError,
      'field "cni.dev/valid-attachments[0].containerID"',
    );
  });
});

Deno.test("cmdStatus() answers 50 when a range set is exhausted or the data directory is unusable", async () => {
  await withData(async (data) => {
    const conf = {
      cniVersion: "1.1.0",
      name: "n",
      type: "x",
      ipam: { dataDir: data, subnet: "10.0.0.0/30" },
    };
    await cmdStatus(call(conf));
    await cmdAdd(call(conf, "c"));
    const err = await assertRejects(() => cmdStatus(call(conf)), CniError);
    assertEquals((err as CniError).code, 50);
    assertEquals(
      (err as CniError).msg,
      "no IP addresses available in range set: 10.0.0.1-10.0.0.2",
    );
    await Deno.writeTextFile(join(data, "file"), "");
    const bad = { ...conf, ipam: { ...conf.ipam, dataDir: join(data, "file") } };
    const err2 = await assertRejects(() => cmdStatus(call(bad)), CniError);
    assertEquals((err2 as CniError).code, 50);
  });
});
