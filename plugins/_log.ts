/**
 * The one place a built-in plugin writes a warning: a line on stderr (logs only; results and
 * errors go to stdout through skel). A failed write is dropped: a warning never fails a call.
 *
 * @module
 */

/**
 * Writes `text` as one line on stderr, ignoring a closed or broken stream.
 *
 * @param text The warning (a newline is added when missing).
 */
export function logStderr(text: string): void {
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(text.endsWith("\n") ? text : text + "\n"));
  } catch {
    // nothing more to do
  }
}
