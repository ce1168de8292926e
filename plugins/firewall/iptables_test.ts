import { assertEquals } from "../../tests/helpers/assert.ts";
import { parseListing } from "../../firewall/iptables.ts";
import {
  checkRules,
  firewallRules,
  gcLines,
  isolationRules,
  setupLines,
  teardownLines,
} from "./iptables.ts";

const OWNER = { network: "rnnet", containerId: "rnc1" };
const C = '"firewall name: \\"rnnet\\" id: \\"rnc1\\""';
const ISO = '"CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)"';
const RULES = firewallRules(["10.120.1.2"], 4, {
  admin: "CNI-ADMIN",
  owner: OWNER,
  isolation: { bridge: "rnbr0", policy: "same-bridge" },
});

/** What ADD leaves (1.1.1's layout, the newest reference's isolation comments, our owner comment). */
const FULL = `-N CNI-ADMIN
-N CNI-FORWARD
-N CNI-ISOLATION-STAGE-1
-N CNI-ISOLATION-STAGE-2
-A FORWARD -m comment --comment ${ISO} -j CNI-ISOLATION-STAGE-1
-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD
-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN
-A CNI-FORWARD -d 10.120.1.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ${C} -j ACCEPT
-A CNI-FORWARD -s 10.120.1.2/32 -m comment --comment ${C} -j ACCEPT
-A CNI-ISOLATION-STAGE-1 -i rnbr0 ! -o rnbr0 -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)" -j CNI-ISOLATION-STAGE-2
-A CNI-ISOLATION-STAGE-1 -m comment --comment ${ISO} -j RETURN
-A CNI-ISOLATION-STAGE-2 -o rnbr0 -m comment --comment ${ISO} -j DROP
-A CNI-ISOLATION-STAGE-2 -m comment --comment ${ISO} -j RETURN
`;

Deno.test("isolationRules() adds the isolated policy's drop within the bridge", () => {
  const iso = isolationRules("br1", "isolated");
  assertEquals(iso.map((r) => `${r.place} ${r.chain} ${r.spec.join(" ")}`), [
    "insert FORWARD -m comment --comment CNI firewall plugin rules (ingressPolicy: same-bridge|isolated) -j CNI-ISOLATION-STAGE-1",
    "insert CNI-ISOLATION-STAGE-1 -i br1 ! -o br1 -m comment --comment CNI firewall plugin rules (ingressPolicy: isolated) -j CNI-ISOLATION-STAGE-2",
    "insert CNI-ISOLATION-STAGE-1 -i br1 -o br1 -m comment --comment CNI firewall plugin rules (ingressPolicy: isolated) -j DROP",
    "append CNI-ISOLATION-STAGE-1 -m comment --comment CNI firewall plugin rules (ingressPolicy: same-bridge|isolated) -j RETURN",
    "insert CNI-ISOLATION-STAGE-2 -o br1 -m comment --comment CNI firewall plugin rules (ingressPolicy: same-bridge|isolated) -j DROP",
    "append CNI-ISOLATION-STAGE-2 -m comment --comment CNI firewall plugin rules (ingressPolicy: same-bridge|isolated) -j RETURN",
  ]);
});

Deno.test("setupLines() without a snapshot asserts the shared rules and appends the container's", () => {
  const lines = setupLines(undefined, RULES);
  assertEquals(lines.length, 7 + 2);
  assertEquals(
    lines[0],
    '-C FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD',
  );
  assertEquals(lines.slice(-2), [
    `-A CNI-FORWARD -d 10.120.1.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ${C} -j ACCEPT`,
    `-A CNI-FORWARD -s 10.120.1.2/32 -m comment --comment ${C} -j ACCEPT`,
  ]);
});

Deno.test("setupLines() on an empty table follows the reference's order; on the full one adds nothing", () => {
  assertEquals(setupLines(parseListing("-P FORWARD ACCEPT\n"), RULES), [
    "-N CNI-FORWARD",
    "-N CNI-ADMIN",
    "-N CNI-ISOLATION-STAGE-1",
    "-N CNI-ISOLATION-STAGE-2",
    '-I FORWARD 1 -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD',
    '-I CNI-FORWARD 1 -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN',
    `-A CNI-FORWARD -d 10.120.1.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ${C} -j ACCEPT`,
    `-A CNI-FORWARD -s 10.120.1.2/32 -m comment --comment ${C} -j ACCEPT`,
    `-I FORWARD 1 -m comment --comment ${ISO} -j CNI-ISOLATION-STAGE-1`,
    '-I CNI-ISOLATION-STAGE-1 1 -i rnbr0 ! -o rnbr0 -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)" -j CNI-ISOLATION-STAGE-2',
    `-A CNI-ISOLATION-STAGE-1 -m comment --comment ${ISO} -j RETURN`,
    `-I CNI-ISOLATION-STAGE-2 1 -o rnbr0 -m comment --comment ${ISO} -j DROP`,
    `-A CNI-ISOLATION-STAGE-2 -m comment --comment ${ISO} -j RETURN`,
  ]);
  assertEquals(setupLines(parseListing(FULL), RULES), []);
  assertEquals(checkRules(RULES).length, 9);
});

Deno.test("teardownLines() deletes ours by address, or by owner and the reference's form by address", () => {
  assertEquals(teardownLines(undefined, OWNER, ["10.120.1.2"], 4), [
    `-D CNI-FORWARD -d 10.120.1.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ${C} -j ACCEPT`,
    `-D CNI-FORWARD -s 10.120.1.2/32 -m comment --comment ${C} -j ACCEPT`,
  ]);
  const snap = parseListing(`${FULL}-A CNI-FORWARD -s 10.120.1.9/32 -j ACCEPT
-A CNI-FORWARD -s 10.120.1.3/32 -m comment --comment "firewall name: \\"rnnet\\" id: \\"other\\"" -j ACCEPT
`);
  // Without prevResult: by owner only.
  assertEquals(teardownLines(snap, OWNER, [], 4).length, 2);
  // With an address: also the reference's uncommented rule of that address.
  assertEquals(teardownLines(snap, OWNER, ["10.120.1.9"], 4).slice(2), [
    "-D CNI-FORWARD -s 10.120.1.9/32 -j ACCEPT",
  ]);
});

Deno.test("gcLines() removes the rules of the network's containers that are not valid", () => {
  const snap = parseListing(
    `${FULL}-A CNI-FORWARD -s 10.120.1.3/32 -m comment --comment "firewall name: \\"rnnet\\" id: \\"gone\\"" -j ACCEPT
-A CNI-FORWARD -s 10.9.1.3/32 -m comment --comment "firewall name: \\"other\\" id: \\"gone\\"" -j ACCEPT
`,
  );
  assertEquals(gcLines(snap, "rnnet", new Set(["rnc1"])), [
    '-D CNI-FORWARD -s 10.120.1.3/32 -m comment --comment "firewall name: \\"rnnet\\" id: \\"gone\\"" -j ACCEPT',
  ]);
  assertEquals(gcLines(snap, "rnnet", new Set(["rnc1", "gone"])), []);
});
