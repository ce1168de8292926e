/**
 * The malformed-input corpus (corpus.ts) through our plugins in-process (runPlugin over the
 * registry) and exec'd (the bundle launchers), each case in a fresh tree inside a throwaway
 * sandbox: a clean spec error JSON with an integer code and `cniVersion` (or a clean success
 * where the input is valid), exit 1, no stack trace, nothing written outside the given
 * directory, no fixture changed, no lease, link or firewall rule left. The same cases through
 * Debian's Go plugins record their outcome; every difference must be a deliberate one
 * (differences.ts).
 *
 * Counts: the whole corpus in-process; every `execEvery`-th case (plus the stdin-size and
 * state cases) exec'd and through Go; all of them under `DENOCNI_SOAK=full`.
 * `DENOCNI_HOSTILE_REPORT=README.md` rewrites the README's table of differences (between the
 * `hostile` markers) from the run; another path gets the table alone. `DENOCNI_HOSTILE_ONLY`
 * (a regular expression over case ids) runs a part of the corpus, for work on it.
 *
 * Link kinds this kernel lacks (ipvlan, vlan, dummy, vrf: `KERNEL_KINDS`) are probed first.
 * Where one is missing, the plugin's ADDs that would succeed must instead fail with its "the
 * kernel has no <kind> support" answer (code 999, checked), its cases that need a real ADD
 * first cannot run; the test names say so with the counts, so such a run is never silently
 * green. Configuration errors come before the kernel and are judged and compared with Go on
 * every kernel.
 */
import { assert, assertEquals, IS_ROOT } from "../helpers/assert.ts";
import { launcherDir } from "../helpers/launchers.ts";
import { REF_DIR } from "../helpers/reference.ts";
import { COUNTS } from "./counts.ts";
import { kindSupported } from "../helpers/iface_env.ts";
import { vrfProbe } from "../helpers/vrf_probe.ts";
import { type Case, hostileCases, KERNEL_KINDS, PLUGINS } from "./corpus.ts";
import { DIFFERENCES, explain } from "./differences.ts";
import { expectationProblems, formProblems, judge, outcomeOf } from "./judge.ts";
import { type CorpusRun, runCorpus } from "./run_corpus.ts";

const GO_DIR = REF_DIR;
const HAVE_UNSHARE = await Deno.stat("/usr/bin/unshare").then(() => true, () => false);
const HAVE_GO = await Deno.stat(`${GO_DIR}/bridge`).then(() => true, () => false);
const ignore = !IS_ROOT || !HAVE_UNSHARE;

/** Kinds of `KERNEL_KINDS` this kernel cannot make (none when not root: nothing runs then). */
const MISSING_KINDS = new Set<string>();
if (!ignore) {
  for (const kind of new Set(Object.values(KERNEL_KINDS))) {
    const has = kind === "vrf" ? (await vrfProbe()).supported : await kindSupported(kind);
    if (!has) MISSING_KINDS.add(kind);
  }
}

/** The kind a case's plugin needs and this kernel lacks, if any. */
function missingKind(c: Case): string | undefined {
  const kind = KERNEL_KINDS[c.plugin];
  return kind !== undefined && MISSING_KINDS.has(kind) ? kind : undefined;
}

/** The answer of a plugin whose link kind the kernel lacks (ours; Go says EOPNOTSUPP). */
function noSupportRegExp(kind: string): RegExp {
  return new RegExp(`the kernel has no ${kind} (device )?support`, "i");
}

const ONLY = Deno.env.get("DENOCNI_HOSTILE_ONLY");
const ALL_CASES = hostileCases().filter((c) => !ONLY || new RegExp(ONLY).test(c.id));
/** Cases that need a real ADD first, of a plugin whose kind is missing: they cannot run. */
const CANNOT_RUN = ALL_CASES.filter((c) => missingKind(c) && c.setup?.includes("add-first"));
/** Successful ADDs (and CHECKs) that become the "no kernel support" answer here. */
const KIND_ANSWER = new Map<string, string>();
const CASES: Case[] = ALL_CASES.filter((c) => !CANNOT_RUN.includes(c)).map((c) => {
  const kind = missingKind(c);
  if (!kind || !("ok" in c.expect) || c.command !== "ADD") return c;
  KIND_ANSWER.set(c.id, kind);
  return { ...c, expect: { codes: [999] } };
});
const IN_PROCESS = CASES.filter((c) => !c.execOnly);
const EXECD = CASES.filter((c, i) =>
  i % COUNTS.execEvery === 0 || c.execOnly !== undefined || c.group === "state"
);
/** The exec'd cases whose plugin Debian ships (it has no dummy). */
const GO_CASES = EXECD.filter((c) => {
  try {
    return Deno.statSync(`${GO_DIR}/${c.plugin}`).isFile;
  } catch {
    return false;
  }
});

