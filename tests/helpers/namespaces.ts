/**
 * Throwaway named network namespaces (`ip netns add`, under /run/netns) for privileged tests,
 * removed in the test's teardown.
 *
 * @module
 */
import { pendingKernelWork } from "../../netlink/socket.ts";
import { rand } from "./names.ts";
import { run, sh } from "./run.ts";

/** A throwaway named namespace. */
export interface TestNetns {
  /** Name under /run/netns. */
  name: string;
  /** Path. */
  path: string;
}

/**
 * Creates a named namespace with `ip netns add`.
 *
 * @param prefix Name prefix.
 * @returns Its name and path.
 */
export async function makeNetns(prefix = "tbns"): Promise<TestNetns> {
  const name = `${prefix}-${rand(8)}`;
  await sh("ip", "netns", "add", name);
  return { name, path: `/run/netns/${name}` };
}

/**
 * Waits for kernel work an in-process DEL left running (see `pendingKernelWork`), then deletes
 * a named namespace (ignores absence).
 *
 * @param ns The namespace.
 */
export async function dropNetns(ns: TestNetns): Promise<void> {
  await pendingKernelWork();
  await run("ip", ["netns", "del", ns.name]);
}
