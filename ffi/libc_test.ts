import { assertEquals } from "../tests/helpers/assert.ts";
import { FAST_AFTER, libc } from "./libc.ts";
import { ErrnoError } from "./errno.ts";
import { O_RDONLY } from "./constants.ts";
import { open } from "./fd.ts";

Deno.test("libc() symbols answer the same through the pointer and after the fast binding", () => {
  const seen = new Set<number>();
  for (let i = 0; i < FAST_AFTER * 2 + 1; i++) seen.add(libc().getpid());
  assertEquals([...seen], [Deno.pid]);
});

Deno.test("libc() errno is read right through the pointer and after the fast binding", () => {
  for (let i = 0; i < FAST_AFTER * 2 + 1; i++) {
    let code = "";
    try {
      open(`/nonexistent/denocni-${i}`, O_RDONLY);
    } catch (err) {
      if (err instanceof ErrnoError) code = err.code;
    }
    assertEquals(code, "ENOENT", `call ${i}`);
  }
});

Deno.test("libc() binds a symbol only when it is first used", () => {
  const table = libc();
  const before = Object.getOwnPropertyDescriptor(table, "capget");
  // Untouched symbols are still accessors (no trampoline or pointer wrapper made for them).
  assertEquals(typeof before?.get, "function");
  void table.geteuid();
  assertEquals(typeof Object.getOwnPropertyDescriptor(table, "geteuid")?.value, "function");
});
