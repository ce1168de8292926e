/**
 * The frame of every runtime test: record the machine, start the runtime in its sandbox, run
 * the body, close the sandbox (also when the body fails), then require that closing needed no
 * force and that the machine is exactly as recorded.
 *
 * @module
 */
import { assertEquals } from "../../helpers/assert.ts";
import { hostSnapshot } from "./host_snapshot.ts";
import { cgroupDirs } from "./runtime_host.ts";

/** What `start` returns: something that can be closed, reporting cleanup problems. */
export interface Closable {
  /** Closes; returns what had to be forced or could not be undone. */
  close(): Promise<string[]>;
}

/**
 * Runs `body` with a freshly started runtime.
 *
 * @param start Starts the runtime (e.g. `startPodman`).
 * @param body The test.
 */
export async function withRuntime<T extends Closable>(
  start: () => Promise<T>,
  body: (rt: T) => Promise<void>,
): Promise<void> {
  await sweepEmptySandboxCgroups();
  const before = await hostSnapshot();
  const rt = await start();
  let failed = true;
  try {
    await body(rt);
    failed = false;
  } finally {
    const problems = await rt.close();
    if (!failed) assertEquals(problems, [], "sandbox cleanup");
  }
  await sweepEmptySandboxCgroups();
  assertEquals(await hostSnapshot(), before, "the machine changed");
}

const SANDBOX_CGROUP_REGEXP = /^denocni-rt-[0-9a-f]+$/;

/** Every directory of every sandbox cgroup in every hierarchy, deepest first. */
function sandboxCgroups(): string[] {
  const names = new Set<string>();
  for (const h of Deno.readDirSync("/sys/fs/cgroup")) {
    if (!h.isDirectory) continue;
    for (const e of Deno.readDirSync(`/sys/fs/cgroup/${h.name}`)) {
      if (e.isDirectory && SANDBOX_CGROUP_REGEXP.test(e.name)) names.add(e.name);
    }
  }
  return [...names].flatMap((n) => cgroupDirs(`/${n}`));
}

/**
 * Removes the empty cgroups named for our sandboxes. Under load, a runtime's exiting helpers
 * (conmon, runc) make the kernel re-show a sandbox's cgroups for a while after the sandbox
 * removed them; an empty one holds nothing, and one with a process left in it cannot be
 * removed and so still fails the comparison. Tries for about 10 s.
 */
async function sweepEmptySandboxCgroups(): Promise<void> {
  for (let round = 0; round < 40; round++) {
    const left = sandboxCgroups();
    if (left.length === 0) return;
    for (const dir of left) {
      try {
        Deno.removeSync(dir); // rmdir: fails while a process or a child cgroup is in it
      } catch { /* busy, or a child cgroup: the next round */ }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
