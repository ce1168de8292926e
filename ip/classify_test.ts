import { assertEquals } from "../tests/helpers/assert.ts";
import {
  isGlobalUnicast,
  isLinkLocalUnicast,
  isLoopback,
  isMulticast,
  isUnspecified,
  parseIp,
} from "./mod.ts";

Deno.test("address classes follow Go's net.IP methods, IPv4-mapped counted as IPv4", () => {
  const classes = (t: string) => {
    const ip = parseIp(t)!;
    return [
      isUnspecified(ip),
      isLoopback(ip),
      isMulticast(ip),
      isLinkLocalUnicast(ip),
      isGlobalUnicast(ip),
    ];
  };
  const want: Record<string, boolean[]> = {
    "0.0.0.0": [true, false, false, false, false],
    "::": [true, false, false, false, false],
    "::ffff:0.0.0.0": [true, false, false, false, false],
    "127.0.0.9": [false, true, false, false, false],
    "::1": [false, true, false, false, false],
    "224.0.0.1": [false, false, true, false, false],
    "ff02::1": [false, false, true, false, false],
    "169.254.3.4": [false, false, false, true, false],
    "febf::1": [false, false, false, true, false],
    "fec0::1": [false, false, false, false, true],
    "240.0.0.1": [false, false, false, false, true],
    "255.255.255.255": [false, false, false, false, false],
    "::ffff:10.0.0.1": [false, false, false, false, true],
  };
  for (const [t, w] of Object.entries(want)) assertEquals([t, classes(t)], [t, w]);
});
