// deno-lint-ignore-file no-explicit-any -- JSON from the tc/ip oracles is read loosely
/**
 * The bandwidth plugin side by side with the reference /usr/lib/cni/bandwidth (Debian 1.1.1),
 * each chained after our bridge on its own attachment: the printed result (prevResult passed
 * on, the ifb added) and the kernel state (`tc -j qdisc show` of the host veth and the ifb,
 * the ifb link, the u32 redirect filter) are the same; CHECK and DEL behave the same; bad
 * input gives the same error code and text. Ours runs exec'd (the launcher `cnitool install`
 * writes) and in-process (skel over the plugin module), and the two print the same.
 *
 * Known, intended differences, asserted as such: the reference's library adds a second
 * `mirred` action (`pass`, never reached) to the redirect filter, ours adds one; CHECK fails
 * when the `tbf` or the redirect is gone (the reference passes); the reference (Debian 1.1.1)
 * prints 1.x results in struct order with `"dns":{}`, the newest reference and ours sorted
 * without an empty `dns`.
 */
import { plugin as bandwidth } from "../plugins/bandwidth/mod.ts";
import { ifbDeviceName } from "../plugins/bandwidth/config.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { REF_DIR, refMissing } from "./helpers/reference.ts";
import { dropSide, makeSide, normaliseResult, type TestSide } from "./helpers/bridge_env.ts";
import {
  type CniEnv,
  type ExecOut,
  execPluginBinary,
  execReference,
  runInProcess,
} from "./helpers/exec_plugin.ts";
import { ipLink } from "./helpers/ip_oracle.ts";
import { rand } from "./helpers/names.ts";
import { run, sh } from "./helpers/run.ts";
import { launcherDir } from "./helpers/launchers.ts";

const noRef = refMissing("bandwidth");

/** One attachment: a side (namespace, bridge) after our bridge's ADD, and its names. */
interface Attachment {
  s: TestSide;
  net: string;
  /** The bridge's printed result, parsed (in `version`). */
  prev: Record<string, unknown>;
  hostVeth: string;
  ifb: string;
  version: string;
}

function cniEnv(a: Attachment, command: string, extra: Record<string, string> = {}): CniEnv {
  return {
    command,
    containerId: a.s.cid,
    netns: a.s.ns.path,
    ifName: "eth0",
    path: REF_DIR,
    extra,
  };
}

/** Our bridge (in-process, L2 only: no addresses needed to shape) makes the attachment. */
async function attach(prefix: string, version = "1.0.0"): Promise<Attachment> {
  const s = await makeSide(prefix);
  const net = `tbw-${rand(8)}`;
  const conf = { cniVersion: version, name: net, type: "bridge", bridge: s.br };
  const a: Attachment = {
    s,
    net,
    prev: {},
    hostVeth: "",
    ifb: await ifbDeviceName(net, s.cid),
    version,
  };
  const out = await runInProcess("bridge", cniEnv(a, "ADD"), conf);
  if (out.code !== 0) {
    await dropSide(s);
    throw new Error(`bridge ADD: ${out.stdout}${out.stderr}`);
  }
  a.prev = JSON.parse(out.stdout);
  a.hostVeth = (a.prev.interfaces as any[]).find((i) => !i.sandbox && i.name !== s.br).name;
  return a;
}

/** Waits up to 10 s for a host link to disappear. */
async function gone(name: string): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if ((await ipLink(name)) === undefined) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

async function detach(a: Attachment): Promise<void> {
  await run("ip", ["link", "del", a.ifb]);
  await dropSide(a.s); // the namespace goes, and the veth with it
}

function bwConf(a: Attachment, limits: Record<string, unknown>, withPrev = true) {
  return {
    cniVersion: a.version,
    name: a.net,
    type: "bandwidth",
    ...limits,
    ...(withPrev && { prevResult: a.prev }),
  };
}

type Runner = (
  a: Attachment,
  command: string,
  conf: unknown,
  extra?: Record<string, string>,
) => Promise<ExecOut>;

const reference: Runner = (a, command, conf, extra = {}) =>
  execReference("bandwidth", cniEnv(a, command, extra), conf);

