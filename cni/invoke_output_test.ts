import { pluginError } from "./invoke_output.ts";
import { assert, assertEquals } from "../tests/helpers/assert.ts";

Deno.test("pluginError() reads error JSON, then stderr, then the exit status", () => {
  const base = { exitCode: 1, status: "exit status 1" };
  const e1 = pluginError({ ...base, stdout: '{"code":7,"msg":"bad","details":"x"}', stderr: "" });
  assertEquals([e1.code, e1.msg, e1.details], [7, "bad", "x"]);
  const e2 = pluginError({ ...base, stdout: "", stderr: "oops\n" });
  assertEquals(e2.message, 'netplugin failed: "oops": exit status 1');
  const e3 = pluginError({ ...base, stdout: "", stderr: "" });
  assertEquals(e3.message, "netplugin failed with no error message: exit status 1");
  const e4 = pluginError({ ...base, stdout: "garbage", stderr: "" });
  assert(
    e4.message.startsWith('netplugin failed but error parsing its diagnostic message "garbage": '),
  );
});

Deno.test("pluginError() keeps cniVersion when the error has it and accepts errors without", () => {
  const out = (stdout: string) => ({ exitCode: 1, stdout, stderr: "", status: "exit status 1" });
  const withVersion = pluginError(out('{"cniVersion":"0.4.0","code":7,"msg":"bad","details":"d"}'));
  assertEquals(withVersion.toJSON(), { cniVersion: "0.4.0", code: 7, msg: "bad", details: "d" });
  const without = pluginError(out('{"code":7,"msg":"bad"}'));
  assertEquals([without.code, without.msg, without.cniVersion], [7, "bad", undefined]);
});
