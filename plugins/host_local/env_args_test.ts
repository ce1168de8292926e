import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import { formatIp } from "../../ip/mod.ts";
import { parseEnvArgs } from "./env_args.ts";

Deno.test("parseEnvArgs() follows types.LoadArgs for IP and IgnoreUnknown", () => {
  assertEquals(parseEnvArgs(""), undefined);
  assertEquals(formatIp(parseEnvArgs("IP=10.0.0.9/24")!), "10.0.0.9");
  assertEquals(parseEnvArgs("IP="), undefined);
  assertEquals(formatIp(parseEnvArgs("ip=1;IgnoreUnknown=TRUE;IP=fd00::9")!), "fd00::9");
  const bad: [string, string][] = [
    ["IP", 'ARGS: invalid pair "IP"'],
    ["IP=a=b", 'ARGS: invalid pair "IP=a=b"'],
    ["a=1;", 'ARGS: invalid pair ""'],
    ["ip=10.0.0.1", 'ARGS: unknown args ["ip=10.0.0.1"]'],
    ["A=1;B=2", 'ARGS: unknown args ["A=1" "B=2"]'],
    [
      "IP=10.0.0.300",
      'ARGS: error parsing value of pair "IP=10.0.0.300": invalid IP address 10.0.0.300',
    ],
    ["IgnoreUnknown=yes", "boolean unmarshal error: invalid input yes"],
  ];
  for (const [args, msg] of bad) {
    const err = assertThrows(() => parseEnvArgs(args), CniError, msg);
    assertEquals(err.code, 6);
  }
});