const execd: Runner = async (a, command, conf, extra = {}) => {
  const dir = await launcherDir();
  return await execPluginBinary(
    `${dir}/bandwidth`,
    { ...cniEnv(a, command, extra), path: dir },
    conf,
  );
};

const inProcess: Runner = (a, command, conf, extra = {}) =>
  runInProcess(bandwidth, cniEnv(a, command, extra), conf);

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

/** The printed result with the attachment's names replaced (key order kept). */
function normResult(text: string, a: Attachment, isReference: boolean): string {
  const obj = JSON.parse(
    text.replaceAll(a.s.br, "<br>").replaceAll(a.s.ns.path, "<netns>").replaceAll(a.ifb, "<ifb>"),
  );
  const v1 = a.version.startsWith("1.");
  if (isReference && v1 && obj.dns && Object.keys(obj.dns).length === 0) delete obj.dns;
  const norm = normaliseResult(obj);
  return JSON.stringify(isReference && v1 ? sortKeys(norm) : norm, null, 4);
}

function tcJson(...args: string[]): Promise<any[]> {
  return sh("tc", "-j", ...args).then((t) => (t.trim() ? JSON.parse(t) : []));
}

function stripQdisc({ refcnt: _r, dev: _d, ...q }: any) {
  return q;
}

/** The shaping state of an attachment, names replaced; `actions` of the filter kept apart. */
async function shapingState(a: Attachment) {
  const veth = (await tcJson("qdisc", "show", "dev", a.hostVeth)).map(stripQdisc);
  const link = await ipLink(a.ifb);
  const ifb = link && {
    kind: link.linkinfo?.info_kind,
    mtu: link.mtu,
    flags: link.flags,
    txqlen: link.txqlen ?? 0,
    operstate: link.operstate,
    qdiscs: (await tcJson("qdisc", "show", "dev", a.ifb)).map(stripQdisc),
  };
  const hasIngress = veth.some((q) => q.kind === "ingress");
  const filters = hasIngress
    ? (await tcJson("filter", "show", "dev", a.hostVeth, "ingress")).map((f) => {
      if (!f.options?.actions) return f;
      const actions = f.options.actions.map(({ index: _i, ref: _r, bind: _b, ...x }: any) => ({
        ...x,
        to_dev: x.to_dev === a.ifb ? "<ifb>" : x.to_dev,
      }));
      return { ...f, options: { ...f.options, actions } };
    })
    : [];
  return { veth, ifb, filters };
}

/**
 * Compares our state with the reference's: equal, except that the reference's redirect filter
 * has a second (`pass`) action after the first.
 */
function assertSameState(ours: any, theirs: any): void {
  const ourFilter = ours.filters.find((f: any) => f.options?.actions);
  const refFilter = theirs.filters.find((f: any) => f.options?.actions);
  if (refFilter) {
    assertEquals(refFilter.options.actions.length, 2);
    assertEquals(refFilter.options.actions[1].control_action, { type: "pass" });
    assertEquals(ourFilter.options.actions.length, 1);
    refFilter.options.actions = refFilter.options.actions.slice(0, 1);
  }
  assertEquals(ours, theirs);
}

const BOTH = {
  ingressRate: 1_000_000,
  ingressBurst: 200_000,
  egressRate: 2_000_000,
  egressBurst: 400_000,
};

const CASES: [string, string, Record<string, unknown>, boolean][] = [
  ["both directions", "1.0.0", BOTH, true],
  ["ingress only, from the bandwidth capability", "0.4.0", {
    runtimeConfig: { bandwidth: { ingressRate: 8_000_000, ingressBurst: 80_000 } },
  }, true],
  ["egress only, 40 Gbit/s (TCA_TBF_RATE64)", "0.3.1", {
    egressRate: 40_000_000_000,
    egressBurst: 8_000_000,
  }, true],
  ["a top-level 0 masks the capability: prevResult passed on, nothing made", "1.0.0", {
    ingressRate: 0,
    runtimeConfig: { bandwidth: BOTH },
  }, false],
];

