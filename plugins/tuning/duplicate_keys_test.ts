import { assertEquals } from "../../tests/helpers/assert.ts";
import { duplicateKeyAt } from "./duplicate_keys.ts";

Deno.test("duplicateKeyAt() finds a key written twice in the object at the path", () => {
  const sysctl = (inner: string) => `{"name":"n","sysctl":${inner},"mtu":1400}`;
  assertEquals(duplicateKeyAt(sysctl('{"net.a":"1","net.b":"2"}'), ["sysctl"]), undefined);
  assertEquals(
    duplicateKeyAt(sysctl('{"net.a":"1","net.b":"2","net.a":"3"}'), ["sysctl"]),
    "net.a",
  );
  // Keys compare decoded: an escape spelling the same text is the same key.
  assertEquals(duplicateKeyAt(sysctl('{"net.a":"1","net\\u002ea":"2"}'), ["sysctl"]), "net.a");
  // Whitespace, nesting and strings holding braces, quotes and commas are skipped correctly.
  const text = ` { "args" : { "x" : [ {"a":"}"} , "\\"," ] , "cni" : { "sysctl" :
    { "k" : "v,}" , "k2" : {"k":1,"k":2} , "k" : null } } } } `;
  assertEquals(duplicateKeyAt(text, ["args", "cni", "sysctl"]), "k");
  assertEquals(duplicateKeyAt(text, ["args", "cni"]), undefined);
  // The root itself, absent paths and non-objects.
  assertEquals(duplicateKeyAt('{"a":1,"a":2}', []), "a");
  assertEquals(duplicateKeyAt('{"a":1}', ["sysctl"]), undefined);
  assertEquals(duplicateKeyAt('{"sysctl":null}', ["sysctl"]), undefined);
  assertEquals(duplicateKeyAt('{"sysctl":[1,1]}', ["sysctl"]), undefined);
  assertEquals(duplicateKeyAt('{"sysctl":{}}', ["sysctl"]), undefined);
  // The last of two equal keys is followed, as JSON.parse keeps the last.
  assertEquals(duplicateKeyAt('{"sysctl":{"a":1,"a":1},"sysctl":{"b":1}}', ["sysctl"]), undefined);
  assertEquals(duplicateKeyAt('{"sysctl":{"b":1},"sysctl":{"a":1,"a":1}}', ["sysctl"]), "a");
});

Deno.test("duplicateKeyAt() walks deep input without recursion and stops on broken input", () => {
  const deep = `{"x":${"[".repeat(200_000)}${"]".repeat(200_000)},"sysctl":{"a":1,"a":2}}`;
  assertEquals(duplicateKeyAt(deep, ["sysctl"]), "a");
  for (const broken of ['{"sysctl":{"a', '{"sysctl":{"a":', "", "{", '{"a"']) {
    assertEquals(duplicateKeyAt(broken, ["sysctl"]), undefined, broken);
  }
});
