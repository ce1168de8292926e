// Golden vectors from Go's net package (go1.19.8, the reference plugins' toolchain), produced by
// tests/fixtures/ip/go_net_vectors.go: every parse, print, prefix, containment and class
// answer of ip/ must be Go's, quirks included.
import { assertEquals } from "../tests/helpers/assert.ts";
import vectors from "../tests/fixtures/ip/go_net_vectors.json" with { type: "json" };
import {
  bitsOf,
  cidrContains,
  formatCidr,
  formatIp,
  isGlobalUnicast,
  networkOf,
  parseCidr,
  parseCidrLiteral,
  parseIp,
  parseIpLiteral,
  to16,
  unmap,
} from "./mod.ts";

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("parseIp(), formatIp(), unmap() and isGlobalUnicast() answer as Go's net.ParseIP, String, To4, IsGlobalUnicast", () => {
  assertEquals(vectors.go, "go1.19.8");
  for (const v of vectors.parseIP) {
    const ip = parseIp(v.in);
    if (v.hex === null) {
      assertEquals([v.in, ip], [v.in, undefined]);
      assertEquals([v.in, parseIpLiteral(v.in)], [v.in, undefined]);
      continue;
    }
    const got = ip && {
      hex: hex(to16(ip)),
      string: formatIp(ip),
      is4: unmap(ip).family === 4,
      global: isGlobalUnicast(ip),
    };
    assertEquals([v.in, got], [v.in, {
      hex: v.hex,
      string: v.string,
      is4: v.is4,
      global: v.global,
    }]);
    // The literal keeps the written family; Go's view of it is the same address.
    const literal = parseIpLiteral(v.in)!;
    assertEquals([v.in, literal.family], [v.in, v.in.includes(":") ? 6 : 4]);
    assertEquals([v.in, formatIp(literal)], [v.in, v.string]);
  }
});

Deno.test("parseCidrLiteral(), parseCidr(), formatCidr() and networkOf() answer as Go's net.ParseCIDR and IPNet.String", () => {
  for (const v of vectors.parseCIDR) {
    const c = parseCidrLiteral(v.in);
    if (!v.ok) {
      assertEquals([v.in, c, parseCidr(v.in)], [v.in, undefined, undefined]);
      continue;
    }
    // Go's view prints the same and knows the family To4 gives.
    const view = parseCidr(v.in)!;
    assertEquals([v.in, formatCidr(view), view.ip.family], [
      v.in,
      v.hostKept,
      v.hostKept.includes(":") ? 6 : 4,
    ]);
    const got = c && {
      ip: formatIp(c.ip),
      hostKept: formatCidr(c),
      maskBits: bitsOf(c.ip.family),
      ones: c.prefix,
      net: formatCidr(networkOf(c)),
      netHex: hex(to16(networkOf(c).ip)),
    };
    assertEquals([v.in, got], [v.in, {
      ip: v.ip,
      hostKept: v.hostKept,
      maskBits: v.maskBits,
      ones: v.ones,
      net: v.net,
      netHex: v.netHex,
    }]);
  }
});

Deno.test("cidrContains() answers as Go's IPNet.Contains on a CIDR with host bits kept", () => {
  for (const v of vectors.contains) {
    assertEquals(
      [v.cidr, v.ip, cidrContains(parseCidr(v.cidr)!, parseIp(v.ip)!)],
      [v.cidr, v.ip, v.in],
    );
  }
});