for (const [title, version, limits, shaped] of CASES) {
  Deno.test({
    ...gated(
      `bandwidth ADD/CHECK/DEL matches the reference (cniVersion ${version}): ${title}`,
      NEEDS_ROOT,
      noRef,
    ),
    async fn() {
      const ours = await attach("tbo", version);
      const theirs = await attach("tbr", version).catch(async (e) => {
        await detach(ours);
        throw e;
      });
      try {
        const before = await shapingState(ours);
        const a = await execd(ours, "ADD", bwConf(ours, limits));
        assertEquals(a.code, 0, a.stdout + a.stderr);
        const b = await reference(theirs, "ADD", bwConf(theirs, limits));
        assertEquals(b.code, 0, b.stdout + b.stderr);
        assertEquals(normResult(a.stdout, ours, false), normResult(b.stdout, theirs, true));
        const ourState = await shapingState(ours);
        assertSameState(ourState, await shapingState(theirs));
        if (shaped) assert(JSON.stringify(ourState) !== JSON.stringify(before), "state changed");
        else assertEquals(ourState, before);

        if (version !== "0.3.1") {
          const withPrev = (x: Attachment, out: ExecOut) => ({
            ...bwConf(x, limits, false),
            prevResult: JSON.parse(out.stdout),
          });
          // The reference 1.1.1 crashes on CHECK with nothing to check (plugins#1221).
          if (shaped) {
            assertEquals(await execd(ours, "CHECK", withPrev(ours, a)), {
              code: 0,
              stdout: "",
              stderr: "",
            });
            assertEquals((await reference(theirs, "CHECK", withPrev(theirs, b))).code, 0);
          }
        }

        // DEL removes the ifb; a second DEL, without prevResult or netns, succeeds too.
        for (const [run, x] of [[execd, ours], [reference, theirs]] as const) {
          assertEquals((await run(x, "DEL", bwConf(x, limits))).code, 0);
          assertEquals(await ipLink(x.ifb), undefined);
          const again = await run(x, "DEL", bwConf(x, limits, false), { CNI_NETNS: "" });
          assertEquals(again.code, 0, again.stdout);
        }
      } finally {
        await detach(ours);
        await detach(theirs);
      }
      // With the veth gone (the kernel removes a deleted namespace's links in the background),
      // nothing of the attachment is left.
      for (const x of [ours, theirs]) {
        assertEquals(await gone(x.hostVeth), true, `${x.hostVeth} removed`);
        assertEquals(await ipLink(x.ifb), undefined);
      }
    },
  });
}

Deno.test({
  ...gated(
    "bandwidth in-process prints what the exec'd plugin prints, ADD, CHECK and DEL",
    NEEDS_ROOT,
  ),
  async fn() {
    const one = await attach("tbi");
    const two = await attach("tbj").catch(async (e) => {
      await detach(one);
      throw e;
    });
    try {
      const a = await inProcess(one, "ADD", bwConf(one, BOTH));
      const b = await execd(two, "ADD", bwConf(two, BOTH));
      assertEquals([a.code, b.code], [0, 0], a.stdout + b.stdout);
      const norm = (o: ExecOut, x: Attachment) =>
        normaliseResult(JSON.parse(
          o.stdout.replaceAll(x.ifb, "<ifb>").replaceAll(x.s.br, "<br>")
            .replaceAll(x.s.ns.path, "<ns>"),
        ));
      assertEquals(norm(a, one), norm(b, two));
      assertEquals(await shapingState(one), await shapingState(two));
      const check = (x: Attachment, o: ExecOut) => ({
        ...bwConf(x, BOTH, false),
        prevResult: JSON.parse(o.stdout),
      });
      assertEquals(await inProcess(one, "CHECK", check(one, a)), {
        code: 0,
        stdout: "",
        stderr: "",
      });
      assertEquals(await inProcess(one, "DEL", bwConf(one, BOTH)), {
        code: 0,
        stdout: "",
        stderr: "",
      });
      assertEquals(await ipLink(one.ifb), undefined);
    } finally {
      await detach(one);
      await detach(two);
    }
  },
});

