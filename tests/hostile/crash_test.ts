/**
 * Crash injection: an exec'd bridge ADD (with `ipMasq`) killed with SIGKILL at points spread
 * over its run, then DEL with the same arguments: no veth, lease, owner-index entry or
 * masquerade rule is left, and the next ADD gets an address. The same for a DEL killed part way
 * and retried. Counts: `addKills`/`delKills` of counts.ts (more under `DENOCNI_SOAK=full`).
 */
import { assert, assertEquals, IS_ROOT } from "../helpers/assert.ts";
import { dropNewEmptyTables, firewallTables, ipAddrs } from "../helpers/bridge_env.ts";
import {
  callEnv,
  dropNet,
  execBridge,
  leftovers,
  makeNet,
  netnsFor,
  newCid,
  spawnBridge,
  type TestNet,
} from "./attach_env.ts";
import { COUNTS } from "./counts.ts";

const ignore = !IS_ROOT;

/** Wall time of a whole exec'd ADD, median of three (the kills are spread over it). */
async function addDuration(t: TestNet): Promise<number> {
  const ns = await netnsFor(t);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const cid = newCid(t);
    const start = performance.now();
    const add = await execBridge(t, callEnv(t, "ADD", cid, ns));
    times.push(performance.now() - start);
    assertEquals(add.code, 0, add.stdout + add.stderr);
    const del = await execBridge(t, callEnv(t, "DEL", cid, ns));
    assertEquals(del.code, 0, del.stdout + del.stderr);
  }
  return times.sort((a, b) => a - b)[1]!;
}

/** Kills `child` after `ms`; returns whether it was still running then. */
async function killAfter(child: Deno.ChildProcess, ms: number): Promise<boolean> {
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  await new Promise((r) => setTimeout(r, ms));
  const wasRunning = !exited;
  if (wasRunning) {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited just now
    }
  }
  await status;
  await child.stdout.cancel().catch(() => {});
  await child.stderr.cancel().catch(() => {});
  // Give orphaned helpers of the dead plugin (an iptables-restore run) time to finish, as a
  // runtime noticing the death would before its DEL.
  await new Promise((r) => setTimeout(r, 300));
  return wasRunning;
}

/** The next ADD on a clean network succeeds with an address of the range, and DEL undoes it. */
async function freshAddWorks(t: TestNet, subnetPrefix: string): Promise<void> {
  const ns = await netnsFor(t);
  const cid = newCid(t);
  const add = await execBridge(t, callEnv(t, "ADD", cid, ns));
  assertEquals(add.code, 0, `ADD after the crash failed: ${add.stdout}${add.stderr}`);
  const addr = (JSON.parse(add.stdout) as { ips: { address: string }[] }).ips[0]!.address;
  assert(addr.startsWith(subnetPrefix), addr);
  assertEquals(await ipAddrs("eth0", ns.name), [addr]);
  const del = await execBridge(t, callEnv(t, "DEL", cid, ns));
  assertEquals(del.code, 0, del.stdout + del.stderr);
}

Deno.test({
  name: `exec'd bridge ADD killed at ${COUNTS.addKills} points, then DEL: nothing left, ` +
    "next ADD gets an address",
  ignore,
  async fn() {
    const tables = await firewallTables();
    const t = await makeNet("hck", { subnet: "10.77.91.0/24" });
    try {
      const duration = await addDuration(t);
      const ns = await netnsFor(t);
      let killedRunning = 0;
      for (let k = 0; k < COUNTS.addKills; k++) {
        // Spread from just after the start to just before the end of a typical ADD.
        const at = Math.round(duration * (0.05 + 0.95 * k / Math.max(1, COUNTS.addKills - 1)));
        const cid = newCid(t);
        const child = spawnBridge(t, callEnv(t, "ADD", cid, ns));
        if (await killAfter(child, at)) killedRunning++;
        const del = await execBridge(t, callEnv(t, "DEL", cid, ns));
        const left = await leftovers(t);
        assertEquals(del.code, 0, `DEL after a kill at ${at} ms: ${del.stdout}${del.stderr}`);
        assertEquals(left, [], `left after a kill at ${at} ms and DEL`);
        await freshAddWorks(t, "10.77.91.");
        assertEquals(await leftovers(t), []);
      }
      assert(killedRunning > 0, `no ADD was still running when killed (ADD takes ${duration} ms)`);
    } finally {
      await dropNet(t);
      await dropNewEmptyTables(tables);
    }
  },
});

Deno.test({
  name: `exec'd bridge DEL killed at ${COUNTS.delKills} points, then DEL again: nothing left`,
  ignore,
  async fn() {
    const tables = await firewallTables();
    const t = await makeNet("hcd", { subnet: "10.77.94.0/24" });
    try {
      const ns = await netnsFor(t);
      // DEL time, measured once.
      const probe = newCid(t);
      assertEquals((await execBridge(t, callEnv(t, "ADD", probe, ns))).code, 0);
      const start = performance.now();
      assertEquals((await execBridge(t, callEnv(t, "DEL", probe, ns))).code, 0);
      const duration = performance.now() - start;
      for (let k = 0; k < COUNTS.delKills; k++) {
        const cid = newCid(t);
        const add = await execBridge(t, callEnv(t, "ADD", cid, ns));
        assertEquals(add.code, 0, add.stdout + add.stderr);
        const at = Math.round(duration * (0.05 + 0.95 * k / Math.max(1, COUNTS.delKills - 1)));
        await killAfter(spawnBridge(t, callEnv(t, "DEL", cid, ns)), at);
        const again = await execBridge(t, callEnv(t, "DEL", cid, ns));
        assertEquals(again.code, 0, `retried DEL after a kill at ${at} ms: ${again.stdout}`);
        assertEquals(await leftovers(t), [], `left after a DEL killed at ${at} ms and retried`);
      }
      await freshAddWorks(t, "10.77.94.");
      assertEquals(await leftovers(t), []);
    } finally {
      await dropNet(t);
      await dropNewEmptyTables(tables);
    }
  },
});
