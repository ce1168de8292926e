/**
 * Whether this kernel can make VRF devices, asked the only reliable way: `ip link add ... type
 * vrf` in a throwaway namespace (the `vrf` module may be built in, loadable or missing).
 * Tests that need a VRF register as ignored, with the reason in their name, when it cannot.
 *
 * @module
 */
import { IS_ROOT } from "./assert.ts";

/** The reason VRF kernel tests are ignored, or undefined when they can run. */
export interface VrfProbe {
  /** The kernel made a VRF device. */
  supported: boolean;
  /** Why not (the `ip` error), when not. */
  reason?: string;
}

let probed: Promise<VrfProbe> | undefined;

async function probe(): Promise<VrfProbe> {
  if (!IS_ROOT) return { supported: false, reason: "needs root" };
  const ns = `vrfp-${crypto.randomUUID().slice(0, 8)}`;
  const ip = (...args: string[]) =>
    new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).output();
  const made = await ip("netns", "add", ns);
  if (!made.success) {
    return { supported: false, reason: `cannot make a namespace to probe in` };
  }
  try {
    const out = await ip("-n", ns, "link", "add", "vrfprobe", "type", "vrf", "table", "10");
    if (out.success) return { supported: true };
    const err = new TextDecoder().decode(out.stderr).trim();
    return { supported: false, reason: `the kernel has no vrf support (${err})` };
  } finally {
    await ip("netns", "del", ns);
  }
}

/**
 * Probes once per test process.
 *
 * @returns Whether VRF devices can be made here, and why not.
 */
export function vrfProbe(): Promise<VrfProbe> {
  probed ??= probe();
  return probed;
}
