import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { CniError } from "../cni/errors.ts";
import { exitCodeForSignal, exitCodeOf, spawnAttached } from "./attached.ts";

Deno.test("exitCodeOf() gives the command's code, or 128 + signal number", () => {
  assertEquals(exitCodeOf({ success: false, code: 3, signal: null }), 3);
  assertEquals(exitCodeOf({ success: false, code: 143, signal: "SIGTERM" }), 143);
  assertEquals(exitCodeOf({ success: false, code: 130, signal: "SIGINT" }), 130);
  assertEquals(exitCodeForSignal("SIGHUP"), 129);
});

Deno.test("spawnAttached() refuses an empty command before touching a namespace", () => {
  const err = assertThrows(() => spawnAttached("/nonexistent", []), CniError);
  assertEquals(err.msg, "a command is needed after --");
});
