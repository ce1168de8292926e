import { errorVersion } from "./skel_output.ts";
import { assertEquals } from "../tests/helpers/assert.ts";

const enc = new TextEncoder();

Deno.test("errorVersion() is the config's supported version, else the newest", () => {
  const cases: [string, string][] = [
    ['{"cniVersion":"0.3.1","name":"n"}', "0.3.1"],
    ['{"name":"n"}', "0.1.0"],
    ['{"cniVersion":null}', "0.1.0"],
    ['{"cniVersion":"9.9.9"}', "1.1.0"],
    ['{"cniVersion":7}', "1.1.0"],
    ["{nope", "1.1.0"],
    ["[1]", "1.1.0"],
    ["", "1.1.0"],
  ];
  for (const [stdin, want] of cases) assertEquals(errorVersion(enc.encode(stdin)), want, stdin);
});
