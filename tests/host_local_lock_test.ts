// host-local's network lock held by another process: the in-process caller waits without
// blocking the event loop, other networks go on, and the wait is bounded (code 11). The lock
// is flock(2) on <dir>/lock, as util-linux flock(1) and the reference binary take it.
import { assert, assertEquals, assertRejects } from "./helpers/assert.ts";
import { gated } from "./helpers/gate.ts";
import { refMissing } from "./helpers/reference.ts";
import { join } from "node:path";
import { CniError } from "../cni/errors.ts";
import type { CmdArgs } from "../cni/plugin.ts";
import type { NetConf } from "../cni/types.ts";
import { cmdAdd, cmdDel, openDiskStore } from "../plugins/host_local/mod.ts";
import { LockFile } from "../plugins/host_local/lock_file.ts";
import { execReference } from "./helpers/exec_plugin.ts";

function conf(data: string, name: string): Record<string, unknown> {
  return { cniVersion: "1.0.0", name, type: "x", ipam: { dataDir: data, subnet: "10.61.0.0/24" } };
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

/** Another process holding `path` with flock(1) for `seconds`; resolves once it holds it. */
async function holdLock(path: string, seconds: number) {
  const child = new Deno.Command("flock", {
    args: ["-x", path, "sh", "-c", `echo $$; exec sleep ${seconds}`],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  const sleeper = Number(new TextDecoder().decode(value).trim());
  reader.releaseLock();
  return {
    done: child.status,
    async [Symbol.asyncDispose]() {
      try {
        Deno.kill(sleeper, "SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await child.stdout.cancel();
    },
  };
}

function leaseNames(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name)
    .filter((n) => n !== "lock" && !n.startsWith("last_reserved_ip.")).sort();
}

Deno.test("host-local: a held network lock delays only that network, and timers keep firing", async () => {
  const data = await Deno.makeTempDir({ prefix: "denocni-hl-lock-" });
  try {
    const a = conf(data, "a");
    const b = conf(data, "b");
    await cmdAdd(args(a, "first")); // creates a/lock
    await using holder = await holdLock(join(data, "a", "lock"), 2);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      const t0 = performance.now();
      const waiting = cmdAdd(args(a, "waits"));
      const other = await cmdAdd(args(b, "other"));
      const tb = performance.now() - t0;
      assertEquals(other.ips![0]!.address, "10.61.0.2/24");
      assert(tb < 1000, `network b waited ${tb.toFixed(0)} ms behind a's lock`);
      const ticksAtB = ticks;
      const got = await waiting;
      const ta = performance.now() - t0;
      assertEquals(got.ips![0]!.address, "10.61.0.3/24");
      assert(ta >= 1500, `network a did not wait for the lock (${ta.toFixed(0)} ms)`);
      assert(ticks - ticksAtB >= 50, `only ${ticks - ticksAtB} timer ticks while waiting`);
    } finally {
      clearInterval(timer);
    }
    await holder.done;
    assertEquals(leaseNames(join(data, "a")), ["10.61.0.2", "10.61.0.3"]);
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("host-local: a lock held past the wait limit fails with code 11 naming network and lock file", async () => {
  const data = await Deno.makeTempDir({ prefix: "denocni-hl-lock-" });
  try {
    const a = conf(data, "a");
    await cmdAdd(args(a, "first"));
    const lockPath = join(data, "a", "lock");
    await using _holder = await holdLock(lockPath, 5);
    const storeFor = (c: { dataDir: string; name: string }) =>
      openDiskStore(c.dataDir, c.name, { lockTimeoutMs: 300 });
    for (
      const op of [
        () => cmdAdd(args(a, "late"), storeFor),
        () => cmdDel(args(a, "first"), storeFor),
      ]
    ) {
      const t0 = performance.now();
      const err = await assertRejects(op, CniError);
      const took = performance.now() - t0;
      assertEquals((err as CniError).code, 11);
      assert((err as CniError).msg.includes('"a"'), (err as CniError).msg);
      assert((err as CniError).msg.includes(lockPath), (err as CniError).msg);
      assert(took >= 250 && took < 2000, `waited ${took.toFixed(0)} ms`);
    }
    assertEquals(leaseNames(join(data, "a")), ["10.61.0.2"]);
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test({
  ...gated(
    "host-local: the reference binary waits for our lock and we for its (one flock on <dir>/lock)",
    refMissing("host-local"),
  ),
  async fn() {
    const data = await Deno.makeTempDir({ prefix: "denocni-hl-lock-" });
    try {
      const a = conf(data, "a");
      await cmdAdd(args(a, "first"));
      using ours = new LockFile(join(data, "a", "lock"));
      await ours.lock({ timeoutMs: 1000, network: "a" });
      let exited = false;
      const status = execReference("host-local", {
        command: "ADD",
        containerId: "theirs",
        netns: "/none",
        ifName: "eth0",
      }, a).then((o) => {
        exited = true;
        return o;
      });
      await new Promise((r) => setTimeout(r, 500));
      assertEquals(exited, false, "the reference did not wait for our lock");
      assertEquals(leaseNames(join(data, "a")), ["10.61.0.2"]);
      ours.unlock();
      const out = await status;
      assertEquals(out.code, 0, out.stdout + out.stderr);
      assertEquals(leaseNames(join(data, "a")), ["10.61.0.2", "10.61.0.3"]);
    } finally {
      await Deno.remove(data, { recursive: true });
    }
  },
});
