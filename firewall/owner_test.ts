import { assertEquals } from "../tests/helpers/assert.ts";
import {
  IPTABLES_MAX_COMMENT,
  isStaleOwner,
  ownerComment,
  parseOwnerComment,
  quotedOwnerComment,
} from "./owner.ts";

Deno.test("ownerComment() writes the reference's text and stays within iptables' limit", () => {
  assertEquals(
    ownerComment("dnat ", { network: "rnnet", containerId: "rnc1" }),
    'dnat name: "rnnet" id: "rnc1"',
  );
  const long = ownerComment("dnat ", { network: "n", containerId: "c".repeat(300) });
  assertEquals(long.length, IPTABLES_MAX_COMMENT);
  assertEquals(long.endsWith("..."), true);
  assertEquals(parseOwnerComment("dnat ", long), undefined);
});

Deno.test("parseOwnerComment() reads plain and Go-quoted comments with their prefix", () => {
  assertEquals(parseOwnerComment("dnat ", 'dnat name: "rnnet" id: "rnc1"'), {
    network: "rnnet",
    containerId: "rnc1",
  });
  assertEquals(parseOwnerComment("", 'name: "a\\"b" id: "c"'), {
    network: 'a"b',
    containerId: "c",
  });
  assertEquals(parseOwnerComment("dnat ", 'name: "rnnet" id: "rnc1"'), undefined);
  assertEquals(parseOwnerComment("", "CNI portfwd masquerade mark"), undefined);
});

Deno.test("isStaleOwner() keeps other networks and valid containers", () => {
  const valid = new Set(["c1"]);
  assertEquals(isStaleOwner({ network: "n", containerId: "c2" }, "n", valid), true);
  assertEquals(isStaleOwner({ network: "n", containerId: "c1" }, "n", valid), false);
  assertEquals(isStaleOwner({ network: "m", containerId: "c2" }, "n", valid), false);
  assertEquals(isStaleOwner(undefined, "n", valid), false);
});

Deno.test("quotedOwnerComment() is Go's name: %q id: %q and reads back", () => {
  const owner = { network: "mynet", containerId: "abc123" };
  assertEquals(quotedOwnerComment(owner), 'name: "mynet" id: "abc123"');
  assertEquals(quotedOwnerComment(owner), ownerComment("", owner));
  const odd = { network: 'a"b\\c', containerId: "x".repeat(300) };
  assertEquals(quotedOwnerComment(odd).startsWith('name: "a\\"b\\\\c" id: "xxx'), true);
  assertEquals(parseOwnerComment("", quotedOwnerComment(odd)), odd);
});
