import { assert, assertEquals } from "../tests/helpers/assert.ts";
import { SUPPORTED_VERSIONS } from "../cni/types.ts";
import { BUILTIN_ABOUT, builtinAbout, type BuiltinName } from "./about.ts";

const FROM_0_3_0 = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

Deno.test("BUILTIN_ABOUT: every built-in's versions and about text, as the reference plugins", () => {
  const all = (type: string) => ({
    supportedVersions: SUPPORTED_VERSIONS,
    about: `CNI ${type} plugin denocni`,
  });
  assertEquals(BUILTIN_ABOUT, {
    bridge: all("bridge"),
    loopback: all("loopback"),
    "host-local": {
      supportedVersions: SUPPORTED_VERSIONS,
      about: "CNI host-local plugin (denocni)",
    },
    bandwidth: { ...all("bandwidth"), supportedVersions: FROM_0_3_0 },
    static: all("static"),
    tuning: all("tuning"),
    portmap: all("portmap"),
    firewall: { ...all("firewall"), supportedVersions: ["0.4.0", "1.0.0", "1.1.0"] },
    macvlan: all("macvlan"),
    ipvlan: all("ipvlan"),
    vlan: all("vlan"),
    dummy: all("dummy"),
    ptp: all("ptp"),
    "host-device": all("host-device"),
    sbr: all("sbr"),
    vrf: { ...all("vrf"), supportedVersions: FROM_0_3_0.slice(1) },
  });
  assertEquals(SUPPORTED_VERSIONS, ["0.1.0", "0.2.0", ...FROM_0_3_0]);
});

Deno.test("builtinAbout() is the plugin's entry of BUILTIN_ABOUT", () => {
  for (const name of Object.keys(BUILTIN_ABOUT)) {
    assert(builtinAbout(name as BuiltinName) === BUILTIN_ABOUT[name], name);
  }
});