/** What a test name says about the cases the kernel decides, per plugin. */
function kernelNote(plugin: string): string {
  const kind = KERNEL_KINDS[plugin as Case["plugin"]];
  if (!kind || !MISSING_KINDS.has(kind)) return "";
  const answers = [...KIND_ANSWER.keys()].filter((id) => id.startsWith(`${plugin}/`)).length;
  const skipped = CANNOT_RUN.filter((c) => c.plugin === plugin).length;
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? "" : "s"}`;
  return ` [this kernel has no ${kind}: ${n(answers, "ADD")} checked for the missing-kernel ` +
    `answer instead of success, ${n(skipped, "case")} after a real ADD not run]`;
}

interface Runs {
  inproc: CorpusRun;
  exec: CorpusRun;
  go?: CorpusRun;
  ms: number;
}

let runs: Promise<Runs> | undefined;

/** Runs every mode once (the first test that needs it pays), in parallel sandboxes. */
function allRuns(): Promise<Runs> {
  runs ??= (async () => {
    const start = performance.now();
    const dir = await launcherDir();
    const ids = (cs: Case[]) => cs.map((c) => c.id);
    const [inproc, exec, go] = await Promise.all([
      runCorpus("inproc", ids(IN_PROCESS), { cniPath: dir, sandboxes: COUNTS.sandboxes }),
      runCorpus("exec", ids(EXECD), { cniPath: dir, sandboxes: COUNTS.sandboxes }),
      HAVE_GO ? runCorpus("go", ids(GO_CASES), { cniPath: GO_DIR, sandboxes: 1 }) : undefined,
    ]);
    const out: Runs = { inproc, exec, ms: Math.round(performance.now() - start) };
    if (go) out.go = go;
    return out;
  })();
  return runs;
}

const START = "<!-- hostile:start -->";
const END = "<!-- hostile:end -->";

/** Writes the table to `path`, between the hostile markers when the file has them (README). */
async function writeReport(path: string, text: string): Promise<void> {
  const old = await Deno.readTextFile(path).catch(() => "");
  const [a, b] = [old.indexOf(START), old.indexOf(END)];
  const out = a >= 0 && b > a ? `${old.slice(0, a + START.length)}\n${text}${old.slice(b)}` : text;
  await Deno.writeTextFile(path, out);
}

function failures(run: CorpusRun, cases: Case[]): string[] {
  const out: string[] = [];
  for (const c of cases) {
    const r = run.records.get(c.id);
    if (!r) {
      out.push(`${c.id}: no record`);
      continue;
    }
    const problems = judge(c, r);
    const kind = KIND_ANSWER.get(c.id);
    if (kind && r.exit !== 0 && !noSupportRegExp(kind).test(r.stdout)) {
      problems.push(
        `expected the missing-kernel answer for ${kind}, got ${r.stdout.slice(0, 300)}`,
      );
    }
    if (problems.length > 0) {
      out.push(`${c.id}${c.defect ? ` [defect ${c.defect}]` : ""}: ${problems.join("; ")}`);
    }
  }
  return out;
}

Deno.test({
  name: "hostileCases() has at least 1000 cases over every plugin, field group and stdin",
  ignore: ONLY !== undefined,
  fn() {
    const CASES = hostileCases();
    assert(CASES.length >= 1000, `only ${CASES.length} cases`);
    for (const plugin of PLUGINS) {
      const groups = new Set(CASES.filter((c) => c.plugin === plugin).map((c) => c.group));
      const wanted = ["bridge", "host-local", "loopback"].includes(plugin)
        ? ["config", "env", "netns", "stdin"]
        : ["config", "env", "netns"];
      for (const g of wanted) assert(groups.has(g), `${plugin} has no ${g} cases`);
    }
    for (
      const field of [
        "mtu",
        "vlan",
        "vlanTrunk",
        "bridge",
        "ipam.subnet",
        "ipam.ranges",
        "ipam.routes",
        "ipam.dataDir",
        "ipam.resolvConf",
        "prevResult",
        "cniVersion",
        "name",
        "CNI_ARGS",
        "CNI_NETNS",
        "CNI_IFNAME",
        "CNI_CONTAINERID",
        "sysctl",
        "txQLen",
        "mac",
        "ipam.addresses",
        "ipam.dns",
        "ingressRate",
        "runtimeConfig.bandwidth",
        "runtimeConfig.portMappings",
        "markMasqBit",
        "conditionsV4",
        "externalSetMarkChain",
        "backend",
        "ingressPolicy",
        "iptablesAdminChainName",
        "master",
        "mode",
        "vlanId",
        "linkInContainer",
        "bcqueuelen",
        "device",
        "hwaddr",
        "kernelpath",
        "pciBusID",
        "table",
        "vrfname",
        "ipMasq",
        "ipMasqBackend",
        "ipam",
      ]
    ) assert(CASES.some((c) => c.field === field), `no case attacks ${field}`);
    assertEquals(new Set(CASES.map((c) => c.id)).size, CASES.length);
  },
});

for (const mode of ["inproc", "exec"] as const) {
  for (const plugin of PLUGINS) {
    const cases = (mode === "inproc" ? IN_PROCESS : EXECD).filter((c) => c.plugin === plugin);
    Deno.test({
      name: `hostile corpus ${
        mode === "inproc" ? "in-process" : "exec'd"
      }: ${cases.length} ${plugin} cases end cleanly and leave nothing${kernelNote(plugin)}`,
      ignore: ignore || cases.length === 0,
      async fn() {
        const run = (await allRuns())[mode];
        const bad = failures(run, cases);
        assert(
          bad.length === 0,
          `${bad.length} of ${cases.length} cases failed:\n${bad.join("\n")}`,
        );
      },
    });
  }
}

Deno.test({
  name: "hostile corpus: in-process and exec'd runs of a case have the same outcome",
  ignore,
  async fn() {
    const { inproc, exec } = await allRuns();
    const differ: string[] = [];
    for (const c of EXECD) {
      const a = inproc.records.get(c.id);
      const b = exec.records.get(c.id);
      if (!a || !b) continue;
      if (outcomeOf(a) !== outcomeOf(b)) {
        differ.push(`${c.id}: in-process ${outcomeOf(a)}, exec'd ${outcomeOf(b)}`);
      }
    }
    assert(differ.length === 0, `${differ.length} cases differ:\n${differ.join("\n")}`);
  },
});

