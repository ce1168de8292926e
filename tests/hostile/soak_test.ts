/**
 * Contention soak: ADD/DEL cycles on one bridge (with `ipMasq`), 8 at a time through the exec'd
 * plugin and 16 at a time in-process, each on a range smaller than the number of workers, so
 * addresses run out and are reused: no address is held by two containers at the same moment
 * (checked against the results and the kernel), every failure is a clean spec error, and
 * nothing is left at the end. Counts: `execCycles`/`inProcessCycles` of counts.ts.
 */
import { assert, assertEquals, IS_ROOT } from "../helpers/assert.ts";
import { dropNewEmptyTables, firewallTables, ipAddrs } from "../helpers/bridge_env.ts";
import {
  type Call,
  callEnv,
  dropNet,
  execBridge,
  inProcessBridge,
  leftovers,
  makeNet,
  netnsFor,
  newCid,
  type TestNet,
  unclean,
} from "./attach_env.ts";
import { COUNTS, EXEC_PARALLEL, IN_PROCESS_PARALLEL } from "./counts.ts";

const ignore = !IS_ROOT;

interface SoakStats {
  ok: number;
  failed: number;
  codes: Map<string, number>;
  problems: string[];
}

async function soak(
  t: TestNet,
  cycles: number,
  workers: number,
  call: (t: TestNet, env: Record<string, string>) => Promise<Call>,
): Promise<SoakStats> {
  const stats: SoakStats = { ok: 0, failed: 0, codes: new Map(), problems: [] };
  const held = new Map<string, string>(); // address -> container ID
  let next = 0;
  const worker = async () => {
    const ns = await netnsFor(t);
    while (next < cycles && stats.problems.length < 20) {
      next++;
      const cid = newCid(t);
      const add = await call(t, callEnv(t, "ADD", cid, ns));
      if (add.code !== 0) {
        stats.failed++;
        const bad = unclean(add);
        if (bad.length > 0) stats.problems.push(`ADD ${cid}: ${bad.join(", ")}`);
        const code = String((JSON.parse(add.stdout || "{}") as { code?: number }).code);
        stats.codes.set(code, (stats.codes.get(code) ?? 0) + 1);
        // Back off as a runtime retrying would, so that addresses come free and are reused.
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
        continue;
      }
      stats.ok++;
      const addr = (JSON.parse(add.stdout) as { ips: { address: string }[] }).ips[0]!.address;
      const holder = held.get(addr);
      if (holder) stats.problems.push(`${addr} handed to ${cid} while ${holder} holds it`);
      held.set(addr, cid);
      const inKernel = await ipAddrs("eth0", ns.name);
      if (inKernel.join() !== addr) {
        stats.problems.push(`${cid}: result says ${addr}, the namespace has ${inKernel.join()}`);
      }
      // Held from ADD's return until DEL starts: DEL releases the lease before it finishes
      // removing the interface (as the reference does), so a new ADD may get the address
      // while the old DEL is still running.
      if (held.get(addr) === cid) held.delete(addr);
      const del = await call(t, callEnv(t, "DEL", cid, ns));
      if (del.code !== 0) stats.problems.push(`DEL ${cid}: ${del.stdout}`);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return stats;
}

Deno.test({
  name: `exec'd bridge: ${COUNTS.execCycles} ADD/DEL cycles ${EXEC_PARALLEL} at a time on ` +
    "6 addresses: no address held twice, clean failures, nothing left",
  ignore,
  async fn() {
    const tables = await firewallTables();
    const t = await makeNet("hcs", {
      subnet: "10.77.92.0/24",
      rangeStart: "10.77.92.10",
      rangeEnd: "10.77.92.15",
    });
    try {
      const stats = await soak(t, COUNTS.execCycles, EXEC_PARALLEL, execBridge);
      assertEquals(stats.problems, []);
      assert(stats.ok > 6, `addresses were not reused: ${stats.ok} ADDs succeeded`);
      assertEquals(await leftovers(t), []);
    } finally {
      await dropNet(t);
      await dropNewEmptyTables(tables);
    }
  },
});

Deno.test({
  name: `in-process bridge: ${COUNTS.inProcessCycles} ADD/DEL cycles ${IN_PROCESS_PARALLEL} ` +
    "at a time on 12 addresses: no address held twice, clean failures, nothing left",
  ignore,
  async fn() {
    const tables = await firewallTables();
    const t = await makeNet("hcp", {
      subnet: "10.77.93.0/24",
      rangeStart: "10.77.93.10",
      rangeEnd: "10.77.93.21",
    });
    try {
      const stats = await soak(t, COUNTS.inProcessCycles, IN_PROCESS_PARALLEL, inProcessBridge);
      assertEquals(stats.problems, []);
      assert(stats.ok > 12, `addresses were not reused: ${stats.ok} ADDs succeeded`);
      assertEquals(await leftovers(t), []);
    } finally {
      await dropNet(t);
      await dropNewEmptyTables(tables);
    }
  },
});
