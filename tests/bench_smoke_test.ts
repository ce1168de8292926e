// Runs the side-by-side benchmark once at its tiny size: it must finish, produce every row in
// every mode, see distinct addresses, and leave nothing behind. No timing assertions.
import { join } from "node:path";
import { assert, assertEquals } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { refMissing } from "./helpers/reference.ts";

const noRef = refMissing("bridge", "host-local", "loopback", "portmap", "firewall", "tuning");

const ROOT = new URL("..", import.meta.url).pathname;

function text(cmd: string, args: string[]): string {
  const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).outputSync();
  return new TextDecoder().decode(out.stdout);
}

/** The user chains of both families' nat and filter tables, as `<cmd> <table> <chain>`. */
function userChains(): Set<string> {
  const out = new Set<string>();
  for (const cmd of ["iptables", "ip6tables"]) {
    for (const table of ["nat", "filter"]) {
      for (const line of text(cmd, ["-w", "-t", table, "-S"]).split("\n")) {
        if (line.startsWith("-N ")) out.add(`${cmd} ${table} ${line.slice(3)}`);
      }
    }
  }
  return out;
}

Deno.test({
  ...gated("bench/run.ts --size tiny produces the full table and cleans up", NEEDS_ROOT, noRef),
  async fn() {
    const tmp = Deno.makeTempDirSync({ prefix: "denocni-bench-smoke-" });
    const chainsBefore = userChains();
    try {
      const out = join(tmp, "report.json");
      const res = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", join(ROOT, "bench", "run.ts"), "--size", "tiny", "--out", out],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(res.stdout);
      assertEquals(res.code, 0, new TextDecoder().decode(res.stderr));
      const report = JSON.parse(Deno.readTextFileSync(out));
      assertEquals(report.size, "tiny");
      assert(stdout.includes("reference Go") && stdout.includes("targets:"), stdout);
      const ids = report.rows.map((r: { id: string }) => r.id);
      const seedModes = ["ref", "exec", "serve", "inproc"];
      const rowsOf = (list: string[], modes: string[]) => {
        for (const id of list) {
          assert(ids.includes(id), `row ${id} missing: ${ids}`);
          const row = report.rows.find((r: { id: string }) => r.id === id);
          for (const mode of modes) {
            assert(row.cells[mode]?.n >= 1, `${id}: no ${mode} samples`);
            assert(row.cells[mode].median > 0, `${id}: ${mode} median`);
          }
        }
      };
      rowsOf(["add", "del", "adddel", "add_masq", "del_masq", "seq_add", "par16_add"], seedModes);
      rowsOf(["add_podman", "del_podman"], seedModes);
      rowsOf(["hl_add_1"], ["ref", "exec", "serve", "inproc"]);
      rowsOf(["start"], ["floor", "ref", "exec", "serve"]);
      rowsOf(
        ["call_br_add", "call_br_del", "call_lo_add", "call_lo_del", "call_hl_add", "call_rss"],
        ["floor", "ref", "exec", "serve"],
      );
      rowsOf(["ro_lo_add"], ["exec", "execRo"]);
      for (const id of ["peak_rss", "hl_add_many", "writes_bytes"]) assert(ids.includes(id), id);
      for (const mode of seedModes) {
        assert(
          report.notes.some((n: string) =>
            n.startsWith(`${mode}: 4 ADDs 16 at a time, 4 distinct`)
          ),
          JSON.stringify(report.notes),
        );
      }
      assert(
        report.notes.some((n: string) =>
          /^cnitool serve answered \d+ forwarded calls, declined 0$/.test(n)
        ),
        JSON.stringify(report.notes),
      );
      assert(!report.notes.some((n: string) => n.startsWith("cleanup")), report.notes.join("\n"));
      const id: string = report.runId;
      assert(/^[0-9a-f]{4}$/.test(id), id);
      assert(!text("ip", ["netns", "list"]).includes(`dnb-${id}`), "namespaces left behind");
      assert(!text("ip", ["-o", "link", "show"]).includes(`dnb${id}`), "bridges left behind");
      const nat = text("iptables", ["-w", "-t", "nat", "-S"]);
      assert(!nat.includes(`dnb-${id}`), "iptables rules left behind");
      // portmap's and firewall's shared chains, kept by their last DEL: gone when the run made
      // them (the Podman chain rows), and the note says so.
      const chainsLeft = [...userChains()].filter((c) =>
        !chainsBefore.has(c) && /(CNI-HOSTPORT-|CNI-FORWARD|CNI-ADMIN)/.test(c)
      );
      assertEquals(chainsLeft, []);
      if (!chainsBefore.has("iptables filter CNI-FORWARD")) {
        assert(
          report.notes.some((n: string) =>
            n.startsWith("removed the shared chains the run created: ") &&
            n.includes("iptables nat CNI-HOSTPORT-DNAT") &&
            n.includes("iptables filter CNI-FORWARD")
          ),
          JSON.stringify(report.notes),
        );
      }
    } finally {
      Deno.removeSync(tmp, { recursive: true });
    }
  },
});
