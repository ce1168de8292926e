/**
 * `cnitool netns add|del|list|exec`: named network namespaces, interoperable with
 * `ip netns` (same `/run/netns` layout), without the `ip` binary.
 *
 * @module
 */
import { CniError } from "../cni/errors.ts";
import { netnsAdd, netnsDelete, netnsList, netnsPath } from "../netns/mod.ts";
import { exitCodeOf, spawnAttached } from "./attached.ts";

/**
 * Runs one `netns` sub-command.
 *
 * @param args Sub-command and its arguments (`["add", "blue"]`, `["exec", "blue", "ip", "a"]`).
 * @param stdout Where `list` writes.
 * @returns Exit code (the command's own for `exec`).
 * @throws {CniError} On a bad sub-command or a failed operation.
 */
export async function runNetnsCommand(
  args: readonly string[],
  stdout: (text: string) => void,
): Promise<number> {
  const [sub, name, ...rest] = args;
  const needName = () => {
    if (!name) throw new CniError(999, `netns ${sub} needs a namespace name`);
    return name;
  };
  try {
    switch (sub) {
      case "add":
        netnsAdd(needName());
        return 0;
      case "del":
      case "delete":
        netnsDelete(needName());
        return 0;
      case "list":
        for (const n of netnsList()) stdout(`${n}\n`);
        return 0;
      case "exec": {
        const ns = netnsPath(needName());
        if (rest.length === 0) throw new CniError(999, "netns exec needs a command after the name");
        return exitCodeOf(await spawnAttached(ns, rest).status);
      }
      default:
        throw new CniError(999, `unknown netns command "${sub ?? ""}" (add, del, list, exec)`);
    }
  } catch (err) {
    if (err instanceof CniError) throw err;
    throw new CniError(999, (err as Error).message, { cause: err });
  }
}