Deno.test({
  ...gated(
    "bandwidth second ADD and CHECK against other limits fail as the reference does",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const ours = await attach("tbs");
    const theirs = await attach("tbt").catch(async (e) => {
      await detach(ours);
      throw e;
    });
    try {
      for (const [runner, x] of [[execd, ours], [reference, theirs]] as const) {
        assertEquals((await runner(x, "ADD", bwConf(x, BOTH))).code, 0);
      }
      const cases: [Record<string, unknown>, string][] = [
        [BOTH, "create qdisc: file exists"],
        [{ egressRate: 1_000_000, egressBurst: 100_000 }, "adding link: file exists"],
      ];
      for (const [limits, msg] of cases) {
        for (
          const [runner, x] of [[execd, ours], [reference, theirs], [inProcess, ours]] as const
        ) {
          const out = await runner(x, "ADD", bwConf(x, limits));
          assertEquals([out.code, JSON.parse(out.stdout).code, JSON.parse(out.stdout).msg], [
            1,
            999,
            msg,
          ]);
        }
      }
      // A failed second ADD removed nothing of the first.
      assertSameState(await shapingState(ours), await shapingState(theirs));
      const mismatches: [Record<string, unknown>, string][] = [
        [{ ...BOTH, ingressRate: 3_000_000 }, "Rate doesn't match"],
        [{ ...BOTH, ingressBurst: 300_000 }, "Limit doesn't match"],
        [{ ...BOTH, egressRate: 3_000_000 }, "Rate doesn't match"],
      ];
      for (const [limits, msg] of mismatches) {
        for (const [runner, x] of [[execd, ours], [reference, theirs]] as const) {
          const out = await runner(x, "CHECK", bwConf(x, limits));
          assertEquals([out.code, JSON.parse(out.stdout).msg], [1, msg], runner.name);
        }
      }
      // Without prevResult: "a chained plugin" (CHECK) vs "chained plugin" (ADD), as the reference.
      for (const [runner, x] of [[execd, ours], [reference, theirs]] as const) {
        const out = await runner(x, "CHECK", bwConf(x, BOTH, false));
        assertEquals(JSON.parse(out.stdout).msg, "must be called as a chained plugin");
      }
    } finally {
      await detach(ours);
      await detach(theirs);
    }
  },
});

Deno.test({
  ...gated(
    "bandwidth CHECK notices a removed tbf or redirect (the reference passes)",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const ours = await attach("tbc");
    const theirs = await attach("tbd").catch(async (e) => {
      await detach(ours);
      throw e;
    });
    try {
      for (const [runner, x] of [[execd, ours], [reference, theirs]] as const) {
        assertEquals((await runner(x, "ADD", bwConf(x, BOTH))).code, 0);
        await sh("tc", "filter", "del", "dev", x.hostVeth, "ingress");
      }
      const ourCheck = await execd(ours, "CHECK", bwConf(ours, BOTH));
      assertEquals(
        JSON.parse(ourCheck.stdout).msg,
        `Failed to find the redirect to "${ours.ifb}" on "${ours.hostVeth}"`,
      );
      assertEquals((await reference(theirs, "CHECK", bwConf(theirs, BOTH))).code, 0);
      for (const x of [ours, theirs]) await sh("tc", "qdisc", "del", "dev", x.hostVeth, "root");
      const noTbf = await execd(ours, "CHECK", bwConf(ours, BOTH));
      assertEquals(JSON.parse(noTbf.stdout).msg, "Failed to find qdisc");
      assertEquals((await reference(theirs, "CHECK", bwConf(theirs, BOTH))).code, 0);
    } finally {
      await detach(ours);
      await detach(theirs);
    }
  },
});

