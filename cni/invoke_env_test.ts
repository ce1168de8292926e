import { pluginEnv } from "./invoke_env.ts";
import { assertEquals } from "../tests/helpers/assert.ts";

Deno.test("pluginEnv() sets all six CNI_* variables like pkg/invoke/args.go", () => {
  assertEquals(
    pluginEnv({ command: "GC" }, {
      env: { HOME: "/root", CNI_ARGS: "old" },
      cniPath: ["/a", "/b"],
    }),
    {
      HOME: "/root",
      CNI_COMMAND: "GC",
      CNI_CONTAINERID: "",
      CNI_NETNS: "",
      CNI_ARGS: "",
      CNI_IFNAME: "",
      CNI_PATH: "/a:/b",
    },
  );
});
