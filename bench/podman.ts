/**
 * The Podman tier's run+rm cycle as a benchmark scenario (`--podman`).
 *
 * @module
 */
import { push, type Samples } from "./measure.ts";
import type { Size } from "./world.ts";

/** The Podman tier's run+rm cycle: ours, ours forwarding to a daemon, the Go plugins. */
export async function podman(size: Size, samples: Samples, notes: string[]): Promise<void> {
  const { missingFor } = await import("../tests/runtimes/helpers/requirements.ts");
  const { PODMAN_PROGRAMS, startPodman } = await import("../tests/runtimes/helpers/podman.ts");
  const { podmanCycles } = await import("../tests/runtimes/helpers/podman_cycle.ts");
  const missing = missingFor(PODMAN_PROGRAMS);
  if (missing !== undefined) {
    notes.push(`Podman cycle not measured: ${missing}`);
    return;
  }
  // The Podman tier's sandbox, without its check that the whole machine is unchanged (other
  // tests may be running): the sandbox's own cleanup problems are noted.
  const pm = await startPodman();
  try {
    const { times, daemonLog } = await podmanCycles(pm, size.podman);
    for (const ms of times.ours) push(samples, "podman_cycle", "exec", ms);
    for (const ms of times.serve) push(samples, "podman_cycle", "serve", ms);
    for (const ms of times.go) push(samples, "podman_cycle", "ref", ms);
    const declined = daemonLog.filter((l) => l.includes("declined")).length;
    notes.push(
      `Podman cycle: ${daemonLog.length} calls reached the daemon in the serve cycles, ` +
        `${declined} declined`,
    );
  } catch (err) {
    notes.push(`Podman cycle failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    const problems = await pm.close();
    if (problems.length > 0) notes.push(`Podman sandbox cleanup: ${problems.join("; ")}`);
  }
}
