import { assertEquals } from "../../tests/helpers/assert.ts";
import {
  hasRule,
  natRestoreScript,
  parseNatListing,
  quoteRestoreToken,
  restoreLine,
  ruleKey,
  splitRuleLine,
} from "./nat_table.ts";

const LISTING = `-P PREROUTING ACCEPT
-P POSTROUTING ACCEPT
-N CNI-70a29d9dc18bc4d652ea5d59
-A POSTROUTING -s 10.1.0.2/32 -m comment --comment "name: \\"mynet\\" id: \\"abc123\\"" -j CNI-70a29d9dc18bc4d652ea5d59
-A CNI-70a29d9dc18bc4d652ea5d59 -d 10.1.0.0/16 -m comment --comment "name: \\"mynet\\" id: \\"abc123\\"" -j ACCEPT
-A CNI-70a29d9dc18bc4d652ea5d59 ! -d 224.0.0.0/4 -m comment --comment "name: \\"mynet\\" id: \\"abc123\\"" -j MASQUERADE
`;

Deno.test("splitRuleLine() undoes xtables_save_string quoting", () => {
  assertEquals(splitRuleLine('-A X -m comment --comment "a \\"b\\" \\\\ \\\'c" -j ACCEPT'), [
    "-A",
    "X",
    "-m",
    "comment",
    "--comment",
    'a "b" \\ \'c',
    "-j",
    "ACCEPT",
  ]);
  assertEquals(splitRuleLine("-A X  -j  ACCEPT "), ["-A", "X", "-j", "ACCEPT"]);
  assertEquals(splitRuleLine('-A X --comment ""'), ["-A", "X", "--comment", ""]);
});

Deno.test("ruleKey() compares addresses as iptables prints them", () => {
  assertEquals(ruleKey(["-s", "10.1.0.2"]), ruleKey(["-s", "10.1.0.2/32"]));
  assertEquals(ruleKey(["-d", "10.1.0.2/16"]), ruleKey(["-d", "10.1.0.0/16"]));
  assertEquals(ruleKey(["-d", "fd00:0::5/64"]), ruleKey(["-d", "fd00::/64"]));
  assertEquals(ruleKey(["-s", "fd00::5"]), ruleKey(["-s", "fd00::5/128"]));
  assertEquals(ruleKey(["--comment", "10.1.0.2"]) === ruleKey(["--comment", "10.1.0.2/32"]), false);
});

Deno.test("parseNatListing() collects chains and rules per chain", () => {
  const snap = parseNatListing(LISTING);
  assertEquals([...snap.chains], ["CNI-70a29d9dc18bc4d652ea5d59"]);
  assertEquals(snap.rules.get("POSTROUTING")?.length, 1);
  assertEquals(snap.rules.get("CNI-70a29d9dc18bc4d652ea5d59")?.length, 2);
  const comment = 'name: "mynet" id: "abc123"';
  const c = ["-m", "comment", "--comment", comment];
  assertEquals(
    hasRule(snap, "CNI-70a29d9dc18bc4d652ea5d59", [
      "!",
      "-d",
      "224.0.0.0/4",
      ...c,
      "-j",
      "MASQUERADE",
    ]),
    true,
  );
  assertEquals(
    hasRule(snap, "POSTROUTING", ["-s", "10.1.0.2", ...c, "-j", "CNI-70a29d9dc18bc4d652ea5d59"]),
    true,
  );
  assertEquals(
    hasRule(snap, "POSTROUTING", ["-s", "10.1.0.3", ...c, "-j", "CNI-70a29d9dc18bc4d652ea5d59"]),
    false,
  );
});

Deno.test("restoreLine() quotes what iptables-restore would split", () => {
  assertEquals(quoteRestoreToken("ACCEPT"), "ACCEPT");
  assertEquals(quoteRestoreToken(""), '""');
  assertEquals(quoteRestoreToken('name: "n" id: "c\\d"'), '"name: \\"n\\" id: \\"c\\\\d\\""');
  assertEquals(
    restoreLine("-A", "POSTROUTING", ["-s", "10.1.0.2/32", "--comment", "a b", "-j", "X"]),
    '-A POSTROUTING -s 10.1.0.2/32 --comment "a b" -j X',
  );
  assertEquals(restoreLine("-X", "X"), "-X X");
  assertEquals(natRestoreScript(["-N X", "-X X"]), "*nat\n-N X\n-X X\nCOMMIT\n");
});

Deno.test("splitRuleLine() reads back what restoreLine() writes", () => {
  const spec = ["-m", "comment", "--comment", `odd "quotes" \\ and 'more'`, "-j", "X"];
  assertEquals(splitRuleLine(restoreLine("-A", "C", spec)), ["-A", "C", ...spec]);
});
