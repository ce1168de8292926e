// deno-lint-ignore-file no-explicit-any -- the scenario's report is JSON read loosely
/**
 * sbr side by side with the reference /usr/lib/cni/sbr (Debian 1.1.1), ours exec'd and
 * in-process, each after the same ptp ADD, inside a host sandbox. See
 * `helpers/sbr_scenario.ts`.
 *
 * Compared: the result passed on, the container's rules (`ip -j rule`) and every table's
 * routes (`ip -j route show table all`) after ADD, CHECK, and the rules after DEL.
 *
 * Known, intended differences, asserted as such: ours also removes the interface's routes
 * from the tables it picked on DEL (1.1.1 leaves them until the interface goes); DEL with the
 * namespace gone succeeds (1.1.1: `unknown FS magic`); 1.1.1 logs to stderr; `table`,
 * `gateways` and `addSourceHints` are the newest reference's and checked against what it
 * does, not against 1.1.1 (which ignores them).
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { refMissing } from "./helpers/reference.ts";
import { runInHostSandbox } from "./helpers/host_sandbox.ts";
import { launcherDir } from "./helpers/launchers.ts";
import { normalise, sortKeys } from "./helpers/sandbox_calls.ts";

const noRef = refMissing("ptp", "host-local", "sbr");

let report: Promise<Record<string, any>> | undefined;
function scenario(): Promise<Record<string, any>> {
  report ??= launcherDir().then((launchers) =>
    runInHostSandbox("tests/helpers/sbr_scenario.ts", {
      launchers,
      impls: ["ref", "exec", "inproc"],
      version: "1.0.0",
    })
  );
  return report;
}

function printed(out: { stdout: string }): unknown {
  const j = normalise(JSON.parse(out.stdout));
  if (j.dns && Object.keys(j.dns).length === 0) delete j.dns;
  return sortKeys(j);
}

const BASE_RULES = [
  "0: from all lookup local",
  "32765: from 192.0.2.9 lookup 100",
  "32766: from all lookup main",
  "32767: from all lookup default",
  "0: from all lookup local",
  "32766: from all lookup main",
];

for (const impl of ["exec", "inproc"]) {
  Deno.test({
    ...gated(
      `sbr ADD after ptp (${impl}) makes the reference's rules and tables and passes prevResult on`,
      NEEDS_ROOT,
      noRef,
    ),
    async fn() {
      const r = await scenario();
      const ref = r.ref.chain;
      const ours = r[impl].chain;
      assertEquals(ref.add.code, 0, ref.add.stdout);
      assertEquals(ours.add.code, 0, ours.add.stdout + ours.add.stderr);
      assertEquals(printed(ours.add), printed(ref.add));
      assertEquals(ours.before, ref.before);
      assertEquals(ours.after, ref.after);
      // What was compared: table 100 is taken, so IPv4 gets 101 and IPv6 102; the main table
      // has nothing of eth0 left.
      assert(ours.after.rules.includes("32764: from 10.121.5.2 lookup 101"));
      assert(ours.after.rules.includes("32765: from fd00:121:5::2 lookup 102"));
      assert(ours.after.routes.includes("default via 10.121.5.1 dev eth0 table 101"));
      assert(ours.after.routes.includes("10.121.5.1 dev eth0 table 101 scope link src 10.121.5.2"));
      assertEquals(ours.after.routes.filter((x: string) => !x.includes(" table ")), []);
      assertEquals(ours.check, { code: 0, stdout: "", stderr: "" });
    },
  });

  Deno.test({
    ...gated(
      `sbr DEL (${impl}) removes the rules as the reference does, and is idempotent`,
      NEEDS_ROOT,
      noRef,
    ),
    async fn() {
      const r = await scenario();
      const ref = r.ref.chain;
      const ours = r[impl].chain;
      assertEquals([ours.del.code, ref.del.code], [0, 0]);
      assertEquals(ours.afterDel.rules, ref.afterDel.rules);
      assertEquals(ours.afterDel.rules, BASE_RULES);
      // Known: 1.1.1 leaves the copied routes in tables 101/102 until eth0 goes; ours not.
      assert(ref.afterDel.routes.length > 0);
      assertEquals(ours.afterDel.routes, []);
      assertEquals(ours.delAgain, { code: 0, stdout: "", stderr: "" });
      assertEquals(ref.delAgain.code, 0);
      assertEquals(ours.delNetnsGone, { code: 0, stdout: "", stderr: "" });
      assertEquals(ref.delNetnsGone.code, 1);
    },
  });

  Deno.test({
    ...gated(
      `sbr bad input (${impl}) fails as the reference does and changes nothing`,
      NEEDS_ROOT,
      noRef,
    ),
    async fn() {
      const r = await scenario();
      for (const k of ["noPrev", "noIps"]) {
        const ours = r[impl].errors[k];
        const ref = r.ref.errors[k];
        assertEquals(ours.code, 1);
        assertEquals(
          { code: ours.error.code, msg: ours.error.msg },
          { code: ref.error.code, msg: ref.error.msg },
        );
      }
      assertEquals(r[impl].errors.rules, r.ref.errors.rules);
    },
  });

  Deno.test({
    ...gated(`sbr with \`table\` (${impl}) only adds the rules, on that table`, NEEDS_ROOT, noRef),
    async fn() {
      const t = (await scenario())[impl].table;
      assertEquals(t.add.code, 0, t.add.stdout);
      assert(t.after.rules.includes("32764: from 10.121.5.2 lookup 500"));
      assert(t.after.rules.includes("32765: from fd00:121:5::2 lookup 500"));
      assertEquals(t.after.routes, t.before.routes, "no route moved");
      assertEquals(t.check.code, 0);
      assertEquals(t.del.code, 0);
      assertEquals(t.afterDel, t.before);
    },
  });

  Deno.test({
    ...gated(
      `sbr with addSourceHints and gateways (${impl}) keeps link routes in main with a source`,
      NEEDS_ROOT,
      noRef,
    ),
    async fn() {
      const h = (await scenario())[impl].hints;
      assertEquals(h.add.code, 0, h.add.stdout);
      assert(h.after.routes.includes("10.121.5.0/24 dev eth0 scope link src 10.121.5.2"));
      assert(h.after.routes.includes("default via 10.121.5.1 dev eth0 table 101"));
      assertEquals(
        h.after.routes.filter((x: string) => x.startsWith("default") && !x.includes("table")),
        [],
        "the default routes left the main table",
      );
      assertEquals(h.del.code, 0);
      assertEquals(h.afterDel.rules, BASE_RULES);
    },
  });

  Deno.test({
    ...gated(
      `sbr ADD that fails half-way (${impl}) leaves the rules and routes as they were`,
      NEEDS_ROOT,
      noRef,
    ),
    async fn() {
      const u = (await scenario())[impl].unreachableGateway;
      assertEquals(u.add.code, 1);
      assert(
        JSON.parse(u.add.stdout).msg.startsWith("Failed to add default route to 10.121.5.254: "),
      );
      assertEquals(u.after, u.before);
    },
  });
}
