// deno-lint-ignore-file no-console
// Fails when an import points against the layer order:
// plugins -> firewall -> cni -> netlink -> netns -> ffi -> ip.
// The netlink codec (every netlink/ file but the socket files socket*.ts / _socket*.ts, mod.ts and
// ops/*) must not import ffi/ or use Deno.*; ip/ is pure: it imports nothing outside ip/ and never
// uses Deno.*.
import { join, relative } from "node:path";

const RANK: Record<string, number> = {
  ip: -1,
  ffi: 0,
  netns: 1,
  netlink: 2,
  cni: 3,
  firewall: 4,
  plugins: 5,
};
const root = new URL("..", import.meta.url).pathname;
const IMPORT_REGEXP = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;
/** The socket files: socket.ts, socket_open.ts, _socket_io.ts, _socket_stats.ts. */
const SOCKET_FILE_REGEXP = /^netlink\/_?socket(_[a-z_]+)?\.ts$/;
/** The ops (netlink/ops/*.ts) drive the socket: impure like the socket files. */
const isImpureNetlink = (rel: string) =>
  rel === "netlink/mod.ts" || SOCKET_FILE_REGEXP.test(rel) || rel.startsWith("netlink/ops/");
const problems: string[] = [];

function* walk(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walk(path);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) yield path;
  }
}

for (const layer of Object.keys(RANK)) {
  const dir = join(root, layer);
  try {
    Deno.statSync(dir);
  } catch {
    continue;
  }
  for (const file of walk(dir)) {
    const rel = relative(root, file);
    const text = Deno.readTextFileSync(file);
    for (const match of text.matchAll(IMPORT_REGEXP)) {
      const target = relative(root, join(file, "..", match[1]!));
      const targetLayer = target.split("/")[0]!;
      const rank = RANK[targetLayer];
      if (rank !== undefined && targetLayer !== layer && rank >= RANK[layer]!) {
        problems.push(`${rel} imports ${target} (${layer} may not depend on ${targetLayer})`);
      }
      if (layer === "ip" && targetLayer !== "ip") {
        problems.push(`${rel} is pure and may import only ip/ (${target})`);
      }
      // ffi/errno.ts is plain data (the errno table and its constants): the codec may use it.
      if (
        rel.startsWith("netlink/") && !isImpureNetlink(rel) && targetLayer === "ffi" &&
        target !== "ffi/errno.ts"
      ) {
        problems.push(`${rel} is codec and may not import ffi/ (${target})`);
      }
    }
    if (layer === "ip" && /\bDeno\./.test(text)) {
      problems.push(`${rel} is pure and may not call Deno.*`);
    }
    if (rel.startsWith("netlink/") && !isImpureNetlink(rel) && /\bDeno\./.test(text)) {
      problems.push(`${rel} is codec and may not call Deno.*`);
    }
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(`layer violation: ${p}`);
  Deno.exit(1);
}
console.log("layers ok");
