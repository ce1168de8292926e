// The rule codec and ops against what iproute2 sends (`strace` of `ip rule add|del`) and what the
// kernel answers to a rule dump: golden bytes, round trips, input checks. No kernel, no root.
import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { recordingSocket } from "../tests/helpers/fake_netlink.ts";
import { ruleCapture, ruleDump } from "../tests/fixtures/netlink/rule_fixtures.ts";
import { hex } from "../tests/fixtures/netlink/fixtures.ts";
import { decodeMessages } from "./message.ts";
import {
  decodeFibRuleHdr,
  encodeFibRuleHdr,
  encodeRuleDumpRequest,
  encodeRuleRequest,
  parseRuleMessage,
  ruleText,
} from "./rule.ts";
import { ruleAdd, ruleDel, ruleList } from "./ops/rule.ts";
import { FR_ACT_TO_TBL, RTM_GETRULE, RTM_NEWRULE } from "./rule_constants.ts";
import { NetlinkDecodeError, NetlinkInputError } from "./errors.ts";

/** A whole message with its sequence number and port id zeroed, as hex. */
function normalised(bytes: Uint8Array): string {
  const copy = new Uint8Array(bytes);
  copy.fill(0, 8, 16);
  return hex(copy);
}

function sentBy(fn: (sock: Parameters<typeof ruleAdd>[0]) => void): string[] {
  const { sock, sent } = recordingSocket();
  fn(sock);
  return sent.map((s) => normalised(s.bytes));
}

Deno.test("encodeFibRuleHdr() golden bytes and decodeFibRuleHdr() round trip", () => {
  const hdr = {
    family: 2,
    dstLen: 0,
    srcLen: 32,
    tos: 0,
    table: 100,
    res1: 0,
    res2: 0,
    action: FR_ACT_TO_TBL,
    flags: 0,
  };
  const b = encodeFibRuleHdr(hdr);
  assertEquals(hex(b), "02002000" + "64000001" + "00000000");
  assertEquals(decodeFibRuleHdr(b, 0), [hdr, 12]);
  assertThrows(() => decodeFibRuleHdr(b, 4), NetlinkDecodeError, "offset 4");
});

Deno.test("ruleAdd() sends what `ip rule add pref 100 from 10.1.2.3/32 table 100` sends", () => {
  const got = sentBy((s) => ruleAdd(s, { priority: 100, src: "10.1.2.3/32", table: 100 }));
  assertEquals(got, [normalised(ruleCapture("ruleAdd4"))]);
});

Deno.test("ruleAdd() puts a table above 255 in FRA_TABLE as `ip -6 rule add ... table 1000`", () => {
  const got = sentBy((s) => ruleAdd(s, { priority: 200, src: "fd00::5/128", table: 1000 }));
  assertEquals(got, [normalised(ruleCapture("ruleAdd6"))]);
});

Deno.test("ruleAdd() without a priority leaves it to the kernel (`ip rule add from ... table 101`)", () => {
  const got = sentBy((s) => ruleAdd(s, { src: "10.1.2.4/32", table: 101 }));
  assertEquals(got, [normalised(ruleCapture("ruleAddNoPref"))]);
});

Deno.test("ruleDel() sends what `ip rule del pref 100 from 10.1.2.3/32 table 100` sends", () => {
  const got = sentBy((s) => ruleDel(s, { priority: 100, src: "10.1.2.3/32", table: 100 }));
  assertEquals(got, [normalised(ruleCapture("ruleDel4"))]);
});

Deno.test("encodeRuleRequest() defaults an add to the main table and refuses bad input", () => {
  const { body } = encodeRuleRequest({ src: "10.0.0.1/32" }, "add");
  assertEquals(body[4], 254);
  assertEquals(encodeRuleRequest({ src: "10.0.0.1/32" }, "del").body[4], 0);
  assertThrows(
    () => encodeRuleRequest({ src: "10.0.0.1/32", dst: "fd00::/8" }, "add"),
    NetlinkInputError,
    "address families differ",
  );
  assertThrows(() => encodeRuleRequest({ table: 5 }, "add"), NetlinkInputError, "no family");
  assertThrows(
    () => encodeRuleRequest({ src: "10.0.0.1/33" }, "add"),
    NetlinkInputError,
    "invalid prefix length",
  );
  assertThrows(
    () => encodeRuleRequest({ src: "10.0.0.1/32", table: -1 }, "add"),
    NetlinkInputError,
    "invalid table -1",
  );
  assertEquals(
    encodeRuleRequest({ family: 6, table: 7, invert: true }, "add").body,
    encodeFibRuleHdr({ family: 10, table: 7, action: FR_ACT_TO_TBL, flags: 2 }),
  );
});

Deno.test("ruleText() words a rule as `ip rule` does", () => {
  assertEquals(ruleText({ src: "10.1.2.3/32", table: 100 }), "from 10.1.2.3/32 table 100");
  assertEquals(ruleText({ priority: 5, table: 9, invert: true }), "not pref 5 from all table 9");
});

Deno.test("parseRuleMessage() reads the captured IPv4 rule dump", () => {
  const rules = ruleDump(4).flatMap((d) => decodeMessages(d))
    .filter((m) => m.header.type === RTM_NEWRULE)
    .map((m) => parseRuleMessage(m.payload)!);
  assertEquals(
    rules.map((r) => [r.priority, r.src ?? "all", r.table, r.action]),
    [
      [0, "all", 255, FR_ACT_TO_TBL],
      [99, "10.1.2.4/32", 101, FR_ACT_TO_TBL],
      [100, "10.1.2.3/32", 100, FR_ACT_TO_TBL],
      [32766, "all", 254, FR_ACT_TO_TBL],
      [32767, "all", 253, FR_ACT_TO_TBL],
    ],
  );
  assertEquals(rules.every((r) => r.family === 4 && !r.invert), true);
  // The kernel reports who made each rule: `kernel` (2) for the defaults, 0 for `ip`'s.
  assertEquals(rules.map((r) => r.protocol), [2, 0, 0, 2, 2]);
});

Deno.test("parseRuleMessage() takes a table above 255 from FRA_TABLE (the header says 252)", () => {
  const rules = ruleDump(6).flatMap((d) => decodeMessages(d))
    .filter((m) => m.header.type === RTM_NEWRULE)
    .map((m) => parseRuleMessage(m.payload)!);
  const mine = rules.find((r) => r.priority === 200)!;
  assertEquals(mine.src, "fd00::5/128");
  assertEquals(mine.table, 1000);
  assertEquals(mine.family, 6);
});

Deno.test("parseRuleMessage() refuses a truncated header and skips other families", () => {
  assertThrows(() => parseRuleMessage(new Uint8Array(8)), NetlinkDecodeError, "fib_rule_hdr");
  assertEquals(parseRuleMessage(encodeFibRuleHdr({ family: 7 })), undefined);
});

Deno.test("ruleList() dumps every family and filters by family", () => {
  const replies = [...ruleDump(4), ...ruleDump(6)].flatMap((d) => decodeMessages(d));
  const { sock, sent } = recordingSocket(() => replies);
  assertEquals(ruleList(sock).length, 8);
  assertEquals(ruleList(sock, { family: 6 }).map((r) => r.priority), [0, 200, 32766]);
  assertEquals(sent[0]!.init.type, RTM_GETRULE);
  assertEquals(hex(sent[0]!.init.body!), hex(encodeRuleDumpRequest()));
  assertEquals(hex(sent[1]!.init.body!), "0a0000000000000000000000");
});
