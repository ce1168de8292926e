import * as node from "node:path";
import { basename, dirname, join, normalize, resolve } from "./_path.ts";
import { assertEquals } from "../tests/helpers/assert.ts";

const CASES = [
  "",
  ".",
  "./",
  "/",
  "//",
  "a",
  "a/",
  "/a/b/",
  "a//b",
  "/a/./b/../c",
  "../a/../../b",
  "/../a",
  "a/b/c/..",
  "/var/lib/cni/results",
  "x/../..",
];

Deno.test("normalize() dirname() basename() match node:path posix", () => {
  for (const p of CASES) {
    assertEquals(normalize(p), node.posix.normalize(p), `normalize(${JSON.stringify(p)})`);
    assertEquals(dirname(p), node.posix.dirname(p), `dirname(${JSON.stringify(p)})`);
    assertEquals(basename(p), node.posix.basename(p), `basename(${JSON.stringify(p)})`);
  }
});

Deno.test("join() resolve() match node:path posix", () => {
  const pairs: string[][] = [
    [],
    [""],
    ["a", "b"],
    ["/a", "../b/"],
    ["a", "", "/c"],
    [
      "/var/lib",
      "cni",
      "networks",
      "10.0.0.2",
    ],
    ["..", "a"],
    ["/", "/x/"],
  ];
  for (const ps of pairs) {
    assertEquals(join(...ps), node.posix.join(...ps), `join(${JSON.stringify(ps)})`);
    assertEquals(resolve(...ps), node.posix.resolve(...ps), `resolve(${JSON.stringify(ps)})`);
  }
});
