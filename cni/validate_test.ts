import * as z from "zod/mini";
import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { CniError } from "./errors.ts";
import { formatPath, parseLenient, parseWith } from "./validate.ts";

const SCHEMA = z.object({
  name: z.string(),
  mtu: z.optional(z.number().check(z.int(), z.minimum(68))),
  mode: z.optional(z.enum(["a", "b"])),
  list: z.optional(z.array(z.object({ subnet: z.string() }))),
});

Deno.test("parseWith() names every bad field with expected and received types", () => {
  const err = assertThrows(
    () => parseWith(SCHEMA, { name: 1, mtu: 10, mode: "c", list: [{ subnet: 5 }] }),
    CniError,
  );
  assertEquals(err.code, 7);
  assertEquals(
    err.msg,
    'invalid network configuration: field "name": expected string, got number; ' +
      'field "mtu": must be >= 68; field "mode": expected one of "a", "b", got "c"; ' +
      'field "list[0].subnet": expected string, got number',
  );
});

Deno.test("parseWith() reports a missing field as required and returns parsed data", () => {
  const err = assertThrows(() => parseWith(SCHEMA, {}, { what: "bad", code: 4 }), CniError);
  assertEquals(err.code, 4);
  assertEquals(err.msg, 'bad: field "name": is required (expected string)');
  assertEquals(parseWith(SCHEMA, { name: "x", mtu: 1500 }), { name: "x", mtu: 1500 });
  assertEquals(formatPath(["a", 0, "b"]), "a[0].b");
});

Deno.test("parseLenient() drops bad fields, keeps good ones, fails only when nothing helps", () => {
  const s = z.object({
    name: z.string(),
    mtu: z.optional(z.int()),
    ipam: z.optional(z.object({ type: z.optional(z.string()), subnet: z.optional(z.string()) })),
    list: z.optional(z.array(z.int())),
  });
  const { data, dropped } = parseLenient(s, {
    name: "n",
    mtu: "big",
    ipam: { type: "host-local", subnet: 5 },
    list: [1, "x"],
  });
  assertEquals(data, { name: "n", ipam: { type: "host-local" } });
  assertEquals(dropped.sort(), ["ipam.subnet", "list[1]", "mtu"]);
  assertThrows(() => parseLenient(s, { mtu: 1 }), CniError, 'field "name"');
});
