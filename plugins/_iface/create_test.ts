import { assertEquals } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import { NetlinkError } from "../../netlink/mod.ts";
import { linkCreateError } from "./create.ts";

function nlError(code: string, errno: number, description: string, extack?: string) {
  return new NetlinkError({ op: "link add", target: "veth0", errno, code, description, extack });
}

Deno.test("linkCreateError() names the missing kernel module for an unknown link kind", () => {
  for (
    const [kind, module] of [["vlan", "8021q"], ["ipvlan", "ipvlan"], ["dummy", "dummy"], [
      "macvlan",
      "macvlan",
    ]]
  ) {
    const err = linkCreateError(
      kind!,
      nlError("EOPNOTSUPP", 95, "operation not supported", "Unknown device type"),
    );
    assertEquals([err.code, err.msg], [
      999,
      `the kernel has no ${kind} support (module ${module})`,
    ]);
    assertEquals(
      err.details,
      `load it with "modprobe ${module}" or use a kernel built with it; the kernel said: ` +
        `link add "veth0": operation not supported (EOPNOTSUPP): Unknown device type`,
    );
  }
  // Without an extended ack (older kernels) EOPNOTSUPP still means the kind is missing.
  assertEquals(
    linkCreateError("vlan", nlError("EOPNOTSUPP", 95, "operation not supported")).msg,
    "the kernel has no vlan support (module 8021q)",
  );
});

Deno.test("linkCreateError() keeps other refusals as the reference words them", () => {
  assertEquals(
    linkCreateError(
      "vlan",
      nlError("EOPNOTSUPP", 95, "operation not supported", "VLANs not supported on lo"),
    ).msg,
    "failed to create vlan: operation not supported: VLANs not supported on lo",
  );
  assertEquals(
    linkCreateError("dummy", nlError("EEXIST", 17, "file exists")).msg,
    "failed to create dummy: file exists",
  );
  const own = new CniError(7, "x");
  assertEquals(linkCreateError("vlan", own), own);
});
