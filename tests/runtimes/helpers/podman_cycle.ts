/**
 * The `podman run --rm` cycle, timed, with three plugin setups side by side in one Podman
 * sandbox: our plugin processes running each call themselves, our plugin processes
 * forwarding to `cnitool serve` (started inside the sandbox, so in Podman's own network and
 * mount namespaces), and the Debian Go plugins. Used by the Podman tier and by
 * `deno task bench --podman`.
 *
 * @module
 */
import { PODMAN_IMAGE, type PodmanHost } from "./podman.ts";

/** Which plugins a cycle runs. */
export type CycleMode = "ours" | "serve" | "go";

/** Where the daemon listens inside the sandbox (the default, on the sandbox's own /run). */
export const SANDBOX_SOCKET = "/run/denocni/denocni.sock";
const LOG = "/run/denocni-serve.log";
const PID = "/run/denocni-serve.pid";

/** A `cnitool serve` running inside the sandbox. */
export interface SandboxDaemon {
  /** The daemon's log lines (one per call, `--verbose`). */
  log(): Promise<string[]>;
  /** Stops it (SIGTERM) and waits until its socket is gone. */
  stop(): Promise<void>;
}

/**
 * Starts `cnitool serve --verbose` of our installed plugins inside the sandbox and waits for
 * its socket.
 *
 * @param pm The Podman sandbox.
 * @returns The daemon.
 * @throws {Error} When the socket does not appear within 10 s.
 */
export async function startSandboxDaemon(pm: PodmanHost): Promise<SandboxDaemon> {
  const child = pm.host.spawn([
    "sh",
    "-c",
    `echo $$ > ${PID}; exec ${pm.ourDir}/cnitool serve --verbose 2>${LOG}`,
  ]);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await pm.host.run(["test", "-S", SANDBOX_SOCKET], { check: false });
    if (up.code === 0) break;
    if (Date.now() > deadline) throw new Error("cnitool serve did not start in the sandbox");
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    async log() {
      const out = await pm.host.run(["cat", LOG], { check: false });
      return out.stdout.split("\n").filter((l) => l.trim() !== "");
    },
    async stop() {
      await pm.host.sh(
        `kill -TERM "$(cat ${PID})"; while [ -S ${SANDBOX_SOCKET} ]; do sleep 0.05; done`,
      );
      await child.status;
    },
  };
}

/**
 * One `podman run --rm <image> true`, timed.
 *
 * @param pm The Podman sandbox.
 * @param mode `ours` (plugins run the calls: `DENOCNI_SOCKET` points nowhere), `serve` (they
 *   forward to the sandbox's daemon, which must be running) or `go`.
 * @returns Milliseconds.
 */
export async function podmanCycle(pm: PodmanHost, mode: CycleMode): Promise<number> {
  const t0 = performance.now();
  await pm.run(["--rm", PODMAN_IMAGE, "true"], {
    plugins: mode === "go" ? "go" : "ours",
    // Podman passes its environment on to the plugins it execs.
    env: { DENOCNI_SOCKET: mode === "serve" ? SANDBOX_SOCKET : "/run/denocni-none.sock" },
  });
  return performance.now() - t0;
}

/**
 * Runs the three setups alternately (ours, serve, go, ours, ...), `n` cycles each, after one
 * untimed cycle of each; the daemon runs throughout and is stopped at the end.
 *
 * @param pm The Podman sandbox.
 * @param n Cycles per setup.
 * @returns The times by setup, and the daemon's log.
 */
export async function podmanCycles(
  pm: PodmanHost,
  n: number,
): Promise<{ times: Record<CycleMode, number[]>; daemonLog: string[] }> {
  const daemon = await startSandboxDaemon(pm);
  const times: Record<CycleMode, number[]> = { ours: [], serve: [], go: [] };
  try {
    for (let i = -1; i < n; i++) {
      for (const mode of ["ours", "serve", "go"] as const) {
        const ms = await podmanCycle(pm, mode);
        if (i >= 0) times[mode].push(ms);
      }
    }
  } finally {
    await daemon.stop();
  }
  return { times, daemonLog: await daemon.log() };
}
