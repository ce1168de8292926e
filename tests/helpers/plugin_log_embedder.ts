/**
 * An embedder for tests/plugin_log_test.ts: runs one built-in plugin call in-process
 * (`inProcessInvoker`) and prints, as JSON on stdout, the warning lines its logger was handed.
 * `deno run -A plugin_log_embedder.ts <type> <COMMAND> <log|nolog>` with the config on stdin.
 * Run it in a namespace of its own (`unshare --net`): the call is real.
 *
 * @module
 */
import { errorText } from "../../cni/errors.ts";
import { inProcessInvoker } from "../../cni/invoke_builtin.ts";
import type { CniCommand } from "../../cni/types.ts";
import { BUILTIN_PLUGINS } from "../../plugins/mod.ts";

const [type, command, mode] = Deno.args;
const stdin = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
const lines: string[] = [];
const invoker = inProcessInvoker(BUILTIN_PLUGINS, {
  cniPath: [],
  ...(mode === "log" && { log: (line: string) => lines.push(line) }),
});
let error = "";
try {
  await invoker.execPlugin(type!, stdin, {
    command: command as CniCommand,
    containerId: "plugin-log-test",
    ifName: "eth0",
  });
} catch (err) {
  error = errorText(err);
}
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify({ lines, error })));
