/**
 * The frame of every runtime test: record the machine, start the runtime in its sandbox, run
 * the body, close the sandbox (also when the body fails), then require that closing needed no
 * force and that the machine is exactly as recorded.
 *
 * @module
 */
import { assertEquals } from "../../helpers/assert.ts";
import { hostSnapshot } from "./host_snapshot.ts";

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
  assertEquals(await hostSnapshot(), before, "the machine changed");
}
