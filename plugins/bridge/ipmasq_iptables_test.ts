import { assertEquals } from "../../tests/helpers/assert.ts";
import { parseListing } from "../../firewall/iptables.ts";
import { formatCidr, parseCidr } from "../../ip/mod.ts";
import {
  ipMasqChainName,
  ipMasqComment,
  iptablesGcLines,
  iptablesJumpSources,
  iptablesSetupLines,
  iptablesTeardownLines,
} from "./ipmasq_iptables.ts";

Deno.test("ipMasqChainName() matches the reference test vector", async () => {
  assertEquals(await ipMasqChainName("mynet", "abc123"), "CNI-70a29d9dc18bc4d652ea5d59");
});

Deno.test("ipMasqComment() quotes like Go %q", () => {
  assertEquals(ipMasqComment("mynet", "abc123"), 'name: "mynet" id: "abc123"');
});

const CHAIN = "CNI-70a29d9dc18bc4d652ea5d59";
const COMMENT = 'name: "mynet" id: "abc123"';
const Q = '"name: \\"mynet\\" id: \\"abc123\\""';
const V4 = {
  multicast: "224.0.0.0/4",
  cidrs: [parseCidr("10.1.0.2/16")!, parseCidr("10.2.0.3/24")!],
};

Deno.test("iptablesSetupLines() without a snapshot is the reference's whole ADD, in its order", () => {
  assertEquals(iptablesSetupLines(undefined, CHAIN, COMMENT, V4), [
    `-N ${CHAIN}`,
    `-A ${CHAIN} -d 10.1.0.0/16 -m comment --comment ${Q} -j ACCEPT`,
    `-A ${CHAIN} ! -d 224.0.0.0/4 -m comment --comment ${Q} -j MASQUERADE`,
    `-A POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}`,
    `-A ${CHAIN} -d 10.2.0.0/24 -m comment --comment ${Q} -j ACCEPT`,
    `-A POSTROUTING -s 10.2.0.3/32 -m comment --comment ${Q} -j ${CHAIN}`,
  ]);
});

Deno.test("iptablesSetupLines() adds only what the table lacks", () => {
  const snap = parseListing(`-N ${CHAIN}
-A POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}
-A ${CHAIN} -d 10.1.0.0/16 -m comment --comment ${Q} -j ACCEPT
-A ${CHAIN} ! -d 224.0.0.0/4 -m comment --comment ${Q} -j MASQUERADE
`);
  assertEquals(
    iptablesSetupLines(snap, CHAIN, COMMENT, { ...V4, cidrs: V4.cidrs.slice(0, 1) }),
    [],
  );
  assertEquals(iptablesSetupLines(snap, CHAIN, COMMENT, V4), [
    `-A ${CHAIN} -d 10.2.0.0/24 -m comment --comment ${Q} -j ACCEPT`,
    `-A POSTROUTING -s 10.2.0.3/32 -m comment --comment ${Q} -j ${CHAIN}`,
  ]);
});

Deno.test("iptablesTeardownLines() deletes what exists, old jump form included", () => {
  assertEquals(iptablesTeardownLines(undefined, CHAIN, COMMENT, V4.cidrs), [
    `-D POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}`,
    `-D POSTROUTING -s 10.2.0.3/32 -m comment --comment ${Q} -j ${CHAIN}`,
    `-F ${CHAIN}`,
    `-X ${CHAIN}`,
  ]);
  const snap = parseListing(`-N ${CHAIN}
-A POSTROUTING -s 10.1.0.0/16 -m comment --comment ${Q} -j ${CHAIN}
-A POSTROUTING -s 10.2.0.3/32 -m comment --comment ${Q} -j ${CHAIN}
-A ${CHAIN} -d 10.1.0.0/16 -m comment --comment ${Q} -j ACCEPT
`);
  assertEquals(iptablesTeardownLines(snap, CHAIN, COMMENT, V4.cidrs), [
    `-D POSTROUTING -s 10.1.0.0/16 -m comment --comment ${Q} -j ${CHAIN}`,
    `-D POSTROUTING -s 10.2.0.3/32 -m comment --comment ${Q} -j ${CHAIN}`,
    `-F ${CHAIN}`,
    `-X ${CHAIN}`,
  ]);
  assertEquals(iptablesTeardownLines(parseListing(""), CHAIN, COMMENT, V4.cidrs), []);
});

Deno.test("iptablesTeardownLines() keeps a chain another interface still jumps to", () => {
  const snap = parseListing(`-N ${CHAIN}
-A POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}
-A POSTROUTING -s 10.9.0.2/32 -m comment --comment ${Q} -j ${CHAIN}
`);
  assertEquals(iptablesTeardownLines(snap, CHAIN, COMMENT, V4.cidrs.slice(0, 1)), [
    `-D POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}`,
  ]);
});

Deno.test("iptablesJumpSources() finds the container's jumps by chain and comment only", () => {
  const snap = parseListing(`-N ${CHAIN}
-A POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}
-A POSTROUTING -s 10.9.0.0/16 -m comment --comment ${Q} -j ${CHAIN}
-A POSTROUTING -s 10.3.0.2/32 -m comment --comment "name: \\"mynet\\" id: \\"x\\"" -j ${CHAIN}
-A POSTROUTING -s 10.4.0.2/32 -m comment --comment ${Q} -j OTHER
-A POSTROUTING -s 10.5.0.2/32 -j ${CHAIN}
`);
  assertEquals(
    iptablesJumpSources(snap, CHAIN, COMMENT).map(formatCidr),
    ["10.1.0.2/32", "10.9.0.0/16"],
  );
});

Deno.test("iptablesGcLines() tears down the network's containers that are not kept", async () => {
  const gone = await ipMasqChainName("mynet", "gone");
  const foreign = await ipMasqChainName("othernet", "gone");
  const qGone = '"name: \\"mynet\\" id: \\"gone\\""';
  const qForeign = '"name: \\"othernet\\" id: \\"gone\\""';
  const snap = parseListing(`-N ${CHAIN}
-N ${gone}
-N ${foreign}
-A POSTROUTING -s 10.1.0.2/32 -m comment --comment ${Q} -j ${CHAIN}
-A POSTROUTING -s 10.1.0.3/32 -m comment --comment ${qGone} -j ${gone}
-A POSTROUTING -s 10.1.0.4/32 -m comment --comment ${qGone} -j NOT-ITS-CHAIN
-A POSTROUTING -s 10.2.0.3/32 -m comment --comment ${qForeign} -j ${foreign}
-A ${gone} -d 10.1.0.0/16 -m comment --comment ${qGone} -j ACCEPT
`);
  assertEquals(await iptablesGcLines(snap, "mynet", new Set(["abc123"])), [
    `-D POSTROUTING -s 10.1.0.3/32 -m comment --comment ${qGone} -j ${gone}`,
    `-F ${gone}`,
    `-X ${gone}`,
  ]);
  assertEquals(await iptablesGcLines(snap, "mynet", new Set(["abc123", "gone"])), []);
});
