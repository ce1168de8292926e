import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { CniError } from "./errors.ts";
import type { CmdArgs } from "./plugin.ts";
import { prevResultAsGiven } from "./prev_result.ts";
import type { NetConf } from "./types.ts";
import { convertResult, resultTypeVersions } from "./results/mod.ts";

function args(config: Record<string, unknown>): CmdArgs {
  return {
    command: "ADD",
    containerId: "c1",
    netns: "/run/netns/c1",
    ifName: "eth0",
    args: "",
    path: "",
    stdinData: new TextEncoder().encode(JSON.stringify(config)),
    // skel's view: the prevResult already in the current shape (which must not be used).
    config: { ...config, prevResult: { cniVersion: "1.1.0" } } as unknown as NetConf,
  };
}

const P020 = {
  cniVersion: "0.2.0",
  ip4: { ip: "10.1.2.3/24", gateway: "10.1.2.1", routes: [{ dst: "0.0.0.0/0" }] },
  ip6: { ip: "fd00::3/64" },
  dns: {},
};

Deno.test("prevResultAsGiven() reads the stdin bytes, not skel's converted view", () => {
  const given = prevResultAsGiven(args({ cniVersion: "0.2.0", name: "n", prevResult: P020 }));
  assertEquals(given, P020 as unknown);
  // Printed in the config's version it is what came in (the old relabelling lost the IPs).
  assertEquals(convertResult(given, "0.2.0"), P020);
});

Deno.test("prevResultAsGiven() labels a versionless prevResult with the config's version", () => {
  const prev = { ip4: { ip: "10.1.2.3/24" }, dns: {} };
  assertEquals(prevResultAsGiven(args({ cniVersion: "0.1.0", name: "n", prevResult: prev })), {
    ...prev,
    cniVersion: "0.1.0",
  } as unknown);
  const empty = { cniVersion: "", ips: [{ version: "4", address: "10.1.2.3/24" }] };
  assertEquals(
    prevResultAsGiven(args({ cniVersion: "0.4.0", name: "n", prevResult: empty }))?.cniVersion,
    "0.4.0",
  );
});

Deno.test("prevResultAsGiven() keeps a version of the config's family", () => {
  const prev = { cniVersion: "0.3.0", ips: [{ version: "4", address: "10.1.2.3/24" }] };
  const given = prevResultAsGiven(args({ cniVersion: "0.4.0", name: "n", prevResult: prev }));
  assertEquals(given?.cniVersion, "0.3.0");
  assertEquals(convertResult(given, "0.4.0"), { ...prev, cniVersion: "0.4.0", dns: {} });
});

Deno.test("prevResultAsGiven() is undefined without a prevResult (absent or null)", () => {
  assertEquals(prevResultAsGiven(args({ cniVersion: "1.0.0", name: "n" })), undefined);
  assertEquals(
    prevResultAsGiven(args({ cniVersion: "1.0.0", name: "n", prevResult: null })),
    undefined,
  );
});

Deno.test("prevResultAsGiven() refuses what libcni's ParsePrevResult refuses, code 6", () => {
  const cases: [Record<string, unknown>, string][] = [
    [
      { cniVersion: "1.0.0", prevResult: { cniVersion: "0.4.0" } },
      'result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is "0.4.0"',
    ],
    [
      { cniVersion: "0.2.0", prevResult: { cniVersion: "1.0.0" } },
      'result type supports [ 0.1.0 0.2.0] but unmarshalled CNIVersion is "1.0.0"',
    ],
    [
      { cniVersion: "1.0.0", prevResult: { ips: [{ address: "bogus" }] } },
      'invalid CNI result: field "ips[0].address": invalid CIDR address: bogus',
    ],
    [{ cniVersion: "1.0.0", prevResult: [1] }, "expected a JSON object"],
  ];
  for (const [config, details] of cases) {
    const err = assertThrows(() => prevResultAsGiven(args({ name: "n", ...config })), CniError);
    assertEquals(err.toJSON(), { code: 6, msg: "could not parse prevResult", details });
  }
});

Deno.test("resultTypeVersions() lists a version's family", () => {
  assertEquals(resultTypeVersions("0.1.0"), ["0.1.0", "0.2.0"]);
  assertEquals(resultTypeVersions(""), ["0.1.0", "0.2.0"]);
  assertEquals(resultTypeVersions("0.4.0"), ["0.3.0", "0.3.1", "0.4.0"]);
  assertEquals(resultTypeVersions("1.1.0"), ["1.0.0", "1.1.0"]);
  assertEquals(resultTypeVersions("9.9.9"), []);
});
