import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import { allocate, hasFreeAddress, rangeIterator } from "./allocator.ts";
import { loadIpamConfig } from "./config.ts";
import type { RangeSet } from "./range.ts";
import { formatIp, parseIp } from "../../ip/mod.ts";
import { memoryStore } from "./_memory_store.ts";

function sets(ipam: Record<string, unknown>): RangeSet[] {
  return loadIpamConfig({ cniVersion: "1.0.0", name: "n", type: "x", ipam }, "").ranges;
}

function order(set: RangeSet, last?: string): string[] {
  return [...rangeIterator(set, last ? parseIp(last) : undefined)].map((c) => formatIp(c.ip));
}

Deno.test("rangeIterator() starts at rangeStart, skips the gateway and visits each address once", () => {
  const [set] = sets({ subnet: "10.9.0.0/29" });
  assertEquals(order(set!), ["10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"]);
  // A custom gateway frees .1 (reference: the first IP handed out is .1).
  const [gw6] = sets({ subnet: "10.9.0.0/29", gateway: "10.9.0.6" });
  assertEquals(order(gw6!), ["10.9.0.1", "10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5"]);
});

Deno.test("rangeIterator() resumes after the last reserved address and wraps across ranges", () => {
  const [set] = sets({
    ranges: [[
      { subnet: "10.1.0.0/29", rangeStart: "10.1.0.4", rangeEnd: "10.1.0.5" },
      { subnet: "10.2.0.0/29", rangeEnd: "10.2.0.3" },
    ]],
  });
  assertEquals(order(set!), ["10.1.0.4", "10.1.0.5", "10.2.0.2", "10.2.0.3"]);
  assertEquals(order(set!, "10.1.0.5"), ["10.2.0.2", "10.2.0.3", "10.1.0.4", "10.1.0.5"]);
  assertEquals(order(set!, "10.2.0.3"), ["10.1.0.4", "10.1.0.5", "10.2.0.2", "10.2.0.3"]);
  assertEquals(order(set!, "10.2.0.2"), ["10.2.0.3", "10.1.0.4", "10.1.0.5", "10.2.0.2"]);
  // Outside the set: start over at the beginning.
  assertEquals(order(set!, "192.168.0.1"), ["10.1.0.4", "10.1.0.5", "10.2.0.2", "10.2.0.3"]);
});

Deno.test("rangeIterator() works for IPv6 prefixes with a zero first byte (broken in 1.1.1)", () => {
  const [set] = sets({ subnet: "64:ff9b::/126" });
  assertEquals(order(set!), ["64:ff9b::2", "64:ff9b::3"]);
  const [zero] = sets({ subnet: "::/126" });
  assertEquals(order(zero!), ["::2", "::3"]);
});

Deno.test("allocate() hands out round-robin and records last_reserved_ip per range set", () => {
  const store = memoryStore();
  const [set] = sets({ subnet: "10.9.0.0/29" });
  const got = ["a", "b", "c"].map((id) =>
    allocate(store, set!, { rangeId: 0, containerId: id, ifName: "eth0" })
  );
  assertEquals(got, [
    { address: "10.9.0.2/29", gateway: "10.9.0.1" },
    { address: "10.9.0.3/29", gateway: "10.9.0.1" },
    { address: "10.9.0.4/29", gateway: "10.9.0.1" },
  ]);
  assertEquals(store.files.get("10.9.0.3"), "b\r\neth0");
  assertEquals(store.lastReserved.get("0"), "10.9.0.4");
  // A released address is not reused until the range wraps.
  store.releaseById("a", "eth0");
  assertEquals(
    allocate(store, set!, { rangeId: 0, containerId: "d", ifName: "eth0" }).address,
    "10.9.0.5/29",
  );
  assertEquals(
    allocate(store, set!, { rangeId: 0, containerId: "e", ifName: "eth0" }).address,
    "10.9.0.6/29",
  );
  assertEquals(
    allocate(store, set!, { rangeId: 0, containerId: "f", ifName: "eth0" }).address,
    "10.9.0.2/29",
  );
  const err = assertThrows(
    () => allocate(store, set!, { rangeId: 0, containerId: "g", ifName: "eth0" }),
    CniError,
  );
  assertEquals(err.msg, "no IP addresses available in range set: 10.9.0.1-10.9.0.6");
  assertEquals(err.code, 999);
});

Deno.test("allocate() refuses a second dynamic address for the same container and interface", () => {
  const store = memoryStore({ files: { "10.9.0.5": "legacy" } });
  const [set] = sets({ subnet: "10.9.0.0/29" });
  allocate(store, set!, { rangeId: 0, containerId: "a", ifName: "eth0" });
  assertThrows(
    () => allocate(store, set!, { rangeId: 0, containerId: "a", ifName: "eth0" }),
    CniError,
    "10.9.0.2 has been allocated to a, duplicate allocation is not allowed",
  );
  // Another interface of the same container is fine; a legacy id-only lease counts as held.
  assertEquals(
    allocate(store, set!, { rangeId: 0, containerId: "a", ifName: "eth1" }).address,
    "10.9.0.3/29",
  );
  assertThrows(
    () => allocate(store, set!, { rangeId: 0, containerId: "legacy", ifName: "eth0" }),
    CniError,
    "10.9.0.5 has been allocated to legacy",
  );
});

Deno.test("allocate() honours requested addresses with the reference's errors", () => {
  const store = memoryStore();
  const [set] = sets({ subnet: "10.9.0.0/29" });
  const req = (ip: string, id = "r") =>
    allocate(store, set!, { rangeId: 0, containerId: id, ifName: "eth0", requested: parseIp(ip)! });
  assertEquals(req("10.9.0.5"), { address: "10.9.0.5/29", gateway: "10.9.0.1" });
  assertEquals(store.lastReserved.get("0"), "10.9.0.5"); // requested IPs move the cursor too
  assertThrows(
    () => req("10.9.0.5", "s"),
    CniError,
    "requested IP address 10.9.0.5 is not available in range set 10.9.0.1-10.9.0.6",
  );
  assertThrows(() => req("10.9.0.1"), CniError, "requested ip 10.9.0.1 is subnet's gateway");
  assertThrows(() => req("10.9.0.7"), CniError, "10.9.0.7 not in range set 10.9.0.1-10.9.0.6");
  // Empty lease files are reclaimable (plugins#498).
  store.files.set("10.9.0.6", "");
  assertEquals(req("10.9.0.6", "t").address, "10.9.0.6/29");
  assertEquals(store.files.get("10.9.0.6"), "t\r\neth0");
});

Deno.test("hasFreeAddress() reports exhaustion", () => {
  const store = memoryStore();
  const [set] = sets({ subnet: "10.9.0.0/30" });
  assertEquals(hasFreeAddress(store, set!, 0), true);
  allocate(store, set!, { rangeId: 0, containerId: "a", ifName: "eth0" });
  assertEquals(hasFreeAddress(store, set!, 0), false);
});
