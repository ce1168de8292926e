import { assertEquals } from "../tests/helpers/assert.ts";
import {
  CNI_STATE_DIR,
  DEFAULT_CACHE_DIR,
  DEFAULT_CNI_PATH,
  DEFAULT_IFNAME,
  DEFAULT_NETCONFPATH,
} from "./defaults.ts";

Deno.test("the defaults are the reference's paths and names", () => {
  assertEquals(
    [DEFAULT_NETCONFPATH, DEFAULT_CNI_PATH, DEFAULT_IFNAME, CNI_STATE_DIR, DEFAULT_CACHE_DIR],
    ["/etc/cni/net.d", "/opt/cni/bin", "eth0", "/var/lib/cni", "/var/lib/cni"],
  );
});
