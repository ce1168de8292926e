import { assertEquals, assertRejects } from "../tests/helpers/assert.ts";
import type { ToolRunner } from "./exec.ts";
import { ToolError } from "./exec.ts";
import * as nft from "./nft.ts";

const LISTING = JSON.stringify({
  nftables: [
    { metainfo: { version: "1.0.6" } },
    { table: { family: "ip", name: "cni_hostport", handle: 1 } },
    { chain: { family: "ip", table: "cni_hostport", name: "hostports", handle: 2 } },
    {
      rule: {
        family: "ip",
        table: "cni_hostport",
        chain: "hostports",
        handle: 7,
        comment: "c1",
        expr: [{ dnat: { addr: "10.0.0.2", port: 80 } }],
      },
    },
    { rule: { family: "ip", table: "cni_hostport", chain: "hostports", handle: 8, expr: [] } },
  ],
});

Deno.test("parseNftRules() keeps every rule with its handle and comment", () => {
  assertEquals(nft.parseNftRules(LISTING), [
    {
      family: "ip",
      table: "cni_hostport",
      chain: "hostports",
      handle: 7,
      comment: "c1",
      expr: [{ dnat: { addr: "10.0.0.2", port: 80 } }],
    },
    { family: "ip", table: "cni_hostport", chain: "hostports", handle: 8, expr: [] },
  ]);
  assertEquals(nft.nftDeleteLines(nft.parseNftRules(LISTING)), [
    "delete rule ip cni_hostport hostports handle 7",
    "delete rule ip cni_hostport hostports handle 8",
  ]);
});

function runner(out: { code: number; stdout?: string; stderr?: string }) {
  const calls: { argv: string[]; stdin?: string }[] = [];
  const run: ToolRunner = (cmd, args, options) => {
    calls.push({ argv: [cmd, ...args], ...(options?.stdin ? { stdin: options.stdin } : {}) });
    return Promise.resolve({ code: out.code, stdout: out.stdout ?? "", stderr: out.stderr ?? "" });
  };
  return { run, calls };
}

Deno.test("nftListRules() lists a table or a chain; a missing one has no rules", async () => {
  const ok = runner({ code: 0, stdout: LISTING });
  assertEquals((await nft.nftListRules("ip", "cni_hostport", { run: ok.run })).length, 2);
  await nft.nftListRules("ip", "cni_hostport", { run: ok.run, chain: "hostports" });
  assertEquals(ok.calls.map((c) => c.argv.join(" ")), [
    "nft -j list table ip cni_hostport",
    "nft -j list chain ip cni_hostport hostports",
  ]);
  const missing = runner({ code: 1, stderr: "Error: No such file or directory\n" });
  assertEquals(await nft.nftListRules("ip", "cni_hostport", { run: missing.run }), []);
  assertEquals(nft.isNftMissing("Error: No such file or directory"), true);
  const broken = runner({ code: 1, stderr: "Error: Operation not permitted\n" });
  await assertRejects(() => nft.nftListRules("ip", "x", { run: broken.run }), ToolError);
});

Deno.test("nftApply()/nftApplyJson() send one transaction, none when empty", async () => {
  const r = runner({ code: 0 });
  await nft.nftApply([], { run: r.run });
  await nft.nftApplyJson([], { run: r.run });
  assertEquals(r.calls.length, 0);
  await nft.nftApply(["add table ip t", "add chain ip t c"], { run: r.run });
  await nft.nftApplyJson([{ add: { table: { family: "ip", name: "t" } } }], { run: r.run });
  assertEquals(r.calls, [
    { argv: ["nft", "-f", "-"], stdin: "add table ip t\nadd chain ip t c\n" },
    {
      argv: ["nft", "-j", "-f", "-"],
      stdin: '{"nftables":[{"add":{"table":{"family":"ip","name":"t"}}}]}',
    },
  ]);
  const bad = runner({ code: 1, stderr: "Error: syntax error" });
  await assertRejects(() => nft.nftApply(["x"], { run: bad.run }), ToolError, "syntax error");
});

Deno.test("nftComment() drops quotes and cuts to 128 bytes", () => {
  assertEquals(nft.nftComment('a "b"'), '"a b"');
  assertEquals(nft.nftComment("x".repeat(200)), `"${"x".repeat(128)}"`);
});
