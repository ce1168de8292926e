import { assert, assertEquals, assertMatch } from "../tests/helpers/assert.ts";
import * as errno from "./errno.ts";
import { ErrnoError, errnoName, errnoText } from "./errno.ts";

Deno.test("errnoName() maps kernel numbers to symbolic names", () => {
  assertEquals(errnoName(17), "EEXIST");
  assertEquals(errnoName(19), "ENODEV");
  assertEquals(errnoName(26), "ETXTBSY");
  assertEquals(errnoName(4242), "E4242");
  assertEquals(errnoText(1), "operation not permitted");
});

Deno.test("ErrnoError carries errno, name, syscall and a readable message", () => {
  const err = new ErrnoError("setns", 22);
  assertEquals(err.errno, 22);
  assertEquals(err.code, "EINVAL");
  assertEquals(err.syscall, "setns");
  assertEquals(err.message, "setns: invalid argument (EINVAL)");
  assertMatch(new ErrnoError("open", 2, 'open "/x"').message, /^open "\/x": no such file/);
});

Deno.test("every exported errno constant is the table's number for its name", () => {
  const constants = Object.entries(errno).filter(([name, n]) =>
    /^E[A-Z0-9]+$/.test(name) && typeof n === "number"
  );
  assert(constants.length >= 7, `${constants.length} constants`);
  for (const [name, n] of constants) {
    assertEquals([name, errnoName(n as number)], [name, name]);
  }
});
