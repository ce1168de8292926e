/**
 * Runs a Deno scenario script in a host sandbox: a fresh network namespace that acts as the
 * host (plugins that change the host side, such as ptp's host routes and forwarding sysctls,
 * or host-device moving a device, act on it and nothing else), with private tmpfs on `/run`
 * and `/var/lib` (named namespaces, leases, caches) and a sysfs of its own on `/sys` (so
 * `/sys/class/net` and `/sys/devices/virtual/net` list the sandbox's links). Everything the
 * script makes dies with the sandbox; the real host is not touched.
 *
 * The script gets its input as JSON in `SCENARIO_INPUT` and prints one JSON object on stdout.
 *
 * @module
 */
import { inSandbox } from "./sandbox.ts";

/**
 * Runs `script` (a path relative to the repository root) in a host sandbox.
 *
 * @param script The scenario script.
 * @param input Its input (JSON).
 * @returns What it printed, parsed.
 * @throws {Error} When the script fails or prints no JSON (its stderr is in the message).
 */
export async function runInHostSandbox<T = Record<string, unknown>>(
  script: string,
  input: unknown,
): Promise<T> {
  const out = await inSandbox(
    `mount -t sysfs sysfs /sys\nexec "$DENO" run -A --quiet ${JSON.stringify(script)}`,
    { SCENARIO_INPUT: JSON.stringify(input) },
  );
  const last = out.stdout.trim().split("\n").at(-1) ?? "";
  if (out.code !== 0 || !last.startsWith("{")) {
    throw new Error(`scenario ${script} failed (exit ${out.code}):\n${out.stderr}\n${out.stdout}`);
  }
  return JSON.parse(last) as T;
}

/**
 * The scenario's input (inside the sandbox).
 *
 * @returns `SCENARIO_INPUT` parsed.
 */
export function scenarioInput<T>(): T {
  return JSON.parse(Deno.env.get("SCENARIO_INPUT") ?? "{}") as T;
}
