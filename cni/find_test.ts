import { join } from "node:path";
import { findInPath, PluginNotFoundError, splitCniPath } from "./find.ts";
import { assertEquals, assertRejects } from "../tests/helpers/assert.ts";

Deno.test("findInPath() returns the first directory holding a regular file", async () => {
  const a = await Deno.makeTempDir({ prefix: "denocni-find-" });
  const b = await Deno.makeTempDir({ prefix: "denocni-find-" });
  try {
    await Deno.mkdir(join(a, "bridge")); // a directory with the name is skipped
    await Deno.writeTextFile(join(b, "bridge"), "#!/bin/sh\n");
    await Deno.writeTextFile(join(a, "loopback"), "");
    assertEquals(await findInPath("bridge", [a, b]), join(b, "bridge"));
    assertEquals(await findInPath("loopback", [a, b]), join(a, "loopback"));
    await Deno.symlink(join(b, "bridge"), join(a, "linked"));
    assertEquals(await findInPath("linked", [a, b]), join(a, "linked"));
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});

Deno.test("findInPath() errors like pkg/invoke/find.go", async () => {
  const e1 = await assertRejects(
    () => findInPath("nope", ["/nonexistent/a", "/nonexistent/b"]),
    PluginNotFoundError,
  );
  assertEquals(e1.message, 'failed to find plugin "nope" in path [/nonexistent/a /nonexistent/b]');
  assertEquals(e1.plugin, "nope");
  assertEquals(e1.paths, ["/nonexistent/a", "/nonexistent/b"]);
  await assertRejects(() => findInPath("x", []), PluginNotFoundError, "no paths provided");
  await assertRejects(() => findInPath("", ["/a"]), PluginNotFoundError, "no plugin name provided");
  await assertRejects(
    () => findInPath("../bin/sh", ["/usr"]),
    PluginNotFoundError,
    "invalid plugin name: ../bin/sh",
  );
});

Deno.test("splitCniPath() drops empty entries", () => {
  assertEquals(splitCniPath(""), []);
  assertEquals(splitCniPath(undefined), []);
  assertEquals(splitCniPath("/a::/b:"), ["/a", "/b"]);
});
