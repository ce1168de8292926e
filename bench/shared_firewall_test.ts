// sweepPlan: what the bench's cleanup removes from a table after a Podman-chain run (pure).
import { assertEquals } from "../tests/helpers/assert.ts";
import { parseListing } from "../firewall/mod.ts";
import { parseCidr } from "../ip/mod.ts";
import { sweepPlan } from "./shared_firewall.ts";

// `iptables -t nat -S` after the reference plugins' ADD of Podman's list (network n1, subnet
// 10.129.0.0/16) without its DEL.
const NAT = `-P PREROUTING ACCEPT
-N CNI-DN-bd1d
-N CNI-HOSTPORT-DNAT
-N CNI-HOSTPORT-MASQ
-N CNI-HOSTPORT-SETMARK
-N CNI-bd1d
-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ
-A POSTROUTING -s 10.129.0.2/32 -m comment --comment "name: \\"n1\\" id: \\"c1\\"" -j CNI-bd1d
-A CNI-DN-bd1d -s 10.129.0.0/16 -p tcp -m tcp --dport 45678 -j CNI-HOSTPORT-SETMARK
-A CNI-DN-bd1d -s 127.0.0.1/32 -p tcp -m tcp --dport 45678 -j CNI-HOSTPORT-SETMARK
-A CNI-DN-bd1d -p tcp -m tcp --dport 45678 -j DNAT --to-destination 10.129.0.2:80
-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"n1\\" id: \\"c1\\"" -m multiport --dports 45678 -j CNI-DN-bd1d
-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE
-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000
-A CNI-bd1d -d 10.129.0.0/16 -m comment --comment "name: \\"n1\\" id: \\"c1\\"" -j ACCEPT
-A CNI-bd1d ! -d 224.0.0.0/4 -m comment --comment "name: \\"n1\\" id: \\"c1\\"" -j MASQUERADE
`;

// `iptables -t filter -S` after the reference firewall plugin's ADD (no comments on its rules).
const FILTER = `-P FORWARD ACCEPT
-N CNI-ADMIN
-N CNI-FORWARD
-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD
-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN
-A CNI-FORWARD -d 10.129.0.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A CNI-FORWARD -s 10.129.0.2/32 -j ACCEPT
`;

const OURS = { networks: new Set(["n1"]), subnets: [parseCidr("10.129.0.0/16")!] };

Deno.test("sweepPlan removes the run's rules, its chains and the shared chains it created", () => {
  const nat = sweepPlan(parseListing(NAT), new Set(), OURS);
  assertEquals(nat.lines, [
    '-D POSTROUTING -s 10.129.0.2/32 -m comment --comment "name: \\"n1\\" id: \\"c1\\"" -j CNI-bd1d',
    "-D CNI-DN-bd1d -s 10.129.0.0/16 -p tcp -m tcp --dport 45678 -j CNI-HOSTPORT-SETMARK",
    '-D CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"n1\\" id: \\"c1\\"" -m multiport --dports 45678 -j CNI-DN-bd1d',
    '-D CNI-bd1d -d 10.129.0.0/16 -m comment --comment "name: \\"n1\\" id: \\"c1\\"" -j ACCEPT',
    '-D CNI-bd1d ! -d 224.0.0.0/4 -m comment --comment "name: \\"n1\\" id: \\"c1\\"" -j MASQUERADE',
    "-D PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
    "-D OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
    '-D POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
    "-F CNI-bd1d",
    "-F CNI-DN-bd1d",
    "-F CNI-HOSTPORT-DNAT",
    "-F CNI-HOSTPORT-SETMARK",
    "-F CNI-HOSTPORT-MASQ",
    "-X CNI-bd1d",
    "-X CNI-DN-bd1d",
    "-X CNI-HOSTPORT-DNAT",
    "-X CNI-HOSTPORT-SETMARK",
    "-X CNI-HOSTPORT-MASQ",
  ]);
  assertEquals(nat.shared, ["CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-SETMARK", "CNI-HOSTPORT-MASQ"]);
  assertEquals(nat.kept, []);
  assertEquals(nat.leftovers.slice(-2), ["CNI-bd1d", "CNI-DN-bd1d"]);
  const filter = sweepPlan(parseListing(FILTER), new Set(), OURS);
  assertEquals(filter.lines, [
    "-D CNI-FORWARD -d 10.129.0.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-D CNI-FORWARD -s 10.129.0.2/32 -j ACCEPT",
    '-D FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD',
    "-F CNI-FORWARD",
    "-F CNI-ADMIN",
    "-X CNI-FORWARD",
    "-X CNI-ADMIN",
  ]);
  assertEquals(filter.shared, ["CNI-FORWARD", "CNI-ADMIN"]);
});

Deno.test("sweepPlan never drops a chain that existed before, only the run's rules in it", () => {
  const before = new Set(["CNI-FORWARD", "CNI-ADMIN"]);
  const filter = sweepPlan(parseListing(FILTER), before, OURS);
  assertEquals(filter.lines, [
    "-D CNI-FORWARD -d 10.129.0.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-D CNI-FORWARD -s 10.129.0.2/32 -j ACCEPT",
  ]);
  assertEquals(filter.shared, []);
  // Nothing of the run: nothing at all.
  const other = { networks: new Set(["n2"]), subnets: [parseCidr("10.130.0.0/16")!] };
  assertEquals(sweepPlan(parseListing(FILTER), before, other).lines, []);
});

Deno.test("sweepPlan keeps a shared chain it created when somebody else's rules are in it", () => {
  const foreign = FILTER +
    "-A CNI-FORWARD -s 10.77.0.9/32 -j ACCEPT\n" +
    "-N ADMIN-OWN\n-A ADMIN-OWN -j CNI-ADMIN\n";
  const plan = sweepPlan(parseListing(foreign), new Set(["ADMIN-OWN"]), OURS);
  assertEquals(plan.kept, [
    "CNI-FORWARD: holds 1 rule(s) of other containers",
    "CNI-ADMIN: jumped to from CNI-FORWARD, ADMIN-OWN",
  ]);
  assertEquals(plan.lines, [
    "-D CNI-FORWARD -d 10.129.0.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-D CNI-FORWARD -s 10.129.0.2/32 -j ACCEPT",
  ]);
});