Deno.test({
  name: "hostile corpus: every outcome that differs from the Go plugins' is a deliberate one",
  ignore: ignore || !HAVE_GO,
  async fn() {
    const { exec, go, ms } = await allRuns();
    const undocumented: string[] = [];
    const used = new Map<string, { count: number; ours: Set<string>; go: Set<string> }>();
    let compared = 0;
    for (const c of GO_CASES) {
      const ours = exec.records.get(c.id);
      const theirs = go!.records.get(c.id);
      if (!ours || !theirs) continue;
      // A case whose outcome is not the expected one is reported by the tests above (its form,
      // such as a missing cniVersion, does not change the comparison of codes).
      if (expectationProblems(c, ours).length > 0 || ours.killed) continue;
      compared++;
      const [o, g] = [outcomeOf(ours), outcomeOf(theirs)];
      if (o === g) continue;
      const rule = explain(c.id, o, g);
      if (!rule) {
        undocumented.push(
          `${c.id}: ours ${o}, Go ${g}: ${theirs.stdout.replace(/\s+/g, " ").slice(0, 160)}`,
        );
        continue;
      }
      const u = used.get(rule.name) ?? { count: 0, ours: new Set(), go: new Set() };
      u.count++;
      u.ours.add(o);
      u.go.add(g);
      used.set(rule.name, u);
    }
    const report = Deno.env.get("DENOCNI_HOSTILE_REPORT");
    if (report) {
      const lines = [
        `Corpus run: ${CASES.length} cases, ${IN_PROCESS.length} in-process, ${EXECD.length} exec'd, ` +
        `${GO_CASES.length} through Debian's Go plugins 1.1.1 (${compared} compared; Debian ` +
        `ships no dummy), ${Math.round(ms / 1000)} s.`,
        "",
        "| difference | cases | ours | Go 1.1.1 | why |",
        "| --- | ---: | --- | --- | --- |",
        ...DIFFERENCES.filter((d) => used.has(d.name)).map((d) => {
          const u = used.get(d.name)!;
          return `| ${d.name} | ${u.count} | ${[...u.ours].sort().join(", ")} | ${
            [...u.go].sort().join(", ")
          } | ${d.why} |`;
        }),
        "",
      ];
      await writeReport(report, lines.join("\n"));
    }
    assert(
      undocumented.length === 0,
      `${undocumented.length} differences are not in differences.ts:\n${undocumented.join("\n")}`,
    );
  },
});

Deno.test({
  name: "hostile corpus: the Go plugins' runs produced a record for every case",
  ignore: ignore || !HAVE_GO,
  async fn() {
    const { go } = await allRuns();
    const missing = GO_CASES.filter((c) => !go!.records.has(c.id)).map((c) => c.id);
    assertEquals(missing, []);
    // The Go plugins are not held to our rules, but their output must be readable.
    let unreadable = 0;
    for (const c of GO_CASES) {
      const r = go!.records.get(c.id)!;
      if (formProblems(r, c.command, { go: true }).some((p) => p.includes("not one JSON"))) {
        unreadable++;
      }
    }
    assert(unreadable < GO_CASES.length, "no Go output was readable");
  },
});
