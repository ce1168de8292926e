/**
 * The worker isolate of `isolates.ts`: runs the seed list's ADD or DEL in-process for the
 * attachments it is sent, on its own JavaScript thread, and answers each with its outcome.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { addNetworkList, delNetworkList } from "../cni/libcni.ts";
import { selectInvoker } from "../cni/invoke_builtin.ts";
import { parseConfList } from "../cni/conf.ts";
import type { NetworkConfigList } from "../cni/conf.ts";
import { BUILTIN_PLUGINS } from "../plugins/mod.ts";
import { pendingKernelWork } from "../netlink/socket.ts";

/** A request: the list (once), or one operation. */
export type IsolateRequest =
  | { id: number; list: Uint8Array; cacheDir: string }
  | { id: number; op: "add" | "del"; rt: { containerId: string; netns: string; ifName: string } }
  | { id: number; drain: true };

const invoker = selectInvoker({ mode: "prefer", registry: BUILTIN_PLUGINS, cniPath: [], env: {} });
let list: NetworkConfigList | undefined;
let cacheDir = "";

self.onmessage = async (e: MessageEvent<IsolateRequest>) => {
  const m = e.data;
  try {
    if ("list" in m) {
      list = parseConfList(m.list);
      cacheDir = m.cacheDir;
    } else if ("drain" in m) {
      await pendingKernelWork();
    } else if (m.op === "add") {
      await addNetworkList(list!, m.rt, { invoker, cacheDir });
    } else {
      await delNetworkList(list!, m.rt, { invoker, cacheDir });
    }
    self.postMessage({ id: m.id });
  } catch (err) {
    self.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
};
