import { assert, assertEquals, assertRejects } from "../tests/helpers/assert.ts";
import { CniError } from "../cni/errors.ts";
import type { ToolOutput, ToolRunner } from "./exec.ts";
import {
  converge,
  findMissingRule,
  hasRule,
  parseListing,
  quoteRestoreToken,
  RestoreError,
  restoreLine,
  restoreScript,
  ruleComment,
  ruleKey,
  rulesTargeting,
  splitRuleLine,
  type TableSnapshot,
} from "./iptables.ts";

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

Deno.test("parseListing() collects chains and rules per chain", () => {
  const snap = parseListing(LISTING);
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
  assertEquals(restoreScript("nat", ["-N X", "-X X"]), "*nat\n-N X\n-X X\nCOMMIT\n");
});

Deno.test("splitRuleLine() reads back what restoreLine() writes", () => {
  const spec = ["-m", "comment", "--comment", `odd "quotes" \\ and 'more'`, "-j", "X"];
  assertEquals(splitRuleLine(restoreLine("-A", "C", spec)), ["-A", "C", ...spec]);
});

Deno.test("parseListing() reads iptables-save chain declarations as user chains", () => {
  const snap = parseListing(
    "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [3:120]\n:CNI-FORWARD - [0:0]\n" +
      '-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD\nCOMMIT\n',
  );
  assertEquals([...snap.chains], ["CNI-FORWARD"]);
  assertEquals(
    hasRule(snap, "FORWARD", [
      "-m",
      "comment",
      "--comment",
      "CNI firewall plugin rules",
      "-j",
      "CNI-FORWARD",
    ]),
    true,
  );
});

Deno.test("rulesTargeting() finds jumps and gotos to a chain in every chain", () => {
  const snap = parseListing(
    "-N A\n-N B\n-A PREROUTING -j A\n-A B -p tcp -g A\n-A B -j ACCEPT\n-A OUTPUT -j AB\n",
  );
  assertEquals(rulesTargeting(snap, "A"), [
    { chain: "PREROUTING", spec: ["-j", "A"] },
    { chain: "B", spec: ["-p", "tcp", "-g", "A"] },
  ]);
  assertEquals(ruleComment(["-m", "comment", "--comment", "x y", "-j", "A"]), "x y");
  assertEquals(ruleComment(["-j", "A"]), undefined);
});

Deno.test("restoreScript() wraps any table", () => {
  assertEquals(restoreScript("filter", ["-N X"]), "*filter\n-N X\nCOMMIT\n");
});

/** A runner that answers from a script of outputs and records each call. */
function scripted(outputs: ToolOutput[]): { run: ToolRunner; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run: (cmd, args, options) => {
      calls.push([cmd, ...args].join(" ") + (options?.stdin ? `<<${options.stdin}` : ""));
      const out = outputs.shift();
      if (!out) throw new Error("unexpected tool run");
      return Promise.resolve(out);
    },
  };
}

const OK: ToolOutput = { code: 0, stdout: "", stderr: "" };

Deno.test("converge() stops after an accepted optimistic restore", async () => {
  const { run, calls } = scripted([OK]);
  const n = await converge("iptables", "filter", (s) => s ? [] : ["-N X"], { run });
  assertEquals(n, 1);
  assertEquals(calls, ["iptables-restore -w --noflush<<*filter\n-N X\nCOMMIT\n"]);
});

Deno.test("converge() reads and restores the difference when the guess is refused", async () => {
  const { run, calls } = scripted([
    { code: 1, stdout: "", stderr: "iptables-restore: line 2 failed: Chain already exists." },
    { code: 0, stdout: "-N X\n-A X -j RETURN\n", stderr: "" },
    OK,
  ]);
  const plan = (s: TableSnapshot | undefined) => {
    if (!s) return ["-N X", "-A X -j ACCEPT"];
    return hasRule(s, "X", ["-j", "ACCEPT"]) ? [] : ["-A X -j ACCEPT"];
  };
  assertEquals(await converge("ip6tables", "nat", plan, { run }), 3);
  assertEquals(calls.map((c) => c.split("<<")[0]), [
    "ip6tables-restore -w --noflush",
    "ip6tables -w -t nat -S",
    "ip6tables-restore -w --noflush",
  ]);
  assertEquals(calls[2]!.split("<<")[1], "*nat\n-A X -j ACCEPT\nCOMMIT\n");
});

Deno.test("converge() awaits a plan that computes its lines asynchronously", async () => {
  const { run, calls } = scripted([{ code: 0, stdout: "-N X\n", stderr: "" }, OK]);
  const plan = async (s: TableSnapshot | undefined) =>
    s?.chains.has("X") ? [`-A X -j ${await Promise.resolve("ACCEPT")}`] : [];
  assertEquals(await converge("iptables", "nat", plan, { run, optimistic: false }), 2);
  assertEquals(calls[1]!.split("<<")[1], "*nat\n-A X -j ACCEPT\nCOMMIT\n");
});

Deno.test("converge() gives up with the second refusal after two reads", async () => {
  const refused = { code: 2, stdout: "", stderr: "line 2 failed" };
  const { run } = scripted([refused, OK, refused, OK, refused]);
  await assertRejects(
    () => converge("iptables", "nat", () => ["-A Y -j X"], { run }),
    RestoreError,
    "exit status 2",
  );
});

Deno.test("findMissingRule() maps the failing line back to the rule", async () => {
  const rules = [
    { chain: "FORWARD", spec: ["-j", "CNI-FORWARD"] },
    { chain: "CNI-FORWARD", spec: ["-s", "10.0.0.2/32", "-j", "ACCEPT"] },
  ];
  const ok = scripted([OK]);
  assertEquals(await findMissingRule("iptables", "filter", rules, { run: ok.run }), undefined);
  assertEquals(
    ok.calls[0]!.split("<<")[1],
    "*filter\n-C FORWARD -j CNI-FORWARD\n-C CNI-FORWARD -s 10.0.0.2/32 -j ACCEPT\nCOMMIT\n",
  );
  const bad = scripted([{
    code: 1,
    stdout: "",
    stderr:
      "iptables-restore: line 3 failed: Bad rule (does a matching rule exist in that chain?).",
  }]);
  assertEquals(await findMissingRule("iptables", "filter", rules, { run: bad.run }), rules[1]);
  // iptables-nft notices a missing chain only at COMMIT: the first rule needing it is named.
  const noChain = scripted([{
    code: 2,
    stdout: "",
    stderr: "iptables-restore v1.8.9 (nf_tables): Chain 'CNI-FORWARD' does not exist\n" +
      "Error occurred at line: 4\n",
  }]);
  assertEquals(await findMissingRule("iptables", "filter", rules, { run: noChain.run }), rules[0]);
  const odd = scripted([{ code: 2, stdout: "", stderr: "unknown table" }]);
  await assertRejects(
    () => findMissingRule("iptables", "filter", rules, { run: odd.run }),
    RestoreError,
  );
});

Deno.test("quoteRestoreToken() refuses a control character: a line break would start another rule", () => {
  for (const token of ["x\n-A INPUT -j DROP", "x\r", "a\u0000b"]) {
    let err: unknown;
    try {
      quoteRestoreToken(token);
    } catch (e) {
      err = e;
    }
    assert(err instanceof CniError, JSON.stringify(token));
    assertEquals(err.code, 7);
  }
  assertEquals(quoteRestoreToken("a b"), '"a b"');
});