Deno.test({
  ...gated(
    "bandwidth refuses bad input with the reference's code and text, exit 1, nothing made",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const ours = await attach("tbe");
    const theirs = await attach("tbf").catch(async (e) => {
      await detach(ours);
      throw e;
    });
    try {
      const untouched = await shapingState(ours);
      type Bad = [string, (x: Attachment) => unknown, Record<string, string>?, boolean?];
      const cases: Bad[] = [
        ["rate without burst", (x) => bwConf(x, { ingressRate: 1_000_000 })],
        ["burst without rate", (x) => bwConf(x, { egressBurst: 1000 })],
        ["burst of 4 GB", (x) => bwConf(x, { ingressRate: 1, ingressBurst: 8 * 0xffffffff })],
        ["negative rate", (x) => bwConf(x, { ingressRate: -1, ingressBurst: 3 })],
        ["string rate", (x) => bwConf(x, { ingressRate: "5", ingressBurst: 3 })],
        [
          "capability string rate",
          (x) => bwConf(x, { runtimeConfig: { bandwidth: { ingressRate: "x" } } }),
        ],
        ["no prevResult", (x) => bwConf(x, BOTH, false)],
        ["cniVersion 0.2.0", (x) => ({ ...bwConf(x, BOTH, false), cniVersion: "0.2.0" })],
        [
          "no interfaces",
          (x) => ({ ...bwConf(x, BOTH, false), prevResult: { cniVersion: x.version } }),
        ],
        ["host veth with a sandbox", (x) => ({
          ...bwConf(x, BOTH, false),
          prevResult: {
            ...x.prev,
            interfaces: (x.prev.interfaces as any[]).map((i) => ({ ...i, sandbox: "/x" })),
          },
        })],
        ["container interface not a veth", (x) => bwConf(x, BOTH), { CNI_IFNAME: "lo" }],
        ["container interface missing", (x) => bwConf(x, BOTH), { CNI_IFNAME: "nosuch0" }],
        ["rate under 8 bit/s", (x) => bwConf(x, { ingressRate: 7, ingressBurst: 800 })],
        ["netns missing", (x) => bwConf(x, BOTH), { CNI_NETNS: "/run/netns/tbw-none" }, true],
      ];
      for (const [title, make, extra, prefixOnly] of cases) {
        const ref = await reference(theirs, "ADD", make(theirs), extra);
        const refErr = JSON.parse(ref.stdout);
        for (const runner of [execd, inProcess]) {
          const out = await runner(ours, "ADD", make(ours), extra);
          assertEquals(out.code, 1, `${title}: ${out.stdout}`);
          const err = JSON.parse(out.stdout);
          assertEquals(err.code, refErr.code, `${title}: ${out.stdout} vs ${ref.stdout}`);
          if (prefixOnly) {
            // The reference prints the netns as %!q(<nil>); ours names the path.
            assert(err.msg.startsWith("failed to open netns"), err.msg);
            assert(refErr.msg.startsWith("failed to open netns"), refErr.msg);
          } else {
            assertEquals(err.msg, refErr.msg, title);
          }
        }
        assertEquals(ref.code, 1, title);
      }
      assertEquals(await shapingState(ours), untouched);
      assertEquals(await ipLink(ours.ifb), undefined);
    } finally {
      await detach(ours);
      await detach(theirs);
    }
  },
});

Deno.test({
  ...gated(
    "bandwidth ADD failing half-way removes what it made (the reference leaves it)",
    NEEDS_ROOT,
    noRef,
  ),
  async fn() {
    const ours = await attach("tbg");
    const theirs = await attach("tbh").catch(async (e) => {
      await detach(ours);
      throw e;
    });
    try {
      // Someone else's ingress qdisc: the egress step cannot add its own.
      for (const x of [ours, theirs]) await sh("tc", "qdisc", "add", "dev", x.hostVeth, "ingress");
      const untouched = await shapingState(ours);
      for (const [runner, x] of [[execd, ours], [reference, theirs], [inProcess, ours]] as const) {
        const out = await runner(x, "ADD", bwConf(x, BOTH));
        assertEquals([out.code, JSON.parse(out.stdout).msg], [
          1,
          "create ingress qdisc: file exists",
        ]);
      }
      // Ours: the tbf and the ifb made before the failure are gone, the foreign qdisc stays.
      assertEquals(await shapingState(ours), untouched);
      assertEquals(await ipLink(ours.ifb), undefined);
      // The reference: its tbf and ifb stay behind.
      const left = await shapingState(theirs);
      assertEquals(left.veth.map((q: any) => q.kind), ["tbf", "ingress"]);
      assertEquals(left.ifb?.kind, "ifb");
    } finally {
      await detach(ours);
      await detach(theirs);
    }
  },
});
