/**
 * Drives our libcni the way `go_libcni/main.go` drives the Go one, with the same flags, so the
 * chain tests can run both side by side: ADD, CHECK or DEL of one conflist file, every plugin
 * exec'd from `-path` (no built-ins in-process).
 *
 * ```sh
 * deno run -A tests/helpers/ts_libcni.ts -cmd add|check|del -conflist FILE -netns PATH \
 *   -cid ID -ifname IF -path DIR[:DIR...] -cache DIR [-cap-args JSON]
 * ```
 *
 * ADD prints the result JSON (in the list's version, indented as Go prints it). A failure prints
 * `{"code":N,"msg":"..."}` on stdout and exits 1.
 *
 * @module
 */
// deno-lint-ignore-file no-console -- a command-line driver for tests
import { asCniError } from "../../cni/errors.ts";
import { confListFromFile } from "../../cni/conf_files.ts";
import { splitCniPath } from "../../cni/find.ts";
import { execInvoker } from "../../cni/invoke_exec.ts";
import { addNetworkList, checkNetworkList, delNetworkList } from "../../cni/libcni.ts";
import { goMarshal } from "../../cni/_json.ts";

/** The flags, Go `flag` style (`-name value`). */
function flags(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!.replace(/^--?/, "");
    out[k] = argv[i + 1] ?? "";
  }
  return out;
}

async function main(): Promise<number> {
  const f = flags(Deno.args);
  const list = confListFromFile(f.conflist ?? "");
  const capabilityArgs = f["cap-args"] ? JSON.parse(f["cap-args"]) : undefined;
  const rt = {
    containerId: f.cid ?? "",
    netns: f.netns ?? "",
    ifName: f.ifname ?? "eth0",
    ...(capabilityArgs && { capabilityArgs }),
  };
  const invoker = execInvoker({ cniPath: splitCniPath(f.path ?? "") });
  const options = { invoker, cacheDir: f.cache ?? "" };
  switch ((f.cmd ?? "").toLowerCase()) {
    case "add":
      console.log(goMarshal(await addNetworkList(list, rt, options), { indent: "    " }));
      return 0;
    case "check":
      await checkNetworkList(list, rt, options);
      return 0;
    case "del":
      await delNetworkList(list, rt, options);
      return 0;
    default:
      throw new Error(`unknown -cmd ${JSON.stringify(f.cmd)}`);
  }
}

try {
  Deno.exit(await main());
} catch (err) {
  const e = asCniError(err);
  console.log(
    JSON.stringify({ code: e.code, msg: e.msg, ...(e.details && { details: e.details }) }),
  );
  Deno.exit(1);
}
