// host-local on a failing disk: a full dataDir (ENOSPC), a read-only one (EROFS) and garbage
// lease files. Each gives a clean CniError and never a lost, duplicated or half-written lease.
// The data dirs are small tmpfs mounts on temp dirs this test creates (root only).
import { assert, assertEquals, assertRejects } from "./helpers/assert.ts";
import { sh } from "./helpers/run.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { refMissing } from "./helpers/reference.ts";
import { join } from "node:path";
import { CniError } from "../cni/errors.ts";
import type { CmdArgs } from "../cni/plugin.ts";
import type { NetConf } from "../cni/types.ts";
import { cmdAdd, cmdCheck, cmdDel, cmdGc, cmdStatus } from "../plugins/host_local/mod.ts";
import { execReference } from "./helpers/exec_plugin.ts";

/** A tmpfs of `size` on a new temp dir, unmounted and removed on dispose. */
async function tmpfs(size: string) {
  const dir = await Deno.makeTempDir({ prefix: "denocni-hl-fault-" });
  await sh("mount", "-t", "tmpfs", "-o", `size=${size},mode=0755`, "tmpfs", dir);
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await sh("umount", dir).catch(() => sh("umount", "-l", dir));
      await Deno.remove(dir);
    },
  };
}

function conf(data: string, name = "f"): Record<string, unknown> {
  return { cniVersion: "1.0.0", name, type: "x", ipam: { dataDir: data, subnet: "10.62.0.0/24" } };
}

function args(config: Record<string, unknown>, containerId: string): CmdArgs {
  return {
    command: "ADD",
    containerId,
    netns: "/none",
    ifName: "eth0",
    args: "",
    path: "",
    stdinData: new TextEncoder().encode(JSON.stringify(config)),
    config: config as NetConf,
  };
}

/** Lease files of a network directory: name -> content. */
function leases(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of Deno.readDirSync(dir)) {
    if (e.name === "lock" || e.name.startsWith("last_reserved_ip.")) continue;
    out[e.name] = Deno.readTextFileSync(join(dir, e.name));
  }
  return out;
}

function owners(dir: string): string[] {
  return Object.values(leases(dir)).sort();
}

Deno.test({
  ...gated(
    "host-local on a full 64 KiB tmpfs: as many leases as the reference, then a clean error",
    NEEDS_ROOT,
    refMissing("host-local"),
  ),
  async fn() {
    await using refFs = await tmpfs("64k");
    await using ourFs = await tmpfs("64k");
    let theirs = 0;
    for (;; theirs++) {
      const out = await execReference("host-local", {
        command: "ADD",
        containerId: `c${theirs}`,
        netns: "/none",
        ifName: "eth0",
      }, conf(refFs.dir));
      if (out.code !== 0) break;
    }
    let ours = 0;
    let failure: unknown;
    for (;; ours++) {
      try {
        await cmdAdd(args(conf(ourFs.dir), `c${ours}`));
      } catch (err) {
        failure = err;
        break;
      }
    }
    assert(ours >= theirs, `ours fit ${ours} leases, the reference ${theirs}`);
    assert(failure instanceof CniError, String(failure));
    assertEquals(failure.code, 5);
    assert(JSON.stringify(failure).includes("no space left on device"), JSON.stringify(failure));
    // Every lease whole and owned once; the failed ADD left nothing.
    const dir = join(ourFs.dir, "f");
    const want = Array.from({ length: ours }, (_, i) => `c${i}\r\neth0`).sort();
    assertEquals(owners(dir), want);
    // A DEL frees room for the next ADD; DEL of everything leaves only the reference's files.
    await cmdDel(args(conf(ourFs.dir), "c0"));
    await cmdAdd(args(conf(ourFs.dir), "again"));
    assertEquals(owners(dir).length, ours);
    assert(owners(dir).includes("again\r\neth0"));
    for (let i = 1; i < ours; i++) await cmdDel(args(conf(ourFs.dir), `c${i}`));
    await cmdDel(args(conf(ourFs.dir), "again"));
    assertEquals([...Deno.readDirSync(ourFs.dir)].map((e) => e.name), ["f"]);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "last_reserved_ip.0",
      "lock",
    ]);
  },
});

Deno.test({
  ...gated(
    "host-local on a read-only dataDir: ADD, DEL and GC fail cleanly, nothing is lost",
    NEEDS_ROOT,
  ),
  async fn() {
    await using fs = await tmpfs("1m");
    const c = conf(fs.dir);
    const dir = join(fs.dir, "f");
    await cmdAdd(args(c, "c1"));
    await cmdAdd(args(c, "c2"));
    const before = leases(dir);
    await sh("mount", "-o", "remount,ro", fs.dir);
    try {
      for (const op of [() => cmdAdd(args(c, "c3")), () => cmdDel(args(c, "c1"))]) {
        const err = await assertRejects(op, CniError);
        assertEquals((err as CniError).code, 5);
        assert(JSON.stringify(err).includes("read-only file system"), JSON.stringify(err));
      }
      await assertRejects(() => cmdGc(args(c, "")), CniError);
      await cmdCheck(args(c, "c1"));
      const status = await assertRejects(() => cmdStatus(args(c, "")), CniError);
      assertEquals((status as CniError).code, 50);
      assertEquals(leases(dir), before);
      // A network never seen before cannot be created.
      const fresh = await assertRejects(() => cmdAdd(args(conf(fs.dir, "g"), "c1")), CniError);
      assertEquals((fresh as CniError).code, 5);
    } finally {
      await sh("mount", "-o", "remount,rw", fs.dir);
    }
    await cmdDel(args(c, "c1"));
    await cmdAdd(args(c, "c3"));
    assertEquals(owners(dir), ["c2\r\neth0", "c3\r\neth0"]);
  },
});

Deno.test({
  ...gated(
    "host-local with garbage lease files: taken for ADD, ignored by DEL, released by GC",
    NEEDS_ROOT,
  ),
  async fn() {
    await using fs = await tmpfs("1m");
    const c = conf(fs.dir);
    const dir = join(fs.dir, "f");
    await cmdAdd(args(c, "c1")); // 10.62.0.2
    const garbage = [
      new Uint8Array([0xff, 0xfe, 0x00, 0x0a, 0x09, 0x0d]),
      new TextEncoder().encode("junk\n10.62.0.2\tc2\teth0\n"),
      new TextEncoder().encode("c2\r\neth0\r\nextra"),
    ];
    for (const [i, bytes] of garbage.entries()) {
      Deno.writeFileSync(join(dir, `10.62.0.${3 + i}`), bytes);
    }
    const added = await cmdAdd(args(c, "c2"));
    assertEquals(added.ips![0]!.address, "10.62.0.6/24");
    await cmdDel(args(c, "c2"));
    await cmdCheck(args(c, "c1"));
    for (const [i, bytes] of garbage.entries()) {
      assertEquals(Deno.readFileSync(join(dir, `10.62.0.${3 + i}`)), bytes);
    }
    await cmdGc({
      ...args({ ...c, "cni.dev/valid-attachments": [{ containerID: "c1", ifname: "eth0" }] }, ""),
    });
    assertEquals(leases(dir), { "10.62.0.2": "c1\r\neth0" });
  },
});
