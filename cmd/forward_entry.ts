/**
 * The entry of the forwarder bundle (`denocni-forward.js`) that the launchers run instead of
 * the whole program when the `cnitool serve` socket exists: it forwards the call
 * (`cmd/forward.ts`) and, when the daemon does not run it, loads the program bundle installed
 * beside it (`denocni.js`) and runs the plugin there, with the stdin it already read.
 *
 * Its bundle is a few kilobytes: a forwarded call pays for Deno's start, this file and one
 * round trip, not for loading the plugins.
 *
 * @module
 */
import { errorText } from "../ffi/errno.ts";
import { forwardOrRun, stdinReader, writeAll } from "./forward.ts";

/** What the program bundle exports for this fallback (see `cli.ts`). */
interface ProgramBundle {
  runPluginPersonality(
    personality: string,
    io: { env: Record<string, string>; read: (buf: Uint8Array) => Promise<number | null> },
  ): Promise<number>;
}

function main(): Promise<number> {
  const personality = Deno.env.get("DENOCNI_PERSONALITY") ?? "";
  const env = Deno.env.toObject();
  return forwardOrRun(personality, { env, read: stdinReader() }, async (read) => {
    // Not a literal, so the bundler leaves the program out of this bundle.
    const program = new URL("./denocni.js", import.meta.url).href;
    const { runPluginPersonality } = await import(program) as ProgramBundle;
    return await runPluginPersonality(personality, { env, read });
  });
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main();
  } catch (err) {
    writeAll(Deno.stderr, `error: ${errorText(err)}\n`);
    code = 1;
  }
  // As cli.ts: a natural exit on success, at once on failure.
  if (code === 0) Deno.exitCode = 0;
  else Deno.exit(code);
}
