import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { argsToEnv, formatCniArgs, loadPluginArgs, parseCapArgs, parseCniArgs } from "./args.ts";
import { CniError } from "./errors.ts";

Deno.test("parseCniArgs() splits pairs like cnitool", () => {
  assertEquals(parseCniArgs(""), []);
  assertEquals(parseCniArgs("IP=10.0.0.5;K8S_POD_NAME=web"), [
    ["IP", "10.0.0.5"],
    ["K8S_POD_NAME", "web"],
  ]);
  for (const bad of ["A=1;", "A", "=1", "A=", "A=1=2", "A=1;;B=2"]) {
    const err = assertThrows(() => parseCniArgs(bad), CniError);
    assertEquals(err.code, 4, bad);
    const pair = bad.split(";").find((p) => p.split("=").length !== 2 || /^=|=$/.test(p));
    assertEquals(err.msg, `invalid CNI_ARGS pair ${JSON.stringify(pair ?? "")}`);
  }
});

Deno.test("loadPluginArgs() follows types.LoadArgs pair rules (empty keys and values)", () => {
  assertEquals(loadPluginArgs("A=;=b;IgnoreUnknown=1", ["A", ""]), { A: "", "": "b" });
  assertThrows(() => loadPluginArgs("A=1=2", ["A"]), CniError, 'ARGS: invalid pair "A=1=2"');
  assertThrows(() => loadPluginArgs("A=1;", ["A"]), CniError, 'ARGS: invalid pair ""');
});

Deno.test("loadPluginArgs() keeps known keys, last wins, IgnoreUnknown as types.LoadArgs", () => {
  assertEquals(loadPluginArgs("", ["IP"]), {});
  assertEquals(loadPluginArgs("IP=1;GATEWAY=2;IP=3", ["IP", "GATEWAY"]), { IP: "3", GATEWAY: "2" });
  assertEquals(loadPluginArgs("IP=", ["IP"]), { IP: "" });
  assertEquals(loadPluginArgs("a=b;IgnoreUnknown=TRUE;MAC=x", ["MAC"]), { MAC: "x" });
  assertEquals(loadPluginArgs("IgnoreUnknown=1;IgnoreUnknown=0", ["MAC"]), {});
  const cases: [string, string][] = [
    ["ip=1", 'ARGS: unknown args ["ip=1"]'],
    ["a=1;MAC=x;b=2", 'ARGS: unknown args ["a=1" "b=2"]'],
    ["a=1;IgnoreUnknown=1;IgnoreUnknown=false", 'ARGS: unknown args ["a=1"]'],
    [
      "IgnoreUnknown=yes",
      'ARGS: error parsing value of pair "IgnoreUnknown=yes": ' +
      "boolean unmarshal error: invalid input yes",
    ],
    ["MAC=a=b", 'ARGS: invalid pair "MAC=a=b"'],
  ];
  for (const [input, msg] of cases) {
    const err = assertThrows(() => loadPluginArgs(input, ["MAC"]), CniError);
    assertEquals([err.code, err.msg], [7, msg], input);
  }
});

Deno.test("formatCniArgs() joins without escaping and round-trips", () => {
  const pairs: [string, string][] = [["K8S_POD_NAME", "web"], ["IP", "10.0.0.5/24"]];
  assertEquals(formatCniArgs(pairs), "K8S_POD_NAME=web;IP=10.0.0.5/24");
  assertEquals(parseCniArgs(formatCniArgs(pairs)), pairs);
  assertEquals(formatCniArgs([]), "");
});

Deno.test("parseCapArgs() parses an object and names CAP_ARGS on errors", () => {
  assertEquals(parseCapArgs(""), {});
  assertEquals(parseCapArgs('{"mac":"c2:11:22:33:44:55","ips":["10.0.0.1/24"]}'), {
    mac: "c2:11:22:33:44:55",
    ips: ["10.0.0.1/24"],
  });
  const e1 = assertThrows(() => parseCapArgs("{bad"), CniError, "invalid CAP_ARGS: not valid JSON");
  assertEquals(e1.code, 6);
  assertThrows(() => parseCapArgs("[1]"), CniError, "invalid CAP_ARGS: expected a JSON object");
  assertThrows(() => parseCapArgs("null"), CniError, "got null");
});

Deno.test("argsToEnv() builds libcni's six variables after the base environment", () => {
  const env = argsToEnv(
    "ADD",
    {
      containerId: "c1",
      netns: "/var/run/netns/blue",
      ifName: "eth0",
      args: [["K8S_POD_NAME", "web"]],
    },
    ["/opt/cni/bin", "/usr/lib/cni"],
    { PATH: "/usr/bin", CNI_COMMAND: "STALE", CNI_ARGS: "OLD=1" },
  );
  assertEquals(Object.entries(env), [
    ["PATH", "/usr/bin"],
    ["CNI_COMMAND", "ADD"],
    ["CNI_CONTAINERID", "c1"],
    ["CNI_NETNS", "/var/run/netns/blue"],
    ["CNI_ARGS", "K8S_POD_NAME=web"],
    ["CNI_IFNAME", "eth0"],
    ["CNI_PATH", "/opt/cni/bin:/usr/lib/cni"],
  ]);
});

Deno.test("argsToEnv() blanks attachment fields for GC and STATUS, keeps empty values", () => {
  const rt = { containerId: "c1", netns: "/x", ifName: "eth0", args: [["A", "1"]] } as const;
  const gc = argsToEnv("GC", { ...rt, args: [["A", "1"]] }, "/opt/cni/bin");
  assertEquals(gc, {
    CNI_COMMAND: "GC",
    CNI_CONTAINERID: "",
    CNI_NETNS: "",
    CNI_ARGS: "",
    CNI_IFNAME: "",
    CNI_PATH: "/opt/cni/bin",
  });
  assertEquals(argsToEnv("STATUS", undefined, []).CNI_PATH, "");
  const del = argsToEnv("DEL", { containerId: "c1", netns: "", ifName: "eth0" }, "/p");
  assertEquals([del.CNI_NETNS, del.CNI_ARGS], ["", ""]);
});
