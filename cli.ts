/**
 * The denocni program, multi-call: run as `cnitool` it is the CNI tool; run as the name of a
 * built-in plugin (`bridge`, `loopback`, `host-local`, ... every name of `BUILTIN_ABOUT` in
 * plugins/mod.ts) it is that CNI plugin. The personality comes from, in order:
 * `DENOCNI_PERSONALITY`; the invoked name (a compiled binary or symlink named after it); the
 * first argument when it is one of the names (`deno run cli.ts bridge`); else `cnitool`.
 *
 * This is the only file that reads `Deno.args`, `Deno.env` and stdin, and ends the process
 * (`Deno.exitCode` on success, `Deno.exit` on failure).
 *
 * @example Running cnitool from source
 * ```sh
 * NETCONFPATH=/etc/cni/net.d CNI_PATH=/opt/cni/bin deno run -A cli.ts add mynet /run/netns/x
 * ```
 *
 * @module
 */
import { basename } from "./cni/_path.ts";
import { BUILTIN_ABOUT } from "./plugins/mod.ts";

/** A name this program answers to: `cnitool` or a built-in plugin's. */
type Personality = string;

function isPersonality(name: string | undefined): name is Personality {
  return name === "cnitool" || (name !== undefined && Object.hasOwn(BUILTIN_ABOUT, name));
}

async function pick(args: string[]): Promise<{ personality: Personality; args: string[] }> {
  const forced = Deno.env.get("DENOCNI_PERSONALITY");
  if (isPersonality(forced)) return { personality: forced, args };
  // node:process loads the Node compatibility layer: only when the variable did not decide.
  const { default: process } = await import("node:process");
  const invoked = basename(process.argv0 ?? "");
  if (isPersonality(invoked)) return { personality: invoked, args };
  if (isPersonality(args[0])) return { personality: args[0], args: args.slice(1) };
  return { personality: "cnitool", args };
}

function write(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) off += stream.writeSync(bytes.subarray(off));
}

/**
 * Runs plugin personality `personality` in this process: reads stdin (when the command needs
 * it) through `io.read`, prints what the plugin prints and returns its exit code. The
 * forwarder bundle (`cmd/forward_entry.ts`) calls it when the daemon does not run a call.
 *
 * @param personality The plugin (`bridge`, `loopback`, `host-local`).
 * @param io The environment, and a reader of stdin.
 * @returns The exit code.
 */
export async function runPluginPersonality(
  personality: string,
  io: { env: Record<string, string>; read: (buf: Uint8Array) => Promise<number | null> },
): Promise<number> {
  const { BUILTIN_ABOUT, BUILTIN_PLUGINS } = await import("./plugins/mod.ts");
  const { runPluginProcess } = await import("./cmd/plugin.ts");
  const out = await runPluginProcess(personality, io, {
    registry: BUILTIN_PLUGINS,
    about: BUILTIN_ABOUT,
  });
  write(Deno.stdout, out.stdout);
  write(Deno.stderr, out.stderr);
  return out.exitCode;
}

async function main(): Promise<number> {
  const { personality, args } = await pick([...Deno.args]);
  if (personality === "cnitool") {
    const { BUILTIN_PLUGINS } = await import("./plugins/mod.ts");
    const { runCnitool } = await import("./cmd/cnitool.ts");
    return await runCnitool(args, {
      env: Deno.env.toObject(),
      registry: BUILTIN_PLUGINS,
      stdout: (t) => write(Deno.stdout, t),
      stderr: (t) => write(Deno.stderr, t),
    });
  }
  const env = Deno.env.toObject();
  // With `cnitool serve` running, the daemon runs the call (cmd/forward.ts); else, or when it
  // declines, it is run here. Plain reads, not `new Response(Deno.stdin.readable)`: the stream
  // and fetch classes are loaded lazily by the runtime, and loading them costs a plugin ~4 ms.
  const { forwardOrRun } = await import("./cmd/forward.ts");
  return await forwardOrRun(
    personality,
    { env, read: (b) => Deno.stdin.read(b) },
    (read) => runPluginPersonality(personality, { env, read }),
  );
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main();
  } catch (err) {
    write(Deno.stderr, `error: ${err instanceof Error ? err.message : String(err)}\n`);
    code = 1;
  }
  // Success exits by letting the event loop drain, not by Deno.exit: Deno stores the V8 code
  // cache of the main module only on a natural exit, and without it every plugin start
  // recompiles the whole program. Nothing is left pending after a successful call (signal
  // listeners removed, timers cleared, every pipe read to the end). A failure exits at once:
  // a timed-out plugin's grandchild may still hold a pipe open, and a bounding timer would
  // load the runtime's timer module on every start (setTimeout costs ~5 ms when first used).
  if (code === 0) Deno.exitCode = 0;
  else Deno.exit(code);
}
